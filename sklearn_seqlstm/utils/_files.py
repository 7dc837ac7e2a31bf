"""Output files that never destroy a user's file.

:func:`check_outputs` says, before any work, whether a set of files can be
written into a folder: the folder is (or can be made) a writable folder, no file
would overwrite an existing one unless asked to, and none is an input file, even
when asked to overwrite. :func:`replacing` then writes each file through a
temporary file beside it and renames it into place, so that an interrupted write
leaves the old file (or none), never half of one.

The errors are the standard ones (``NotADirectoryError``, ``PermissionError``,
``FileExistsError``, ``IsADirectoryError``, all ``OSError``, and ``ValueError``
for an input file) with a message that names the path, for any caller: the
``seqlstm`` commands turn them into their one-line errors.
"""

import os
import secrets
from contextlib import contextmanager
from pathlib import Path

__all__ = ["check_outputs", "replacing"]


def check_outputs(folder, names, *, overwrite=False, inputs=()):
    """Check that the files ``names`` can be written into ``folder``; return their paths.

    Creates nothing: a folder that does not exist yet is checked through its
    nearest existing parent, in which it would be created.

    Parameters
    ----------
    folder : str or pathlib.Path
        The output folder.

    names : iterable of str
        The names of the files to be written in it.

    overwrite : bool, default=False
        Whether existing files of these names may be replaced.

    inputs : iterable of str or pathlib.Path, default=()
        Files read by the same run: never replaced, whatever ``overwrite`` says.

    Returns
    -------
    paths : list of pathlib.Path
        ``folder / name`` for each name.

    Raises
    ------
    FileNotFoundError
        When not even the working folder exists (it was removed).
    NotADirectoryError
        When ``folder``, or the parent it would be created in, is a file.
    PermissionError
        When no file can be created in that folder.
    ValueError
        When one of the paths is an input file.
    FileExistsError
        When some of the files exist and ``overwrite`` is False (all are named).
    IsADirectoryError
        When one of the paths is a folder.
    """
    folder = Path(folder)
    paths = [folder / name for name in names]
    existing = _nearest_existing(folder)
    if not existing.exists():  # "." itself, when the working folder was removed
        raise FileNotFoundError(f"cannot create {folder}: {existing} does not exist.")
    if not existing.is_dir():
        where = "" if existing == folder else f"cannot create {folder}: "
        raise NotADirectoryError(f"{where}{existing} is a file, not a folder.")
    _check_writable(existing)
    for path in paths:
        for input_path in inputs:
            if _same_file(path, Path(input_path)):
                same = "" if str(path) == str(input_path) else f" {input_path}"
                raise ValueError(f"{path} is the input file{same}, which is never overwritten.")
    folders = [path for path in paths if path.is_dir()]
    if folders:
        raise IsADirectoryError(f"{folders[0]} is a folder: cannot write a file there.")
    found = [path.name for path in paths if path.exists() or path.is_symlink()]
    if found and not overwrite:
        raise FileExistsError(f"{folder} already holds {', '.join(found)}.")
    return paths


@contextmanager
def replacing(path):
    """A temporary path beside ``path``, renamed to ``path`` when the block succeeds.

    Write the file to the path yielded. When the block raises (or is
    interrupted), the temporary file is removed and ``path`` is left as it was.
    The temporary file keeps ``path``'s extension, from which writers such as
    matplotlib's ``savefig`` choose the format.
    """
    path = Path(path)
    temporary = path.with_name(f".{path.stem}-{secrets.token_hex(4)}{path.suffix}")
    # os.open rather than tempfile: its files are private (0600), while the output
    # should get the permissions of any file the user creates (0666 less the umask).
    os.close(os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
    try:
        yield temporary
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _nearest_existing(folder):
    """``folder`` or its nearest parent that exists; the last parent ("." or "/") if none."""
    for candidate in [folder, *folder.parents]:
        if candidate.exists():
            break
    return candidate


def _check_writable(folder):
    # Permission bits do not tell (root ignores them; read-only mounts, ACLs): try.
    probe = folder / f".seqlstm-write-test-{secrets.token_hex(4)}"
    try:
        os.close(os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except OSError as exc:
        raise PermissionError(
            f"{folder}: the folder is not writable ({exc.strerror or exc})."
        ) from None
    probe.unlink()


def _same_file(a, b):
    try:
        return os.path.samefile(a, b)  # hard links and symbolic links too
    except OSError:  # one does not exist (yet)
        return a.resolve() == b.resolve()
