"""The options of ``seqlstm evaluate``: its models, their settings, and the checks made
before any work.

The tables here (the models of ``--models`` for each target, the variants fitted
with attributes) are read by the parser
(:mod:`._evaluate`), the fitting (:mod:`._evaluate_fit`) and the report
(:mod:`._evaluate_report`). The checks raise :class:`UsageError` (exit status 2).
The LSTM's settings on the command line are those of every command
(:func:`._cli_common.add_lstm_arguments`).
"""

import argparse

from sklearn.base import clone
from sklearn.dummy import DummyRegressor
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ..baselines._featurizer import SequenceFeaturizer
from ..baselines._markov import MarkovChainClassifier
from ..baselines._prefix_lookup import PrefixLookupClassifier
from ..neural._classifier import NextEventClassifier
from ..neural._regressor import NextValueRegressor
from ._cli_common import (
    UsageError,
    check_output_file,
    check_time_target_options,
)
from ._evaluate_fairness import GRAPH_FILE, LEAKAGE_FILE, FittedTheory
from ._log_options import add_log_file_arguments

LEAVE_LAST_OUT = "leave-last-out"
TIME_ORDERED = "time"
GROUP_K_FOLD = "groupkfold"
#: The protocol of ``--test-file``: not a ``--protocol`` choice, the file gives the split.
TEST_FILE = "test-file"

#: Where each protocol's scores come from, for the table's heading.
PROTOCOL_SCORES = {
    LEAVE_LAST_OUT: "on the test samples (the last event of each sequence)",
    TIME_ORDERED: "on the test samples (every event of the latest sequences by start)",
    TEST_FILE: "on the test samples (every event of the --test-file sequences)",
    GROUP_K_FOLD: "mean over the folds",
}

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
    # A lookup of the training set: close to the others where the split leaks.
    "prefix_lookup": ("Prefix lookup", lambda lstm, seed: PrefixLookupClassifier()),
    # Its events are set per run, from the whole split (see _evaluate_fit).
    "theory": ("Theory (fitted memory chain)", lambda lstm, seed: FittedTheory(random_state=seed)),
}
LSTM = MODELS["lstm"][0]
#: The models of a run without ``--models``: all but the theory, whose prediction after
#: each history reads the whole history (minutes on a log of MovieLens-100k's size).
DEFAULT_MODELS = [key for key in MODELS if key != "theory"]

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
OUTPUT_FILES = ("results.csv", "k_retrieval.csv", "k_retrieval.png", LEAKAGE_FILE, GRAPH_FILE)
REGRESSION_FILES = ("results.csv",)

#: Models that need at least two distinct events among their training targets.
_NEED_TWO_EVENTS = ("lstm", "logistic", "theory")

#: Metric columns of results.csv -> heading in the printed table.
METRICS = {"top_1": "top-1", "top_5": "top-5", "top_10": "top-10", "mrr_10": "MRR@10"}

# Largest k of the k-retrieval chart (fewer when there are fewer distinct events).
_CHART_MAX_K = 20


def add_event_log_arguments(parser):
    """Add the event log argument, its three column arguments and ``--sep`` to ``parser``.

    The time and attribute columns are evaluate's own (each model is fitted with and
    without them); the file is read as ``seqlstm fit`` reads its log
    (:mod:`._log_files`).
    """
    return add_log_file_arguments(parser, sep_scope=", EVENTS and --test-file alike")


def _check_target_options(args):
    """Refuse, before any work, options that a time target cannot use (UsageError)."""
    if args.target == NEXT_EVENT:
        if args.models is not None:
            _check_models(args.models, MODELS, "the next event (--target next_event)")
        return
    flag = f"--target {args.target}"
    if getattr(args, "exclude_seen", False):
        raise UsageError(
            f"--exclude-seen masks the events of each history in a ranking of events; {flag} "
            "predicts a duration and ranks nothing. Leave it out."
        )
    check_time_target_options(args, flag)
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
    if args.protocol == GROUP_K_FOLD:
        raise UsageError(
            "--save-model needs --protocol leave-last-out or time, or --test-file (groupkfold "
            "fits one model per fold); to train on the whole log, use seqlstm fit."
        )
    if _main_lstm(models) is None:
        raise UsageError("--save-model saves the LSTM: add lstm to --models.")
    check_output_file(path, overwrite=args.overwrite, inputs=_inputs(args), flag="--save-model")
    if any(path.resolve() == (args.output / name).resolve() for name in OUTPUT_FILES):
        raise UsageError(
            f"--save-model {path} is one of the files the command writes to the output "
            "folder; give the model another name."
        )


def _inputs(args):
    """The files the command reads: never to be written over."""
    return [args.events] + ([args.test_file] if getattr(args, "test_file", None) else [])


def _fraction(text):
    """An argparse type: a number strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1 (exclusive), got {text}")
    return value


def _resolve_protocol(args):
    """A copy of ``args`` whose ``protocol`` is set: ``--test-file``'s own, or the default.

    ``--protocol`` defaults to None on the command line, so that a protocol given
    with ``--test-file`` (which gives the split itself) is refused rather than ignored.
    """
    protocol = args.protocol
    if getattr(args, "test_file", None) is not None:
        if protocol is not None:
            raise UsageError(
                f"--test-file gives the test samples itself; leave out --protocol {protocol}."
            )
        protocol = TEST_FILE
    return argparse.Namespace(**{**vars(args), "protocol": protocol or LEAVE_LAST_OUT})


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
    for key in dict.fromkeys(args.models or DEFAULT_MODELS):
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
