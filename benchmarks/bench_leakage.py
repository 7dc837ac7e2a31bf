"""Is the process-log benchmark fair? Leakage, the lookup baseline and a fitted theory.

Run with ``OMP_NUM_THREADS=1 python benchmarks/bench_leakage.py`` (``--logs helpdesk``
for one log only; ``--data DIR`` to read the logs from elsewhere).

Data: the ordered train / val / test splits of Rama-Maneiro et al. (2021), public in
the GitHub repository ``ERamaM/ProcessMiningDatasets`` (``CSV/splits/``); by default
read from ``../shared/data/process_logs/`` relative to the repository root, or from
the folder in the ``SEQLSTM_PROCESS_LOGS`` environment variable.

Protocol of ``bench_process_logs.py``: models fitted on train+val, scored on every
prefix of every test case, the end of the case (``[END]``) included. For each log:

- ``leakage_report``: the share of test histories that a training case begins with,
  of whole test cases that are training cases, and of test samples (history and next
  event) that occur in training;
- accuracy, with a 95% interval from 1,000 bootstrap resamples of the test cases, of
  Markov chains of order 1 to 3, of ``PrefixLookupClassifier`` (look the history up,
  back off to Markov order 1) and of the memory process fitted to the training cases
  (``MarkovMemorySampler.from_histories``, scored through ``BayesOracleClassifier``),
  with its fitted ``memory_influence``;
- the accuracy of each model on the test samples whose history was seen in training
  and on the others.
"""

import argparse
import time
import warnings

import numpy as np
import pandas as pd
from _logs import add_data_argument, missing

from sklearn_seqlstm import (
    BayesOracleClassifier,
    MarkovChainClassifier,
    MarkovMemorySampler,
    PrefixLookupClassifier,
    bootstrap_interval,
    leakage_report,
    samples_from_log,
)

END = "[END]"
CASE, ACTIVITY, TIME = "case:concept:name", "concept:name", "time:timestamp"
LOGS = {
    "helpdesk": "Helpdesk",
    "bpi13": "BPI_Challenge_2013_closed_problems",
    "bpi12a": "BPI_Challenge_2012_A",
    "bpi12o": "BPI_Challenge_2012_O",
}


def samples(frame):
    with warnings.catch_warnings():  # one-event cases give only their end sample
        warnings.simplefilter("ignore", UserWarning)
        return samples_from_log(
            frame, sequence_col=CASE, order_col=TIME, event_col=ACTIVITY, end_event=END
        )


def run_log(key, data):
    read = lambda part: pd.read_csv(data / f"{LOGS[key]}_{part}.csv")  # noqa: E731
    train = pd.concat([read("train"), read("val")], ignore_index=True)
    test = read("test")
    X_train, y_train, _ = samples(train)
    X_test, y_test, groups = samples(test)
    report = leakage_report(X_train, X_test, y_train=y_train, y_test=y_test)
    print(f"\n== {key}: {len(X_train)} training samples, {len(X_test)} test samples")
    print(report)

    # The history of each test sample, seen in training or not.
    seen = np.array([node >= 0 for node in _seen_nodes(X_train, y_train, X_test)], dtype=bool)
    events = sorted(set(train[ACTIVITY]) | set(test[ACTIVITY])) + [END]
    cases = [(*case, END) for case in X_train.used_sequences() if len(case)]
    start = time.perf_counter()
    theory = MarkovMemorySampler.from_histories(cases, events=events)
    print(
        f"fitted theory: memory_influence {theory.memory_influence:.3f} "
        f"({time.perf_counter() - start:.2f} s)"
    )
    models = {f"Markov order {k}": MarkovChainClassifier(order=k) for k in (1, 2, 3)}
    models["PrefixLookup"] = PrefixLookupClassifier()
    models["fitted theory"] = BayesOracleClassifier(theory)
    header = f"{'model':<16} {'accuracy [95% interval]':<28} {'seen':>7} {'unseen':>7}"
    print(header)
    for name, model in models.items():
        model.fit(X_train, y_train)
        hits = (model.predict(X_test) == y_test).astype(float)
        interval = bootstrap_interval(hits, groups, random_state=0)
        on_seen = hits[seen].mean() if seen.any() else float("nan")
        on_unseen = hits[~seen].mean() if (~seen).any() else float("nan")
        print(f"{name:<16} {interval!s:<28} {on_seen:>7.3f} {on_unseen:>7.3f}")


def _seen_nodes(X_train, y_train, X_test):
    from sklearn_seqlstm.histories._prefix_trie import PrefixTrie, whole_sequences

    trie = PrefixTrie()
    trie.add(whole_sequences(X_train, y_train)[0])
    return trie.nodes(X_test).tolist()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logs", nargs="+", choices=sorted(LOGS), default=list(LOGS))
    add_data_argument(parser)
    args = parser.parse_args(argv)
    if missing("bench_leakage", args.data):
        return
    for key in args.logs:
        run_log(key, args.data)


if __name__ == "__main__":
    main()
