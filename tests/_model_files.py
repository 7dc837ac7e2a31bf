"""Rewrite one part of a saved model's document, for the tests of tampered files."""

import json
import zipfile


def edit_saved_attributes(path, key, edit):
    """Call ``edit`` on ``document["attributes"][key]`` of the model file at ``path``."""
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    document = json.loads(members["model.json"])
    edit(document["attributes"][key])
    members["model.json"] = json.dumps(document).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
