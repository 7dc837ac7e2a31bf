"""The rest of a case: the LSTM's most likely suffix against a Markov chain's, on process logs.

Run with ``OMP_NUM_THREADS=1 python benchmarks/bench_suffix.py`` (``--logs helpdesk``
for one log, ``--seeds 0 1 2`` for more seeds, ``--data DIR`` for the logs' folder).

Data: the ordered train / val / test splits of Rama-Maneiro et al. (2021), public in
the GitHub repository ``ERamaM/ProcessMiningDatasets`` (``CSV/splits/``); by default
read from ``../shared/data/process_logs/`` beside the repository, or from ``--data``
or the ``SEQLSTM_PROCESS_LOGS`` environment variable.

Protocol (suffix prediction, as in Tax et al. 2017): models are fitted on train+val,
events only, with the end-of-case token as the target after a case's last event. For
every prefix of every test case (the whole case included, whose true suffix is
empty), each model decodes its most likely rest greedily, one event at a time, until
it predicts the end of the case (at most as many events as the longest training
case). The score of a prefix is the normalised Damerau-Levenshtein similarity
(rapidfuzz) between the predicted and the true suffix, end token excluded: 1 for a
perfect suffix, 0 for nothing in common. The figure of a model is the mean over
prefixes, with a 95% interval from 1,000 bootstrap resamples of test cases; the
LSTM - Markov difference is paired on the same prefixes and resamples.

Target: on each log the LSTM (``NextEventClassifier(random_state=seed)``, greedy
``predict_suffix``) at least matches the best Markov chain of order 1 to 3: the upper
bound of the paired difference's interval is at least 0.
"""

import argparse
import os
import time
import warnings

import numpy as np
import pandas as pd
from _logs import add_data_argument, missing

from sklearn_seqlstm import (
    MarkovChainClassifier,
    NextEventClassifier,
    bootstrap_interval,
    samples_from_log,
)

END = "[END]"
CASE, ACTIVITY, TIME = "case:concept:name", "concept:name", "time:timestamp"
LOGS = {
    "helpdesk": ("Helpdesk", "Helpdesk"),
    "bpi13": ("BPI_Challenge_2013_closed_problems", "BPI Challenge 2013 closed problems"),
    "bpi12a": ("BPI_Challenge_2012_A", "BPI Challenge 2012 A"),
    "bpi12o": ("BPI_Challenge_2012_O", "BPI Challenge 2012 O"),
}
N_BOOTSTRAP = 1000


def load(data, prefix):
    """train+val and test event logs of one log."""
    read = lambda part: pd.read_csv(data / f"{prefix}_{part}.csv")  # noqa: E731
    return pd.concat([read("train"), read("val")], ignore_index=True), read("test")


def samples(frame):
    # A one-event case gives its end-of-case sample only; samples_from_log warns.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return samples_from_log(
            frame, sequence_col=CASE, order_col=TIME, event_col=ACTIVITY, end_event=END
        )


def greedy_suffixes(model, histories, max_steps):
    """Greedy suffixes of a model with ``predict_proba``, every history at once per step."""
    current = [list(h) for h in histories]
    suffixes = [[] for _ in current]
    live = np.arange(len(current))
    for _ in range(max_steps):
        if not len(live):
            break
        proba = model.predict_proba([current[i] for i in live.tolist()])
        labels = model.classes_[np.argmax(proba, axis=1)]
        still = []
        for i, label in zip(live.tolist(), labels.tolist(), strict=True):
            suffixes[i].append(label)
            if label != END:
                current[i].append(label)
                still.append(i)
        live = np.array(still, dtype=np.int64)
    return suffixes


def similarity(predicted, true):
    # rapidfuzz is in the bench extra: imported here, so that without the logs the
    # script can say where to get them whatever is installed.
    from rapidfuzz.distance import DamerauLevenshtein

    predicted = [e for e in predicted if e != END]
    if not predicted and not true:
        return 1.0
    return DamerauLevenshtein.normalized_similarity(predicted, list(true))


def interval_text(values, groups, seed, sign=""):
    """'estimate [low, high]' of the mean over prefixes, resampling whole cases."""
    estimate, low, high, _ = bootstrap_interval(
        values, groups, n_resamples=N_BOOTSTRAP, random_state=seed
    )
    return f"{estimate:{sign}.4f} [{low:{sign}.4f}, {high:{sign}.4f}]", low, high


def run_log(data, key, seeds):
    prefix, name = LOGS[key]
    train, test = load(data, prefix)
    X, y, _ = samples(train)
    X_test, _, _ = samples(test)
    truths = [
        X_test.sequences[s][n:]
        for s, n in zip(X_test.sequence_index.tolist(), X_test.lengths.tolist(), strict=True)
    ]
    groups = X_test.sequence_index
    max_steps = max(map(len, X.sequences)) + 1
    print(
        f"\n=== {name}: {len(X):,} training samples, {len(X_test):,} test prefixes in "
        f"{len(X_test.sequences):,} cases; suffixes of at most {max_steps} events ==="
    )
    scores = {}
    for order in (1, 2, 3):
        start = time.perf_counter()
        markov = MarkovChainClassifier(order=order).fit(X, y)
        predicted = greedy_suffixes(markov, list(X_test), max_steps)
        scores[f"Markov order {order}"] = np.array(
            [similarity(p, t) for p, t in zip(predicted, truths, strict=True)]
        )
        text, _, _ = interval_text(scores[f"Markov order {order}"], groups, 0)
        print(f"{'Markov order ' + str(order):36s} {text}   {time.perf_counter() - start:6.1f} s")
    best = max((k for k in scores), key=lambda k: scores[k].mean())
    met = True
    for seed in seeds:
        start = time.perf_counter()
        clf = NextEventClassifier(random_state=seed).fit(X, y)
        fitted = time.perf_counter() - start
        predicted = clf.predict_suffix(X_test, max_steps, stop_event=END)
        decode = time.perf_counter() - start - fitted
        lstm = np.array([similarity(p, t) for p, t in zip(predicted, truths, strict=True)])
        label = f"NextEventClassifier(random_state={seed})"
        text, _, _ = interval_text(lstm, groups, seed)
        print(f"{label:36s} {text}   fit {fitted:5.1f} s, suffixes {decode:5.1f} s")
        text, low, high = interval_text(lstm - scores[best], groups, seed, sign="+")
        verdict = "LSTM ahead" if low > 0 else "Markov ahead" if high < 0 else "a tie"
        print(f"  LSTM - {best} (best Markov), paired: {text}: {verdict}")
        met &= high >= 0
    print(
        f"target, LSTM suffixes at least match the best Markov chain: {'MET' if met else 'MISSED'}"
    )
    return met


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logs", nargs="+", choices=list(LOGS), default=list(LOGS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    add_data_argument(parser)
    args = parser.parse_args(argv)
    if missing("bench_suffix", args.data):
        return 0
    print(f"load average: {os.getloadavg()[0]:.2f}")
    results = {key: run_log(args.data, key, args.seeds) for key in args.logs}
    missed = [key for key, met in results.items() if not met]
    print(f"\nall logs: {'MET' if not missed else 'MISSED on ' + ', '.join(missed)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
