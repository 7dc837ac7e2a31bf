"""``seqlstm fit`` and ``seqlstm recommend``: train on a whole event log, serve top-k.

- ``seqlstm fit EVENTS --sequence-col S --order-col O --event-col E --save MODEL``
  fits NextEventClassifier (or a Markov baseline, ``--model``) on every sample
  of the log and saves it (:func:`sklearn_seqlstm.load` reads it back).
- ``seqlstm recommend MODEL EVENTS ... --k 10 [--exclude-seen] [-o OUT.csv]``
  writes, for each sequence of the log, its k most probable next events with
  their probabilities: one CSV row per (sequence, rank).

Both reuse the event-log and column arguments of ``seqlstm evaluate``
(:mod:`._evaluate`). User errors print one ``seqlstm COMMAND: error: ...`` line
on stderr and exit with 2 (bad arguments, before any work) or 1 (a failure once
started); no file is overwritten without ``--overwrite``, and never an input.

This module also holds :class:`LazySubParsers`: subcommands whose arguments
are added only when they are chosen, so that ``seqlstm --help`` does not import
torch (the LSTM options show the classifier's defaults, read from the class).
"""

import argparse
import sys
from pathlib import Path

__all__ = ["LazySubParsers", "add_serving_commands", "check_output_path"]

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


def check_output_path(path, overwrite, *, inputs=(), flag):
    """Why ``path`` must not be written, or None."""
    path = Path(path)
    for source in inputs:
        if Path(source).exists() and path.exists() and path.resolve() == Path(source).resolve():
            return f"{flag} {path} is an input of the command; it is never written over."
    if path.is_dir():
        return f"{flag} {path} is a folder; give a file name."
    if path.exists() and not overwrite:
        return f"{flag} {path} exists; pass --overwrite to replace it."
    if not path.parent.is_dir():
        return f"{flag} {path}: the folder {path.parent} does not exist."
    return None


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
    from ._evaluate import _int_at_least, add_event_log_arguments, add_lstm_arguments

    add_event_log_arguments(parser)
    parser.add_argument(
        "--save", required=True, type=Path, metavar="MODEL", help="the model file to write"
    )
    parser.add_argument("--overwrite", action="store_true", help="replace MODEL if it exists")
    parser.add_argument(
        "--model",
        choices=_FIT_MODELS,
        default="lstm",
        help="the model to fit (default: %(default)s)",
    )
    parser.add_argument(
        "--min-history",
        type=_int_at_least(0),
        default=1,
        metavar="N",
        help="shortest history of a training sample (default: %(default)s)",
    )
    parser.add_argument(
        "--max-history",
        type=_int_at_least(1),
        default=None,
        metavar="N",
        help="the LSTM conditions on the last N events of a history (its max_history; "
        "default: whole histories)",
    )
    add_lstm_arguments(parser)
    parser.add_argument(
        "--random-state", type=int, default=0, metavar="SEED", help="seed (default: 0)"
    )
    parser.set_defaults(run=_run_fit)


def _add_recommend_arguments(parser):
    from ._evaluate import _int_at_least, add_event_log_arguments

    parser.add_argument("model", type=Path, metavar="MODEL", help="a saved model")
    add_event_log_arguments(parser)
    parser.add_argument(
        "--k",
        type=_int_at_least(1),
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
    parser.add_argument("--overwrite", action="store_true", help="replace OUT.csv if it exists")
    parser.set_defaults(run=_run_recommend)


def _fail(command, message, status):
    print(f"seqlstm {command}: error: {message}", file=sys.stderr)
    return status


def _read_log(args):
    """The checked, sorted event log: _SortedLog; raises EvaluateInputError."""
    from ._evaluate import EvaluateInputError, _parse_order_column, read_event_log
    from ._eventlog import _SortedLog

    frame = read_event_log(args.events)
    frame = _parse_order_column(frame, args.order_col, args.events)
    try:
        return _SortedLog(frame, args.sequence_col, args.order_col, args.event_col)
    except ValueError as exc:
        raise EvaluateInputError(str(exc)) from None


def _run_fit(args):
    from ._evaluate import MODELS, EvaluateInputError, _lstm_settings
    from ._eventlog import _all_samples

    problem = check_output_path(args.save, args.overwrite, inputs=[args.events], flag="--save")
    if problem:
        return _fail("fit", problem, 2)
    try:
        log = _read_log(args)
        samples, n_short = _all_samples(log, args.min_history, None)
    except (EvaluateInputError, ValueError) as exc:
        return _fail("fit", exc, 1)
    settings = _lstm_settings(args)
    if args.model == "lstm":
        settings["max_history"] = args.max_history
    model = MODELS[args.model][1](settings, args.random_state)
    try:
        model.fit(samples.X, samples.y)
        model.save(args.save, overwrite=args.overwrite)
    except ValueError as exc:  # bad settings, too little data, labels that cannot be saved
        return _fail("fit", exc, 1)
    skipped = f" ({n_short} sequences too short for a sample)" if n_short else ""
    print(
        f"seqlstm fit: {MODELS[args.model][0]} fitted on {len(samples.y):,} samples from "
        f"{log.n_sequences:,} sequences{skipped}; saved to {args.save}"
    )
    return 0


def _run_recommend(args):
    import pandas as pd

    from ._evaluate import EvaluateInputError
    from ._persistence import load, write_atomically
    from ._recommend import check_k

    if args.output is not None:
        problem = check_output_path(
            args.output, args.overwrite, inputs=[args.events, args.model], flag="--output"
        )
        if problem:
            return _fail("recommend", problem, 2)
    try:
        model = load(args.model)
        log = _read_log(args)
        k = check_k(args.k, len(model.classes_))
    except (EvaluateInputError, ValueError, FileNotFoundError) as exc:
        return _fail("recommend", exc, 1)
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
        write_atomically(args.output, lambda temporary: table.to_csv(temporary, index=False))
    return 0
