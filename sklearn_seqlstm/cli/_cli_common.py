"""What every ``seqlstm`` command shares: its errors, option types and output checks,
and the LSTM's settings on the command line (:func:`add_lstm_arguments`).

Imported when ``seqlstm`` starts, so it imports nothing heavy (no torch,
scikit-learn or pandas): ``seqlstm --help`` must stay fast. One convention
holds for every command: a user error is one line
``error: ...`` on stderr, never a traceback, with exit status 2 for a bad
command line or option found before any work (argparse's errors, through
:class:`OneLineParser`, or a :class:`UsageError`) and 1 for a failure after
start-up (a :class:`CommandError`). ``seqlstm``'s ``main`` prints them.
"""

import argparse
from pathlib import Path

from ..utils._files import check_outputs

__all__ = [
    "MAX_SEED",
    "CommandError",
    "OneLineParser",
    "UsageError",
    "EARLY_STOPPING",
    "add_lstm_arguments",
    "add_overwrite_argument",
    "check_output_file",
    "check_output_files",
    "check_time_target_options",
    "early_stopping",
    "int_between",
    "lstm_settings",
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


# --early-stopping: the words of the command line -> NextEventClassifier's early_stopping.
# The Python parameter takes "auto", True or False; the command line takes their
# spellings (auto, true, false) and on / off for the two booleans, nothing else.
EARLY_STOPPING = {"auto": "auto", "true": True, "on": True, "false": False, "off": False}


def early_stopping(text):
    """An argparse type for ``--early-stopping``: auto, true/on or false/off (any case)."""
    value = EARLY_STOPPING.get(str(text).strip().lower())
    if value is None:
        raise argparse.ArgumentTypeError(
            f"expected auto, true (or on) or false (or off), got {text!r}"
        )
    return value


early_stopping.__name__ = "early_stopping"


def history_counts(text):
    """argparse type of --history-counts: auto, none, or the weight k (a number >= 0)."""
    word = text.strip().lower()
    if word in ("auto", "none"):
        return word
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not (value >= 0 and value != float("inf")):
        raise argparse.ArgumentTypeError(
            f"expected auto, none or a finite number >= 0, got {text!r}"
        )
    return value


history_counts.__name__ = "history_counts"

# The LSTM's settings on the command line: flag -> (parameter, type, help).
_LSTM_OPTIONS = {
    "--max-epochs": ("max_epochs", int, "passes over the training data"),
    "--hidden-size": ("hidden_size", int, "size of the LSTM's hidden state"),
    "--embedding-dim": ("embedding_dim", int, "size of each event's vector"),
    "--num-layers": ("num_layers", int, "number of stacked LSTM layers"),
    "--dropout": ("dropout", float, "dropout on the LSTM output"),
    "--lr": ("lr", float, "learning rate of Adam"),
    "--batch-size": ("batch_size", int, "sequences (chains) per gradient step"),
    "--n-iter-no-change": ("n_iter_no_change", int, "patience of early stopping, in epochs"),
    "--min-frequency": (
        "min_frequency",
        int,
        "attribute values seen fewer times share one vector with those never seen",
    ),
    "--device": ("device", str, "torch device: auto, cpu, cuda, ..."),
}


def add_lstm_arguments(parser):
    """Add the LSTM's settings to ``parser``; :func:`lstm_settings` reads them back.

    Each value is checked as it is parsed by NextEventClassifier's own
    validation, so that a value the model would refuse is a usage error
    before any data is read, in the model's words. Imports the classifier (and
    so torch): call it only once the command is chosen.
    """
    from ..neural._classifier import NextEventClassifier

    lstm = parser.add_argument_group("LSTM settings (default: the model's own defaults)")
    defaults = NextEventClassifier().get_params()
    for flag, (name, kind, text) in _LSTM_OPTIONS.items():
        lstm.add_argument(
            flag,
            dest=f"lstm_{name}",
            type=_lstm_option(name, kind),
            default=None,
            metavar={int: "N", float: "X"}.get(kind, "NAME"),
            help=f"{text} (default: {defaults[name]})",
        )
    lstm.add_argument(
        "--early-stopping",
        dest="lstm_early_stopping",
        type=early_stopping,
        default=None,
        metavar="{auto,true,false}",
        help="hold out a fraction of the training sequences and stop when their loss stalls: "
        "the model's early_stopping='auto' (on from enough sequences), True or False; on and "
        f"off mean true and false (default: {defaults['early_stopping']}; false with a time "
        "--target, the regressor's default)",
    )
    lstm.add_argument(
        "--no-copy-from-history",
        dest="lstm_copy_from_history",
        action="store_const",
        const=False,
        default=None,
        help="turn off the copy from the history (faster where events never repeat; "
        "next-event classifier only)",
    )
    lstm.add_argument(
        "--history-counts",
        dest="lstm_history_counts",
        type=history_counts,
        default=None,
        metavar="{auto,none,K}",
        help="after a history seen in training, blend the events that followed it there into "
        "the prediction, the network weighing as K samples; auto chooses K by leave-one-out, "
        "none keeps the network alone (default: auto; next-event classifier only)",
    )
    lstm.add_argument(
        "--verbose",
        dest="lstm_verbose",
        action="store_const",
        const=1,
        default=None,
        help="print the LSTM's loss at each epoch",
    )
    return parser


def lstm_settings(args):
    """The LSTM parameters given on the command line, by name (the others keep defaults)."""
    names = [name for name, _, _ in _LSTM_OPTIONS.values()]
    settings = {}
    for name in [*names, "copy_from_history", "history_counts", "verbose", "early_stopping"]:
        value = getattr(args, f"lstm_{name}", None)
        if value is not None:
            settings[name] = None if value == "none" else value
    return settings


def _lstm_option(name, kind):
    """An argparse type for the LSTM parameter ``name``, checked by the classifier."""

    def parse(text):
        from ..neural._classifier import NextEventClassifier
        from ..neural._torch import check_device

        try:
            value = kind(text)
        except ValueError:
            expected = {int: "an integer", float: "a number"}[kind]
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        try:
            NextEventClassifier(**{name: value})._validate_params()
            if name == "device":
                check_device(value)
        except ValueError as exc:  # sklearn's InvalidParameterError is a ValueError
            raise argparse.ArgumentTypeError(str(exc)) from None
        return value

    parse.__name__ = name
    return parse


# Options of NextEventClassifier that NextValueRegressor lacks: refused with a time target.
_CLASSIFIER_ONLY = {
    "lstm_copy_from_history": "--no-copy-from-history",
    "lstm_history_counts": "--history-counts",
}


def check_time_target_options(args, flag):
    """Refuse (UsageError) what a time target cannot work with: no ``--time-col``, an
    empty history (``--min-history 0``), or an option of the next-event classifier."""
    if not args.time_col:
        raise UsageError(
            f"{flag} needs --time-col: the column of each event's time, from which the "
            "target is measured."
        )
    if args.min_history < 1:
        raise UsageError(
            f"{flag} needs --min-history of at least 1: the time is measured from the "
            f"history's last event, and the empty history has none; got {args.min_history}."
        )
    for dest, option in _CLASSIFIER_ONLY.items():
        if getattr(args, dest, None) is not None:
            raise UsageError(
                f"{option} is an option of the next-event classifier; the LSTM of {flag} "
                "(NextValueRegressor) has no such setting. Leave it out."
            )
