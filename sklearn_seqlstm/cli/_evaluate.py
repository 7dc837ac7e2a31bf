"""``seqlstm evaluate``: compare NextEventClassifier with the baselines on an event log.

The command reads an event log (CSV, RecBole ``.inter`` or Parquet, one row per event,
as ``seqlstm fit`` reads it), cuts it into
(history, next event) samples with :mod:`._eventlog`, fits the LSTM and the
baselines (Markov chains of orders 1 to 3, a logistic regression and
popularity) on the same training samples, and scores them on the same test
samples: top-1, top-5 and top-10 accuracy and MRR@10 (a score means little alone:
every accuracy claim is paired with the best baseline on the same split).

Three protocols, and a split of the user's own:

- ``leave-last-out`` (default): per sequence, the last event is the test target
  and the second-to-last the validation target; models train on the earlier
  targets only. Scores are given on both the validation and the test samples;
  the table and the chart show the test samples. It suits logs whose last event
  is like any other (the last film a user watched).
- ``time``: whole sequences in order of their first event; the latest
  ``--test-size`` of them are tested on every event, the others train, as the
  process-mining benchmarks split. It suits process logs, whose cases end with
  activities of their own (closed, declined) that leave-last-out tests and never
  trains on.
- ``groupkfold``: every sample of the log, in :class:`~sklearn.model_selection.GroupKFold`
  folds by sequence, so that no sequence is on both sides of a fold. The table
  shows the mean over folds; the chart pools the folds.
- ``--test-file``: the models train on every event of the main log and are tested
  on every event of the second.

A warning says when most test targets are events absent or rare among the training
targets: the scores then rank the models by a task none was trained on.

With ``--exclude-seen`` every model alike ranks only the events that each test
history lacks (RecBole's full-ranking protocol: a true event that the history holds
is a miss); the header, each score table and ``results.csv`` say which ranking
the scores come from.

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
median and the errors suggest (in the column's own units when the times are numbers), with a
95% bootstrap interval over the test sequences, and the LSTM is compared with the
best baseline by the paired difference of the absolute errors.

:func:`add_evaluate_arguments` adds the command's arguments to an argparse
(sub)parser and :func:`run_evaluate` runs it on the parsed arguments. User errors
are raised as :class:`CommandError`, which ``seqlstm``'s ``main`` prints as one
line.

The command's jobs live in modules of their own: the options and their checks
(:mod:`._evaluate_options`), the protocols (:mod:`._evaluate_split`), fitting and
scoring (:mod:`._evaluate_fit`) and the report (:mod:`._evaluate_report`).
"""

import sys
import time
from contextlib import contextmanager
from pathlib import Path

from ..utils._files import replacing
from ..utils._progress import progress_bar
from ._cli_common import (
    MAX_SEED,
    CommandError,
    UsageError,
    add_lstm_arguments,
    add_overwrite_argument,
    check_output_files,
    int_between,
    lstm_settings,
)
from ._evaluate_fairness import (
    GRAPH_FILE,
    LEAKAGE_FILE,
    draw_transition_graph,
    leakage_text,
    lift_share,
    split_leakage,
    write_leakage,
)
from ._evaluate_fit import (
    _check_distinct_events,
    _fit_and_score,
    _fit_and_score_regression,
    _in_unit,
    _time_unit,
)
from ._evaluate_load import EvaluateInputError
from ._evaluate_options import (
    GROUP_K_FOLD,
    LEAVE_LAST_OUT,
    LSTM,
    MODELS,
    NEXT_EVENT,
    OUTPUT_FILES,
    REGRESSION_FILES,
    REGRESSORS,
    TIME_ORDERED,
    TIME_TARGETS,
    _check_attribute_options,
    _check_save_model,
    _check_target_options,
    _fraction,
    _inputs,
    _main_lstm,
    _models,
    _resolve_protocol,
    add_event_log_arguments,
)
from ._evaluate_report import (
    _comparison,
    _draw_chart,
    _header,
    _intervals,
    _report_regression,
    _summary,
    _table,
    _warnings,
)
from ._evaluate_split import _splits
from ._log_files import check_columns, parse_order_column, read_event_log
from ._log_options import check_log_files, named_columns

__all__ = ["CommandError", "UsageError", "add_evaluate_arguments", "run_evaluate"]


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
        choices=[LEAVE_LAST_OUT, TIME_ORDERED, GROUP_K_FOLD],
        default=None,
        help="leave-last-out (default): per sequence, the last event is tested and the "
        "second-to-last validated; it suits logs whose last event is like any other (the "
        "last film a user watched). time: whole sequences in order of their first event, "
        "the earliest train and the latest --test-size test, on every event; it suits "
        "process logs, whose cases end with their own activities (closed, declined), which "
        "leave-last-out never shows in training, and it is how process-mining benchmarks "
        "split. groupkfold: cross-validation with sequences kept whole, for small logs",
    )
    protocol.add_argument(
        "--test-size",
        type=_fraction,
        default=0.2,
        metavar="X",
        help="share of the sequences, the latest by start, tested by --protocol time "
        "(default: %(default)s)",
    )
    protocol.add_argument(
        "--test-file",
        type=Path,
        default=None,
        metavar="PATH",
        help="a split you already have: an event log with the same columns whose sequences "
        "are tested on every event; the models train on every event of EVENTS (instead of "
        "--protocol)",
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
        "--exclude-seen",
        action="store_true",
        help="mask, for every model alike, the events already in each test history before "
        "ranking, as RecBole's full-ranking protocol does: a true next event that the "
        "history holds then counts as a miss. The report and results.csv say which is "
        "used (default: not masked)",
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
        help=f"models to compare: for the next event, among {', '.join(MODELS)} (default: all "
        "but theory, the fitted memory chain, slow on long histories); for a time "
        f"target, among {', '.join(REGRESSORS)} (default: all of them). On a large "
        "catalogue the logistic regression and the trees are fitted on a sample of the "
        "training samples, or skipped, as the report says",
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
        help="save the LSTM fitted for the test samples to PATH (not with groupkfold), "
        "for seqlstm recommend or sklearn_seqlstm.load (a NextValueRegressor with a time "
        "target, for sklearn_seqlstm.load)",
    )
    parser.set_defaults(run=run_evaluate)
    return parser


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
        Before any work (exit status 2): when an input file is missing or is not
        an event log (CSV, TSV, RecBole ``.inter``, Parquet, or text with
        ``--sep``), a column is not in its header, the output folder cannot take
        the files, the time and attribute columns are repeated, one of the key
        columns or combined with ``--max-history``, or a time target lacks
        ``--time-col`` or is given a model or option of the next-event classifier.
    CommandError
        On bad data (a file that cannot be parsed, a missing value, an order key
        that cannot be ordered, too few sequences or events), with a message that
        names the row or column (exit status 1).
    """
    start = getattr(args, "started", None) or time.perf_counter()
    args = _resolve_protocol(args)
    output = args.output
    regression = args.target != NEXT_EVENT
    _check_target_options(args)
    _check_attribute_options(args)
    _check_input_files(args)
    files = REGRESSION_FILES if regression else OUTPUT_FILES
    check_output_files(output, files, overwrite=args.overwrite, inputs=_inputs(args))
    models = _models(args)
    _check_save_model(args, models)
    n_fits = len(models) * (args.n_splits if args.protocol == GROUP_K_FOLD else 1)
    n_logs = 1 if args.test_file is None else 2
    with _progress(1 + n_logs + n_fits, enabled=args.progress) as step:
        frame = _read_log(args.events, args, step)
        test_frame = _read_log(args.test_file, args, step)
        step("encoding histories")
        splits, notes, time_kind = _splits(frame, args, test_frame)
        lstm = lstm_settings(args)
        # bounds: a line for each model skipped or fitted on a sample, for the header.
        fitted, per_sample, bounds = {}, {}, []
        if regression:
            # Errors in seconds first: the unit that reads best depends on them too.
            seconds = ("seconds", 1.0)
            results = _fit_and_score_regression(
                splits, models, lstm, args.random_state, step, seconds, fitted, per_sample, bounds
            )
            _check_some_model_fitted(results, bounds)
            unit = _time_unit(splits, time_kind, results)
            _in_unit(results, per_sample, unit)
        else:
            _check_distinct_events(splits, models)
            results, curves = _fit_and_score(
                splits,
                models,
                lstm,
                args.random_state,
                step,
                fitted,
                per_sample,
                bounds,
                exclude_seen=args.exclude_seen,
            )
            _check_some_model_fitted(results, bounds)
    if args.save_model is not None:
        # Every protocol but groupkfold fits once (leave-last-out's one fit serves its
        # validation and its test samples). save()
        # writes through a temporary file itself; its folder may not exist yet.
        (by_name,) = fitted.values()
        args.save_model.parent.mkdir(parents=True, exist_ok=True)
        by_name[_main_lstm(models)][0].save(args.save_model, overwrite=args.overwrite)

    output.mkdir(parents=True, exist_ok=True)
    with replacing(output / "results.csv") as path:
        results.to_csv(path, index=False)
    if regression:
        _report_regression(args, frame, splits, notes + bounds, results, per_sample, models, unit)
        print(f"\nWrote results.csv to {output}/")
        print(f"Total elapsed: {time.perf_counter() - start:.1f} s")
        return 0
    with replacing(output / "k_retrieval.csv") as path:
        curves.to_csv(path, index=False)
    written = ["results.csv", "k_retrieval.csv"]
    chart, skipped = _draw_chart(curves, args, output, _main_lstm(models) or LSTM)
    if chart:
        written.append(chart)
    leakage = split_leakage(splits)
    if leakage is not None:
        write_leakage(leakage, output / LEAKAGE_FILE)
        written.append(LEAKAGE_FILE)
    graph_skipped = draw_transition_graph(frame, args, output / GRAPH_FILE)
    if graph_skipped is None:
        written.append(GRAPH_FILE)

    print(_header(args, frame, splits, notes + bounds))
    print()
    seen = args.exclude_seen
    print(_table(results, args.protocol, seen))
    print()
    print(_intervals(per_sample, args.protocol, args.random_state, seen))
    print()
    print(_comparison(results, args.protocol, models, per_sample, args.random_state, seen))
    share = lift_share(_summary(results, args.protocol), models, _main_lstm(models))
    if share is not None:
        print(share)
    if leakage is not None:
        print()
        print(leakage_text(leakage, splits))
    for warning in _warnings(splits, seen):
        print(f"warning: {warning}", file=sys.stderr)
    if skipped:
        print(f"\nChart skipped: {skipped}")
    if graph_skipped:
        print(f"\nTransition graph skipped: {graph_skipped}")
    print(f"\nWrote {', '.join(written)} to {output}/")
    print(f"Total elapsed: {time.perf_counter() - start:.1f} s")
    return 0


def _check_some_model_fitted(results, bounds):
    """Refuse a run whose every model was skipped (EvaluateInputError): no table to show."""
    if results.empty:
        raise EvaluateInputError(" ".join(bounds) or "no model was fitted.")


def _check_input_files(args):
    """A missing input file, a file that is no log, or a column that a log's header
    lacks: a UsageError (exit status 2) before any work, as ``seqlstm fit`` says it."""
    check_log_files(args, _inputs(args))
    if args.test_file is not None:
        columns = {}
        for option, name in named_columns(args):
            columns.setdefault(f"--test-file {option}", []).append(name)
        check_columns(args.test_file, columns, args.sep)


def _read_log(path, args, step):
    """The event log at ``path``, with its order column parsed; None for None."""
    if path is None:
        return None
    step(f"loading {path.name}")
    frame = read_event_log(path, args.sep)
    return parse_order_column(frame, args.order_col, path)


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
            bar.set_postfix_str("")

        def detail(self, text):
            """Show ``text`` after the stage: how far the stage has got."""
            bar.set_postfix_str(text)

        def close(self):
            bar.close()

    step = Step()
    try:
        yield step
    finally:
        step.close()
