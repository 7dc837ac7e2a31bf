"""Throughput of the baselines: MarkovChainClassifier and SequenceFeaturizer.

Run with ``OMP_NUM_THREADS=1 python benchmarks/bench_baselines.py``. The data are the
(history, next event) samples of ``--n-sequences`` chains of ``--length`` events from
MarkovMemorySampler.make_dataset: 50,000 chains of 21 events give 1,000,000 samples,
whose histories hold 10,500,000 events. Times are the best of ``--repeat`` runs and
include the checking of the input, as a user's call does.
"""

import argparse

from _timing import best_time

from sklearn_seqlstm import (
    MarkovChainClassifier,
    MarkovMemorySampler,
    SequenceFeaturizer,
)


def report(name, n_samples, n_events, seconds):
    print(
        f"{name:<50} {seconds:8.3f} s {n_samples / seconds:>13,.0f} samples/s "
        f"{n_events / seconds:>14,.0f} history events/s"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-sequences", type=int, default=50_000)
    parser.add_argument("--length", type=int, default=21)
    parser.add_argument("--memory-influence", type=float, default=0.4)
    parser.add_argument("--orders", type=int, nargs="+", default=(0, 1, 2, 3))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    sampler = MarkovMemorySampler(memory_influence=args.memory_influence, random_state=0)
    X, y, _ = sampler.make_dataset(args.n_sequences, args.length)
    n_samples, n_events = len(X), sum(map(len, X))
    print(
        f"{n_samples:,} samples (histories and next events) from {args.n_sequences:,} chains "
        f"of {args.length} events; {n_events:,} events in the histories"
    )

    for order in args.orders:
        model, seconds = best_time(
            lambda order=order: MarkovChainClassifier(order=order).fit(X, y), args.repeat
        )
        report(f"MarkovChainClassifier(order={order}).fit", n_samples, n_events, seconds)
        _, seconds = best_time(lambda model=model: model.predict_proba(X), args.repeat)
        report(f"MarkovChainClassifier(order={order}).predict_proba", n_samples, n_events, seconds)

    featurizer, seconds = best_time(lambda: SequenceFeaturizer().fit(X), args.repeat)
    report("SequenceFeaturizer().fit", n_samples, n_events, seconds)
    features, seconds = best_time(lambda: featurizer.transform(X), args.repeat)
    report("SequenceFeaturizer().transform", n_samples, n_events, seconds)
    print(f"  -> CSR {features.shape[0]:,} x {features.shape[1]}, {features.nnz:,} stored values")
    featurizer = SequenceFeaturizer(n_last=3, counts=False, length=False).fit(X)
    _, seconds = best_time(lambda: featurizer.transform(X), args.repeat)
    report("SequenceFeaturizer(n_last=3, counts=False, ...)", n_samples, n_events, seconds)


if __name__ == "__main__":
    main()
