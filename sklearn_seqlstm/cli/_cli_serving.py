"""``seqlstm fit`` and ``seqlstm recommend``: train on a whole event log, serve top-k.

- ``seqlstm fit EVENTS --sequence-col S --order-col O --event-col E --save MODEL``
  fits NextEventClassifier (or a Markov baseline, ``--model``) on every sample
  of the log and saves it (:func:`sklearn_seqlstm.load` reads it back). With
  ``--target time_to_next`` or ``remaining_time`` it fits NextValueRegressor
  instead. ``--time-col``, ``--event-attributes``, ``--sequence-attributes``,
  ``--end-event`` and ``--target`` are the arguments of
  :func:`sklearn_seqlstm.samples_from_log`, and the LSTM settings those of the
  estimator: the command trains what Python trains with the same arguments.
- ``seqlstm recommend MODEL EVENTS ... --k 10 [--exclude-seen] [-o OUT.csv]``
  writes, for each sequence of the log, its k most probable next events with
  their probabilities: one CSV row per (sequence, rank).

Both follow the convention of every ``seqlstm`` command (:mod:`._cli_common`): a
user error is a ``UsageError`` (exit status 2, found before any work: options,
output paths, a missing file, a column the log lacks) or a ``CommandError`` (1,
a failure once started), printed by ``main`` as one line ``error: ...``; no file
is overwritten without ``--overwrite``, and never an input (:mod:`._files`).

This module also holds :class:`LazySubParsers`: subcommands whose arguments
are added only when they are chosen, so that ``seqlstm --help`` does not import
torch (the LSTM options show the classifier's defaults, read from the class).
"""

import argparse
import sys
import zipfile
from contextlib import contextmanager
from pathlib import Path

from ._cli_common import (
    MAX_SEED,
    CommandError,
    UsageError,
    add_lstm_arguments,
    add_overwrite_argument,
    check_output_file,
    check_time_target_options,
    int_between,
    lstm_settings,
)
from ._log_files import check_columns
from ._log_options import (
    add_log_arguments,
    check_log_files,
    check_log_options,
    end_event_label,
    named_columns,
    read_frame,
    read_log,
    weight_values,
)

__all__ = ["LazySubParsers", "add_serving_commands"]

# seqlstm fit --model: the savable next-event models, and the order of each Markov chain.
_FIT_MODELS = {"lstm": None, "markov1": 1, "markov2": 2, "markov3": 3, "popularity": 0}
_MODEL_NAMES = {
    "lstm": "LSTM",
    "markov1": "Markov (order 1)",
    "markov2": "Markov (order 2)",
    "markov3": "Markov (order 3)",
    "popularity": "Popularity",
}
NEXT_EVENT = "next_event"
TIME_TARGETS = ("time_to_next", "remaining_time")
_LOSSES = ("squared_error", "absolute_error", "huber")
# What a damaged or hostile model file can raise from load beyond its ValueError: a
# bad CRC (zipfile.BadZipFile), a nesting too deep for json, a number too large.
_UNREADABLE_MODEL = (ValueError, TypeError, zipfile.BadZipFile, RecursionError, OverflowError)
# Above this share of unknown events in the histories, recommend warns.
_UNKNOWN_SHARE = 0.1


class LazySubParsers(argparse._SubParsersAction):
    """Subparsers that add a subcommand's arguments only when it is chosen.

    ``defer(parser, builder)`` registers ``builder(parser)``, run once just
    before the chosen subcommand parses its arguments. ``seqlstm --help`` then
    lists the commands without importing what their arguments need.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._deferred = {}

    def defer(self, parser, builder):
        self._deferred[id(parser)] = builder

    def __call__(self, parser, namespace, values, option_string=None):
        chosen = self._name_parser_map.get(values[0])
        if chosen is not None:
            builder = self._deferred.pop(id(chosen), None)
            if builder is not None:
                builder(chosen)
        super().__call__(parser, namespace, values, option_string)


def add_serving_commands(commands):
    """Add ``fit`` and ``recommend`` to ``seqlstm``'s subparsers (a LazySubParsers)."""
    fit = commands.add_parser(
        "fit",
        help="train the LSTM (or a Markov baseline) on a whole event log and save it",
        description=(
            "Turn an event log (one row per event: a sequence key, an order key and the "
            "event) into (history, target) samples as sklearn_seqlstm.samples_from_log does "
            "with the same arguments, fit NextEventClassifier (NextValueRegressor with a time "
            "--target) on all of them and save the model (JSON and safetensors; load it with "
            "sklearn_seqlstm.load or seqlstm recommend)."
        ),
    )
    commands.defer(fit, _add_fit_arguments)
    recommend = commands.add_parser(
        "recommend",
        help="write the top-k next events of each sequence of an event log, as CSV",
        description=(
            "Load a next-event model saved by seqlstm fit (or evaluate --save-model, or .save "
            "in Python) and write, for each sequence of the event log, its k most probable "
            "next events after the whole sequence: columns sequence key, rank, event, "
            "probability. A model fitted with times or attributes needs the same columns "
            "(--time-col; the attribute columns default to the model's)."
        ),
    )
    commands.defer(recommend, _add_recommend_arguments)


def _add_fit_arguments(parser):
    add_log_arguments(parser)
    parser.add_argument(
        "--save", required=True, type=Path, metavar="MODEL", help="the model file to write"
    )
    add_overwrite_argument(parser, help="replace MODEL if it exists (never the input file)")
    parser.add_argument(
        "--target",
        choices=[NEXT_EVENT, *TIME_TARGETS],
        default=NEXT_EVENT,
        help="what follows each history: the next event (NextEventClassifier), or the time to "
        "the next event or to the sequence's last event (NextValueRegressor; needs "
        "--time-col) (default: %(default)s)",
    )
    parser.add_argument(
        "--model",
        choices=list(_FIT_MODELS),
        default="lstm",
        help="the model to fit; the Markov chains and popularity read the events only "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--loss",
        choices=_LOSSES,
        default=None,
        help="the loss of NextValueRegressor, with a time --target (default: its own, "
        "squared_error)",
    )
    parser.add_argument(
        "--target-bins",
        type=_target_bins,
        default=None,
        metavar="{auto,none,N}",
        help="NextValueRegressor's target_bins, with a time --target: learn the target's "
        "distribution over at most N quantile bins, or 'none' for one number (default: "
        "its own, auto)",
    )
    parser.add_argument(
        "--min-history",
        type=int_between(0),
        default=1,
        metavar="N",
        help="shortest history of a training sample (default: %(default)s)",
    )
    parser.add_argument(
        "--max-history",
        type=int_between(1),
        default=None,
        metavar="N",
        help="the LSTM conditions on the last N events of a history (its max_history; "
        "default: whole histories)",
    )
    add_lstm_arguments(parser)
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
        help="no progress bar (the bar needs tqdm: pip install 'sklearn-seqlstm[progress]', "
        "and shows on a terminal only)",
    )
    parser.set_defaults(run=_run_fit)


def _add_recommend_arguments(parser):
    parser.add_argument("model", type=Path, metavar="MODEL", help="a saved model")
    add_log_arguments(parser, for_model=True)
    parser.add_argument(
        "--k",
        type=int_between(1),
        default=10,
        metavar="K",
        help="next events per sequence (default: %(default)s)",
    )
    parser.add_argument(
        "--exclude-seen",
        action="store_true",
        help="never recommend an event the sequence already holds",
    )
    parser.add_argument(
        "--output",
        "-o",
        type=Path,
        default=None,
        metavar="OUT.csv",
        help="the CSV file to write (default: standard output)",
    )
    add_overwrite_argument(
        parser, help="replace OUT.csv if it exists (never the model or the event log)"
    )
    parser.set_defaults(run=_run_recommend)


# Checks before any work ---------------------------------------------------------------


def _check_fit_options(args):
    """Refuse, before any work, fit options that cannot work together (UsageError)."""
    check_log_options(args)
    flag = f"--target {args.target}"
    attributes = [opt for opt, _ in named_columns(args)[3:] if opt != "--weight-col"]
    if args.model != "lstm":
        if args.target != NEXT_EVENT:
            raise UsageError(
                f"{flag} fits NextValueRegressor, the LSTM; --model {args.model} predicts "
                "the next event. Leave --model out."
            )
        if attributes:
            raise UsageError(
                f"--model {args.model} reads the events only; {attributes[0]} is for the "
                "LSTM. Leave it out, or use --model lstm."
            )
    if args.weight_col is not None and args.end_event is not None:
        raise UsageError(
            "--weight-col weighs each sample by its next event's row, and the end of a "
            "sequence (--end-event) has no row: give one of the two."
        )
    if args.target == NEXT_EVENT:
        for option, given in (("--loss", args.loss), ("--target-bins", args.target_bins)):
            if given is not None:
                raise UsageError(
                    f"{option} is for NextValueRegressor, with a time target (--target "
                    f"{' or '.join(TIME_TARGETS)}); the next event is fitted by the log-loss."
                )
        return
    check_time_target_options(args, flag)


# seqlstm fit ----------------------------------------------------------------------------


def _run_fit(args):
    from ..histories._eventlog import samples_from_log

    _check_fit_options(args)
    check_output_file(args.save, overwrite=args.overwrite, inputs=[args.events], flag="--save")
    check_log_files(args, [args.events])
    model = _make_model(args)
    with _stages(enabled=args.progress) as step:
        step(f"reading {args.events.name}")
        frame = read_frame(args)
        step("cutting samples")
        keys = {
            "sequence_col": args.sequence_col,
            "order_col": args.order_col,
            "event_col": args.event_col,
            "min_history": args.min_history,
        }
        try:
            # The samples of Python's samples_from_log with the same arguments: the
            # command trains what Python trains.
            samples = samples_from_log(
                frame,
                **keys,
                time_col=args.time_col,
                event_attributes=args.event_attributes,
                sequence_attributes=args.sequence_attributes,
                end_event=end_event_label(args, frame[args.event_col].to_numpy()),
                target=args.target,
            )
            weights = None
            if args.weight_col is not None:
                weight_values(frame, args.weight_col)  # every row, in the command's words
                # Each sample's weight is the value at its next event: the same samples,
                # in the same order, with that value as their target.
                weights = samples_from_log(
                    frame, **keys, target="next_value", value_col=args.weight_col
                ).y
        except (ValueError, TypeError) as exc:
            raise CommandError(str(exc)) from None
        step(f"fitting {type(model).__name__} on {len(samples.y):,} samples")
        try:
            model.fit(samples.X, samples.y, sample_weight=weights)
        except (ValueError, TypeError) as exc:  # too little data, labels it cannot take
            raise CommandError(str(exc)) from None
        step(f"saving {args.save.name}")
        try:
            # save() writes through a temporary file and renames it; the folder may be new.
            args.save.parent.mkdir(parents=True, exist_ok=True)
            model.save(args.save, overwrite=args.overwrite)
        except ValueError as exc:  # labels that cannot be saved
            raise CommandError(str(exc)) from None
    name = "LSTM (NextValueRegressor)" if args.target != NEXT_EVENT else _MODEL_NAMES[args.model]
    n_sequences = len(set(samples.groups.tolist()))
    print(
        f"seqlstm fit: {name} fitted on {len(samples.y):,} samples from "
        f"{n_sequences:,} sequences; saved to {args.save}"
    )
    return 0


def _make_model(args):
    """The unfitted model of ``args``: the estimator's own defaults where no option is given."""
    settings = lstm_settings(args)
    if args.target != NEXT_EVENT:
        from ..neural._regressor import NextValueRegressor

        if args.loss is not None:
            settings["loss"] = args.loss
        if args.target_bins is not None:
            settings["target_bins"] = None if args.target_bins == "none" else args.target_bins
        return NextValueRegressor(
            **settings, max_history=args.max_history, random_state=args.random_state
        )
    if args.model == "lstm":
        from ..neural._classifier import NextEventClassifier

        return NextEventClassifier(
            **settings, max_history=args.max_history, random_state=args.random_state
        )
    from ..baselines._markov import MarkovChainClassifier

    return MarkovChainClassifier(order=_FIT_MODELS[args.model])


@contextmanager
def _stages(*, enabled):
    """A ``step(description)`` callable that shows the stage being run on a progress bar.

    The bar shows only on a terminal (tqdm's ``disable=None``) and is cleared when
    the command ends, before a result or an error is printed.
    """
    from ..utils._progress import progress_bar

    bar = progress_bar(4, enabled=enabled, unit="step", leave=False, disable=None)
    started = []

    def step(description):
        if started:
            bar.update(1)
        started.append(description)
        bar.set_description(description)

    try:
        yield step
    finally:
        bar.close()


# seqlstm recommend ----------------------------------------------------------------------


def _run_recommend(args):
    import warnings

    import pandas as pd

    from ..metrics._recommend import check_k
    from ..serving._persistence import load
    from ..utils._files import replacing

    check_log_options(args)
    if args.output is not None:
        check_output_file(
            args.output,
            overwrite=args.overwrite,
            inputs=[args.events, args.model],
            flag="--output",
        )
    check_log_files(args, [args.model, args.events])
    try:
        model = load(args.model)
    except _UNREADABLE_MODEL as exc:  # not a saved model, or a damaged or tampered one
        raise CommandError(f"{args.model}: cannot load the model: {exc}") from None
    _check_recommender(model, args)
    end_event = _end_label(model, args.end_event)
    try:
        # With an end event, k among the other classes.
        k = check_k(args.k, len(model.classes_) - (end_event is not None))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    columns = _model_columns(model, args)
    log = read_log(args, **columns)
    histories = _whole_sequences(log)
    for line in _unknown_events(model, log):
        # main prints it as one line once the command has succeeded.
        warnings.warn(line, UserWarning, stacklevel=1)
    ask = k + (end_event is not None)
    with warnings.catch_warnings():
        # The share of unknown events is told above, once, in the command's words.
        warnings.filterwarnings("ignore", message=r"(?i).*unknown.*")
        try:
            events, proba = model.recommend(
                histories, ask, exclude_seen=args.exclude_seen, return_proba=True
            )
        except (ValueError, TypeError) as exc:  # histories the model cannot read
            raise CommandError(str(exc)) from None
    if end_event is not None:
        events, proba = _without(events, proba, end_event, k)
    keys = log.keys[log.starts]
    table = pd.DataFrame(
        {
            args.sequence_col: keys.repeat(k),
            "rank": list(range(1, k + 1)) * len(keys),
            "event": events.ravel(),
            "probability": proba.ravel(),
        }
    )
    if args.output is None:
        table.to_csv(sys.stdout, index=False)
    else:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        with replacing(args.output) as path:
            table.to_csv(path, index=False)
    return 0


def _check_recommender(model, args):
    """A model that does not predict next events: a UsageError that says what does."""
    if not hasattr(model, "recommend") or not hasattr(model, "classes_"):
        raise UsageError(
            f"{args.model} holds a {type(model).__name__}, which predicts a number, not next "
            "events: seqlstm recommend needs a next-event model (seqlstm fit without a time "
            "--target). Predict its numbers in Python: sklearn_seqlstm.load(path).predict(X)."
        )


def _model_columns(model, args):
    """The time and attribute columns to read: the options given, else the model's own."""
    event_attributes = args.event_attributes
    sequence_attributes = args.sequence_attributes
    if event_attributes is None:
        event_attributes = list(getattr(model, "event_attributes_", []) or [])
    if sequence_attributes is None:
        sequence_attributes = list(getattr(model, "sequence_attributes_", []) or [])
    time_kind = getattr(model, "time_kind_", None)
    if time_kind is not None and args.time_col is None:
        raise UsageError(
            f"{args.model.name} was fitted with each event's time (as {time_kind} values): "
            "give the log's time column with --time-col."
        )
    named = [*event_attributes, *sequence_attributes]
    available = check_columns(args.events, {}, args.sep)
    missing = [name for name in named if name not in available]
    if missing:
        raise UsageError(
            f"{args.model.name} was fitted with the attribute column(s) "
            f"{', '.join(map(repr, missing))}, which {args.events.name} lacks; give a log "
            "with them (or name its columns with --event-attributes / --sequence-attributes)."
        )
    return {
        "time_col": args.time_col,
        "event_attributes": event_attributes,
        "sequence_attributes": sequence_attributes,
    }


def _whole_sequences(log):
    """Each sequence of the log as one history: events, or events with their attributes."""
    import numpy as np

    if not log.attributed:
        return log.sequences()
    # The histories with attributes of no sample, viewed as the whole sequences.
    none = log.samples(np.array([], dtype=np.int64), None).X
    return none.view(np.arange(log.n_sequences), log.lengths)


def _end_label(model, text):
    """``--end-event`` as the model's label for it (a number when its classes are), or None."""
    if text is None:
        return None
    for label in model.classes_.tolist():
        if str(label) == text:
            return label
    raise CommandError(
        f"--end-event {text!r} is not an event the model predicts; leave it out, or give "
        "the end event it was fitted with."
    )


def _without(events, proba, label, k):
    """The first ``k`` recommendations of each row that are not ``label``."""
    import numpy as np

    keep = events != label
    # A row without the label (asked for k + 1) drops its last slot.
    keep[keep.all(axis=1), -1] = False
    shape = (len(events), -1)
    return events[keep].reshape(shape)[:, :k], proba[keep].reshape(shape)[:, :k].astype(np.float64)


def _unknown_events(model, log):
    """Warnings, as lines, when many events of the log are unknown to the model."""
    known = set(getattr(model, "events_", ())) | set(model.classes_.tolist())
    events = log.event_list
    if not events:
        return []
    unknown = sum(event not in known for event in events)
    share = unknown / len(events)
    if share <= _UNKNOWN_SHARE:
        return []
    line = (
        f"{unknown:,} of the {len(events):,} events of the log ({share:.0%}) are unknown to the "
        "model, which recommends after them as after no event: its recommendations are "
        "unreliable."
    )
    model_kinds = {_kind(label) for label in known}
    log_kinds = {_kind(event) for event in list(set(events))[:1000]}
    if model_kinds and log_kinds and not model_kinds & log_kinds:
        line += (
            f" The model's events are {' and '.join(sorted(model_kinds))}, the log's "
            f"{' and '.join(sorted(log_kinds))}: was the log read another way (a .inter file "
            "reads ids as text)?"
        )
    return [line]


def _target_bins(text):
    """An argparse type: "auto", "none" (kept as text: None means not given) or N >= 2."""
    if text in ("auto", "none"):
        return text
    try:
        return int_between(2)(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected auto, none or a number of bins of at least 2, got {text!r}"
        ) from None


def _kind(value):
    if isinstance(value, str):
        return "text"
    if isinstance(value, (bool, type(None))):
        return type(value).__name__
    try:
        float(value)
    except (TypeError, ValueError):
        return type(value).__name__
    return "numbers"
