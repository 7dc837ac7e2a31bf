"""The ``seqlstm`` command (also ``python -m sklearn_seqlstm``).

One subcommand per job, each a function ``_run_<name>(args) -> exit status``
registered in :func:`build_parser`; :func:`main` parses and dispatches. A user
error is one line ``error: ...`` on stderr, never a traceback: exit status 2 for
a bad command line or option (argparse's, or a :class:`UsageError` raised before
any work), 1 for a failure after start-up (a :class:`CommandError`, or an
``OSError`` while reading or writing files). Today:

- ``seqlstm demo [--output DIR] [--quick]``: sweep the memory influence of the
  synthetic process, fit an LSTM and two baselines at each value, and write the
  results, charts and a short report that places every model against the Bayes
  limit.
- ``seqlstm evaluate``, ``seqlstm fit`` and ``seqlstm recommend``: see
  :mod:`._evaluate` and :mod:`._cli_serving`. Their arguments are added only when
  the command is chosen (:class:`._cli_serving.LazySubParsers`).

Every command follows the one error convention above and writes its files
through :mod:`._files`: checked before any work (never over an existing file
without ``--overwrite``, never over an input), then written to a temporary file
and renamed. The errors and option types they share live in :mod:`._cli_common`,
which imports nothing heavy, so that ``seqlstm --help`` loads no torch.
"""

import os
import sys
import time
import warnings
from pathlib import Path

from ..utils._files import replacing
from ._cli_common import (
    MAX_SEED,
    CommandError,
    OneLineParser,
    add_overwrite_argument,
    check_output_files,
    int_between,
    one_line,
)
from ._cli_serving import LazySubParsers, add_serving_commands

# pandas, scikit-learn, torch and the models are imported inside the functions that
# use them, so that `seqlstm --help` starts in a fraction of a second.

__all__ = ["build_parser", "main"]

LSTM = "LSTM"

# The demo's settings, chosen to finish in well under a minute on 2 CPU cores (see
# the README) while the LSTM gets close to the limit. The classifier's settings are
# given in full, so that a change of NextEventClassifier's defaults does not change
# the demo's budget.
_DEMO = {
    "memory_influences": tuple(i / 10 for i in range(11)),
    "ks": (1, 3, 5),
    "n_train_sequences": 2000,
    "n_test_sequences": 1000,
    "length": 20,
    "lstm": {
        "embedding_dim": 16,
        "hidden_size": 32,
        "num_layers": 1,
        "dropout": 0.0,
        "lr": 0.02,
        "batch_size": 128,
        "max_epochs": 40,
        "early_stopping": True,
        "validation_fraction": 0.1,
        "n_iter_no_change": 3,
        "max_history": None,
        "device": "cpu",
        "num_threads": 1,
    },
}
# --quick: the same steps on tiny data, for CI. Its numbers are noisy.
_QUICK = {
    **_DEMO,
    "memory_influences": (0.0, 0.4, 1.0),
    "n_train_sequences": 60,
    "n_test_sequences": 60,
    "lstm": {**_DEMO["lstm"], "hidden_size": 16, "batch_size": 8, "max_epochs": 8},
}
# The files of the demo, for the check of the output folder before the sweep.
_DEMO_CHARTS = (
    "accuracy_vs_memory.png",
    "top_k_vs_memory.png",
    "log_loss_vs_memory.png",
    "k_retrieval.png",
    "transition_matrices.png",
    "loss_curve.png",
    "transition_graph.png",
)
_DEMO_FILES = ("results.csv", *_DEMO_CHARTS, "report.md")
# The memory influence of the charts of single fits (k-retrieval, loss curve): the
# neighbourhood of the limit's dip, where the models are hardest to tell apart.
_FOCUS = 0.4


def build_parser():
    """The argument parser of ``seqlstm``, one subparser per subcommand."""
    parser = OneLineParser(
        prog="seqlstm",
        description="Next-event prediction from event histories with an LSTM.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    parser.register("action", "parsers", LazySubParsers)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    demo = commands.add_parser(
        "demo",
        help="sweep the memory influence of synthetic data and compare models with the limit",
        description=(
            "At each memory influence m of the synthetic process (0, 0.1, ..., 1), sample "
            "training and test chains, fit an LSTM (NextEventClassifier), a first-order "
            "Markov chain and a logistic regression, and score them beside the Bayes limit. "
            "Prints a results table and writes results.csv, PNG charts (with matplotlib) "
            "and report.md to the output folder; the files of an earlier run are replaced "
            "only with --overwrite."
        ),
    )
    demo.add_argument(
        "--output",
        "-o",
        type=Path,
        default=Path("demo_output"),
        metavar="DIR",
        help="folder for results.csv, the charts and report.md (default: %(default)s)",
    )
    add_overwrite_argument(demo)
    demo.add_argument(
        "--quick",
        action="store_true",
        help="three values of m and tiny data: a few seconds, for CI; the numbers are noisy",
    )
    demo.add_argument(
        "--random-state",
        type=int_between(0, MAX_SEED),
        default=0,
        metavar="SEED",
        help="seed of the chains and of the LSTM (default: %(default)s)",
    )
    demo.add_argument(
        "--no-progress",
        dest="progress",
        action="store_false",
        help="no progress bar (the bar needs tqdm: pip install 'sklearn-seqlstm[progress]')",
    )
    demo.set_defaults(run=_run_demo)

    evaluate = commands.add_parser(
        "evaluate",
        help="compare the LSTM with baselines on an event log (CSV or parquet)",
        description=(
            "Turn an event log (one row per event: a sequence key, an order key and the "
            "event) into (history, next event) samples, fit NextEventClassifier, Markov "
            "chains of orders 1 to 3, the logistic baseline and popularity, and print "
            "top-1/5/10 accuracy, MRR@10 and fit time. Writes results.csv and the "
            "k-retrieval chart to the output folder; the files of an earlier run are "
            "replaced only with --overwrite, and the input file never. With --target "
            "time_to_next or remaining_time (and --time-col), predict the time to the next "
            "event or to the sequence's end instead: NextValueRegressor against the training "
            "mean and median and gradient-boosted trees, scored by the mean absolute error."
        ),
    )
    commands.defer(evaluate, _add_evaluate_arguments)
    add_serving_commands(commands)
    return parser


def _add_evaluate_arguments(parser):
    from ._evaluate import add_evaluate_arguments

    add_evaluate_arguments(parser)


def main(argv=None):
    """Run ``seqlstm`` with the arguments ``argv`` (default: the command line).

    Parameters
    ----------
    argv : list of str, default=None
        The arguments after the program name. None reads ``sys.argv[1:]``.

    Returns
    -------
    status : int
        The exit status: 0 on success, 1 for a failure after start-up, 2 for a
        bad option found before any work.

    Notes
    -----
    Warnings raised during a successful run (unknown events, a library's
    advice) print after it, once each, as one line ``warning: ...`` on stderr;
    warnings about how the package calls its libraries (deprecations) do not.
    A failed run prints its one error line only.

    Raises
    ------
    SystemExit
        From argparse: status 0 after ``--help`` or ``--version``, 2 for a bad
        command line (after printing one line ``error: ...``).
    """
    # Commands that report their elapsed time count from here: parsing imports torch.
    started = time.perf_counter()
    args = build_parser().parse_args(argv)
    args.started = started
    caught = _Warnings()
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        for category in _QUIET_WARNINGS:
            warnings.simplefilter("ignore", category)
        warnings.showwarning = caught.keep
        try:
            status = args.run(args)
        except CommandError as exc:
            return _error(exc, exc.status)
        except BrokenPipeError:
            # The reader of the output left (seqlstm recommend ... | head): nothing to
            # say to it. Python would complain again when it flushes stdout at exit.
            _silence_stdout()
            return 1
        except OSError as exc:
            # A file that cannot be read or written after start-up (a full disk, a
            # file removed meanwhile): the system's message; not a bug to trace.
            return _error(exc, 1)
    # After the run, one line each: Python's format (file, line, source) speaks to the
    # package's developers, not to the user of the command. A failed run prints its
    # error only, as one line.
    caught.print()
    return status


class _Warnings:
    """The distinct warnings of a run, as one-line messages; a bounded number of them."""

    limit = 20

    def __init__(self):
        self.messages = {}
        self.n_more = 0

    def keep(self, message, category, filename, lineno, file=None, line=None):
        text = one_line(message)
        if text in self.messages:
            return
        if len(self.messages) < self.limit:
            self.messages[text] = None
        else:  # a warning per item of a loop must not grow without bound
            self.n_more += 1

    def print(self):
        for text in self.messages:
            print(f"warning: {text}", file=sys.stderr)
        if self.n_more:
            print(f"warning: and {self.n_more:,} more warnings", file=sys.stderr)


# Warnings about how the package calls its libraries, not about the user's data.
_QUIET_WARNINGS = (DeprecationWarning, PendingDeprecationWarning, FutureWarning, ImportWarning)
_QUIET_WARNINGS += (ResourceWarning,)


def _silence_stdout():
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a file (a test's StringIO)
        pass


def _error(exc, status):
    print(f"error: {one_line(exc)}", file=sys.stderr)
    return status


def _version():
    from .. import __version__

    return __version__


def _demo_estimators(settings, seed):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from ..baselines._featurizer import SequenceFeaturizer
    from ..baselines._markov import MarkovChainClassifier
    from ..neural._classifier import NextEventClassifier

    return {
        LSTM: NextEventClassifier(**settings["lstm"], random_state=seed, verbose=0),
        "Markov (order 1)": MarkovChainClassifier(order=1),
        # Scaled: the unscaled history length made lbfgs take about 8 times longer.
        "Logistic regression": make_pipeline(
            SequenceFeaturizer(), StandardScaler(with_mean=False), LogisticRegression(max_iter=1000)
        ),
    }


def _run_demo(args):
    from ..inspection._sweep import memory_sweep

    start = time.perf_counter()
    settings = _QUICK if args.quick else _DEMO
    output = args.output
    check_output_files(output, _DEMO_FILES, overwrite=args.overwrite)
    grid = settings["memory_influences"]
    print(
        f"seqlstm demo{' --quick' if args.quick else ''}: {len(grid)} values of memory "
        f"influence, {settings['n_train_sequences']} training and "
        f"{settings['n_test_sequences']} test chains of {settings['length']} events each.",
        flush=True,
    )

    results, fitted = memory_sweep(
        _demo_estimators(settings, args.random_state),
        memory_influences=grid,
        ks=settings["ks"],
        n_train_sequences=settings["n_train_sequences"],
        n_test_sequences=settings["n_test_sequences"],
        length=settings["length"],
        return_estimators=True,
        progress=args.progress,
        random_state=args.random_state,
    )
    sweep_seconds = time.perf_counter() - start
    output.mkdir(parents=True, exist_ok=True)
    with replacing(output / "results.csv") as path:
        results.to_csv(path, index=False)

    gaps = _gap_summary(results)
    print()
    print(_results_table(results))
    print()
    print("Gap to the Bayes limit over m (top-1: limit - model; log-loss: model - limit):")
    print(gaps.to_string(float_format=lambda v: f"{v:.3f}"))

    charts, skipped = _draw_charts(results, fitted, settings, args.random_state, output)
    if skipped:
        print(f"\nCharts skipped: {skipped}", file=sys.stderr)
    with replacing(output / "report.md") as path:
        path.write_text(_report(results, gaps, settings, charts, sweep_seconds), encoding="utf-8")

    written = ["results.csv", *charts, "report.md"]
    print(f"\nWrote {', '.join(written)} to {output}/")
    print(f"Total elapsed: {time.perf_counter() - start:.1f} s")
    return 0


def _results_table(results):
    """Top-1 accuracy and log-loss, memory influence by model, as text."""
    import pandas as pd

    top1 = results[results["k"] == 1]
    models = list(pd.unique(results["model"]))
    parts = []
    for column, title in [("top_k_accuracy", "Top-1 accuracy"), ("log_loss", "Log-loss")]:
        table = top1.pivot(index="memory_influence", columns="model", values=column)[models]
        table.index.name = "m"
        table.columns.name = None
        parts.append(f"{title} on the test chains:\n{table.to_string(float_format='%.3f')}")
    return "\n\n".join(parts)


def _gap_summary(results):
    """Mean and worst gap of each model to the Bayes limit across memory influences.

    Returns a DataFrame indexed by model (the limit left out) with the columns
    ``mean_top1_gap``, ``worst_top1_gap``, ``worst_top1_m``, ``mean_log_loss_gap``,
    ``worst_log_loss_gap`` and ``worst_log_loss_m``. Gaps are signed so that
    positive means worse than the limit: limit minus model for accuracy, model
    minus limit for log-loss.
    """
    import pandas as pd

    from ..inspection._sweep import BAYES_LIMIT

    top1 = results[results["k"] == 1]
    accuracy = top1.pivot(index="memory_influence", columns="model", values="top_k_accuracy")
    log_loss = top1.pivot(index="memory_influence", columns="model", values="log_loss")
    rows = {}
    for model in pd.unique(results["model"]):
        if model == BAYES_LIMIT:
            continue
        accuracy_gap = accuracy[BAYES_LIMIT] - accuracy[model]
        log_loss_gap = log_loss[model] - log_loss[BAYES_LIMIT]
        rows[model] = {
            "mean_top1_gap": accuracy_gap.mean(),
            "worst_top1_gap": accuracy_gap.max(),
            "worst_top1_m": accuracy_gap.idxmax(),
            "mean_log_loss_gap": log_loss_gap.mean(),
            "worst_log_loss_gap": log_loss_gap.max(),
            "worst_log_loss_m": log_loss_gap.idxmax(),
        }
    summary = pd.DataFrame.from_dict(rows, orient="index")
    summary.index.name = "model"
    return summary


def _limit_dip(results):
    """(m, top-1 accuracy) of the Bayes limit at m=min, at its lowest, and at m=max."""
    from ..inspection._sweep import BAYES_LIMIT

    limit = results[(results["model"] == BAYES_LIMIT) & (results["k"] == 1)]
    limit = limit.set_index("memory_influence")["top_k_accuracy"].sort_index()
    lowest = limit.idxmin()
    return (
        (limit.index[0], limit.iloc[0]),
        (lowest, limit[lowest]),
        (limit.index[-1], limit.iloc[-1]),
    )


def _draw_charts(results, fitted, settings, seed, output):
    """Write the PNG charts; return (file names, reason skipped or None)."""
    import pandas as pd

    from ..inspection._sweep import BAYES_LIMIT
    from ..synthetic._sampler import MarkovMemorySampler

    try:
        from matplotlib.figure import Figure
    except ImportError:
        return [], 'they need matplotlib: pip install "sklearn-seqlstm[plot]"'
    from ..inspection._plot import (
        _LIMIT_STYLE,
        KRetrievalCurveDisplay,
        LossCurveDisplay,
        MemorySweepDisplay,
        TransitionMatrixDisplay,
    )

    # Figures made without pyplot render with Agg and leave no global state behind.
    charts = []

    def save(figure, name):
        assert name in _DEMO_CHARTS, f"{name} must be in _DEMO_CHARTS, checked before the sweep"
        with replacing(output / name) as path:
            figure.savefig(path, dpi=100)
        charts.append(name)

    figure = Figure(figsize=(7, 4.5), layout="constrained")
    display = MemorySweepDisplay.from_sweep(results, k=1, ax=figure.subplots())
    display.ax_.set_title("Top-1 accuracy against memory influence, beside the Bayes limit")
    save(figure, "accuracy_vs_memory.png")

    figure = Figure(figsize=(7, 5), layout="constrained")
    display = MemorySweepDisplay.from_sweep(results, k=list(settings["ks"]), ax=figure.subplots())
    display.ax_.set_title("Top-k accuracy against memory influence")
    save(figure, "top_k_vs_memory.png")

    figure = Figure(figsize=(7, 4.5), layout="constrained")
    display = MemorySweepDisplay.from_sweep(results, metric="log_loss", ax=figure.subplots())
    display.ax_.set_title("Log-loss against memory influence")
    save(figure, "log_loss_vs_memory.png")

    grid = settings["memory_influences"]
    focus = min(grid, key=lambda m: abs(m - _FOCUS))
    # Modulo: the largest seed allowed, MAX_SEED, plus one is beyond numpy's seeds.
    sampler = MarkovMemorySampler(memory_influence=focus, random_state=(seed + 1) % (MAX_SEED + 1))
    X_test, y_test, _ = sampler.make_dataset(settings["n_test_sequences"], settings["length"])
    figure = Figure(figsize=(6, 4.5), layout="constrained")
    ax = figure.subplots()
    for model in pd.unique(results["model"]):
        KRetrievalCurveDisplay.from_estimator(
            fitted[focus, model],
            X_test,
            y_test,
            name=model,
            ax=ax,
            curve_kwargs=_LIMIT_STYLE if model == BAYES_LIMIT else None,
        )
    ax.set_title(f"Top-k accuracy against k, new test chains at m = {focus:g}")
    save(figure, "k_retrieval.png")

    if grid[0] == 0.0:
        figure = Figure(figsize=(11, 4.8), layout="constrained")
        TransitionMatrixDisplay.from_estimator(
            fitted[0.0, LSTM],
            MarkovMemorySampler(memory_influence=0.0),
            name=f"{LSTM} at m = 0",
            ax=figure.subplots(1, 2),
        )
        save(figure, "transition_matrices.png")

    figure = Figure(figsize=(6, 4), layout="constrained")
    LossCurveDisplay.from_estimator(
        fitted[focus, LSTM], name=f"{LSTM} at m = {focus:g}", ax=figure.subplots()
    )
    save(figure, "loss_curve.png")

    try:
        import networkx  # noqa: F401
    except ImportError:
        return charts, ('transition_graph.png needs networkx: pip install "sklearn-seqlstm[graph]"')
    from ..inspection._transition_graph import TransitionGraphDisplay

    # The graph a user would draw of a log before training: here of chains at m = 0,
    # whose heaviest edges are the transition map's.
    chains = MarkovMemorySampler(memory_influence=0.0, random_state=seed).sample(
        settings["n_train_sequences"], settings["length"]
    )
    figure = Figure(figsize=(7, 6), layout="constrained")
    display = TransitionGraphDisplay.from_histories(chains, random_state=seed, ax=figure.subplots())
    display.ax_.set_title("Which event follows which, in chains at m = 0", fontsize="medium")
    save(figure, "transition_graph.png")
    return charts, None


def _report(results, gaps, settings, charts, sweep_seconds):
    from ..inspection._sweep import BAYES_LIMIT

    grid = sorted(results["memory_influence"].unique().tolist())
    n_pairs = settings["length"] - 1
    lstm = settings["lstm"]
    (m_first, acc_first), (m_low, acc_low), (m_last, acc_last) = _limit_dip(results)
    lines = [
        "# sklearn-seqlstm demo: next-event models against the Bayes limit",
        "",
        f"Synthetic chains from `MarkovMemorySampler` with the default transition map, at "
        f"{len(grid)} values of the memory influence m from {grid[0]:g} to {grid[-1]:g}. At "
        f"each m: {settings['n_train_sequences']} training and {settings['n_test_sequences']} "
        f"test chains of {settings['length']} events "
        f"({settings['n_train_sequences'] * n_pairs} and "
        f"{settings['n_test_sequences'] * n_pairs} (history, next event) pairs). "
        "Every model, the Bayes limit included, is scored on the same test chains by the "
        "same code. All numbers below are read from `results.csv`.",
        "",
        f"Models: `{LSTM}` is `NextEventClassifier(embedding_dim={lstm['embedding_dim']}, "
        f"hidden_size={lstm['hidden_size']}, lr={lstm['lr']}, batch_size={lstm['batch_size']}, "
        f"max_epochs={lstm['max_epochs']}, early_stopping={lstm['early_stopping']})`; "
        "`Markov (order 1)` is `MarkovChainClassifier(order=1)`; `Logistic regression` is "
        "`SequenceFeaturizer`, `StandardScaler(with_mean=False)` then `LogisticRegression`; "
        "the `Bayes limit` is "
        "`BayesOracleClassifier` of each m's sampler, the best any model can do.",
        "",
        "## How close each model came to the limit",
        "",
        "Gaps are signed so that positive means worse than the limit: limit minus model for "
        "top-1 accuracy, model minus limit for log-loss (nats). Mean and worst over the "
        f"{len(grid)} values of m; a small negative gap is test noise.",
        "",
        "| model | mean top-1 gap | worst top-1 gap | worst at m | mean log-loss gap "
        "| worst log-loss gap | worst at m |",
        "|---|---|---|---|---|---|---|",
    ]
    for model, row in gaps.iterrows():
        lines.append(
            f"| {model} | {row['mean_top1_gap']:.3f} | {row['worst_top1_gap']:.3f} "
            f"| {row['worst_top1_m']:g} | {row['mean_log_loss_gap']:.3f} "
            f"| {row['worst_log_loss_gap']:.3f} | {row['worst_log_loss_m']:g} |"
        )
    lines += ["", _closest_sentence(gaps)]

    lines += [
        "",
        "## The limit itself dips",
        "",
        f"The Bayes limit's top-1 accuracy is {acc_first:.3f} at m = {m_first:g}, falls to "
        f"its lowest, {acc_low:.3f}, at m = {m_low:g}, and rises to {acc_last:.3f} at "
        f"m = {m_last:g}. In between, the next event is a blend of the transition row of "
        "the last event (weight 1 - m) and the history's event counts (weight m); where "
        "neither part dominates, the most probable event is less probable than at either "
        "extreme. A dip of the models around that m is mostly this, not a training failure: "
        "read their accuracy against the limit, not against 1.",
        "",
        "| m | " + " | ".join(f"{m:g}" for m in grid) + " |",
        "|---" * (len(grid) + 1) + "|",
    ]
    limit = results[(results["model"] == BAYES_LIMIT) & (results["k"] == 1)]
    limit = limit.set_index("memory_influence")["top_k_accuracy"]
    lines.append("| Bayes limit top-1 | " + " | ".join(f"{limit[m]:.3f}" for m in grid) + " |")
    lines += ["", *_interval_table(results, settings)]

    if charts:
        descriptions = {
            "accuracy_vs_memory.png": "top-1 accuracy against m, the limit as a grey band",
            "top_k_vs_memory.png": "top-1, top-3 and top-5 accuracy against m",
            "log_loss_vs_memory.png": "log-loss against m",
            "k_retrieval.png": "top-k accuracy against k on new test chains near the dip",
            "transition_matrices.png": "the LSTM's next event after each single event at "
            "m = 0 beside the true transition matrix",
            "loss_curve.png": "the LSTM's training and validation loss per epoch near the dip",
            "transition_graph.png": "the network of consecutive events in chains at m = 0, "
            "its communities coloured",
        }
        lines += ["", "## Charts", ""]
        lines += [f"- `{name}`: {descriptions.get(name, '')}" for name in charts]
    lines += ["", f"The sweep took {sweep_seconds:.1f} s.", ""]
    return "\n".join(lines)


def _interval_table(results, settings):
    """Every model's top-1 accuracy at each m with its 95% interval, as markdown lines."""
    import pandas as pd

    top1 = results[results["k"] == 1]
    grid = sorted(top1["memory_influence"].unique().tolist())
    lines = [
        "## Top-1 accuracy with its uncertainty",
        "",
        f"Each figure with its 95% interval, by a bootstrap over the "
        f"{settings['n_test_sequences']} test chains (samples of one chain are not "
        "independent). Intervals of two models at one m that overlap do not tell them apart; "
        "their gaps above come from the same test chains, so are less noisy than this suggests.",
        "",
        "| model | " + " | ".join(f"m = {m:g}" for m in grid) + " |",
        "|---" * (len(grid) + 1) + "|",
    ]
    for model in pd.unique(top1["model"]):
        rows = top1[top1["model"] == model].set_index("memory_influence")
        cells = [
            f"{rows.at[m, 'top_k_accuracy']:.3f} [{rows.at[m, 'top_k_low']:.3f}, "
            f"{rows.at[m, 'top_k_high']:.3f}]"
            for m in grid
        ]
        lines.append(f"| {model} | " + " | ".join(cells) + " |")
    return lines


def _closest_sentence(gaps):
    order = gaps.sort_values("mean_log_loss_gap").index.tolist()
    best = order[0]
    row = gaps.loc[best]
    return (
        f"Closest to the limit in log-loss: {best}, on average {row['mean_log_loss_gap']:.3f} "
        f"nats above it and {row['mean_top1_gap']:.3f} below it in top-1 accuracy."
    )
