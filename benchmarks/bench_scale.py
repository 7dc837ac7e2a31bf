"""Scale: an event log of 6 million events, 50,000 sequences and 160 distinct events.

The log is made with MarkovMemorySampler (160 events, uniform transitions,
memory influence 0.5, sequence lengths 60..180, about 120 on average) and written to
a CSV file. The script reads it back, turns it into every (history, next event)
sample with samples_from_log (as PrefixHistories: prefixes are never materialised),
and NextEventClassifier trains for a given number of epochs.
The script prints the time and the peak memory (RSS) after each stage, and the
time per epoch. Goal: one epoch in at most 2 minutes on 2 cores, peak memory
within a few GB.

Two variants of the same log (the same sequences of the same events):

- ``plain``: the events only, as above;
- ``attributed``: every event also has a timestamp (each sequence starts on some day
  of 2024, then one event every few seconds to hours), a categorical attribute
  ``agent`` with 50 values and a numeric attribute ``amount``. The CSV is read back
  with the timestamps parsed, the samples come from
  ``samples_from_log(..., time_col="timestamp", event_attributes=["agent", "amount"])``
  (AttributedHistories), and the LSTM uses the time features and both attributes
  (its defaults). Goal: at most 1.5 times the plain variant's time per epoch and
  peak memory.

By default both variants run, one after the other, each in a fresh Python process
(peak RSS is per process and never goes down), and a last table puts them side by
side with the machine's load average (the figures are wall times: a busy machine
slows both).

With ``--parquet``, a log larger than memory instead (issue 14, item 3): a synthetic
log of ``--events`` events (1,000 distinct events, a first-order chain in which each
event has 5 likely successors; sequence lengths 60..180) is written to Parquet in
chunks of 20,000 sequences, never held whole, and NextEventClassifier trains on it
streamed (EventLogFiles, ``--chunk-size`` events per chunk). Beside it, the in-memory
path (pandas.read_parquet, samples_from_log, fit) trains on the first
``--compare-events`` events of the same log (default: all of them up to 6 million).
Each runs in its own process; the table gives time per epoch, time per event and peak
RSS. Goals: streamed peak memory at most 4 GB (the issue's target is at 60 million
events) and time per event within 1.3 times the in-memory path's.

Run: python benchmarks/bench_scale.py [--n-sequences 50000 | --events N] [--epochs 1]
     [--threads 1] [--variant plain|attributed]
     python benchmarks/bench_scale.py --parquet --events 6000000 [--compare-events M]
     [--chunk-size 1000000]
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from sklearn_seqlstm import MarkovMemorySampler, NextEventClassifier, samples_from_log

VARIANTS = ("plain", "attributed")
PARQUET_VARIANTS = ("streamed", "in-memory")
N_DISTINCT = 1_000  # distinct events of the --parquet log
WRITE_SEQUENCES = 20_000  # sequences per chunk written to Parquet
MEAN_LENGTH = 120  # of sequence lengths drawn uniformly in 60..180
RESULT = "RESULT "  # prefix of the line a variant's process reports its figures on


def peak_rss_gb():
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def add_attributes(log):
    """A timestamp, a categorical ``agent`` (50 values) and a numeric ``amount`` per event."""
    rng = np.random.default_rng(1)
    n_sequences = int(log["sequence_id"].max()) + 1
    start = pd.Timestamp("2024-01-01") + pd.to_timedelta(
        rng.integers(0, 366 * 86_400, n_sequences), unit="s"
    )
    log = log.sort_values(["sequence_id", "position"], ignore_index=True)
    gaps = pd.Series(np.exp(rng.uniform(np.log(5), np.log(20_000), len(log))).round())
    seconds = gaps.groupby(log["sequence_id"]).cumsum().to_numpy()
    log["timestamp"] = start[log["sequence_id"].to_numpy()] + pd.to_timedelta(seconds, unit="s")
    agents = np.array([f"agent_{i:02d}" for i in range(50)])
    log["agent"] = agents[rng.integers(0, 50, len(log))]
    log["amount"] = rng.lognormal(3.0, 1.0, len(log)).round(2)
    return log


def run_variant(args, variant):
    stages = []
    # torch imports its compiler stack when the first optimizer is built (about 5 s,
    # once per process); a tiny fit first keeps that out of the figures below.
    NextEventClassifier(max_epochs=1).fit([["a"], ["b"]], ["b", "a"])

    def stage(name, start):
        seconds = time.perf_counter() - start
        stages.append((name, seconds))
        print(f"{name:<46} {seconds:8.1f} s   peak RSS {peak_rss_gb():5.2f} GB", flush=True)

    print(f"--- variant: {variant} ---", flush=True)
    start = time.perf_counter()
    events = [f"model_{i:03d}" for i in range(160)]
    sampler = MarkovMemorySampler(
        events=events, transitions={}, memory_influence=0.5, random_state=0
    )
    log = sampler.sample_frame(args.n_sequences, (60, 180))
    if variant == "attributed":
        log = add_attributes(log)
    stage(f"sample the log ({len(log):,} events)", start)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.csv"
        log.sample(frac=1, random_state=0).to_csv(path, index=False)  # rows in any order
        del log

        start = time.perf_counter()
        if variant == "attributed":
            log = pd.read_csv(path, parse_dates=["timestamp"])
        else:
            log = pd.read_csv(path)
        stage(f"load {path.name} ({path.stat().st_size / 1e6:.0f} MB)", start)

    start = time.perf_counter()
    extra = {}
    if variant == "attributed":
        extra = {"time_col": "timestamp", "event_attributes": ["agent", "amount"]}
    X, y, groups = samples_from_log(
        log, sequence_col="sequence_id", order_col="position", event_col="event", **extra
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
    print(f"goal, one epoch in at most 2 minutes: {'PASS' if goal else 'FAIL'}", flush=True)
    result = {
        "variant": variant,
        "events": n_events,
        "epoch_s": float(np.mean(epoch_seconds)),
        "preprocessing_s": fit_seconds - sum(epoch_seconds),
        "samples_s": dict(stages)[f"log -> {len(y):,} samples ({type(X).__name__})"],
        "peak_rss_gb": peak_rss_gb(),
    }
    print(RESULT + json.dumps(result), flush=True)


def write_parquet_log(folder, n_sequences, seed=0):
    """The synthetic log of --parquet, written in chunks; returns (events, MB written).

    Sequences 0, 1, ... in order, their events by position: sorted as EventLogFiles
    needs. Events follow a first-order chain: with probability 0.8 one of 5 likely
    successors of the previous event, else any of the 1,000.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    successors = rng.integers(0, N_DISTINCT, (N_DISTINCT, 5))
    names = pa.array([f"event_{i:04d}" for i in range(N_DISTINCT)])
    path = Path(folder) / "events.parquet"
    n_events = 0
    schema = pa.schema(
        [("sequence_id", pa.int64()), ("position", pa.int64()), ("event", pa.string())]
    )
    with pq.ParquetWriter(path, schema) as writer:
        for first in range(0, n_sequences, WRITE_SEQUENCES):
            n = min(WRITE_SEQUENCES, n_sequences - first)
            lengths = rng.integers(60, 181, n)
            codes = np.empty((n, 180), dtype=np.int32)
            codes[:, 0] = rng.integers(0, N_DISTINCT, n)
            for t in range(1, 180):
                likely = successors[codes[:, t - 1], rng.integers(0, 5, n)]
                codes[:, t] = np.where(rng.random(n) < 0.8, likely, rng.integers(0, N_DISTINCT, n))
            kept = np.arange(180) < lengths[:, None]
            starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
            events = pa.DictionaryArray.from_arrays(pa.array(codes[kept]), names)
            table = pa.table(
                {
                    "sequence_id": np.repeat(np.arange(first, first + n), lengths),
                    "position": np.arange(int(lengths.sum())) - starts,
                    "event": events.cast(pa.string()),
                },
                schema=schema,
            )
            writer.write_table(table)
            n_events += len(table)
    return n_events, path.stat().st_size / 1e6


def run_parquet_variant(args, variant):
    from sklearn_seqlstm import EventLogFiles

    NextEventClassifier(max_epochs=1).fit([["a"], ["b"]], ["b", "a"])  # see run_variant
    print(f"--- {variant} ---", flush=True)
    columns = {"sequence_col": "sequence_id", "order_col": "position", "event_col": "event"}
    model = NextEventClassifier(
        max_epochs=args.epochs,
        early_stopping=False,
        batch_size=args.batch_size,
        num_threads=args.threads,
        random_state=0,
    )
    start = time.perf_counter()
    if variant == "streamed":
        model.fit(EventLogFiles(args.log_folder, **columns, chunk_size=args.chunk_size))
        n_events = args.events
        read_s = 0.0
    else:
        import pandas as pd

        kept = None  # the whole log, or its first sequences
        if args.compare_events < args.events:
            kept = [("sequence_id", "<", round(args.compare_events / MEAN_LENGTH))]
        log = pd.read_parquet(args.log_folder, filters=kept)
        n_events = len(log)
        X, y, _ = samples_from_log(log, **columns)
        del log
        read_s = time.perf_counter() - start
        print(f"read + samples_from_log: {read_s:.1f} s, peak RSS {peak_rss_gb():.2f} GB")
        model.fit(X, y)
    total = time.perf_counter() - start
    epoch_seconds = [row["dur"] for row in model.net_.history]
    epoch_s = float(np.mean(epoch_seconds))
    print(f"events: {n_events:,}; classes: {len(model.classes_)}")
    print(f"before the first epoch (read, scan/encode, chains): {total - sum(epoch_seconds):.1f} s")
    print(f"time per epoch: {epoch_s:.1f} s = {epoch_s / n_events * 1e6:.2f} us per event")
    print(f"train loss per epoch: {np.round(model.net_.history[:, 'train_loss'], 4).tolist()}")
    print(f"peak RSS: {peak_rss_gb():.2f} GB", flush=True)
    result = {
        "events": n_events,
        "prepare_s": total - sum(epoch_seconds),
        "epoch_s": epoch_s,
        "us_per_event": epoch_s / n_events * 1e6,
        "peak_rss_gb": peak_rss_gb(),
    }
    print(RESULT + json.dumps(result), flush=True)


def parquet_side_by_side(args, argv):
    """Write the log, then the streamed and in-memory fits, each in its own process."""
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        n_events, mb = write_parquet_log(folder, args.n_sequences)
        print(
            f"wrote {n_events:,} events ({mb:.0f} MB of Parquet) in "
            f"{time.perf_counter() - start:.1f} s, peak RSS {peak_rss_gb():.2f} GB",
            flush=True,
        )
        results = {}
        load_before = os.getloadavg()
        for variant in PARQUET_VARIANTS:
            extra = ["--log-folder", folder, "--events", str(n_events)]
            results[variant] = run_in_child(argv, variant, extra, "fit")
        load_after = os.getloadavg()
    streamed, memory = results["streamed"], results["in-memory"]
    print(f"=== streamed vs in memory, {args.epochs} epoch(s), chunk_size {args.chunk_size:,} ===")
    print(f"{'':<34} {'streamed':>12} {'in memory':>12}")
    rows = [
        ("events", "events", "{:>12,}"),
        ("before the first epoch (s)", "prepare_s", "{:>12.1f}"),
        ("time per epoch (s)", "epoch_s", "{:>12.1f}"),
        ("time per event (us)", "us_per_event", "{:>12.2f}"),
        ("peak RSS (GB)", "peak_rss_gb", "{:>12.2f}"),
    ]
    for name, key, form in rows:
        print(f"{name:<34} {form.format(streamed[key])} {form.format(memory[key])}")
    print(
        "load average (1, 5, 15 min) before: "
        + ", ".join(f"{v:.2f}" for v in load_before)
        + "; after: "
        + ", ".join(f"{v:.2f}" for v in load_after)
        + f" on {os.cpu_count()} cores"
    )
    ratio = streamed["us_per_event"] / memory["us_per_event"]
    print(
        f"goal, streamed time per event at most 1.3x in memory: {ratio:.2f}x "
        f"{'PASS' if ratio <= 1.3 else 'FAIL'}"
    )
    ok = streamed["peak_rss_gb"] <= 4
    print(
        f"goal, streamed peak RSS at most 4 GB (at {streamed['events']:,} events): "
        f"{'PASS' if ok else 'FAIL'}"
    )


def run_in_child(argv, variant, extra=(), what="variant"):
    """Run one variant in a fresh process (peak RSS is per process); its result dict.

    The child's output is passed through, but for the line that carries its figures.
    """
    command = [sys.executable, __file__, *argv, "--variant", variant, *extra]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    result = None
    for line in process.stdout:
        if line.startswith(RESULT):
            result = json.loads(line[len(RESULT) :])
        else:
            print(line, end="", flush=True)
    if process.wait() != 0:
        sys.exit(f"The {variant} {what} failed (exit status {process.returncode}).")
    print()
    return result


def side_by_side(args, argv):
    """Each variant in its own process, one after the other; then the comparison."""
    results = {}
    load_before = os.getloadavg()
    for variant in VARIANTS:
        results[variant] = run_in_child(argv, variant)
    load_after = os.getloadavg()
    plain, attributed = results["plain"], results["attributed"]
    print(f"=== side by side, {plain['events']:,} events, {args.epochs} epoch(s) ===")
    print(f"{'':<36} {'plain':>10} {'attributed':>11} {'ratio':>7}")
    rows = [
        ("log -> samples (s)", "samples_s"),
        ("fit preprocessing (s)", "preprocessing_s"),
        ("time per epoch (s)", "epoch_s"),
        ("peak RSS (GB)", "peak_rss_gb"),
    ]
    for name, key in rows:
        ratio = attributed[key] / plain[key] if plain[key] > 0 else float("nan")
        print(f"{name:<36} {plain[key]:>10.2f} {attributed[key]:>11.2f} {ratio:>6.2f}x")
    print(
        "load average (1, 5, 15 min) before: "
        + ", ".join(f"{v:.2f}" for v in load_before)
        + "; after: "
        + ", ".join(f"{v:.2f}" for v in load_after)
        + f" on {os.cpu_count()} cores (a shared machine: other jobs slow both variants)"
    )
    for name, key in [("time per epoch", "epoch_s"), ("peak memory", "peak_rss_gb")]:
        ok = attributed[key] <= 1.5 * plain[key]
        print(f"goal, attributed {name} at most 1.5x plain: {'PASS' if ok else 'FAIL'}")


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-sequences", type=int, default=50_000)
    parser.add_argument(
        "--events",
        type=int,
        default=None,
        help=f"about this many events: sets --n-sequences to events / {MEAN_LENGTH}",
    )
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (num_threads)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument(
        "--variant",
        choices=VARIANTS + PARQUET_VARIANTS,
        default=None,
        help="run one variant only (default: both plain and attributed, or with --parquet "
        "both streamed and in-memory)",
    )
    parser.add_argument(
        "--parquet",
        action="store_true",
        help="write a log of --events events (1,000 distinct) to Parquet and train on it "
        "streamed (EventLogFiles), beside the in-memory path on --compare-events events",
    )
    parser.add_argument("--chunk-size", type=int, default=1_000_000, help="events per chunk")
    parser.add_argument(
        "--compare-events",
        type=int,
        default=None,
        help="events of the in-memory run with --parquet (default: min(--events, 6,000,000))",
    )
    parser.add_argument("--log-folder", help=argparse.SUPPRESS)  # set for the child processes
    args = parser.parse_args(argv)
    if args.events is not None:
        args.n_sequences = max(1, round(args.events / MEAN_LENGTH))
    if args.compare_events is None:
        args.compare_events = min(args.n_sequences * MEAN_LENGTH, 6_000_000)
    if args.variant in PARQUET_VARIANTS:
        run_parquet_variant(args, args.variant)
    elif args.parquet:
        parquet_side_by_side(args, argv)
    elif args.variant is None:
        side_by_side(args, argv)
    else:
        run_variant(args, args.variant)


if __name__ == "__main__":
    main()
