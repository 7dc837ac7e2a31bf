"""Repeated histories: the network alone shrunk towards each history's own outcomes.

On a log read by event names only, many test prefixes are histories seen many times
in training, and their next events pin down a distribution that the network of the
default ``NextEventClassifier`` (dropout 0.5, about 1,000 steps) does not reach: on BPI
Challenge 2012 "O", 62 training cases share one history of 8 events, 44 of them go
on to ``O_SENT_BACK``, and the network gives it about 0.33.

This script measures, after the fact, the Dirichlet posterior mean with the network
as its prior: a history seen n times in training, with next-event counts c, gets

    p = (c + k * p_lstm) / (n + k),

its own outcomes shrunk towards the LSTM's distribution with the weight of k samples;
a history never seen keeps the LSTM's. For each log, names only, every test prefix
scored (the protocol of ``bench_defaults.py``, seeds 0 to 2), it prints the share of
test prefixes seen in training, the defaults and the best Markov chain, and for each
prior weight k the accuracy with the paired differences (95% intervals, 1,000
bootstrap resamples of the test cases) against the defaults and against the best
Markov chain. k = 0 is the histories' own frequencies wherever they were seen. One
more row takes k from the training data alone: the k that best predicts each training
sample from the other samples of its history (leave-one-out), the network being
trusted alone (k = inf) when it predicts them best. ``--synthetic`` adds
``bench_at_limit.py``'s protocol: the gaps to the Bayes limit, where the network is as
good as anything can be and the counts of a history are few.

The classifier blends this way by default, with the leave-one-out k
(``history_counts="auto"``); here "defaults" are its network alone
(``history_counts=None``), so that every k is scored on the same predictions. Data:
as ``bench_defaults.py`` (``--data`` or ``$SEQLSTM_PROCESS_LOGS``). Run:
``OMP_NUM_THREADS=1 python benchmarks/bench_history_counts.py [--logs helpdesk ...]
[--synthetic]``.
"""

import argparse
from collections import Counter, defaultdict

import numpy as np
from _logs import add_data_argument, missing
from bench_at_limit import GRID, limit_data, top1_and_log_loss
from bench_defaults import LOGS, interval_text, load, paired, samples

from sklearn_seqlstm import BayesOracleClassifier, MarkovChainClassifier, NextEventClassifier

PRIOR_WEIGHTS = (0.0, 1.0, 5.0, 20.0, 100.0)
LOO_GRID = (*np.geomspace(0.5, 4096, 14), np.inf)


def outcome_counts(X, y):
    """The next events of every distinct training history: {history: {event: count}}."""
    counts = defaultdict(Counter)
    for history, label in zip(X, y, strict=True):
        counts[tuple(history)][label] += 1
    return counts


def shrunk(proba, classes, X, counts, prior_weight):
    """``(c + k * proba) / (n + k)`` for the histories seen in training, ``proba`` elsewhere."""
    blended = proba.copy()
    if np.isinf(prior_weight):
        return blended
    index = {label: i for i, label in enumerate(classes)}
    for row, history in enumerate(X):
        seen = counts.get(tuple(history))
        if seen is None:
            continue
        c = np.zeros(len(classes))
        for label, count in seen.items():
            c[index[label]] = count
        blended[row] = (c + prior_weight * proba[row]) / (c.sum() + prior_weight)
    return blended


def leave_one_out_weight(model, counts, grid=LOO_GRID):
    """The prior weight k that best predicts each training sample from the others.

    For a training sample whose history was seen n times, c of them followed by its
    event, the others predict it with ``(c - 1 + k * p) / (n - 1 + k)``; the k of the
    grid (inf: the network alone) with the highest total log-likelihood wins. A
    history seen once says nothing about k. The network was fitted on these samples
    too, which leans the choice towards it, the side of the defaults.
    """
    histories = [history for history, seen in counts.items() if sum(seen.values()) > 1]
    if not histories:
        return np.inf
    classes = model.classes_
    index = {label: i for i, label in enumerate(classes)}
    proba = model.predict_proba([list(history) for history in histories])
    c, n, p = [], [], []
    for row, history in enumerate(histories):
        seen = counts[history]
        total = sum(seen.values())
        for label, count in seen.items():
            c.append(count)
            n.append(total)
            p.append(proba[row, index[label]])
    c, n, p = np.array(c, float), np.array(n, float), np.array(p)
    # Each (history, event) pair stands for its c samples.
    scores = [
        np.sum(c * np.log(p)) if np.isinf(k) else np.sum(c * np.log((c - 1 + k * p) / (n - 1 + k)))
        for k in grid
    ]
    return grid[int(np.argmax(scores))]


def difference_text(values, groups):
    p = paired(values, groups)
    return f"{p.estimate:+.4f} [{p.low:+.4f}, {p.high:+.4f}]"


def one_log(key, data, seeds, prior_weights):
    prefix, title, *_ = LOGS[key]
    train_log, test_log = load(data, prefix)
    train, test = samples(train_log), samples(test_log)
    groups = test.groups
    markov = {}
    for order in (1, 2, 3):
        model = MarkovChainClassifier(order=order).fit(train.X, train.y)
        markov[order] = (np.asarray(model.predict(test.X)) == test.y).astype(float)
    best = max(markov, key=lambda order: markov[order].mean())
    counts = outcome_counts(train.X, train.y)
    defaults, blended = [], {k: [] for k in [*prior_weights, "leave-one-out"]}
    chosen = []
    for seed in seeds:
        model = NextEventClassifier(random_state=seed, history_counts=None).fit(train.X, train.y)
        classes, proba = model.classes_, model.predict_proba(test.X)
        defaults.append(classes[proba.argmax(axis=1)] == test.y)
        chosen.append(leave_one_out_weight(model, counts))
        for k in blended:
            weight = chosen[-1] if k == "leave-one-out" else k
            predicted = classes[shrunk(proba, classes, test.X, counts, weight).argmax(axis=1)]
            blended[k].append(predicted == test.y)
    seen = np.array([tuple(history) in counts for history in test.X])
    print(
        f"\n=== {title}, names only: {len(test.y):,} test prefixes, {seen.mean():.1%} of them "
        f"histories seen in training ==="
    )
    defaults = np.mean(defaults, axis=0, dtype=float)
    print(f"  {f'best Markov chain (order {best})':<24} {interval_text(markov[best], groups)}")
    print(f"  {'defaults':<24} {interval_text(defaults, groups)}")
    print(f"  k by leave-one-out on training, per seed: {', '.join(f'{k:g}' for k in chosen)}")
    for k, correct in blended.items():
        correct = np.mean(correct, axis=0, dtype=float)
        label = f"shrunk, k = {k if isinstance(k, str) else format(k, 'g')}"
        print(
            f"  {label:<24} {interval_text(correct, groups)}  - defaults "
            f"{difference_text(correct - defaults, groups)}  - Markov "
            f"{difference_text(correct - markov[best], groups)}",
            flush=True,
        )


def synthetic_limit(prior_weight=20.0):
    """``bench_at_limit.py``'s protocol: the gaps to the Bayes limit, blended or not."""
    print(
        "\n=== MarkovMemorySampler, 8,000 training and 2,000 test chains of 20 events: "
        "model - limit, top-1 accuracy / log-loss (nats) ==="
    )
    for m in GRID:
        X, y, X_test, y_test, sampler = limit_data(m, 8000, 2000)
        model = NextEventClassifier(random_state=0, history_counts=None).fit(X, y)
        counts = outcome_counts(X, y)
        chosen = leave_one_out_weight(model, counts)
        classes, proba = model.classes_, model.predict_proba(X_test)
        oracle = BayesOracleClassifier(sampler).fit(X, y)
        rows = {
            "limit": (oracle.predict_proba(X_test), oracle.classes_),
            "defaults": (proba, classes),
        }
        for name, weight in (
            (f"k = {prior_weight:g}", prior_weight),
            (f"k = {chosen:.4g} (leave-one-out)", chosen),
        ):
            rows[name] = (shrunk(proba, classes, X_test, counts, weight), classes)
        scores = {name: top1_and_log_loss(y_test, *row) for name, row in rows.items()}
        gaps = [
            f"{name} {top1 - scores['limit'][0]:+.4f} / {loss - scores['limit'][1]:+.4f}"
            for name, (top1, loss) in scores.items()
            if name != "limit"
        ]
        seen = np.mean([tuple(history) in counts for history in X_test])
        print(f"  m = {m:.1f}, {seen:.0%} seen: {'; '.join(gaps)}", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_data_argument(parser)
    parser.add_argument("--logs", nargs="+", choices=list(LOGS), default=list(LOGS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--prior-weights", type=float, nargs="+", default=list(PRIOR_WEIGHTS))
    parser.add_argument(
        "--synthetic", action="store_true", help="also the synthetic limit (about 8 minutes)"
    )
    args = parser.parse_args(argv)
    if args.synthetic:
        synthetic_limit()
    if missing("bench_history_counts.py", args.data):
        return
    for key in args.logs:
        one_log(key, args.data, args.seeds, args.prior_weights)


if __name__ == "__main__":
    main()
