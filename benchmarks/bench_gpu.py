"""Training throughput on a GPU (or the CPU): float32 against bfloat16, two vocabularies.

For the seed's case, a log of about 6 million events in 50,000 sequences (issue 14),
at a vocabulary of 160 events and of 10,000, this script trains one epoch of
``NextEventClassifier`` in float32 and in bfloat16 mixed precision
(``precision="bfloat16"``) and prints events/s, the time of the epoch and the peak
memory: the GPU's (``torch.cuda.max_memory_allocated``) on CUDA, the process's peak
RSS on the CPU. Ratios are measured side by side in one run.

Run on a GPU machine: ``python benchmarks/bench_gpu.py``. On a CPU, to check that it
runs: ``python benchmarks/bench_gpu.py --device cpu --events 200000``.
"""

import argparse
import resource
import time

import torch

from sklearn_seqlstm import MarkovMemorySampler, NextEventClassifier, samples_from_log

PRECISIONS = ("float32", "bfloat16")


def peak_memory_gb(device):
    if device.startswith("cuda"):
        return torch.cuda.max_memory_allocated() / 1024**3
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # kB on Linux


def make_log(n_events, n_vocabulary):
    """A synthetic log of about ``n_events`` events, 60 to 180 per sequence."""
    events = [f"e{i:05d}" for i in range(n_vocabulary)]
    sampler = MarkovMemorySampler(
        events=events, transitions={}, memory_influence=0.5, random_state=0
    )
    n_sequences = max(1, round(n_events / 120))
    return sampler.sample_frame(n_sequences, (60, 180))


def one_epoch(X, y, device, precision, batch_size):
    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    model = NextEventClassifier(
        max_epochs=1,
        early_stopping=False,
        batch_size=batch_size,
        device=device,
        precision=precision,
        random_state=0,
    )
    start = time.perf_counter()
    model.fit(X, y)
    return {
        "fit (s)": time.perf_counter() - start,
        "epoch (s)": model.net_.history[-1, "dur"],
        "peak memory (GB)": peak_memory_gb(device),
        "loss": model.net_.history[-1, "train_loss"],
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--events", type=int, default=6_000_000)
    parser.add_argument("--vocabularies", type=int, nargs="+", default=[160, 10_000])
    parser.add_argument("--batch-size", type=int, default=256)
    args = parser.parse_args(argv)
    name = torch.cuda.get_device_name(args.device) if args.device.startswith("cuda") else "CPU"
    print(f"bench_gpu: torch {torch.__version__}, device {args.device} ({name})")
    memory = "GPU memory" if args.device.startswith("cuda") else "peak RSS (process)"
    for n_vocabulary in args.vocabularies:
        log = make_log(args.events, n_vocabulary)
        X, y, _ = samples_from_log(
            log, sequence_col="sequence_id", order_col="position", event_col="event"
        )
        print(f"\n{len(log):,} events, {n_vocabulary:,}-event vocabulary, batch {args.batch_size}")
        print(f"  {'precision':<10} {'events/s':>12} {'epoch (s)':>10} {memory:>20} {'loss':>8}")
        rows = {}
        for precision in PRECISIONS:
            try:
                row = rows[precision] = one_epoch(X, y, args.device, precision, args.batch_size)
            except ValueError as refusal:  # a device that cannot run bfloat16
                print(f"  {precision:<10} refused: {refusal}")
                continue
            print(
                f"  {precision:<10} {len(log) / row['epoch (s)']:>12,.0f} "
                f"{row['epoch (s)']:>10.1f} {row['peak memory (GB)']:>17.2f} GB "
                f"{row['loss']:>8.4f}",
                flush=True,
            )
        if len(rows) == len(PRECISIONS):
            speed_up = rows["float32"]["epoch (s)"] / rows["bfloat16"]["epoch (s)"]
            print(f"  bfloat16 speed-up: {speed_up:.2f}x")


if __name__ == "__main__":
    main()
