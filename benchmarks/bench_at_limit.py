"""NextEventClassifier with default hyperparameters against the Bayes limit.

For each memory influence m = 0, 0.1, ..., 1: sample 8,000 training chains of 20
events from MarkovMemorySampler (default map), fit NextEventClassifier with its
defaults on every (history, next event) pair, and test on 2,000 fresh chains.
The reference on the same test pairs is the exact next-event distribution
(``next_event_proba``), the best any model can do.

Target: at every m, top-1 accuracy within 0.005 of the limit's, and mean
log-loss within 0.01 nats of the limit's.

Run: OMP_NUM_THREADS=1 python benchmarks/bench_at_limit.py [--quick]
"""

import argparse
import time

import numpy as np

from sklearn_seqlstm import (
    BayesOracleClassifier,
    MarkovMemorySampler,
    NextEventClassifier,
    top_k_accuracy,
)
from sklearn_seqlstm.metrics._scoring import _log_loss

TOP1_TOLERANCE = 0.005
LOG_LOSS_TOLERANCE = 0.01
GRID = np.round(np.linspace(0, 1, 11), 1)
LENGTH = 20


def limit_data(m, n_train, n_test):
    """Training and test samples at memory influence ``m``, and the test chains' sampler."""
    X_train, y_train, _ = MarkovMemorySampler(memory_influence=m, random_state=1).make_dataset(
        n_train, LENGTH
    )
    sampler = MarkovMemorySampler(memory_influence=m, random_state=2)
    X_test, y_test, _ = sampler.make_dataset(n_test, LENGTH)
    return X_train, y_train, X_test, y_test, sampler


def top1_and_log_loss(y_true, proba, classes):
    """The scorers' top-1 accuracy and mean log-loss: an event the model never saw in
    training is a miss, with probability 1e-15 in the log-loss."""
    return (
        top_k_accuracy(y_true, proba, classes=classes, k=1),
        _log_loss(y_true, proba, classes=classes, eps=1e-15) + 0.0,  # no "-0.0000"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="a small smoke run (the target is for the full size)"
    )
    args = parser.parse_args()
    n_train, n_test = (800, 200) if args.quick else (8000, 2000)
    grid = [0.0, 0.5, 1.0] if args.quick else GRID

    print(f"{n_train} training chains and {n_test} test chains of 20 events, defaults")
    header = (
        f"{'m':>4} | {'limit top-1':>11} {'model top-1':>11} {'gap':>7} | "
        f"{'limit logloss':>13} {'model logloss':>13} {'gap':>7} | {'epochs':>6} {'fit s':>6}"
    )
    print(header)
    print("-" * len(header))
    failures = []
    for m in grid:
        X_train, y_train, X_test, y_test, sampler = limit_data(m, n_train, n_test)

        start = time.perf_counter()
        model = NextEventClassifier(random_state=0).fit(X_train, y_train)
        fit_seconds = time.perf_counter() - start
        oracle = BayesOracleClassifier(sampler).fit(X_train, y_train)

        scores = {
            name: top1_and_log_loss(y_test, estimator.predict_proba(X_test), estimator.classes_)
            for name, estimator in (("limit", oracle), ("model", model))
        }
        (limit_acc, limit_ll), (model_acc, model_ll) = scores["limit"], scores["model"]
        acc_gap, ll_gap = model_acc - limit_acc, model_ll - limit_ll
        ok = acc_gap >= -TOP1_TOLERANCE and ll_gap <= LOG_LOSS_TOLERANCE
        if not ok:
            failures.append(m)
        print(
            f"{m:4.1f} | {limit_acc:11.4f} {model_acc:11.4f} {acc_gap:+7.4f} | "
            f"{limit_ll:13.4f} {model_ll:13.4f} {ll_gap:+7.4f} | {model.n_epochs_:6d} "
            f"{fit_seconds:6.1f}{'' if ok else '  <- misses the target'}",
            flush=True,
        )
    verdict = "PASS" if not failures else f"FAIL at m = {failures}"
    print(
        f"\ntarget: top-1 within {TOP1_TOLERANCE} and log-loss within {LOG_LOSS_TOLERANCE} "
        f"nats of the limit at every m: {verdict}"
    )


if __name__ == "__main__":
    main()
