"""The event log options of ``seqlstm fit`` and ``seqlstm recommend``, and the log they read.

:func:`add_log_arguments` adds the file, its key columns, ``--sep``, the time and
attribute columns (the arguments of :func:`sklearn_seqlstm.samples_from_log` of
the same names), ``--end-event`` and the ratings (``--weight-col``,
``--min-weight``). :func:`check_log_options` and :func:`check_log_files` refuse
what cannot work before any work (a ``UsageError``, exit status 2);
:func:`read_frame` reads and filters the log, and :func:`read_log` also sorts it
into sequences (a ``CommandError``, exit status 1, for bad data).
"""

import argparse
import math
from pathlib import Path

from ._cli_common import CommandError, UsageError
from ._log_files import check_columns, parse_order_column, read_event_log, separator

__all__ = [
    "add_log_arguments",
    "check_log_files",
    "check_log_options",
    "end_event_label",
    "named_columns",
    "read_frame",
    "read_log",
    "weight_values",
]


def add_log_file_arguments(parser, *, sep_scope=""):
    """Add the event log argument, its three key columns and ``--sep`` to ``parser``.

    ``sep_scope`` says which files ``--sep`` applies to, when there are several.
    """
    parser.add_argument(
        "events",
        type=Path,
        metavar="EVENTS",
        help="the event log, one row per event: .csv or .tsv (optionally compressed: .gz, "
        ".bz2, .zip, .xz), a RecBole atomic file (.inter: its name:type headers are read as "
        "name), an XES file (.xes, .xes.gz), .parquet (needs pyarrow), or any delimited text "
        "file with --sep",
    )
    columns = parser.add_argument_group("columns of the event log")
    columns.add_argument(
        "--sequence-col", required=True, metavar="NAME", help="the sequence key (user, session)"
    )
    columns.add_argument(
        "--order-col",
        required=True,
        metavar="NAME",
        help="the order key within a sequence (timestamp or position; ties keep the row order)",
    )
    columns.add_argument(
        "--event-col", required=True, metavar="NAME", help="the event (page, item, ...)"
    )
    columns.add_argument(
        "--sep",
        type=separator,
        default=None,
        metavar="CHAR",
        help=f"the separator of a text file{sep_scope} (\\t for a tab; default: from the "
        "extension: comma for .csv, tab for .tsv and .inter)",
    )
    return parser


def add_log_arguments(parser, *, for_model=False):
    """Add the event log, its columns, and the columns of times, attributes and weights."""
    add_log_file_arguments(parser)
    attributes = parser.add_argument_group(
        "time and attributes of the events (samples_from_log's arguments of the same names)"
    )
    model_note = " (default: the model's own, when it was fitted with them)" if for_model else ""
    attributes.add_argument(
        "--time-col",
        metavar="NAME",
        default=None,
        help="each event's time (timestamps or numbers; often the order column): the LSTM also "
        "gets the time since the previous event and since the sequence's start, and the hour "
        "and weekday",
    )
    attributes.add_argument(
        "--event-attributes",
        nargs="+",
        default=None,
        metavar="NAME",
        help="columns of per-event attributes (a resource, a price), categorical or numeric; "
        f"missing values are allowed{model_note}",
    )
    attributes.add_argument(
        "--sequence-attributes",
        nargs="+",
        default=None,
        metavar="NAME",
        help="columns of per-sequence attributes (a segment, a case type), constant within a "
        f"sequence; each must be known when the prediction is made{model_note}",
    )
    attributes.add_argument(
        "--end-event",
        default=None,
        metavar="EVENT",
        help=(
            "never recommend this event: the end-of-sequence event the model was fitted with"
            if for_model
            else "an event name that no row holds: each sequence also gives a sample whose "
            "history is the whole sequence and whose target is this event (the end of the "
            "case, as process-mining benchmarks predict it)"
        ),
    )
    weights = parser.add_argument_group("ratings and weights")
    weights.add_argument(
        "--weight-col",
        metavar="NAME",
        default=None,
        help=(
            "a numeric column (a rating) for --min-weight"
            if for_model
            else "a numeric column (a rating, a count): each sample weighs the value of its "
            "next event's row (NextEventClassifier's sample_weight); values must be finite and "
            "not negative"
        ),
    )
    weights.add_argument(
        "--min-weight",
        type=_number,
        default=None,
        metavar="X",
        help="drop the rows whose --weight-col is below X before anything else (keep ratings "
        "of 4 and more: --min-weight 4)",
    )
    return parser


def _number(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


_number.__name__ = "number"


def named_columns(args):
    """(option, column) of every column the command reads, in command-line order.

    An option the command lacks counts as not given, so that any command that
    reads a log (``seqlstm evaluate`` too) can check its columns with
    :func:`check_log_files`.
    """
    named = [
        ("--sequence-col", args.sequence_col),
        ("--order-col", args.order_col),
        ("--event-col", args.event_col),
    ]
    for option in ("time_col", "event_attributes", "sequence_attributes", "weight_col"):
        value = getattr(args, option, None)
        flag = "--" + option.replace("_", "-")
        named += [(flag, name) for name in ([value] if isinstance(value, str) else value or [])]
    return named


def check_log_options(args):
    """Refuse, before any work, columns given twice or in two roles (UsageError)."""
    seen = {}
    for option, name in named_columns(args):
        if name in seen:
            # The time is often the order key itself; every other column has one role.
            if {seen[name], option} == {"--order-col", "--time-col"}:
                continue
            where = (
                "twice in " + option if seen[name] == option else f"in {seen[name]} and {option}"
            )
            raise UsageError(f"column {name!r} is given {where}; give each column one role.")
        seen[name] = option
    if args.min_weight is not None and args.weight_col is None:
        raise UsageError("--min-weight needs --weight-col: the column it compares with.")


def check_log_files(args, inputs):
    """A missing input file or a column the log lacks: a UsageError, before any work.

    ``inputs`` are the files the command reads (the log ``args.events``, a model).
    """
    columns = {option: [] for option, _ in named_columns(args)}
    for option, name in named_columns(args):
        columns[option].append(name)
    for path in inputs:
        if path.is_dir():
            raise UsageError(f"{path} is a folder, not a file.")
        if not path.is_file():
            raise UsageError(f"{path}: no such file.")
    check_columns(args.events, columns, getattr(args, "sep", None))


# Reading the log ------------------------------------------------------------------------


def read_frame(args):
    """The log's rows as a DataFrame: the order column parsed, rows under ``--min-weight``
    dropped; a CommandError if the file or a value is bad."""
    frame = read_event_log(args.events, args.sep)
    frame = _parse_order(frame, args)
    if args.min_weight is not None:
        frame = frame[weight_values(frame, args.weight_col) >= args.min_weight]
        if len(frame) == 0:
            raise CommandError(
                f"--min-weight {args.min_weight:g} drops every row of {args.events.name}: no "
                f"value of {args.weight_col!r} is that large."
            )
    return frame


def read_log(args, *, time_col, event_attributes, sequence_attributes):
    """The checked log sorted into sequences (a _SortedLog); a CommandError if bad."""
    from ..histories._eventlog import _SortedLog

    frame = read_frame(args)
    try:
        return _SortedLog(
            frame,
            args.sequence_col,
            args.order_col,
            args.event_col,
            time_col,
            event_attributes,
            sequence_attributes,
        )
    except (ValueError, TypeError) as exc:
        raise CommandError(str(exc)) from None


def _parse_order(frame, args):
    """A text order column as numbers or ISO 8601 timestamps (see parse_order_column)."""
    return parse_order_column(frame, args.order_col, args.events)


def weight_values(frame, name):
    """The column ``name`` as float weights; a CommandError naming the line if one is bad."""
    import numpy as np
    import pandas as pd

    column = frame[name]
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.flatnonzero(~np.isfinite(values) | (values < 0))
    if len(bad):
        where = frame.index.name or "row"
        raise CommandError(
            f"--weight-col {name!r} must hold finite numbers that are not negative; "
            f"{where} {frame.index[bad[0]]} holds {column.iloc[bad[0]]!r}."
        )
    return values


def end_event_label(args, events):
    """``--end-event`` as a label of the kind of ``events`` (the event column's values);
    a CommandError if it cannot be one."""
    import numpy as np

    text = args.end_event
    if text is None:
        return None
    value = text
    if events.dtype.kind in "iuf":  # numbers: the end must be a number too
        try:
            value = float(text)
        except ValueError:
            raise CommandError(
                f"--end-event {text!r} is text, while the events of {args.events.name} are "
                "numbers: give a number that no event is (for example -1)."
            ) from None
        if events.dtype.kind in "iu":
            if not value.is_integer():
                raise CommandError(
                    f"--end-event {text!r} is not an integer, while the events are integers."
                )
            value = int(value)
    if np.any(events == value):
        raise CommandError(
            f"--end-event {text!r} is an event of {args.events.name}: the end of a sequence "
            "needs a name that no event has."
        )
    return value
