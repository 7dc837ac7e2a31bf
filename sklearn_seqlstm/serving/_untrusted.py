"""Read a model file before trusting it: bounded zip members, bounded JSON.

A saved model may come from anywhere, and :func:`load` must bound what a file
can cost before it believes anything the file says. ``save`` writes a zip of
two members, stored (not compressed), so a genuine file never holds more bytes
than it occupies on disk. Here a file is refused, with a ``ValueError`` that
names it, when it holds:

- a member compressed in any way (a 3 KB zip can inflate to gigabytes), or
  encrypted, or whose declared sizes disagree with what it stores;
- more members than a model has, or the same name twice (which member would
  be read is then up to the zip reader);
- a ``model.json`` larger than :data:`MAX_DOCUMENT_BYTES`, nested deeper than
  :data:`MAX_DEPTH`, or holding NaN or Infinity, which ``save`` never writes;
- a corrupt archive (a bad CRC, a truncated member).

The sizes the document claims (the network's, the vocabulary's) are checked
against the weights afterwards, by each estimator's ``restore``.
"""

import json
import zipfile
import zlib
from pathlib import Path

__all__ = ["MAX_DEPTH", "MAX_DOCUMENT_BYTES", "MAX_MEMBERS", "parse_document", "read_members"]

# A model holds two members; a few more are tolerated (an archiver's own
# entries), thousands are not.
MAX_MEMBERS = 16
# The document holds the vocabulary, the classes and the training history: a
# model of a million events of 100 characters each stays well below this.
MAX_DOCUMENT_BYTES = 256 * 2**20
# The document's own nesting is under 10 levels; JSON nested thousands deep exhausts
# Python's recursion limit in the parser.
MAX_DEPTH = 32


def read_members(path, document_name, weights_name):
    """The bytes of the two members, from a zip file or a folder, sizes bounded first."""
    path = Path(path)
    if path.is_dir():
        return _read_folder(path, document_name, weights_name)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file.")
    if not zipfile.is_zipfile(path):
        raise ValueError(
            f"{path} is not a saved sklearn-seqlstm model: it is not a zip archive holding "
            f"{document_name} and {weights_name} (a pickle or torch file is never loaded)."
        )
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if not {document_name, weights_name} <= names:
                raise ValueError(
                    f"{path} is not a saved sklearn-seqlstm model: the archive lacks "
                    f"{sorted({document_name, weights_name} - names)} (a pickle or torch "
                    "file is never loaded)."
                )
            infos = _checked_infos(path, archive, path.stat().st_size)
            _check_document_size(path, infos[document_name].file_size)
            return tuple(
                _read_member(archive, infos[name]) for name in (document_name, weights_name)
            )
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError) as exc:
        if isinstance(exc, (FileNotFoundError, PermissionError, IsADirectoryError)):
            raise
        raise ValueError(f"{path} is a corrupt or unreadable zip archive: {exc}") from None


def _read_folder(path, document_name, weights_name):
    members = [path / document_name, path / weights_name]
    if not all(member.is_file() for member in members):
        raise ValueError(
            f"{path} is a folder that holds no saved model (a model folder holds "
            f"{document_name} and {weights_name})."
        )
    _check_document_size(path, members[0].stat().st_size)
    return members[0].read_bytes(), members[1].read_bytes()


def _checked_infos(path, archive, file_size):
    """The archive's members by name, every one stored, its sizes within the file."""
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ValueError(
            f"{path} is not a saved sklearn-seqlstm model: it holds {len(infos)} archive "
            f"members, and a saved model 2 (at most {MAX_MEMBERS} are read)."
        )
    by_name = {}
    for info in infos:
        if info.filename in by_name:
            raise ValueError(f"{path} holds the archive member {info.filename!r} twice.")
        by_name[info.filename] = info
        if info.compress_type != zipfile.ZIP_STORED:
            raise ValueError(
                f"{path}: the archive member {info.filename!r} is compressed (method "
                f"{info.compress_type}); a saved model's members are stored uncompressed, "
                "and a compressed one is never inflated."
            )
        if info.flag_bits & 0x1:
            raise ValueError(f"{path}: the archive member {info.filename!r} is encrypted.")
        # Stored: the declared size is the size in the file, which cannot exceed it.
        if info.file_size != info.compress_size or info.file_size > file_size:
            raise ValueError(
                f"{path}: the archive member {info.filename!r} declares {info.file_size} "
                f"bytes, but stores {info.compress_size} in a file of {file_size} bytes."
            )
    return by_name


def _check_document_size(path, size):
    if size > MAX_DOCUMENT_BYTES:
        raise ValueError(
            f"{path}: its model.json is {size} bytes, more than the {MAX_DOCUMENT_BYTES} "
            "bytes a saved model's document may hold."
        )


def _read_member(archive, info):
    # The CRC is checked as the member is read to its end: a flipped bit raises here.
    with archive.open(info) as member:
        data = member.read(info.file_size + 1)
    if len(data) != info.file_size:
        raise zipfile.BadZipFile(f"member {info.filename!r} is not {info.file_size} bytes long")
    return data


def parse_document(text, what, name="model.json"):
    """The JSON document, its nesting and values bounded; a ValueError naming ``what``."""
    if len(text) > MAX_DOCUMENT_BYTES:
        raise ValueError(f"{what}: {name} is larger than {MAX_DOCUMENT_BYTES} bytes.")
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{what}: {name} is not valid JSON: {exc}") from None
    except RecursionError:
        raise ValueError(
            f"{what}: {name} is nested too deeply (a saved model nests {MAX_DEPTH} levels at most)."
        ) from None
    except ValueError as exc:  # a constant refused below
        raise ValueError(f"{what}: {name} {exc}") from None
    _check_depth(document, what, name)
    return document


def _refuse_constant(name):
    raise ValueError(f"holds {name}, which a saved model never holds.")


def _check_depth(document, what, name):
    """Refuse nesting deeper than MAX_DEPTH, walking without recursion."""
    stack = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ValueError(
                f"{what}: {name} is nested too deeply (a saved model nests {MAX_DEPTH} "
                "levels at most)."
            )
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
