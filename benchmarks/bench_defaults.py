"""The default NextEventClassifier on every open real set, each figure with its interval.

Issue 13 asks that the defaults, with ``random_state`` only, hold their own on every
real set at hand, and that every figure come with its uncertainty. This script fits
``NextEventClassifier(random_state=0)`` and the best simple baselines, and prints from
one run, beside the references:

- **MovieLens-100k**, RecBole's protocol as ``bench_movielens.py`` computes it
  (leave-last-out per user, all items ranked, no masking): Hit@10 and MRR@10, with
  95% intervals over users, and the training time. Targets: Hit@10 >= 0.19, MRR@10
  >= 0.068, training <= 120 s.
- **Helpdesk** and **BPI Challenge 2013 closed problems**, event names only, the
  protocol of ``../shared/data/process_logs/README.md`` (fit on train+val, every test
  prefix, end of case included): accuracy with 95% intervals over test cases, against
  the best Markov chain and the README's plain-LSTM figure, and the paired difference
  with the best Markov chain. A difference whose interval holds 0 is a tie.

The synthetic limit and the speed targets have their own scripts
(``bench_at_limit.py``, ``bench_classifier.py``). Run:
``python benchmarks/bench_defaults.py [--skip-movielens]``.
"""

import argparse
import os
import time

import numpy as np
from bench_movielens import DEFAULT_CACHE, fetch_ml100k, load_ratings
from bench_process_logs import LOGS, REFERENCE, load, samples

from sklearn_seqlstm import (
    MarkovChainClassifier,
    NextEventClassifier,
    bootstrap_interval,
    leave_last_out_split,
)
from sklearn_seqlstm.metrics._scoring import _true_event_ranks

N_BOOTSTRAP = 1000


def interval_text(values, groups, seed=0):
    estimate, low, high, _ = bootstrap_interval(
        values, groups, n_resamples=N_BOOTSTRAP, random_state=seed
    )
    return f"{estimate:.4f} [{low:.4f}, {high:.4f}]"


def movielens(cache_dir):
    ratings = load_ratings(fetch_ml100k(cache_dir))
    train, _, test = leave_last_out_split(
        ratings, sequence_col="user_id", order_col="timestamp", event_col="item_id"
    )
    print(
        f"\n=== MovieLens-100k, leave-last-out: {len(train.y):,} training samples, "
        f"{len(test.y)} test users ==="
    )
    print(f"{'model':<36} {'Hit@10':<26} {'MRR@10':<26} training")
    models = {
        "Markov order 1 (popularity back-off)": MarkovChainClassifier(order=1),
        "NextEventClassifier(random_state=0)": NextEventClassifier(random_state=0),
    }
    results = {}
    for name, model in models.items():
        start = time.perf_counter()
        model.fit(train.X, train.y)
        seconds = time.perf_counter() - start
        ranks, _ = _true_event_ranks(test.y, model.predict_proba(test.X), model.classes_)
        hits = (ranks <= 10).astype(float)
        rr = np.where(ranks <= 10, 1.0 / ranks, 0.0)
        results[name] = (hits, rr, seconds)
        # One test sample per user: users are the groups.
        print(
            f"{name:<36} {interval_text(hits, test.groups):<26} "
            f"{interval_text(rr, test.groups):<26} {seconds:.1f} s",
            flush=True,
        )
    hits, rr, seconds = results["NextEventClassifier(random_state=0)"]
    print("references: bench_movielens.py's tuned settings, Hit@10 0.192, MRR@10 0.068, 48 s")
    for text, ok in [
        ("Hit@10 >= 0.19", hits.mean() >= 0.19),
        ("MRR@10 >= 0.068", rr.mean() >= 0.068),
        ("training <= 120 s", seconds <= 120),
    ]:
        print(f"target, defaults {text}: {'MET' if ok else 'MISSED'}")


def process_log(key):
    prefix, title, _, _ = LOGS[key]
    train_log, test_log = load(prefix)
    train, test = samples(train_log), samples(test_log)
    print(
        f"\n=== {title}, event names only: {len(train.y):,} training samples, "
        f"{len(test.y):,} test prefixes in {len(set(test.groups)):,} cases ==="
    )
    correct = {}
    for name, model in [
        *((f"Markov order {k}", MarkovChainClassifier(order=k)) for k in (1, 2, 3)),
        ("NextEventClassifier(random_state=0)", NextEventClassifier(random_state=0)),
    ]:
        start = time.perf_counter()
        model.fit(train.X, train.y)
        seconds = time.perf_counter() - start
        correct[name] = (np.asarray(model.predict(test.X)) == test.y).astype(float)
        print(
            f"{name:<36} {interval_text(correct[name], test.groups):<26} fit {seconds:6.1f} s",
            flush=True,
        )
    lstm = correct.pop("NextEventClassifier(random_state=0)")
    best = max(correct, key=lambda name: correct[name].mean())
    plain_lstm = REFERENCE[key].get("LSTM events only")
    print(f"README reference, plain PyTorch LSTM on activity names: {plain_lstm}")
    paired = bootstrap_interval(
        lstm - correct[best], test.groups, n_resamples=N_BOOTSTRAP, random_state=0
    )
    verdict = "a tie" if paired.low <= 0 <= paired.high else "significant"
    print(
        f"defaults - {best} (best Markov), paired: {paired.estimate:+.4f} "
        f"[{paired.low:+.4f}, {paired.high:+.4f}]: {verdict}"
    )
    at_least_markov = lstm.mean() >= correct[best].mean()
    print(f"target, defaults >= best Markov: {'MET' if at_least_markov else 'MISSED'}")
    if plain_lstm is not None:
        ok = lstm.mean() >= plain_lstm
        print(f"target, defaults >= plain LSTM {plain_lstm}: {'MET' if ok else 'MISSED'}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache-dir", default=DEFAULT_CACHE)
    parser.add_argument("--skip-movielens", action="store_true")
    args = parser.parse_args(argv)
    print(
        f"bench_defaults: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}, "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}"
    )
    for key in LOGS:
        process_log(key)
    if not args.skip_movielens:
        from pathlib import Path

        movielens(Path(args.cache_dir))


if __name__ == "__main__":
    main()
