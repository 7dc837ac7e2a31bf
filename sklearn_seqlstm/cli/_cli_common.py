"""What every ``seqlstm`` command shares: its errors, option types and output checks.

Imported when ``seqlstm`` starts, so it imports nothing heavy (no torch,
scikit-learn or pandas): ``seqlstm --help`` must stay fast (issue 11). The
convention of issue 9 holds for every command: a user error is one line
``error: ...`` on stderr, never a traceback, with exit status 2 for a bad
command line or option found before any work (argparse's errors, through
:class:`OneLineParser`, or a :class:`UsageError`) and 1 for a failure after
start-up (a :class:`CommandError`). ``seqlstm``'s ``main`` prints them.
"""

import argparse
from pathlib import Path

from ._files import check_outputs

__all__ = [
    "MAX_SEED",
    "CommandError",
    "OneLineParser",
    "UsageError",
    "add_overwrite_argument",
    "check_output_file",
    "check_output_files",
    "int_between",
    "one_line",
]

# The seeds numpy accepts (check_random_state), as NextEventClassifier's random_state.
MAX_SEED = 2**32 - 1


class CommandError(ValueError):
    """A user error of a ``seqlstm`` command: ``main`` prints it as one line, no traceback.

    ``status`` is the exit status: 1 for a failure after start-up (bad data, a
    file that cannot be read or written).
    """

    status = 1


class UsageError(CommandError):
    """An option that cannot work, found before any work: exit status 2, as argparse's."""

    status = 2


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line, ``error: ...``, exit status 2.

    argparse prints the usage and then the error; the usage is one ``--help`` away.
    Subparsers are made of the same class.
    """

    def error(self, message):
        self.exit(2, f"error: {one_line(message)} (see {self.prog} --help)\n")


def one_line(text):
    """``text`` with every run of white space, line breaks included, as one space."""
    return " ".join(str(text).split())


def add_overwrite_argument(parser, help=None):
    """The ``--overwrite`` flag of the commands that write files.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The parser of the command.
    help : str, default=None
        The flag's help; None describes the files of an output folder.
    """
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help=help
        or "replace the files of an earlier run in the output folder (never the input file)",
    )


def int_between(minimum, maximum=None):
    """An argparse type: an integer from ``minimum`` to ``maximum`` (None: no maximum)."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"must be at most {maximum}, got {value}")
        return value

    parse.__name__ = "integer"
    return parse


def check_output_files(folder, names, *, overwrite, inputs=()):
    """Check that the command can write ``names`` into ``folder``; a UsageError if not.

    Run before any work, so that a bad output folder does not waste a run.

    Parameters
    ----------
    folder : pathlib.Path
        The output folder (``-o``); it may not exist yet.
    names : iterable of str
        The files the command writes into it.
    overwrite : bool
        Whether files of an earlier run may be replaced (``--overwrite``).
    inputs : iterable of pathlib.Path, default=()
        The files the command reads: never written over.

    Returns
    -------
    paths : list of pathlib.Path
        ``folder / name`` for each name.

    Raises
    ------
    UsageError
        When a file exists (without ``overwrite``), is an input, or the folder
        is not writable.
    """
    try:
        return check_outputs(folder, names, overwrite=overwrite, inputs=inputs)
    except FileExistsError as exc:
        raise UsageError(
            f"{exc} Pass --overwrite to replace them, or give another output folder (-o)."
        ) from None
    except ValueError as exc:  # the input file
        raise UsageError(f"{exc} Give another output folder (-o).") from None
    except OSError as exc:
        raise UsageError(f"output folder: {exc}") from None


def check_output_file(path, *, overwrite, inputs=(), flag):
    """Check, before any work, that the command can write the one file ``path``.

    The same checks as :func:`check_output_files` (through
    :func:`._files.check_outputs`), for a file named by an option such as
    ``--save MODEL``; a folder that does not exist yet is created by the command.

    Parameters
    ----------
    path : pathlib.Path
        The file to write.
    overwrite : bool
        Whether an existing file may be replaced (``--overwrite``).
    inputs : iterable of pathlib.Path, default=()
        The files the command reads: never written over.
    flag : str
        The option that names the file, for the message.

    Returns
    -------
    path : pathlib.Path

    Raises
    ------
    UsageError
        When ``path`` exists (without ``overwrite``), is an input or a folder,
        or its folder is not writable.
    """
    path = Path(path)
    try:
        check_outputs(path.parent, [path.name], overwrite=overwrite, inputs=inputs)
    except FileExistsError:
        raise UsageError(f"{flag} {path} exists; pass --overwrite to replace it.") from None
    except ValueError as exc:  # an input file
        raise UsageError(f"{flag}: {exc}") from None
    except OSError as exc:
        raise UsageError(f"{flag}: {exc}") from None
    return path
