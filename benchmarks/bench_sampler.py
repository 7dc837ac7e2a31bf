"""Throughput of MarkovMemorySampler, against a naive per-chain Python loop.

Run with ``OMP_NUM_THREADS=1 python benchmarks/bench_sampler.py``. Times are the best of
``--repeat`` runs.
"""

import argparse
import random

from _timing import best_time

from sklearn_seqlstm import MarkovMemorySampler


def naive_sample(sampler, n_sequences, length, seed):
    """Sample chains one event at a time: the loop that a tutorial would write."""
    events = sampler.event_labels
    codes = list(range(len(events)))
    rows = sampler.transition_matrix.to_numpy().tolist()
    start = sampler.next_event_proba([[]])[0].tolist()
    memory = sampler.memory_influence
    rng = random.Random(seed)
    chains = []
    for _ in range(n_sequences):
        chain = rng.choices(codes, weights=start)
        for t in range(1, length):
            if rng.random() < memory:
                chain.append(chain[rng.randrange(t)])
            else:
                chain.append(rng.choices(codes, weights=rows[chain[-1]])[0])
        chains.append([events[code] for code in chain])
    return chains


def report(name, amount, unit, seconds):
    print(
        f"{name:<44} {amount:>11,} {unit:<16} {seconds:8.3f} s {amount / seconds:>14,.0f} {unit}/s"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-sequences", type=int, default=100_000)
    parser.add_argument("--length", type=int, default=20)
    parser.add_argument("--varied-length", type=int, nargs=2, default=(5, 35))
    parser.add_argument("--memory-influence", type=float, default=0.4)
    parser.add_argument("--proba-histories", type=int, default=500_000)
    parser.add_argument("--naive-sequences", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    sampler = MarkovMemorySampler(memory_influence=args.memory_influence, random_state=0)
    n, length, repeat = args.n_sequences, args.length, args.repeat
    low, high = args.varied_length
    print(f"memory_influence={args.memory_influence}, best of {repeat} runs")

    chains, seconds = best_time(lambda: sampler.sample(n, length), repeat)
    n_events = sum(map(len, chains))
    report(f"sample({n}, {length})", n_events, "events", seconds)
    fast_rate = n_events / seconds

    chains, seconds = best_time(lambda: sampler.sample(n, (low, high)), repeat)
    report(f"sample({n}, ({low}, {high}))", sum(map(len, chains)), "events", seconds)
    del chains

    (X, y, groups), seconds = best_time(lambda: sampler.make_dataset(n, length), repeat)
    report(f"make_dataset({n}, {length})", n * length, "events", seconds)
    report("", len(y), "pairs", seconds)

    histories = X[: args.proba_histories]
    del X, y, groups
    _, seconds = best_time(lambda: sampler.next_event_proba(histories), repeat)
    report(f"next_event_proba({len(histories)} histories)", len(histories), "histories", seconds)
    report("", sum(map(len, histories)), "history events", seconds)

    naive_n = args.naive_sequences
    chains, seconds = best_time(lambda: naive_sample(sampler, naive_n, length, 0), repeat)
    report(f"naive Python loop ({naive_n}, {length})", naive_n * length, "events", seconds)
    naive_rate = naive_n * length / seconds
    print(f"sample / naive loop: {fast_rate / naive_rate:.0f}x events/s")


if __name__ == "__main__":
    main()
