"""``seqlstm fit`` and ``seqlstm recommend``: train on a whole event log, serve top-k.

- ``seqlstm fit EVENTS --sequence-col S --order-col O --event-col E --save MODEL``
  fits NextEventClassifier (or a Markov baseline, ``--model``) on every sample
  of the log and saves it (:func:`sklearn_seqlstm.load` reads it back).
- ``seqlstm recommend MODEL EVENTS ... --k 10 [--exclude-seen] [-o OUT.csv]``
  writes, for each sequence of the log, its k most probable next events with
  their probabilities: one CSV row per (sequence, rank).

Both reuse the event-log, column and LSTM arguments of ``seqlstm evaluate``
(:mod:`._evaluate`), and follow the convention of every ``seqlstm`` command
(:mod:`._cli_common`): a user error is a ``UsageError`` (exit status 2,
found before any work: options, output paths) or a ``CommandError`` (1, a
failure once started), printed by ``main`` as one line ``error: ...``; no file
is overwritten without ``--overwrite``, and never an input (:mod:`._files`).

This module also holds :class:`LazySubParsers`: subcommands whose arguments
are added only when they are chosen, so that ``seqlstm --help`` does not import
torch (the LSTM options show the classifier's defaults, read from the class).
"""

import argparse
import sys
from pathlib import Path

from ._cli_common import (
    MAX_SEED,
    CommandError,
    add_overwrite_argument,
    check_output_file,
    int_between,
)

__all__ = ["LazySubParsers", "add_serving_commands"]

# seqlstm fit --model: the savable models of seqlstm evaluate.
_FIT_MODELS = ["lstm", "markov1", "markov2", "markov3", "popularity"]


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
            "event) into (history, next event) samples, fit NextEventClassifier on all of "
            "them and save the model (JSON and safetensors; load it with "
            "sklearn_seqlstm.load or seqlstm recommend)."
        ),
    )
    commands.defer(fit, _add_fit_arguments)
    recommend = commands.add_parser(
        "recommend",
        help="write the top-k next events of each sequence of an event log, as CSV",
        description=(
            "Load a model saved by seqlstm fit (or evaluate --save-model, or .save in "
            "Python) and write, for each sequence of the event log, its k most probable "
            "next events after the whole sequence: columns sequence key, rank, event, "
            "probability."
        ),
    )
    commands.defer(recommend, _add_recommend_arguments)


def _add_fit_arguments(parser):
    from ._evaluate import add_event_log_arguments, add_lstm_arguments

    add_event_log_arguments(parser)
    parser.add_argument(
        "--save", required=True, type=Path, metavar="MODEL", help="the model file to write"
    )
    add_overwrite_argument(parser, help="replace MODEL if it exists (never the input file)")
    parser.add_argument(
        "--model",
        choices=_FIT_MODELS,
        default="lstm",
        help="the model to fit (default: %(default)s)",
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
    parser.set_defaults(run=_run_fit)


def _add_recommend_arguments(parser):
    from ._evaluate import add_event_log_arguments

    parser.add_argument("model", type=Path, metavar="MODEL", help="a saved model")
    add_event_log_arguments(parser)
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


def _read_log(args):
    """The checked, sorted event log: _SortedLog; raises EvaluateInputError (a CommandError)."""
    from ..histories._eventlog import _SortedLog
    from ._evaluate import EvaluateInputError, _parse_order_column, read_event_log

    frame = read_event_log(args.events)
    frame = _parse_order_column(frame, args.order_col, args.events)
    try:
        return _SortedLog(frame, args.sequence_col, args.order_col, args.event_col)
    except ValueError as exc:
        raise EvaluateInputError(str(exc)) from None


def _run_fit(args):
    from ..histories._eventlog import _all_samples
    from ._evaluate import MODELS, _lstm_settings

    check_output_file(args.save, overwrite=args.overwrite, inputs=[args.events], flag="--save")
    log = _read_log(args)
    try:
        samples, n_short = _all_samples(log, args.min_history, None)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    settings = _lstm_settings(args)
    if args.model == "lstm":
        settings["max_history"] = args.max_history
    model = MODELS[args.model][1](settings, args.random_state)
    try:
        model.fit(samples.X, samples.y)
        # save() writes through a temporary file and renames it; the folder may be new.
        args.save.parent.mkdir(parents=True, exist_ok=True)
        model.save(args.save, overwrite=args.overwrite)
    except ValueError as exc:  # too little data, labels that cannot be saved
        raise CommandError(str(exc)) from None
    skipped = f" ({n_short} sequences too short for a sample)" if n_short else ""
    print(
        f"seqlstm fit: {MODELS[args.model][0]} fitted on {len(samples.y):,} samples from "
        f"{log.n_sequences:,} sequences{skipped}; saved to {args.save}"
    )
    return 0


def _run_recommend(args):
    import pandas as pd

    from ..serving._persistence import load
    from ..serving._recommend import check_k
    from ._files import replacing

    if args.output is not None:
        check_output_file(
            args.output,
            overwrite=args.overwrite,
            inputs=[args.events, args.model],
            flag="--output",
        )
    try:
        model = load(args.model)
    except ValueError as exc:  # not a saved model, or a tampered one
        raise CommandError(str(exc)) from None
    log = _read_log(args)
    try:
        k = check_k(args.k, len(model.classes_))
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    histories = log.sequences()
    events, proba = model.recommend(histories, k, exclude_seen=args.exclude_seen, return_proba=True)
    keys = log.keys[log.starts]
    table = pd.DataFrame(
        {
            args.sequence_col: keys.repeat(k),
            "rank": list(range(1, k + 1)) * len(histories),
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
