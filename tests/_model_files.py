"""Take a saved model file apart and put it together again, for the tests of tampered files."""

import json
import zipfile


def read_members(path):
    """The members of the model file (a zip archive) at ``path``, by name."""
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_members(path, members, compression=zipfile.ZIP_STORED):
    """Write ``members`` (name: bytes) as the model file at ``path``."""
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)


def edit_document(path, edit):
    """Call ``edit`` on the model file's JSON document, and save what it made of it."""
    members = read_members(path)
    document = json.loads(members["model.json"])
    edit(document)
    members["model.json"] = json.dumps(document).encode()
    write_members(path, members)
