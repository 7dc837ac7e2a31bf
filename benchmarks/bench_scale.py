"""Scale: an event log of 6 million events, 50,000 sequences and 160 distinct events.

The log is made with MarkovMemorySampler (160 events, uniform transitions,
memory influence 0.5, sequence lengths 60..180, about 120 on average) and written to
a CSV file. The script reads it back, turns it into every (history, next event)
sample with samples_from_log (as PrefixHistories: prefixes are never materialised),
and NextEventClassifier trains for a given number of epochs.
The script prints the time and the peak memory (RSS) after each stage, and the
time per epoch. Goal: one epoch in at most 2 minutes on 2 cores, peak memory
within a few GB.

Run: python benchmarks/bench_scale.py [--n-sequences 50000] [--epochs 1] [--threads 1]
"""

import argparse
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from sklearn_seqlstm import MarkovMemorySampler, NextEventClassifier, samples_from_log


def peak_rss_gb():
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-sequences", type=int, default=50_000)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (num_threads)")
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()

    stages = []
    # torch imports its compiler stack when the first optimizer is built (about 5 s,
    # once per process); a tiny fit first keeps that out of the figures below.
    NextEventClassifier(max_epochs=1).fit([["a"], ["b"]], ["b", "a"])

    def stage(name, start):
        seconds = time.perf_counter() - start
        stages.append((name, seconds))
        print(f"{name:<44} {seconds:8.1f} s   peak RSS {peak_rss_gb():5.2f} GB", flush=True)

    start = time.perf_counter()
    events = [f"model_{i:03d}" for i in range(160)]
    sampler = MarkovMemorySampler(
        events=events, transitions={}, memory_influence=0.5, random_state=0
    )
    log = sampler.sample_frame(args.n_sequences, (60, 180))
    stage(f"sample the log ({len(log):,} events)", start)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.csv"
        log.sample(frac=1, random_state=0).to_csv(path, index=False)  # rows in any order
        del log

        start = time.perf_counter()
        log = pd.read_csv(path)
        stage(f"load {path.name} ({path.stat().st_size / 1e6:.0f} MB)", start)

    start = time.perf_counter()
    X, y, groups = samples_from_log(
        log, sequence_col="sequence_id", order_col="position", event_col="event"
    )
    stage(f"log -> {len(y):,} samples ({type(X).__name__})", start)

    model = NextEventClassifier(
        max_epochs=args.epochs,
        early_stopping=False,
        batch_size=args.batch_size,
        num_threads=args.threads,
        random_state=0,
    )
    start = time.perf_counter()
    model.fit(X, y)
    fit_seconds = time.perf_counter() - start
    epoch_seconds = [row["dur"] for row in model.net_.history]
    stage("fit: check, encode, build chains, train", start)

    n_events = len(log)
    print()
    print(f"events: {n_events:,}; sequences: {args.n_sequences:,}; classes: {len(model.classes_)}")
    print(f"fit preprocessing (check, encode, chains): {fit_seconds - sum(epoch_seconds):.1f} s")
    for i, seconds in enumerate(epoch_seconds, 1):
        print(f"epoch {i}: {seconds:.1f} s = {n_events / seconds:,.0f} events/s")
    print(f"train loss per epoch: {np.round(model.net_.history[:, 'train_loss'], 4).tolist()}")
    print(f"peak RSS: {peak_rss_gb():.2f} GB")
    goal = max(epoch_seconds) <= 120
    print(f"goal, one epoch in at most 2 minutes: {'PASS' if goal else 'FAIL'}")


if __name__ == "__main__":
    main()
