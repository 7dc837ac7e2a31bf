"""``seqlstm evaluate``: compare NextEventClassifier with the baselines on an event log.

The command reads an event log (CSV or Parquet, one row per event), cuts it into
(history, next event) samples with :mod:`._eventlog`, fits the LSTM and the
baselines (Markov chains of orders 1 to 3, a logistic regression and
popularity) on the same training samples, and scores them on the same test
samples: top-1, top-5 and top-10 accuracy and MRR@10 (DESIGN.md, section 3:
every accuracy claim is paired with the best baseline on the same split).

Two protocols:

- ``leave-last-out`` (default): per sequence, the last event is the test target
  and the second-to-last the validation target; models train on the earlier
  targets only. Scores are given on both the validation and the test samples;
  the table and the chart show the test samples.
- ``groupkfold``: every sample of the log, in :class:`~sklearn.model_selection.GroupKFold`
  folds by sequence, so that no sequence is on both sides of a fold. The table
  shows the mean over folds; the chart pools the folds.

With ``--time-col``, ``--event-attributes`` or ``--sequence-attributes`` the
histories carry those columns (:class:`~sklearn_seqlstm.AttributedHistories`),
and every model that can read them is fitted twice, on the events only and with
the attributes: the LSTM (``time_features`` and ``attributes`` off, then on) and
the logistic regression (its featurizer's ``attributes`` and ``time_features``
off, then on). The Markov chains and popularity read the events only, and their
names in the table say so.

With ``--target time_to_next`` or ``--target remaining_time`` (which need
``--time-col``) the target is a duration instead of the next event: the time from
each history's last event to the next event, or to the sequence's last event. The
models are then regressors, fitted on the same samples: the training mean and
median (:class:`~sklearn.dummy.DummyRegressor`), gradient-boosted trees on
:class:`~sklearn_seqlstm.SequenceFeaturizer`'s features with the time (and the
attributes, when given) and :class:`~sklearn_seqlstm.NextValueRegressor`, the
last two with the absolute error as their loss. Each is scored by its mean
absolute error, in seconds, minutes, hours or days as the test targets'
median suggests (in the column's own units when the times are numbers), with a
95% bootstrap interval over the test sequences, and the LSTM is compared with the
best baseline by the paired difference of the absolute errors.

:func:`add_evaluate_arguments` adds the command's arguments to an argparse
(sub)parser and :func:`run_evaluate` runs it on the parsed arguments. User errors
are raised as :class:`CommandError`, which ``seqlstm``'s ``main`` prints as one
line.
"""

import argparse
import importlib.util
import sys
import time
import warnings
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.dummy import DummyRegressor
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ..baselines._featurizer import SequenceFeaturizer
from ..baselines._markov import MarkovChainClassifier
from ..histories._attributed import AttributedHistories
from ..histories._eventlog import _all_samples, _leave_last_out, _SortedLog
from ..histories._prefixes import PrefixHistories
from ..metrics._scoring import _true_event_ranks, k_retrieval_curve, reciprocal_rank, top_k_accuracy
from ..metrics._uncertainty import bootstrap_interval
from ..neural._classifier import NextEventClassifier
from ..neural._regressor import NextValueRegressor
from ..neural._torch import check_device
from ._cli_common import (
    MAX_SEED,
    CommandError,
    UsageError,
    add_overwrite_argument,
    check_output_file,
    check_output_files,
    int_between,
)
from ._files import replacing
from ._progress import progress_bar

__all__ = ["CommandError", "UsageError", "add_evaluate_arguments", "run_evaluate"]

LEAVE_LAST_OUT = "leave-last-out"
GROUP_K_FOLD = "groupkfold"

#: The models of ``--models``: command-line name -> (display name, factory(lstm, seed)).
MODELS = {
    "lstm": ("LSTM", lambda lstm, seed: NextEventClassifier(**lstm, random_state=seed)),
    "markov1": ("Markov (order 1)", lambda lstm, seed: MarkovChainClassifier(order=1)),
    "markov2": ("Markov (order 2)", lambda lstm, seed: MarkovChainClassifier(order=2)),
    "markov3": ("Markov (order 3)", lambda lstm, seed: MarkovChainClassifier(order=3)),
    # Scaled, as in `seqlstm demo`: the raw history length slows lbfgs several times.
    "logistic": (
        "Logistic regression",
        lambda lstm, seed: make_pipeline(
            SequenceFeaturizer(), StandardScaler(with_mean=False), LogisticRegression(max_iter=1000)
        ),
    ),
    "popularity": ("Popularity", lambda lstm, seed: MarkovChainClassifier(order=0)),
}
LSTM = MODELS["lstm"][0]

#: ``--target``: the next event (classification), or a duration (regression).
NEXT_EVENT = "next_event"
TIME_TARGETS = {
    "time_to_next": "the time from each history's last event to the next event",
    "remaining_time": "the time from each history's last event to its sequence's last event",
}

#: The models of ``--models`` with a time target: name -> (display name, factory(lstm, seed)).
#: The absolute error is the loss of those that have one: the median minimises the MAE.
REGRESSORS = {
    "lstm": (
        LSTM,
        lambda lstm, seed: NextValueRegressor(loss="absolute_error", **lstm, random_state=seed),
    ),
    "mean": ("Training mean", lambda lstm, seed: DummyRegressor()),
    "median": ("Training median", lambda lstm, seed: DummyRegressor(strategy="median")),
    # Dense features: HistGradientBoostingRegressor takes no sparse matrix.
    "trees": (
        "Gradient-boosted trees",
        lambda lstm, seed: make_pipeline(
            SequenceFeaturizer(time_features=True, sparse_output=False),
            HistGradientBoostingRegressor(loss="absolute_error", random_state=seed),
        ),
    ),
}

#: Options of the classifier that the regressor lacks: refused with a time target.
_CLASSIFIER_ONLY = {"lstm_copy_from_history": "--no-copy-from-history"}

#: Settings of each model with the attributes on (``with``) and off (``events``).
_VARIANT_PARAMS = {
    "lstm": {
        "events": {"time_features": False, "attributes": False},
        "with": {"time_features": True, "attributes": True},
    },
    "logistic": {
        "events": {
            "sequencefeaturizer__time_features": False,
            "sequencefeaturizer__attributes": False,
        },
        "with": {
            "sequencefeaturizer__time_features": True,
            "sequencefeaturizer__attributes": True,
        },
    },
}
EVENTS_ONLY = "events only"

#: The files written to the output folder (with a time target, results.csv only).
OUTPUT_FILES = ("results.csv", "k_retrieval.csv", "k_retrieval.png")
REGRESSION_FILES = ("results.csv",)

#: Models that need at least two distinct events among their training targets.
_NEED_TWO_EVENTS = ("lstm", "logistic")

#: Metric columns of results.csv -> heading in the printed table.
METRICS = {"top_1": "top-1", "top_5": "top-5", "top_10": "top-10", "mrr_10": "MRR@10"}

# Largest k of the k-retrieval chart (fewer when there are fewer distinct events).
_CHART_MAX_K = 20

# NextEventClassifier settings on the command line: flag -> (parameter, type, help).
_LSTM_OPTIONS = {
    "--max-epochs": ("max_epochs", int, "passes over the training data"),
    "--hidden-size": ("hidden_size", int, "size of the LSTM's hidden state"),
    "--embedding-dim": ("embedding_dim", int, "size of each event's vector"),
    "--num-layers": ("num_layers", int, "number of stacked LSTM layers"),
    "--dropout": ("dropout", float, "dropout on the LSTM output"),
    "--lr": ("lr", float, "learning rate of Adam"),
    "--batch-size": ("batch_size", int, "sequences (chains) per gradient step"),
    "--n-iter-no-change": ("n_iter_no_change", int, "patience of early stopping, in epochs"),
    "--device": ("device", str, "torch device: auto, cpu, cuda, ..."),
}


class EvaluateInputError(CommandError):
    """Bad input to ``seqlstm evaluate`` (the event log): exit status 1."""


def add_event_log_arguments(parser):
    """Add the event log argument and its three column arguments to ``parser``."""
    parser.add_argument(
        "events",
        type=Path,
        metavar="EVENTS",
        help="the event log: .csv or .tsv (optionally compressed: .gz, .bz2, .zip, .xz) "
        "or .parquet (needs pyarrow), one row per event",
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
    return parser


def add_lstm_arguments(parser):
    """Add the NextEventClassifier settings (read back by :func:`_lstm_settings`)."""
    lstm = parser.add_argument_group(
        "NextEventClassifier settings (default: the classifier's own defaults)"
    )
    defaults = NextEventClassifier().get_params()
    for flag, (name, kind, text) in _LSTM_OPTIONS.items():
        lstm.add_argument(
            flag,
            dest=f"lstm_{name}",
            type=_classifier_option(name, kind),
            default=None,
            metavar={int: "N", float: "X"}.get(kind, "NAME"),
            help=f"{text} (default: {defaults[name]})",
        )
    lstm.add_argument(
        "--early-stopping",
        dest="lstm_early_stopping",
        choices=["auto", "on", "off"],
        default=None,
        help="hold out a fraction of the training sequences and stop when their loss stalls",
    )
    lstm.add_argument(
        "--no-copy-from-history",
        dest="lstm_copy_from_history",
        action="store_const",
        const=False,
        default=None,
        help="turn off the copy from the history (faster where events never repeat)",
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


def add_evaluate_arguments(parser):
    """Add the arguments of ``seqlstm evaluate`` to an argparse (sub)parser.

    Also sets the parser's default ``run`` to :func:`run_evaluate`, the
    convention of ``seqlstm``'s subcommands: ``args.run(args)`` runs it.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The parser of the subcommand, for example from ``add_subparsers().add_parser``.

    Returns
    -------
    parser : argparse.ArgumentParser
        The same parser.
    """
    add_event_log_arguments(parser)
    attributes = parser.add_argument_group("time and attributes of the events")
    attributes.add_argument(
        "--time-col",
        metavar="NAME",
        default=None,
        help="each event's time (timestamps or numbers; often the order column): the LSTM and "
        "the logistic regression then also get the time since the previous event and since "
        "the sequence's start, and the hour and weekday",
    )
    attributes.add_argument(
        "--event-attributes",
        nargs="+",
        default=[],
        metavar="NAME",
        help="columns of per-event attributes (a resource, a price), categorical or numeric; "
        "missing values are allowed",
    )
    attributes.add_argument(
        "--sequence-attributes",
        nargs="+",
        default=[],
        metavar="NAME",
        help="columns of per-sequence attributes (a segment, a case type), constant within a "
        "sequence. With any of these three options, the LSTM and the logistic regression "
        "are scored with and without them; the other models read the events only",
    )

    protocol = parser.add_argument_group("protocol")
    protocol.add_argument(
        "--protocol",
        choices=[LEAVE_LAST_OUT, GROUP_K_FOLD],
        default=LEAVE_LAST_OUT,
        help="leave-last-out: per sequence, last event for test, second-to-last for "
        "validation; groupkfold: cross-validation with sequences kept whole "
        "(default: %(default)s)",
    )
    protocol.add_argument(
        "--n-splits",
        type=int_between(2),
        default=5,
        metavar="N",
        help="folds of --protocol groupkfold (default: %(default)s)",
    )
    protocol.add_argument(
        "--min-history",
        type=int_between(0),
        default=1,
        metavar="N",
        help="shortest history of a sample (default: %(default)s)",
    )
    protocol.add_argument(
        "--target",
        choices=[NEXT_EVENT, *TIME_TARGETS],
        default=NEXT_EVENT,
        help="what to predict after each history: the next event (classification), or the "
        "time to the next event or to the end of the sequence (regression, scored by the "
        "mean absolute error; needs --time-col) (default: %(default)s)",
    )
    protocol.add_argument(
        "--max-history",
        type=int_between(1),
        default=None,
        metavar="N",
        help="truncate every history to its last N events, for all models (default: whole "
        "histories)",
    )
    protocol.add_argument(
        "--models",
        nargs="+",
        choices=list(dict.fromkeys([*MODELS, *REGRESSORS])),
        default=None,
        metavar="MODEL",
        help=f"models to compare: for the next event, among {', '.join(MODELS)}; for a time "
        f"target, among {', '.join(REGRESSORS)} (default: all of the target's)",
    )

    add_lstm_arguments(parser)

    parser.add_argument(
        "--output",
        "-o",
        type=Path,
        default=Path("evaluate_output"),
        metavar="DIR",
        help="folder for results.csv, k_retrieval.csv and k_retrieval.png (a time target: "
        "results.csv only) (default: %(default)s)",
    )
    add_overwrite_argument(
        parser,
        help="replace the files of an earlier run in the output folder and the --save-model "
        "file (never the input file)",
    )
    parser.add_argument(
        "--random-state",
        type=int_between(0, MAX_SEED),
        default=0,
        metavar="SEED",
        help="seed of the LSTM (default: %(default)s)",
    )
    parser.add_argument(
        "--no-progress",
        dest="progress",
        action="store_false",
        help="no progress bar (the bar needs tqdm: pip install 'sklearn-seqlstm[progress]')",
    )
    parser.add_argument(
        "--save-model",
        type=Path,
        default=None,
        metavar="PATH",
        help="save the LSTM fitted for the test samples to PATH (leave-last-out only), "
        "for seqlstm recommend or sklearn_seqlstm.load (a NextValueRegressor with a time "
        "target, for sklearn_seqlstm.load)",
    )
    parser.set_defaults(run=run_evaluate)
    return parser


def _classifier_option(name, kind):
    """An argparse type for NextEventClassifier's parameter ``name``, checked by the classifier.

    The classifier's own validation (and ``check_device``) runs as the option is
    parsed, so that a value it would refuse in ``fit`` is a usage error before any
    data is read, in the classifier's words, and the two cannot disagree.
    """

    def parse(text):
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


def run_evaluate(args):
    """Run ``seqlstm evaluate`` with parsed arguments.

    The output folder is checked first: it must be (or be creatable as) a
    writable folder without the files of an earlier run (unless
    ``args.overwrite``), and the input file is never overwritten. Each file is
    written through a temporary file, renamed when complete.

    Parameters
    ----------
    args : argparse.Namespace
        The arguments, as parsed by a parser set up by :func:`add_evaluate_arguments`.

    Returns
    -------
    status : int
        0 on success.

    Raises
    ------
    UsageError
        When the output folder cannot take the files, the time and attribute
        columns are unknown, repeated, one of the key columns or combined with
        ``--max-history``, or a time target lacks ``--time-col`` or is given a
        model or option of the next-event classifier (exit status 2).
    EvaluateInputError
        On bad input (a missing file or column, a missing value, an order key
        that cannot be ordered, a file that is neither CSV nor Parquet, too few
        sequences or events), with a message that names the row or column
        (exit status 1).
    """
    start = time.perf_counter()
    output = args.output
    regression = args.target != NEXT_EVENT
    _check_target_options(args)
    _check_attribute_options(args)
    files = REGRESSION_FILES if regression else OUTPUT_FILES
    check_output_files(output, files, overwrite=args.overwrite, inputs=[args.events])
    models = _models(args)
    _check_save_model(args, models)
    n_fits = len(models) * (1 if args.protocol == LEAVE_LAST_OUT else args.n_splits)
    with _progress(2 + n_fits, enabled=args.progress) as step:
        step(f"loading {args.events.name}")
        frame = read_event_log(args.events)
        _check_attribute_columns(frame, args)
        frame = _parse_order_column(frame, args.order_col, args.events)
        step("encoding histories")
        splits, notes, time_kind = _splits(frame, args)
        lstm = _lstm_settings(args)
        fitted, per_sample = {}, {}
        if regression:
            unit = _time_unit(splits, time_kind)
            results = _fit_and_score_regression(
                splits, models, lstm, args.random_state, step, unit, fitted, per_sample
            )
        else:
            _check_distinct_events(splits, models)
            results, curves = _fit_and_score(
                splits, models, lstm, args.random_state, step, fitted, per_sample
            )
    elapsed = time.perf_counter() - start
    if args.save_model is not None:
        # Leave-last-out fits once for the validation and the test samples. save()
        # writes through a temporary file itself; its folder may not exist yet.
        (by_name,) = fitted.values()
        args.save_model.parent.mkdir(parents=True, exist_ok=True)
        by_name[_main_lstm(models)][0].save(args.save_model, overwrite=args.overwrite)

    output.mkdir(parents=True, exist_ok=True)
    with replacing(output / "results.csv") as path:
        results.to_csv(path, index=False)
    if regression:
        _report_regression(args, frame, splits, notes, results, per_sample, models, unit)
        print(f"\nWrote results.csv to {output}/")
        print(f"Total elapsed: {elapsed:.1f} s")
        return 0
    with replacing(output / "k_retrieval.csv") as path:
        curves.to_csv(path, index=False)
    written = ["results.csv", "k_retrieval.csv"]
    chart, skipped = _draw_chart(curves, args, output, _main_lstm(models) or LSTM)
    if chart:
        written.append(chart)

    print(_header(args, frame, splits, notes))
    print()
    print(_table(results, args.protocol))
    print()
    print(_intervals(per_sample, args.protocol, args.random_state))
    print()
    print(_comparison(results, args.protocol, models, per_sample, args.random_state))
    for warning in _warnings(splits):
        print(f"warning: {warning}", file=sys.stderr)
    if skipped:
        print(f"\nChart skipped: {skipped}")
    print(f"\nWrote {', '.join(written)} to {output}/")
    print(f"Total elapsed: {elapsed:.1f} s")
    return 0


def _check_target_options(args):
    """Refuse, before any work, options that a time target cannot use (UsageError)."""
    if args.target == NEXT_EVENT:
        if args.models is not None:
            _check_models(args.models, MODELS, "the next event (--target next_event)")
        return
    flag = f"--target {args.target}"
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
    if args.models is not None:
        _check_models(args.models, REGRESSORS, f"a time target ({flag})")


def _check_models(chosen, available, target):
    unknown = [name for name in dict.fromkeys(chosen) if name not in available]
    if unknown:
        raise UsageError(
            f"--models {' '.join(unknown)}: not a model for {target}; choose among "
            f"{', '.join(available)}."
        )


def _check_save_model(args, models):
    """Check, before any work, that ``--save-model`` can be honoured; a UsageError if not."""
    path = args.save_model
    if path is None:
        return
    if args.protocol != LEAVE_LAST_OUT:
        raise UsageError(
            "--save-model needs --protocol leave-last-out (groupkfold fits one model per "
            "fold); to train on the whole log, use seqlstm fit."
        )
    if _main_lstm(models) is None:
        raise UsageError("--save-model saves the LSTM: add lstm to --models.")
    check_output_file(path, overwrite=args.overwrite, inputs=[args.events], flag="--save-model")
    if any(path.resolve() == (args.output / name).resolve() for name in OUTPUT_FILES):
        raise UsageError(
            f"--save-model {path} is one of the files the command writes to the output "
            "folder; give the model another name."
        )


# Attributes ---------------------------------------------------------------------------


def _attribute_names(args):
    """(option, column) of each time and attribute column given, in command-line order."""
    named = [("--time-col", args.time_col)] if getattr(args, "time_col", None) else []
    named += [("--event-attributes", name) for name in getattr(args, "event_attributes", [])]
    named += [("--sequence-attributes", name) for name in getattr(args, "sequence_attributes", [])]
    return named


def _attributes_label(args):
    """What the models "with" attributes read beyond the events, or None when nothing is."""
    parts = []
    if getattr(args, "time_col", None):
        parts.append("time")
    if getattr(args, "event_attributes", []) or getattr(args, "sequence_attributes", []):
        parts.append("attributes")
    return " and ".join(parts) or None


def _check_attribute_options(args):
    """Refuse, before any work, time and attribute columns that cannot work (UsageError).

    No attribute may be a key column (the time may be the order column: it often
    is), no column may be given twice, and ``--max-history`` cannot be combined
    with them (histories with attributes are whole prefixes of their sequences).
    """
    named = _attribute_names(args)
    if not named:
        return
    keys = {
        "--sequence-col": args.sequence_col,
        "--order-col": args.order_col,
        "--event-col": args.event_col,
    }
    seen = {}
    for option, name in named:
        for key_option, key in keys.items():
            if name == key and not (option == "--time-col" and key_option == "--order-col"):
                raise UsageError(
                    f"{option}: column {name!r} is also {key_option}; an attribute must be a "
                    "column of its own."
                )
        if name in seen:
            where = (
                "twice in " + option if seen[name] == option else f"in {seen[name]} and {option}"
            )
            raise UsageError(f"column {name!r} is given {where}; give each column once.")
        seen[name] = option
    if args.max_history is not None:
        options = ", ".join(dict.fromkeys(option for option, _ in named))
        raise UsageError(
            f"--max-history cannot be combined with {options}: "
            "histories with times or attributes are whole prefixes of their sequences."
        )


def _check_attribute_columns(frame, args):
    """Refuse time and attribute columns that the event log lacks (UsageError, no work done)."""
    for option, name in _attribute_names(args):
        if name not in frame.columns:
            available = ", ".join(map(repr, frame.columns.tolist())) or "none"
            raise UsageError(
                f"{option}: the event log {args.events.name} has no column {name!r}. Available "
                f"columns: {available}."
            )


def _models(args):
    """Display name -> (command-line key, variant) of each model to fit.

    The variant is None without time and attribute columns; with them, the LSTM and
    the logistic regression come twice, ``"events"`` (events only) and ``"with"``
    (the attributes too), and the other models once, as ``"events"``. With a time
    target every regressor comes once, with the variant None: the LSTM and the
    trees read the time and the attributes given.
    """
    if args.target != NEXT_EVENT:
        return {REGRESSORS[key][0]: (key, None) for key in dict.fromkeys(args.models or REGRESSORS)}
    label = _attributes_label(args)
    models = {}
    for key in dict.fromkeys(args.models or MODELS):
        name = MODELS[key][0]
        if label is None:
            models[name] = (key, None)
            continue
        models[f"{name}, {EVENTS_ONLY}"] = (key, "events")
        if key in _VARIANT_PARAMS:
            models[f"{name}, with {label}"] = (key, "with")
    return models


def _make_model(key, variant, lstm, seed):
    model = clone(MODELS[key][1](lstm, seed))
    if variant is not None and key in _VARIANT_PARAMS:
        model.set_params(**_VARIANT_PARAMS[key][variant])
    return model


def _main_lstm(models):
    """The display name of the LSTM compared with the baselines: with attributes if fitted."""
    lstms = {variant: name for name, (key, variant) in models.items() if key == "lstm"}
    return lstms.get("with", lstms.get("events", lstms.get(None)))


# Loading ------------------------------------------------------------------------------

_CSV_SEPARATORS = {".csv": ",", ".tsv": "\t"}
_COMPRESSIONS = {".gz", ".bz2", ".zip", ".xz", ".zst"}
_PARQUET = {".parquet", ".pq"}


def read_event_log(path):
    """Read an event log from a CSV, TSV or Parquet file, chosen by the extension.

    Parameters
    ----------
    path : str or pathlib.Path
        ``.csv`` or ``.tsv``, optionally compressed (``.csv.gz``, ...),
        ``.parquet``, or ``.xes`` / ``.xes.gz`` (:func:`read_xes`). The index of
        the frame is named ``line`` and holds the line number of each row in a CSV
        file (the header is line 1), so that errors name the line; for Parquet it
        is the row number, from 0, and for XES the event number, from 0.

    Returns
    -------
    frame : pandas.DataFrame

    Raises
    ------
    EvaluateInputError
        When the file is missing or is a folder, has another extension, cannot be
        parsed, names a column twice, or is Parquet while no Parquet engine
        (pyarrow) is installed.
    """
    path = Path(path)
    if path.is_dir():
        raise EvaluateInputError(f"{path} is a folder, not a file: give the event log's file.")
    suffixes = [suffix.lower() for suffix in path.suffixes]
    if suffixes and suffixes[-1] in _COMPRESSIONS:
        suffixes = suffixes[:-1]
    kind = suffixes[-1] if suffixes else ""
    if kind not in _CSV_SEPARATORS and kind not in _PARQUET and kind != ".xes":
        raise EvaluateInputError(
            f"{path}: the event log must be a CSV file (.csv, .tsv, optionally compressed "
            f"as .gz, .bz2, .zip or .xz), an XES file (.xes, .xes.gz) or a Parquet file "
            f"(.parquet); got {'the extension ' + repr(kind) if kind else 'no extension'}."
        )
    if not path.is_file():
        raise EvaluateInputError(f"{path}: no such file.")
    if kind == ".xes":
        from ..histories._xes import read_xes

        try:
            frame = read_xes(path)  # gzip or plain, told apart by the content
        except (ValueError, ImportError) as exc:
            message = str(exc) if str(path) in str(exc) else f"{path}: {exc}"
            raise EvaluateInputError(message) from None
        frame.index = pd.RangeIndex(len(frame), name="event")
        return frame
    if kind in _PARQUET:
        frame = _read_parquet(path)
        _check_unique(frame.columns, path)
        return frame
    separator = _CSV_SEPARATORS[kind]
    try:
        # pandas renames a repeated column ("page" to "page.1"), so that the user's
        # --event-col page would silently pick one: read the header as it is first.
        header = pd.read_csv(path, sep=separator, header=None, nrows=1, dtype=str)
        _check_unique(header.iloc[0].dropna(), path)
        frame = pd.read_csv(path, sep=separator, low_memory=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as exc:
        raise EvaluateInputError(f"{path}: could not be parsed as CSV: {exc}") from None
    frame.index = pd.RangeIndex(2, len(frame) + 2, name="line")
    return frame


def _check_unique(names, path):
    names = pd.Series(list(names), dtype=object)
    repeated = list(dict.fromkeys(names[names.duplicated()]))
    if repeated:
        raise EvaluateInputError(
            f"{path}: the column name(s) {', '.join(map(repr, repeated))} appear more than once "
            "in the header; give each column its own name."
        )


def _read_parquet(path):
    if not any(importlib.util.find_spec(name) for name in ("pyarrow", "fastparquet")):
        raise EvaluateInputError(
            f"{path}: reading Parquet files needs pyarrow (pip install pyarrow), which is "
            "not installed; or save the event log as CSV."
        )
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # the engines raise their own types (ArrowInvalid, ...)
        raise EvaluateInputError(f"{path}: could not be read as Parquet: {exc}") from None
    frame.index = pd.RangeIndex(len(frame), name="row")
    return frame


def _parse_order_column(frame, order_col, path):
    """Make a text order column comparable: numbers, or else ISO 8601 timestamps.

    A CSV column that mixes numbers and text is read as text, where "10" sorts
    before "9": ordering it as text would be silently wrong. Such a column is an
    error that names its first value that is neither a number nor a timestamp.
    """
    if order_col not in frame.columns:
        return frame  # samples_from_log names the missing columns
    column = frame[order_col]
    if not (pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column)):
        return frame
    present = column.notna()
    numbers = pd.to_numeric(column, errors="coerce")
    if numbers.notna().sum() == present.sum():
        return frame.assign(**{order_col: numbers})
    # utc=True: offsets may differ between rows; naive times are read as UTC.
    timestamps = pd.to_datetime(column, format="ISO8601", utc=True, errors="coerce")
    if timestamps.notna().sum() == present.sum():
        return frame.assign(**{order_col: timestamps})
    where = frame.index.name or "row"
    neither = present & numbers.isna() & timestamps.isna()
    if neither.any():
        label = neither.idxmax()
        found = f"{column[label]!r} at {where} {label}, which is neither a number nor an ISO "
        found += "8601 timestamp (for example 2024-05-01T12:30:00)"
    else:
        number, timestamp = numbers.notna().idxmax(), timestamps.notna().idxmax()
        found = (
            f"both numbers ({column[number]!r} at {where} {number}) and timestamps "
            f"({column[timestamp]!r} at {where} {timestamp})"
        )
    raise EvaluateInputError(
        f"{path}: the order column {order_col!r} cannot be ordered: it holds {found}. Give "
        "numbers (positions, Unix times) or ISO 8601 timestamps."
    )


# Splits -------------------------------------------------------------------------------


def _splits(frame, args):
    """The (name, train, test) triples of the protocol, the notes for the header, and the
    kind of the times ("datetime" or "numeric"; None without ``--time-col``)."""
    columns = {
        "sequence_col": args.sequence_col,
        "order_col": args.order_col,
        "event_col": args.event_col,
    }
    if _attribute_names(args):
        columns.update(
            time_col=args.time_col,
            event_attributes=list(args.event_attributes),
            sequence_attributes=list(args.sequence_attributes),
        )
    try:
        log = _SortedLog(frame, **columns, target=args.target)
        time_kind = getattr(log, "time_kind", None)
        if args.protocol == LEAVE_LAST_OUT:
            train, valid, test, n_short = _leave_last_out(log, args.min_history, args.max_history)
            notes = _skipped_note(
                n_short,
                log.n_sequences,
                f"fewer than {args.min_history + 2} events, too short for leave-last-out",
            )
            return [("valid", train, valid), ("test", train, test)], notes, time_kind
        samples, n_short = _all_samples(log, args.min_history, args.max_history)
    except ValueError as exc:
        raise EvaluateInputError(str(exc)) from None
    n_groups = len(pd.unique(samples.groups))
    if n_groups < args.n_splits:
        raise EvaluateInputError(
            f"--protocol groupkfold --n-splits {args.n_splits} needs at least {args.n_splits} "
            f"sequences with a sample; the event log has {n_groups}."
        )
    notes = _skipped_note(
        n_short, log.n_sequences, f"at most {args.min_history} events, too short for a sample"
    )
    folds = GroupKFold(n_splits=args.n_splits).split(samples.X, samples.y, samples.groups)
    splits = [
        (f"fold {fold}", _subset(samples, train), _subset(samples, test))
        for fold, (train, test) in enumerate(folds)
    ]
    return splits, notes, time_kind


def _subset(samples, index):
    X = samples.X
    # A PrefixHistories (with its attributes, if any) is indexed without copying.
    X = X[index] if isinstance(X, PrefixHistories) else [X[i] for i in index]
    return type(samples)(X, samples.y[index], samples.groups[index])


def _skipped_note(n_short, n_sequences, reason):
    if not n_short:
        return []
    return [f"Skipped {n_short} of {n_sequences} sequences: {reason}."]


# Fitting and scoring ------------------------------------------------------------------


def _check_distinct_events(splits, models):
    """Refuse, before fitting anything, training targets the chosen models cannot fit.

    The LSTM and the logistic regression need two distinct events to learn from;
    the Markov chains and popularity fit a log of one event.
    """
    needy = [name for name, (key, _) in models.items() if key in _NEED_TWO_EVENTS]
    if not needy:
        return
    for split, train, _ in splits:
        events = pd.unique(train.y)
        if len(events) == 1:
            where = f" ({split})" if split.startswith("fold") else ""
            event = events[0].item() if isinstance(events[0], np.generic) else events[0]
            one = len(needy) == 1
            raise EvaluateInputError(
                f"the training samples{where} hold one distinct event only ({event!r}): "
                f"{' and '.join(needy)} {'needs' if one else 'need'} at least two. Leave "
                f"{'it' if one else 'them'} out of --models, or give a log with more distinct "
                "events."
            )


def _lstm_settings(args):
    """NextEventClassifier parameters given on the command line (the others keep defaults)."""
    settings = {}
    for name in [*(name for name, _, _ in _LSTM_OPTIONS.values()), "copy_from_history", "verbose"]:
        value = getattr(args, f"lstm_{name}", None)
        if value is not None:
            settings[name] = value
    early_stopping = getattr(args, "lstm_early_stopping", None)
    if early_stopping is not None:
        settings["early_stopping"] = {"auto": "auto", "on": True, "off": False}[early_stopping]
    return settings


def _fit_and_score(splits, models, lstm, seed, step, fitted=None, per_sample=None):
    """Fit every model on each split's training samples; score it on the split's test ones.

    Returns the results (one row per split and model) and the k-retrieval curves
    (one row per model and k, over the test samples: pooled over the folds).
    ``fitted``, when given, receives the fitted models: {id(train): {name: (model,
    fit seconds)}}. ``per_sample``, when given, receives each model's score of
    every test sample (pooled over the folds) and the sample's sequence:
    {name: {"groups": [...], metric: [...]}}, for the intervals.
    """
    rows, curve_hits = [], {}
    per_sample = {} if per_sample is None else per_sample
    max_k = min(_CHART_MAX_K, len(pd.unique(np.concatenate([s[1].y for s in splits]))))
    # leave-last-out: one fit serves the validation and the test samples
    fitted = {} if fitted is None else fitted
    for split, train, test in splits:
        for name, (key, variant) in models.items():
            model, fit_seconds = _fitted(
                fitted, split, train, name, partial(_make_model, key, variant, lstm, seed), step
            )
            begin = time.perf_counter()
            proba = model.predict_proba(test.X)
            predict_seconds = time.perf_counter() - begin
            classes = model.classes_
            with warnings.catch_warnings():
                # k >= the number of classes: run_evaluate says so once, in one line.
                warnings.filterwarnings("ignore", "k=.* is at least the number of classes")
                top_k = {
                    f"top_{k}": top_k_accuracy(test.y, proba, classes=classes, k=k)
                    for k in (1, 5, 10)
                }
            row = {
                "split": split,
                "model": name,
                "n_train": len(train.y),
                "n_test": len(test.y),
                **top_k,
                "mrr_10": reciprocal_rank(test.y, proba, classes=classes, k=10),
                "fit_seconds": fit_seconds,
                "predict_seconds": predict_seconds,
            }
            rows.append(row)
            if split != "valid":
                ranks, _ = _true_event_ranks(test.y, proba, classes)
                scores = per_sample.setdefault(name, {"groups": []})
                scores["groups"].append(np.asarray(test.groups))
                for k in (1, 5, 10):
                    scores.setdefault(f"top_{k}", []).append((ranks <= k).astype(float))
                scores.setdefault("mrr_10", []).append(np.where(ranks <= 10, 1.0 / ranks, 0.0))
                _, accuracies = k_retrieval_curve(test.y, proba, classes=classes, max_k=max_k)
                hits = curve_hits.setdefault(name, [np.zeros(max_k), 0])
                hits[0] += accuracies * len(test.y)
                hits[1] += len(test.y)
    results = pd.DataFrame(rows)
    curves = pd.DataFrame(
        [
            {"model": name, "k": k, "top_k_accuracy": hits / n}
            for name, (all_hits, n) in curve_hits.items()
            for k, hits in zip(range(1, max_k + 1), all_hits, strict=True)
        ]
    )
    return results, curves


# Time targets: regression -------------------------------------------------------------

#: Units of the mean absolute error with datetimes: name -> seconds, largest first.
_TIME_UNITS = {"days": 86400.0, "hours": 3600.0, "minutes": 60.0, "seconds": 1.0}
#: The unit of numeric times: their own.
TIME_UNITS = "time units"


def _time_unit(splits, time_kind):
    """(name, seconds per unit) of the unit in which to report durations.

    With datetimes, the largest unit of which the median test target (pooled over
    the folds) holds at least one: days when it is over a day. The test targets are
    those the errors are about; with leave-last-out they are the last gap of each
    sequence, often longer than the training targets. With numeric times, their
    own unit.
    """
    if time_kind != "datetime":
        return TIME_UNITS, 1.0
    targets = np.concatenate([test.y for split, _, test in splits if split != "valid"])
    typical = float(np.median(targets))
    if typical <= 0:  # most events at the same time as the one before
        typical = float(np.mean(targets))
    for name, seconds in _TIME_UNITS.items():
        if typical >= seconds:
            return name, seconds
    return "seconds", 1.0


def _make_regressor(key, lstm, seed, attributes):
    """A fresh regressor of ``--models`` ``key``; the trees read the attributes if given."""
    model = clone(REGRESSORS[key][1](lstm, seed))
    if key == "trees":
        model.set_params(sequencefeaturizer__attributes=attributes)
    return model


def _fit_and_score_regression(splits, models, lstm, seed, step, unit, fitted, per_sample):
    """Fit every regressor on each split's training samples; its MAE on the test ones.

    As :func:`_fit_and_score`, for a time target: one row per split and model,
    with the mean absolute error in ``unit`` (name, seconds per unit); ``fitted``
    receives the fitted models and ``per_sample`` each model's absolute error on
    every test sample (pooled over the folds) with the sample's sequence.
    """
    name_of_unit, seconds = unit
    rows = []
    for split, train, test in splits:
        attributes = bool(
            isinstance(train.X, AttributedHistories)
            and (train.X.event_attribute_names or train.X.sequence_attribute_names)
        )
        for name, (key, _) in models.items():
            model, fit_seconds = _fitted(
                fitted,
                split,
                train,
                name,
                partial(_make_regressor, key, lstm, seed, attributes),
                step,
            )
            begin = time.perf_counter()
            predicted = model.predict(test.X)
            predict_seconds = time.perf_counter() - begin
            errors = np.abs(np.asarray(predicted, dtype=np.float64) - test.y) / seconds
            rows.append(
                {
                    "split": split,
                    "model": name,
                    "n_train": len(train.y),
                    "n_test": len(test.y),
                    "mae": float(errors.mean()),
                    "unit": name_of_unit,
                    "fit_seconds": fit_seconds,
                    "predict_seconds": predict_seconds,
                }
            )
            if split != "valid":
                scores = per_sample.setdefault(name, {"groups": [], "mae": []})
                scores["groups"].append(np.asarray(test.groups))
                scores["mae"].append(errors)
    return pd.DataFrame(rows)


def _report_regression(args, frame, splits, notes, results, per_sample, models, unit):
    """Print the report of a time target: header, MAE table, intervals, comparison."""
    print(_header(args, frame, splits, notes, unit=unit[0]))
    print()
    print(_regression_table(results, args.protocol, unit[0]))
    print()
    print(_regression_intervals(per_sample, args.protocol, args.random_state))
    print()
    print(_regression_comparison(results, args.protocol, unit[0], models, per_sample, args))
    for warning in _regression_warnings(args, splits):
        print(f"warning: {warning}", file=sys.stderr)


def _mae_summary(results, protocol):
    """One row per model: the test MAE (leave-last-out) or its mean over the folds."""
    if protocol == LEAVE_LAST_OUT:
        summary = results[results["split"] == "test"].set_index("model")
    else:
        summary = results.groupby("model", sort=False).mean(numeric_only=True)
    return summary[["mae", "fit_seconds"]]


def _regression_table(results, protocol, unit):
    heading = f"MAE ({unit})"
    summary = _mae_summary(results, protocol).rename(
        columns={"mae": heading, "fit_seconds": "fit (s)"}
    )
    summary.index.name = None
    where = (
        "on the test samples (the last event of each sequence)"
        if protocol == LEAVE_LAST_OUT
        else "mean over the folds"
    )
    formats = {heading: "{:.3f}".format, "fit (s)": "{:.1f}".format}
    return (
        f"Mean absolute error (lower is better) {where}:\n{summary.to_string(formatters=formats)}"
    )


def _regression_intervals(per_sample, protocol, seed):
    where = (
        "the test samples"
        if protocol == LEAVE_LAST_OUT
        else "the test samples of every fold, pooled"
    )
    lines = [f"95% intervals (bootstrap over sequences, 1,000 resamples), on {where}:"]
    width = max(map(len, per_sample), default=0)
    for name, scores in per_sample.items():
        values, groups = _pooled(scores, "mae")
        interval = bootstrap_interval(values, groups, random_state=seed)
        lines.append(
            f"  {name:<{width}}  MAE {interval.estimate:.3f} "
            f"[{interval.low:.3f}, {interval.high:.3f}]"
        )
    return "\n".join(lines)


def _regression_comparison(results, protocol, unit, models, per_sample, args):
    """The LSTM against the baseline of lowest MAE, with the paired interval of the
    per-sample differences of absolute errors (negative: the LSTM errs less)."""
    summary = _mae_summary(results, protocol)
    lstms = [name for name, (key, _) in models.items() if key == "lstm"]
    baselines = summary.drop(index=lstms, errors="ignore")
    if not lstms or baselines.empty:
        return "No comparison: it needs the LSTM and at least one baseline (--models)."
    main = lstms[0]
    best = baselines["mae"].idxmin()
    lstm, reference = summary.loc[main, "mae"], baselines.loc[best, "mae"]
    line = (
        f"  MAE ({unit}) LSTM {lstm:.3f}, best baseline {reference:.3f} ({best}): "
        f"{lstm - reference:+.3f}"
    )
    ours, groups = _pooled(per_sample[main], "mae")
    theirs, _ = _pooled(per_sample[best], "mae")
    paired = bootstrap_interval(ours - theirs, groups, random_state=args.random_state)
    verdict = (
        "a tie" if paired.low <= 0 <= paired.high else ("better" if paired.high < 0 else "worse")
    )
    line += f", paired {paired.estimate:+.3f} [{paired.low:+.3f}, {paired.high:+.3f}]: {verdict}"
    return "\n".join(
        ["LSTM against the best baseline (the lowest MAE; below 0, the LSTM errs less):", line]
    )


def _regression_warnings(args, splits):
    if args.target == "remaining_time" and args.protocol == LEAVE_LAST_OUT:
        yield (
            "with --protocol leave-last-out, each test history stops one event before the "
            "end, so its remaining time is its time to the next event, and the training "
            "targets are measured to the test event; --protocol groupkfold scores every "
            "prefix of sequences kept out of training."
        )
    yield from _small_test_warning(splits)


# Reporting ----------------------------------------------------------------------------


def _fitted(fitted, split, train, name, make, step):
    """``(model, fit seconds)`` of ``name`` on ``train``: made and fitted once, then reused.

    ``fitted`` maps ``id(train)`` to the models fitted on it, so that leave-last-out's
    one fit serves both its validation and its test samples.
    """
    if id(train) in fitted and name in fitted[id(train)]:
        return fitted[id(train)][name]
    step(f"fitting {name} ({split})" if split.startswith("fold") else f"fitting {name}")
    model = make()
    begin = time.perf_counter()
    model.fit(train.X, train.y)
    fitted.setdefault(id(train), {})[name] = (model, time.perf_counter() - begin)
    return fitted[id(train)][name]


def _summary(results, protocol):
    """One row per model: the test scores (leave-last-out) or their mean over folds."""
    if protocol == LEAVE_LAST_OUT:
        summary = results[results["split"] == "test"].set_index("model")
    else:
        summary = results.groupby("model", sort=False).mean(numeric_only=True)
    return summary[[*METRICS, "fit_seconds"]]


def _table(results, protocol):
    summary = _summary(results, protocol).rename(columns={**METRICS, "fit_seconds": "fit (s)"})
    summary.index.name = None
    where = (
        "on the test samples (the last event of each sequence)"
        if protocol == LEAVE_LAST_OUT
        else "mean over the folds"
    )
    formats = {column: "{:.3f}".format for column in METRICS.values()}
    formats["fit (s)"] = "{:.1f}".format
    return f"Scores {where}:\n{summary.to_string(formatters=formats)}"


def _pooled(scores, metric):
    """(per-sample scores, sequence of each) of one model and metric, over the test folds."""
    return np.concatenate(scores[metric]), np.concatenate(scores["groups"])


def _intervals(per_sample, protocol, seed):
    """Each model's scores with 95% intervals, by a bootstrap over the test sequences."""
    where = (
        "the test samples"
        if protocol == LEAVE_LAST_OUT
        else "the test samples of every fold, pooled"
    )
    lines = [f"95% intervals (bootstrap over sequences, 1,000 resamples), on {where}:"]
    width = max(map(len, per_sample), default=0)
    for name, scores in per_sample.items():
        cells = []
        for metric, title in METRICS.items():
            values, groups = _pooled(scores, metric)
            interval = bootstrap_interval(values, groups, random_state=seed)
            cells.append(
                f"{title} {interval.estimate:.3f} [{interval.low:.3f}, {interval.high:.3f}]"
            )
        lines.append(f"  {name:<{width}}  " + "  ".join(cells))
    return "\n".join(lines)


def _warnings(splits):
    """What makes some figures meaningless or too noisy to read: k at least the number of
    classes (top-k is then 1 by construction), and test sets of fewer than 100 samples."""
    n_classes = len(pd.unique(np.concatenate([train.y for _, train, _ in splits])))
    trivial = [k for k in (5, 10) if k >= n_classes]
    if trivial:
        yield (
            f"top-{trivial[0]}{' and top-10' if len(trivial) > 1 else ''} accuracy is 1 by "
            f"construction for events seen in training: there are only {n_classes} of them."
        )
    yield from _small_test_warning(splits)


def _small_test_warning(splits):
    smallest = min(len(test.y) for split, _, test in splits if split != "valid")
    if smallest < 100:
        yield (
            f"a test set holds {smallest} samples only (fewer than 100): read the intervals, "
            "not the figures."
        )


def _comparison(results, protocol, models=None, per_sample=None, seed=0):
    """The LSTM against the best baseline, metric by metric (DESIGN.md, section 3).

    With attributes, the LSTM is the one with them, and the baselines are every
    model but an LSTM (the logistic regression with the attributes among them).
    With ``per_sample``, each difference comes with its paired 95% interval
    (a bootstrap over the test sequences of the per-sample differences); an
    interval that holds 0 is a tie.
    """
    summary = _summary(results, protocol)
    models = models if models is not None else {LSTM: ("lstm", None)}
    main = _main_lstm(models)
    lstms = [name for name, (key, _) in models.items() if key == "lstm"]
    baselines = summary.drop(index=lstms, errors="ignore")
    if main not in summary.index or baselines.empty:
        return "No comparison: it needs the LSTM and at least one baseline (--models)."
    which = "" if main == LSTM else f" ({main.removeprefix(LSTM + ', ')})"
    lines = [f"LSTM{which} against the best baseline on each metric:"]
    for column, title in METRICS.items():
        best = baselines[column].idxmax()
        lstm, reference = summary.loc[main, column], baselines.loc[best, column]
        line = (
            f"  {title:<7} LSTM {lstm:.3f}, best baseline {reference:.3f} ({best}): "
            f"{lstm - reference:+.3f}"
        )
        if per_sample is not None and main in per_sample and best in per_sample:
            ours, groups = _pooled(per_sample[main], column)
            theirs, _ = _pooled(per_sample[best], column)
            paired = bootstrap_interval(ours - theirs, groups, random_state=seed)
            verdict = (
                "a tie"
                if paired.low <= 0 <= paired.high
                else ("better" if paired.low > 0 else "worse")
            )
            line += (
                f", paired {paired.estimate:+.3f} [{paired.low:+.3f}, {paired.high:+.3f}]: "
                f"{verdict}"
            )
        lines.append(line)
    return "\n".join(lines)


def _header(args, frame, splits, notes, unit=None):
    first = splits[0]
    if args.protocol == LEAVE_LAST_OUT:
        split_text = (
            f"leave-last-out: {len(first[1].y):,} training samples, {len(splits[1][2].y):,} "
            "validation and test samples (one each per sequence)"
        )
    else:
        split_text = (
            f"GroupKFold with {args.n_splits} folds by sequence: "
            f"{sum(len(s[2].y) for s in splits):,} samples in all"
        )
    lines = [
        f"seqlstm evaluate: {args.events.name}, {len(frame):,} events in "
        f"{frame[args.sequence_col].nunique():,} sequences, "
        f"{frame[args.event_col].nunique():,} distinct events; {split_text}.",
        *notes,
    ]
    if args.target != NEXT_EVENT:
        lines.append(_regression_header(args, unit))
    elif _attribute_names(args):
        read = []
        if args.time_col:
            read.append(f"time from {args.time_col!r}")
        if args.event_attributes:
            read.append(f"event attributes {', '.join(map(repr, args.event_attributes))}")
        if args.sequence_attributes:
            read.append(f"sequence attributes {', '.join(map(repr, args.sequence_attributes))}")
        lines.append(
            f"With {'; '.join(read)}: the LSTM and the logistic regression are scored with and "
            f"without them; the Markov chains and popularity read the events only."
        )
    return "\n".join(lines)


def _regression_header(args, unit):
    unit_text = "in the time column's own units" if unit == TIME_UNITS else f"in {unit}"
    read = ["the events", f"their time ({args.time_col!r})"]
    if args.event_attributes:
        read.append(f"event attributes {', '.join(map(repr, args.event_attributes))}")
    if args.sequence_attributes:
        read.append(f"sequence attributes {', '.join(map(repr, args.sequence_attributes))}")
    return (
        f"Target ({args.target}): {TIME_TARGETS[args.target]}, {unit_text}. The LSTM "
        f"(NextValueRegressor) and the gradient-boosted trees read {', '.join(read[:-1])} and "
        f"{read[-1]}; the training mean and median predict one number for every history."
    )


def _draw_chart(curves, args, output, main=LSTM):
    """Write k_retrieval.png; return (file name or None, reason skipped or None).

    The curve of ``main`` (the LSTM compared with the baselines) is drawn thicker.
    """
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return None, 'it needs matplotlib: pip install "sklearn-seqlstm[plot]"'
    from ..inspection._plot import KRetrievalCurveDisplay

    # A Figure made without pyplot renders with Agg and leaves no global state behind.
    figure = Figure(figsize=(6.5, 4.5), layout="constrained")
    ax = figure.subplots()
    for name, curve in curves.groupby("model", sort=False):
        KRetrievalCurveDisplay(
            ks=curve["k"].to_numpy(), accuracies=curve["top_k_accuracy"].to_numpy(), name=name
        ).plot(ax=ax, curve_kwargs={"linewidth": 2.5} if name == main else None)
    where = "last event of each sequence" if args.protocol == LEAVE_LAST_OUT else "pooled folds"
    ax.set_title(f"Top-k accuracy against k on {args.events.name} ({where})")
    name = "k_retrieval.png"
    with replacing(output / name) as path:
        figure.savefig(path, dpi=100)
    return name, None


@contextmanager
def _progress(total, *, enabled):
    """A ``step(description)`` callable that advances a bar over the command's stages.

    With tqdm the bar shows the stage being run; without it (or with
    ``enabled=False``) the stages are not shown. ``step.close()`` ends the bar
    early, before an error message.
    """
    bar = progress_bar(total, enabled=enabled, unit="step", leave=False)

    class Step:
        started = False

        def __call__(self, description):
            if self.started:
                bar.update(1)
            self.started = True
            bar.set_description(description)

        def close(self):
            bar.close()

    step = Step()
    try:
        yield step
    finally:
        step.close()
