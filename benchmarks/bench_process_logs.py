"""Process-mining logs: next activity on Helpdesk and BPI Challenge 2013 (closed problems).

Run with ``OMP_NUM_THREADS=1 python benchmarks/bench_process_logs.py``
(``--seeds 0 1 2`` by default; ``--logs helpdesk`` for one log only).

Data: the ordered train / val / test splits of Rama-Maneiro et al. (2021), the CSV
files of ``CSV/splits/`` in the GitHub repository ``ERamaM/ProcessMiningDatasets``,
read from ``--data DIR`` or ``$SEQLSTM_PROCESS_LOGS`` (default: a folder beside the
repository). Without them the script says so and exits with status 0.

Protocol of that README. Models are fitted on train+val and scored on every
prefix of every test case, the end of the case included: after a case's last event
the target is the token ``[END]`` (``samples_from_log(..., end_event="[END]")``).
Accuracy is over all test prefixes. The LSTM keeps its default
``early_stopping="auto"``, which is on from 2,000 training chains (here, cases): on
Helpdesk (3,664 cases) it holds out 10% of them and stops on their loss; on BPI13
(1,190 cases) it is off and the LSTM trains its default 20 epochs. The epochs run are
printed with each fit.

Rows: Markov chains of order 1 to 3; the logistic baseline
(``SequenceFeaturizer`` + ``StandardScaler`` + ``LogisticRegression``), with and
without attributes when ``SequenceFeaturizer`` has the options; ``NextEventClassifier``
with defaults (and ``random_state``) on events only, with time, and with time and
the event attributes (Helpdesk: ``org:resource``; BPI13: ``org:resource`` and
``org:group``). Every accuracy has a 95% interval from 1,000 bootstrap resamples of
the test *cases* (all prefixes of a case go together); the paired difference
LSTM(time + attributes) - best Markov chain has its interval from the same resamples.

The logs' case-level columns are not used as sequence context: ``case:variant`` and
``case:variant-index`` name the whole trace of the case, the future included (a
leak), and ``case:creator`` is one constant value. To measure where sequence context
should enter (``sequence_context="every_step"`` or ``"first_step"``), the last two
rows (``--no-context`` skips them) add a context known from the first event on,
hence no leak: who opened the case (Helpdesk: the ``org:resource`` of its first
event; BPI13: the ``org:group`` of its first event), as the sequence attribute
``case:opened_by``, on top of time and the event attributes.
"""

import argparse
import time
import warnings

import numpy as np
import pandas as pd
from _logs import add_data_argument, default_folder, missing
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_seqlstm import (
    MarkovChainClassifier,
    NextEventClassifier,
    SequenceFeaturizer,
    bootstrap_interval,
    samples_from_log,
)

# Set from --data in main().
DATA = default_folder()
END = "[END]"
CASE, ACTIVITY, TIME = "case:concept:name", "concept:name", "time:timestamp"
N_BOOTSTRAP = 1000

LOGS = {
    "helpdesk": ("Helpdesk", "Helpdesk", ["org:resource"], "org:resource"),
    "bpi13": (
        "BPI_Challenge_2013_closed_problems",
        "BPI Challenge 2013 closed problems",
        ["org:resource", "org:group"],
        "org:group",
    ),
}
OPENED_BY = "case:opened_by"  # derived sequence context: see the module's docstring
# The README's reference figures (same splits, all test prefixes, end of case included).
REFERENCE = {
    "helpdesk": {
        "Markov order 1": 0.831,
        "Markov order 2": 0.833,
        "Markov order 3": 0.836,
        "LSTM events only": 0.837,
        "LSTM + time": 0.838,
        "LSTM + time + attributes": 0.851,
    },
    "bpi13": {
        "Markov order 1": 0.636,
        "Markov order 2": 0.642,
        "Markov order 3": 0.640,
        "LSTM events only": 0.654,
        "LSTM + time": 0.657,
        "LSTM + time + attributes": 0.665,
    },
}
TARGET_HELPDESK = 0.851


def load(prefix):
    """train+val and test event logs of one log."""
    read = lambda part: pd.read_csv(DATA / f"{prefix}_{part}.csv")  # noqa: E731
    train = pd.concat([read("train"), read("val")], ignore_index=True)
    return train, read("test")


def with_opened_by(frame, column):
    """``frame`` with ``OPENED_BY``: ``column`` at the first event of each case."""
    first = frame.sort_values(TIME, kind="stable").groupby(CASE, sort=False)[column].first()
    return frame.assign(**{OPENED_BY: frame[CASE].map(first)})


def samples(
    frame, *, time_col=None, event_attributes=None, sequence_attributes=None, target="next_event"
):
    # A case of one event gives no prefix sample (min_history=1) but still its
    # end-of-case sample; the warning about it is said once, in the header.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return samples_from_log(
            frame,
            sequence_col=CASE,
            order_col=TIME,
            event_col=ACTIVITY,
            time_col=time_col,
            event_attributes=event_attributes,
            sequence_attributes=sequence_attributes,
            end_event=END,
            target=target,
        )


def featurizer_has_attributes():
    params = SequenceFeaturizer().get_params()
    return "attributes" in params and "time_features" in params


def logistic(**featurizer_params):
    return make_pipeline(
        SequenceFeaturizer(**featurizer_params),
        StandardScaler(with_mean=False),
        LogisticRegression(max_iter=1000),
    )


def run_log(key, seeds, rng_seed, context):
    prefix, title, attributes, opener = LOGS[key]
    train_log, test_log = load(prefix)
    plain = (samples(train_log), samples(test_log))
    timed = (samples(train_log, time_col=TIME), samples(test_log, time_col=TIME))
    attributed = (
        samples(train_log, time_col=TIME, event_attributes=attributes),
        samples(test_log, time_col=TIME, event_attributes=attributes),
    )
    test = plain[1]
    cases = pd.unique(test.groups)
    print(
        f"\n=== {title}: {train_log[CASE].nunique():,} train+val cases "
        f"({len(plain[0].y):,} samples), {len(cases):,} test cases ({len(test.y):,} test "
        f"prefixes, end of case included); attributes {attributes} ==="
    )
    rows = []  # (name, seed, accuracy, fit seconds, correct per test sample)

    def interval(correct):
        """Bootstrap over test cases; one seed, so every row (and difference) gets the same
        resamples of cases."""
        return bootstrap_interval(
            correct, test.groups, n_resamples=N_BOOTSTRAP, random_state=rng_seed
        )

    def evaluate(name, model, data, seed=None):
        (train, test_) = data
        start = time.perf_counter()
        model.fit(train.X, train.y)
        seconds = time.perf_counter() - start
        correct = (np.asarray(model.predict(test_.X)) == test_.y).astype(float)
        # Every variant cuts the same test prefixes, in the same order.
        assert np.array_equal(test_.groups, test.groups)
        rows.append((name, seed, correct.mean(), seconds, correct))
        shown = name if seed is None else f"{name} (seed {seed})"
        epochs = f", {len(model.net_.history)} epochs" if hasattr(model, "net_") else ""
        print(
            f"  fitted {shown:<48} {correct.mean():.4f}  fit {seconds:6.1f} s{epochs}", flush=True
        )

    for order in (1, 2, 3):
        evaluate(f"Markov order {order}", MarkovChainClassifier(order=order), plain)
    evaluate("logistic", logistic(), plain)
    unavailable = None
    if not featurizer_has_attributes():
        unavailable = "SequenceFeaturizer has no attributes / time_features options yet"
    else:
        try:
            evaluate(
                "logistic + time + attributes",
                logistic(attributes=True, time_features=True),
                attributed,
            )
        except Exception as exc:  # the options are new: say what failed, go on
            unavailable = f"SequenceFeaturizer(attributes=True, ...) failed: {exc!r}"
    lstm_rows = [
        ("LSTM events only", plain),
        ("LSTM + time", timed),
        ("LSTM + time + attributes", attributed),
    ]
    for seed in seeds:
        for name, data in lstm_rows:
            evaluate(name, NextEventClassifier(random_state=seed), data, seed)
    if context:
        contextual = tuple(
            samples(
                with_opened_by(frame, opener),
                time_col=TIME,
                event_attributes=attributes,
                sequence_attributes=[OPENED_BY],
            )
            for frame in (train_log, test_log)
        )
        for seed in seeds:
            for where in ("every_step", "first_step"):
                evaluate(
                    f"  + opened by, {where}",
                    NextEventClassifier(sequence_context=where, random_state=seed),
                    contextual,
                    seed,
                )

    def pooled(name):
        """The fits of a row, and its correctness per test sample averaged over its seeds."""
        chosen = [row for row in rows if row[0] == name]
        return chosen, np.mean([row[4] for row in chosen], axis=0)

    names = list(dict.fromkeys(row[0] for row in rows))
    reference = REFERENCE[key]
    print(
        f"\n{'model':<30} {'accuracy':>8}  {'95% interval':<17} {'fit (s)':>8}  "
        f"{'README':>6}  per seed"
    )
    for name in names:
        chosen, correct = pooled(name)
        accuracy, low, high, _ = interval(correct)
        seconds = np.mean([row[3] for row in chosen])
        ref = f"{reference[name]:.3f}" if name in reference else "-"
        seeds_text = (
            "  ".join(f"{row[2]:.4f}" for row in chosen) if chosen[0][1] is not None else ""
        )
        print(
            f"{name:<30} {accuracy:8.4f}  [{low:.4f}, {high:.4f}] {seconds:8.1f}  {ref:>6}  "
            f"{seeds_text}"
        )
    if unavailable:
        print(f"{'logistic + time + attributes':<30} not available ({unavailable})")

    markov = [f"Markov order {order}" for order in (1, 2, 3)]
    best = max(markov, key=lambda name: pooled(name)[1].mean())
    _, best_correct = pooled(best)
    _, lstm_correct = pooled("LSTM + time + attributes")
    lstm_accuracy = lstm_correct.mean()
    difference, low, high, _ = interval(lstm_correct - best_correct)
    print(
        f"\nLSTM + time + attributes (mean of {len(seeds)} seed(s)) - {best} (best Markov): "
        f"{difference:+.4f}, 95% interval [{low:+.4f}, {high:+.4f}]"
    )
    for seed in seeds:
        correct = next(r[4] for r in rows if r[0] == "LSTM + time + attributes" and r[1] == seed)
        d, lo, hi, _ = interval(correct - best_correct)
        print(f"  seed {seed}: {d:+.4f}, 95% interval [{lo:+.4f}, {hi:+.4f}]")
    verdicts = [("at least 1 point above the best Markov chain", difference >= 0.01)]
    if key == "helpdesk":
        verdicts.insert(0, (f"accuracy >= {TARGET_HELPDESK}", lstm_accuracy >= TARGET_HELPDESK))
    for text, ok in verdicts:
        print(f"target, LSTM + time + attributes {text}: {'MET' if ok else 'MISSED'}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logs", nargs="+", choices=sorted(LOGS), default=list(LOGS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--bootstrap-seed", type=int, default=0)
    parser.add_argument(
        "--no-context", action="store_true", help="skip the sequence_context comparison"
    )
    add_data_argument(parser)
    args = parser.parse_args(argv)
    if missing("bench_process_logs", args.data):
        return
    global DATA
    DATA = args.data
    # torch builds its compiler stack with the first optimizer (seconds, once per
    # process): a tiny fit first keeps that out of the fit times below.
    NextEventClassifier(max_epochs=1).fit([["a"], ["b"]], ["b", "a"])
    for key in args.logs:
        run_log(key, args.seeds, args.bootstrap_seed, not args.no_context)


if __name__ == "__main__":
    main()
