"""Process-mining logs: time to the next event and remaining time, LSTM against trees.

Run with ``OMP_NUM_THREADS=1 python benchmarks/bench_process_times.py``
(all four logs, both targets, ``--seeds 0 1 2`` by default; ``--logs helpdesk``,
``--targets time_to_next``, ``--seeds 0`` for a part; ``--tune`` adds the LSTM rows
tuned on val; ``--candidate "dropout=0.1"`` adds a row of the defaults with these
parameters changed and its paired difference with the defaults, to measure a change
of a default; ``--quick`` for a smoke run:
one seed, few epochs).

Data: the ordered train / val / test splits of Rama-Maneiro et al. (2021), as in
``bench_process_logs.py`` (``--data DIR`` or ``$SEQLSTM_PROCESS_LOGS``; without them
the script says so and exits with status 0): Helpdesk, BPI Challenge 2013 closed
problems, BPI Challenge 2012 A and O.

Samples: ``samples_from_log(..., time_col="time:timestamp", event_attributes=...,
sequence_attributes=..., end_event="[END]", target=...)`` on each split. Inputs:
the time, the event attributes (Helpdesk and BPI12: ``org:resource``; BPI13:
``org:resource`` and ``org:group``) and, for BPI12, the numeric case attribute
``case:AMOUNT_REQ`` (known when the application arrives). BPI12's ``org:resource``
holds employee numbers, integers in its CSV files: the trees read them as numbers,
the LSTM as numbers and as categories (few distinct integers; see
``NextValueRegressor``); ``--as-category org:resource`` reads them as text
(categories only) for every model, trees included. ``case:variant`` and
``case:variant-index`` are never inputs: they name the whole trace, the future
included. Every prefix of every test case is scored, **the end of the case
included**: with ``end_event``, the whole case is a history too and, as
``samples_from_log`` documents, its target is 0.0 (the end came with the last
event). The column "w/o end" gives the MAE over the prefixes whose next event is
a real event (the end-of-case prefixes left out), for comparison with studies
that leave them out. Targets are seconds; MAEs are printed in days.

Rows, all on the same histories (time and attributes):

- ``mean``, ``median``: :class:`~sklearn.dummy.DummyRegressor` predicting the
  mean or the median of the training targets.
- ``tree``: ``make_pipeline(SequenceFeaturizer(time_features=True,
  attributes=True), HistGradientBoostingRegressor(loss="absolute_error"))``: the
  last event(s), the share of each activity, the length, the last event's
  attributes and time features (gap since the previous event and since the case
  start, hour, weekday). Its setting is chosen on val from ``TREE_GRID`` (fit on
  train, the lowest val MAE), then refitted on train+val.
- ``LSTM defaults``: ``NextValueRegressor(loss="absolute_error",
  random_state=seed)`` fitted on train+val, every other parameter at its
  default (the histories carry time and attributes; nothing is tuned, the
  validation split is not looked at). **This is the row the target is about.**
- With ``--tune``: ``LSTM tuned``, chosen on val from ``LSTM_GRID`` (each
  setting early-stopped on val, seed 0); for each seed, an early-stopped fit on
  train with val as ``X_val`` gives the best epoch and the LSTM is refitted on
  train+val for that many epochs. ``LSTM tuned, train only, early stop on
  val`` is the early-stopped fit itself, scored on test too.

Loss: MAE is scored, so both the tree and the LSTM minimise the absolute error
(their predictions are conditional medians). ``--losses absolute_error
squared_error`` adds rows for the other losses (the tree's setting kept, the
LSTM at its defaults); they are extra rows.

Scores: MAE in days with a 95% interval from ``N_BOOTSTRAP`` bootstrap resamples of
the test *cases* (:func:`bootstrap_interval`; all prefixes of a case go together;
one resampling seed, so every row and difference sees the same resamples). The LSTM
rows average the absolute error of each test prefix over the seeds (the MAE of a
typical single model, not of an ensemble); the seeds' own MAEs are listed. Each
LSTM row minus ``tree`` has a paired interval from the same resamples.

Target, fixed before the runs: on every log and both targets, ``LSTM defaults``
has a test MAE (mean over the seeds) at most the tree's, and the paired interval
of (LSTM defaults - tree) has a lower bound at most 0 (the LSTM is not
significantly worse). "fit (s)" is the wall time of the final fit (mean over
seeds). Reference: Tax et al. (2017) report a time-to-next-event MAE of 3.75 days
on Helpdesk, on their own split (the first 2/3 of the cases for training).
"""

import argparse
import time

import numpy as np
import pandas as pd
from _candidates import add_candidate_argument, candidate_params
from _logs import add_data_argument, default_folder, missing
from bench_process_logs import END, TIME
from bench_process_logs import samples as log_samples
from sklearn.dummy import DummyRegressor
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.pipeline import make_pipeline

from sklearn_seqlstm import (
    NextValueRegressor,
    SequenceFeaturizer,
    bootstrap_interval,
)

DAY = 86_400.0
N_BOOTSTRAP = 1000
TARGETS = {"time_to_next": "time to the next event", "remaining_time": "remaining time"}
TAX_HELPDESK_TIME_TO_NEXT = 3.75  # days, Tax et al. (2017), their own split
# file prefix, title, event attributes, sequence attributes (never case:variant*).
LOGS = {
    "helpdesk": ("Helpdesk", "Helpdesk", ["org:resource"], []),
    "bpi13": (
        "BPI_Challenge_2013_closed_problems",
        "BPI Challenge 2013 closed problems",
        ["org:resource", "org:group"],
        [],
    ),
    "bpi12a": (
        "BPI_Challenge_2012_A",
        "BPI Challenge 2012 A",
        ["org:resource"],
        ["case:AMOUNT_REQ"],
    ),
    "bpi12o": (
        "BPI_Challenge_2012_O",
        "BPI Challenge 2012 O",
        ["org:resource"],
        ["case:AMOUNT_REQ"],
    ),
}
# Candidate settings, chosen by MAE on val (see the module's docstring).
TREE_GRID = {
    "lr 0.1, 31 leaves, last 1": dict(learning_rate=0.1, max_leaf_nodes=31, n_last=1),
    "lr 0.05, 15 leaves, last 1": dict(learning_rate=0.05, max_leaf_nodes=15, n_last=1),
    "lr 0.1, 31 leaves, last 3": dict(learning_rate=0.1, max_leaf_nodes=31, n_last=3),
}
LSTM_GRID = {
    "defaults, early-stopped on val": dict(),
    "patience 10, up to 100 epochs": dict(n_iter_no_change=10, max_epochs=100),
    "hidden 32, embedding 8, patience 10": dict(
        hidden_size=32, embedding_dim=8, n_iter_no_change=10, max_epochs=100
    ),
    "lr 0.003, patience 10": dict(lr=0.003, n_iter_no_change=10, max_epochs=100),
}


# Set from --data in main().
DATA = default_folder()


def read(prefix, part, as_category=()):
    """One split; the columns of ``as_category`` kept as their text, read as categories.

    Read as text, not converted after: a column with a missing value is read as floats,
    and 10913 would become "10913.0" in one split and "10913" in another.
    """
    return pd.read_csv(DATA / f"{prefix}_{part}.csv", dtype=dict.fromkeys(as_category, str))


def samples(frame, event_attributes, sequence_attributes, target):
    """Every prefix of the log with its time and attributes, and the given target."""
    return log_samples(
        frame,
        time_col=TIME,
        event_attributes=event_attributes,
        sequence_attributes=sequence_attributes or None,
        target=target,
    )


def tree(loss="absolute_error", n_last=1, **params):
    return make_pipeline(
        SequenceFeaturizer(n_last=n_last, time_features=True, attributes=True, sparse_output=False),
        HistGradientBoostingRegressor(loss=loss, random_state=0, **params),
    )


def lstm(seed, loss="absolute_error", **params):
    """The LSTM: its defaults, but for the loss, the seed and ``params``."""
    return NextValueRegressor(loss=loss, random_state=seed, **params)


def best_epoch(model):
    """The epoch whose weights an early-stopped fit kept (1-based)."""
    return int(np.argmin([row["valid_loss"] for row in model.net_.history])) + 1


def timed_fit(model, X, y, **kwargs):
    start = time.perf_counter()
    model.fit(X, y, **kwargs)
    return time.perf_counter() - start


def budget(model):
    return f"{model.n_epochs_} ep, {model.n_steps_} steps"


def run(key, target, args):
    """Select the tree on val, fit, score on test; print the table; return the verdict."""
    prefix, title, event_attributes, sequence_attributes = LOGS[key]
    frames = {part: read(prefix, part, args.as_category) for part in ("train", "val", "test")}
    frames["train+val"] = pd.concat([frames["train"], frames["val"]], ignore_index=True)
    data = {
        part: samples(frame, event_attributes, sequence_attributes, target)
        for part, frame in frames.items()
    }
    train, val, full, test = data["train"], data["val"], data["train+val"], data["test"]
    ends = samples(frames["test"], event_attributes, sequence_attributes, "next_event").y == END
    print(
        f"\n=== {title}, {TARGETS[target]}: {len(full.y):,} train+val samples "
        f"({len(train.y):,} train, {len(val.y):,} val), {len(np.unique(test.groups)):,} test "
        f"cases, {len(test.y):,} test prefixes ({ends.sum():,} of them end of case, target 0) ==="
    )

    def mae(model, split):
        return float(np.mean(np.abs(model.predict(split.X) - split.y))) / DAY

    # 1. Selection on val.
    grids = {"tree": TREE_GRID}
    if args.tune:
        grids["LSTM"] = LSTM_GRID
    if args.quick:
        grids = {name: dict(list(grid.items())[:1]) for name, grid in grids.items()}
    chosen, early = {}, {}  # early: the seed-0 early-stopped LSTM of each setting
    print("selection on val (fit on train; LSTM early-stopped on val, first seed):")
    for name, grid in grids.items():
        scores = {}
        for label, params in grid.items():
            if name == "tree":
                model = tree(**params)
                seconds = timed_fit(model, train.X, train.y)
                extra = f"{model[-1].n_iter_} iterations"
            else:
                model = lstm(args.seeds[0], **params, **args.lstm_overrides)
                model.set_params(early_stopping=True)  # stopped on val, as the grid says
                seconds = timed_fit(model, train.X, train.y, X_val=val.X, y_val=val.y)
                early[label] = (model, seconds)
                extra = f"best epoch {best_epoch(model)} of {model.n_epochs_}"
            scores[label] = mae(model, val)
            print(
                f"  {name:<4} {label:<42} val MAE {scores[label]:8.3f}  "
                f"fit {seconds:6.1f} s, {extra}",
                flush=True,
            )
        chosen[name] = min(scores, key=scores.get)
        print(f"  {name}: chose {chosen[name]!r}")

    # 2. Final fits, scored on test.
    rows = []  # (name, seed, absolute errors in days, fit seconds, note)

    def score(name, model, seconds, seed=None, note=""):
        errors = np.abs(model.predict(test.X) - test.y) / DAY
        rows.append((name, seed, errors, seconds, note))
        shown = name if seed is None else f"{name} (seed {seed})"
        print(
            f"  fitted {shown:<48} test MAE {errors.mean():8.3f}  fit {seconds:6.1f} s  {note}",
            flush=True,
        )

    for strategy in ("mean", "median"):
        model = DummyRegressor(strategy=strategy)
        seconds = timed_fit(model, np.zeros((len(full.y), 1)), full.y)
        errors = np.abs(model.predict(np.zeros((len(test.y), 1))) - test.y) / DAY
        rows.append((strategy, None, errors, seconds, ""))
    tree_params = TREE_GRID[chosen["tree"]]
    for loss in args.losses:
        name = "tree" if loss == args.losses[0] else f"tree, loss={loss}"
        model = tree(loss=loss, **tree_params)
        score(name, model, timed_fit(model, full.X, full.y))
    for loss in args.losses:
        name = "LSTM defaults" + ("" if loss == args.losses[0] else f", loss={loss}")
        for seed in args.seeds:
            model = lstm(seed, loss=loss, **args.lstm_overrides)
            seconds = timed_fit(model, full.X, full.y)
            score(name, model, seconds, seed, budget(model))
    for label, params in args.candidates.items():
        for seed in args.seeds:
            model = lstm(seed, **{**params, **args.lstm_overrides})
            seconds = timed_fit(model, full.X, full.y)
            score(f"LSTM defaults + {label}", model, seconds, seed, budget(model))
    if args.tune:
        lstm_params = {**LSTM_GRID[chosen["LSTM"]], **args.lstm_overrides}
        for seed in args.seeds:
            if seed == args.seeds[0]:
                stopped, seconds = early[chosen["LSTM"]]  # fitted in the selection
            else:
                stopped = lstm(seed, **lstm_params).set_params(early_stopping=True)
                seconds = timed_fit(stopped, train.X, train.y, X_val=val.X, y_val=val.y)
            epochs = best_epoch(stopped)
            refit = lstm(seed, **{**lstm_params, "max_epochs": epochs})
            refit.set_params(early_stopping=False)
            score("LSTM tuned", refit, timed_fit(refit, full.X, full.y), seed, f"{epochs} ep")
            score("LSTM tuned, train only, early stop on val", stopped, seconds, seed)

    # 3. The table.
    def interval(per_sample):
        return bootstrap_interval(
            per_sample, test.groups, n_resamples=args.n_bootstrap, random_state=args.bootstrap_seed
        )

    def pooled(name):
        chosen_rows = [row for row in rows if row[0] == name]
        return chosen_rows, np.mean([row[2] for row in chosen_rows], axis=0)

    print(
        f"\n{'model':<50} {'MAE (days) [95% interval]':>28} {'w/o end':>8} {'fit (s)':>8}  per seed"
    )
    names = list(dict.fromkeys(row[0] for row in rows))
    for name in names:
        chosen_rows, errors = pooled(name)
        estimate = interval(errors)
        fit_text = f"{np.mean([row[3] for row in chosen_rows]):8.1f}"
        per_seed = ""
        if chosen_rows[0][1] is not None:
            per_seed = "  ".join(f"{row[2].mean():.3f}" for row in chosen_rows)
        mae_text = f"{estimate.estimate:.3f} [{estimate.low:.3f}, {estimate.high:.3f}]"
        print(f"{name:<50} {mae_text:>28} {errors[~ends].mean():8.3f} {fit_text}  {per_seed}")
    if key == "helpdesk" and target == "time_to_next":
        print(f"{'(Tax et al. 2017, their own split)':<50} {TAX_HELPDESK_TIME_TO_NEXT:>28.2f}")
    print(f"tree: {chosen['tree']}" + (f"; LSTM tuned: {chosen['LSTM']}" if args.tune else ""))

    _, tree_errors = pooled("tree")
    print()
    for name in [name for name in names if name.startswith("LSTM")]:
        chosen_rows, errors = pooled(name)
        difference = interval(errors - tree_errors)
        print(
            f"{name} (mean of {len(chosen_rows)} seed(s)) - tree: {difference.estimate:+.3f} "
            f"days, 95% interval [{difference.low:+.3f}, {difference.high:+.3f}]"
        )
        per_seed = [interval(row[2] - tree_errors) for row in chosen_rows]
        print(
            "  per seed: "
            + "; ".join(
                f"{row[1]}: {d.estimate:+.3f} [{d.low:+.3f}, {d.high:+.3f}]"
                for row, d in zip(chosen_rows, per_seed, strict=True)
            )
        )
        if name == "LSTM defaults":
            verdict = difference
    # A candidate default is judged against the defaults it would replace, pair by pair.
    _, default_errors = pooled("LSTM defaults")
    for label in args.candidates:
        _, errors = pooled(f"LSTM defaults + {label}")
        change = interval(errors - default_errors)
        print(
            f"LSTM defaults + {label} - LSTM defaults: {change.estimate:+.3f} days, "
            f"95% interval [{change.low:+.3f}, {change.high:+.3f}]"
        )
    return title, target, verdict


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logs", nargs="+", choices=list(LOGS), default=list(LOGS))
    parser.add_argument("--targets", nargs="+", choices=list(TARGETS), default=list(TARGETS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--losses",
        nargs="+",
        choices=["absolute_error", "squared_error"],
        default=["absolute_error"],
        help="the first is the loss of the main rows; others give extra rows",
    )
    parser.add_argument(
        "--tune", action="store_true", help="add the LSTM rows tuned on val (LSTM_GRID)"
    )
    add_candidate_argument(parser, "NextValueRegressor")
    parser.add_argument(
        "--as-category",
        nargs="+",
        default=[],
        metavar="COLUMN",
        help="read these columns as strings, so that every model takes them as categories "
        "(BPI12's org:resource holds integer ids, read as numbers by default)",
    )
    parser.add_argument("--n-bootstrap", type=int, default=N_BOOTSTRAP)
    parser.add_argument("--bootstrap-seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="a smoke run: one seed, 3 epochs")
    add_data_argument(parser)
    args = parser.parse_args(argv)
    if missing("bench_process_times", args.data):
        return
    global DATA
    DATA = args.data
    args.lstm_overrides = {}
    args.candidates = {text: candidate_params(text, NextValueRegressor) for text in args.candidate}
    if args.quick:
        args.seeds = args.seeds[:1]
        args.n_bootstrap = min(args.n_bootstrap, 200)
        args.lstm_overrides = {"max_epochs": 3}
    # torch builds its compiler stack with the first optimizer (seconds, once per
    # process): a tiny fit first keeps that out of the fit times below.
    NextValueRegressor(max_epochs=1).fit([["a"], ["b"]], [0.0, 1.0])
    started = time.perf_counter()
    outcomes = [run(key, target, args) for key in args.logs for target in args.targets]

    print(
        "\nSummary (target: LSTM defaults' MAE <= the tree's, and the lower bound of the "
        "paired interval of LSTM defaults - tree <= 0):"
    )
    met = 0
    for title, target, d in outcomes:
        ok = d.estimate <= 0 and d.low <= 0
        met += ok
        print(
            f"  {title}, {TARGETS[target]}: LSTM defaults - tree {d.estimate:+.3f} days "
            f"[{d.low:+.3f}, {d.high:+.3f}]: {'MET' if ok else 'MISSED'}"
        )
    print(
        f"target met in {met} of {len(outcomes)}: {'MET' if met == len(outcomes) else 'MISSED'}. "
        f"Total {time.perf_counter() - started:.0f} s."
    )


if __name__ == "__main__":
    main()
