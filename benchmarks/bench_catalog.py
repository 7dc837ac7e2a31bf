"""Large catalogues: the full softmax against the sampled softmax, fit and recommend.

Run with ``OMP_NUM_THREADS=1 python benchmarks/bench_catalog.py`` (``--sizes`` to
choose the catalogues, ``--full-up-to`` to skip the full softmax above a size).

Data. A synthetic catalogue of ``n_items`` items in clusters of 50. Each user's
first item is drawn by popularity (Zipf, exponent 1); each next item is, with
probability 0.7, an item of the previous item's cluster (uniform), else an item
drawn by popularity. So the best Hit@10 is about 0.7 x 10 / 50 = 0.14 plus what
popularity gives, and a model learns it from the previous item alone. 4,000 users of
25 items: 100,000 events whatever the catalogue, so larger catalogues have more
items never seen as a training target (they cannot be recommended).

Protocol. Leave-last-out: each user's last item is the test target, the rest train.
The model is ``NextEventClassifier(embedding_dim=16, hidden_size=32)``, as in the
figures that showed the problem (one epoch of 113.5 s on 50,000 items), trained for
``--epochs`` epochs with the full softmax (the default) and with ``n_negatives``
sampled negatives. For each: fit time per epoch (wall and CPU: on a shared machine
the wall time counts the others' work too), Hit@10 with seen items masked on 1,000
test users, and the CPU time and peak memory of ``recommend(k=10, exclude_seen=True)``
for 1,000 histories,
measured in a fresh process (its own address space's peak, VmHWM) from the saved
model.
"""

import argparse
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from bench_movielens import peak_memory

from sklearn_seqlstm import NextEventClassifier, leave_last_out_split, load, top_k_accuracy

CLUSTER = 50
N_USERS, LENGTH = 4_000, 25


def make_log(n_items, random_state=0):
    """The event log of the synthetic catalogue (see the module docstring)."""
    rng = np.random.RandomState(random_state)
    popularity = 1.0 / np.arange(1, n_items + 1)
    popularity /= popularity.sum()
    items = np.empty((N_USERS, LENGTH), dtype=np.int64)
    items[:, 0] = rng.choice(n_items, size=N_USERS, p=popularity)
    for t in range(1, LENGTH):
        same = rng.rand(N_USERS) < 0.7
        cluster = items[:, t - 1] // CLUSTER
        in_cluster = np.minimum(cluster * CLUSTER + rng.randint(CLUSTER, size=N_USERS), n_items - 1)
        items[:, t] = np.where(same, in_cluster, rng.choice(n_items, size=N_USERS, p=popularity))
    return pd.DataFrame(
        {
            "user": np.repeat(np.arange(N_USERS), LENGTH),
            "position": np.tile(np.arange(LENGTH), N_USERS),
            "item": items.ravel(),
        }
    )


def measure(model_path, n_items):
    """Time and peak memory of recommend for 1,000 test histories, in this fresh process."""
    _, _, test = split(n_items)
    histories = list(test.X[:1000])
    model = load(model_path)
    model.recommend(histories[:2], k=10)  # torch's kernels loaded before the clock
    before = peak_memory()
    start = time.process_time()
    model.recommend(histories, k=10, exclude_seen=True)
    print(f"{time.process_time() - start:.3f} {peak_memory():.3f} {before:.3f}")


def split(n_items):
    return leave_last_out_split(
        make_log(n_items), sequence_col="user", order_col="position", event_col="item"
    )


def run(n_items, n_negatives, epochs):
    """One row of the table: fit, score, and recommend in a fresh process."""
    train, valid, test = split(n_items)
    # Train on every sample but the test one: the validation sample is training data here.
    X = list(train.X) + list(valid.X)
    y = np.concatenate([train.y, valid.y])
    model = NextEventClassifier(
        embedding_dim=16,
        hidden_size=32,
        max_epochs=epochs,
        early_stopping=False,
        n_negatives=n_negatives,
        random_state=0,
    )
    start, cpu = time.perf_counter(), time.process_time()
    model.fit(X, y)
    per_epoch = (time.perf_counter() - start) / epochs
    # CPU time too: on a shared machine the wall time also counts the others' work.
    cpu_per_epoch = (time.process_time() - cpu) / epochs
    hit = top_k_accuracy(
        test.y[:1000],
        model.predict_proba(test.X[:1000]),
        classes=model.classes_,
        k=10,
        exclude_seen=True,
        histories=test.X[:1000],
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.seqlstm"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.save(path)
        command = [sys.executable, __file__, "--measure", str(path), "--sizes", str(n_items)]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        seconds, peak, loaded = map(float, done.stdout.split()[-3:])
    return {
        "items": n_items,
        "classes": len(model.classes_),
        "softmax": "full" if n_negatives is None else f"sampled ({n_negatives})",
        "fit s/epoch": per_epoch,
        "fit CPU s/epoch": cpu_per_epoch,
        "Hit@10 (masked)": hit,
        "recommend 1,000 (CPU s)": seconds,
        "peak GiB": peak,
        "after loading GiB": loaded,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5_000, 50_000, 200_000])
    parser.add_argument("--full-up-to", type=int, default=50_000)
    parser.add_argument("--n-negatives", type=int, default=500)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        return measure(args.measure, args.sizes[0])
    rows = []
    for n_items in args.sizes:
        for n_negatives in (None, args.n_negatives):
            if n_negatives is None and n_items > args.full_up_to:
                print(f"{n_items:,} items: full softmax skipped (--full-up-to {args.full_up_to})")
                continue
            print(f"{n_items:,} items, n_negatives={n_negatives} ...", flush=True)
            rows.append(run(n_items, n_negatives, args.epochs))
    table = pd.DataFrame(rows)
    print(
        f"\n{N_USERS:,} users of {LENGTH} items, embedding 16, hidden 32, {args.epochs} epochs:\n"
    )
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
