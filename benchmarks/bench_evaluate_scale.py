"""``seqlstm evaluate`` on a log of MovieLens-100k's size: wall time and peak memory.

Run with ``OMP_NUM_THREADS=1 python benchmarks/bench_evaluate_scale.py``.

The command runs as a user runs it, in a process of its own
(``python -m sklearn_seqlstm evaluate ...``), with its default models, then with
each model alone, so that the row of a model that needs much memory does not hide
the others'. Each run reports its wall time, its CPU time (user + system: on a
shared machine the wall time counts the other processes' turns too) and its peak
resident memory (``ru_maxrss`` of the child, as ``/usr/bin/time -v`` gives it).
The target: every run within 10 minutes and 2 GB.

Data. By default, a synthetic log of ML-100k's shape, made here: 943 users, 1,682
items with Zipf-like popularity, 100,000 events, history lengths drawn like
ML-100k's (20 to 737, mean 106). With ``--movielens``, the real ml-100k.inter,
cached by ``bench_movielens.py`` (which downloads it from the recbole wheel on
PyPI); the MovieLens licence forbids redistribution: never commit the data.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

MODELS = ["lstm", "markov1", "markov2", "markov3", "logistic", "popularity"]
COLUMNS = ["--sequence-col", "user", "--order-col", "timestamp", "--event-col", "item"]
#: Minutes and GB each run should stay within.
TARGET_MINUTES, TARGET_GB = 10, 2


def synthetic_log(n_users=943, n_items=1682, n_events=100_000, seed=0):
    """A log of ML-100k's shape: Zipf-like item popularity, lognormal history lengths.

    No user meets an item twice, as nobody rates a film twice.
    """
    rng = np.random.RandomState(seed)
    lengths = rng.lognormal(mean=4.1, sigma=0.95, size=n_users)
    lengths = np.clip(np.round(lengths * n_events / lengths.sum()), 20, 737).astype(int)
    popularity = 1.0 / np.arange(1, n_items + 1) ** 0.9
    popularity /= popularity.sum()
    frames = []
    for user, length in enumerate(lengths):
        items = rng.choice(n_items, size=min(length, n_items), replace=False, p=popularity)
        start = 874_724_710 + int(rng.randint(0, 200 * 86400))
        times = start + np.sort(rng.randint(0, 60 * 86400, size=len(items)))
        frames.append(pd.DataFrame({"user": user, "item": items, "timestamp": times}))
    return pd.concat(frames, ignore_index=True)


def movielens_log(cache_dir):
    from bench_movielens import fetch_ml100k, load_ratings

    ratings = load_ratings(fetch_ml100k(cache_dir))
    return ratings.rename(columns={"user_id": "user", "item_id": "item"})[
        ["user", "item", "timestamp"]
    ]


def run_evaluate(path, models, output):
    """Run the command in a child process: (exit status, wall s, CPU s, peak GB, last line)."""
    command = [sys.executable, "-m", "sklearn_seqlstm", "evaluate", str(path), *COLUMNS]
    command += ["--output", str(output), "--overwrite", "--no-progress"]
    if models:
        command += ["--models", *models]
    environment = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as log:
        child = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=environment)
        try:
            _, status, usage = os.wait4(child.pid, 0)
        except KeyboardInterrupt:
            child.kill()
            raise
        wall = time.perf_counter() - start
        log.seek(0)
        lines = [line.rstrip() for line in log if line.strip()]
    status = os.waitstatus_to_exitcode(status)
    peak_gb = usage.ru_maxrss * 1024 / 1e9  # kilobytes on Linux
    return status, wall, usage.ru_utime + usage.ru_stime, peak_gb, lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--movielens", action="store_true", help="the real ml-100k.inter")
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(
            os.environ.get("SKLEARN_SEQLSTM_CACHE", Path.home() / ".cache" / "sklearn-seqlstm")
        ),
    )
    parser.add_argument(
        "--runs",
        nargs="+",
        default=["default", *MODELS],
        help="'default' (the command's default models) and single models (default: all)",
    )
    args = parser.parse_args(argv)
    frame = movielens_log(args.cache_dir) if args.movielens else synthetic_log()
    source = "MovieLens-100k" if args.movielens else "synthetic log of ML-100k's shape"
    print(
        f"{source}: {len(frame):,} events, {frame['user'].nunique():,} users, "
        f"{frame['item'].nunique():,} items; seqlstm evaluate, leave-last-out",
        flush=True,
    )
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.csv"
        frame.to_csv(path, index=False)
        for run in args.runs:
            models = None if run == "default" else [run]
            status, wall, cpu, peak, lines = run_evaluate(path, models, Path(folder) / run)
            shown = ("Skipped ", "Logistic", "error: ")
            bounded = [line for line in lines if line.startswith(shown)]
            rows.append(
                {
                    "models": "default models" if models is None else run,
                    "exit": status,
                    "wall (s)": round(wall, 1),
                    "CPU (s)": round(cpu, 1),
                    "peak (GB)": round(peak, 2),
                    "within target": wall <= 60 * TARGET_MINUTES and peak <= TARGET_GB,
                    "bounded": " / ".join(bounded)[:90] or "-",
                }
            )
            print(rows[-1], flush=True)
            if status != 0:
                print("\n".join(lines[-5:]), flush=True)
    print()
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
