"""A 4-candidate grid search of NextEventClassifier: sequential against a dask cluster.

Prints the wall time of ``GridSearchCV(n_jobs=1)`` and of the same search under
``joblib.parallel_config(backend="dask")`` on a ``LocalCluster`` of 2 worker
processes with 1 thread each (the classifier's ``num_threads=1`` keeps torch to
that thread), measured in turns in one run, and checks that both searches give
the same scores. The cluster's start-up (workers import torch) is timed apart.

Run: ``python benchmarks/bench_dask_search.py`` (needs the test extra: dask, distributed).
"""

import os
import time

import numpy as np
from distributed import Client, LocalCluster
from joblib import parallel_config
from sklearn.model_selection import GridSearchCV, GroupKFold

from sklearn_seqlstm import MarkovMemorySampler, NextEventClassifier

GRID = {"hidden_size": [16, 32], "lr": [0.01, 0.03]}


def search(n_jobs):
    return GridSearchCV(
        NextEventClassifier(max_epochs=8, random_state=0),
        GRID,
        cv=GroupKFold(3),
        n_jobs=n_jobs,
    )


def main():
    X, y, groups = MarkovMemorySampler(memory_influence=0.4, random_state=0).make_dataset(1500, 20)
    print(
        f"bench_dask_search: {len(y)} samples, grid of 4 candidates x 3 folds, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}"
    )
    start = time.perf_counter()
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None)
    client = Client(cluster)
    client.run(lambda: __import__("sklearn_seqlstm.neural._classifier"))  # workers import torch now
    print(f"  cluster start-up (2 workers, torch imported): {time.perf_counter() - start:.1f} s")
    times = {"n_jobs=1": [], "dask, 2 workers": []}
    results = {}
    for _ in range(2):  # in turns, so that a change of load hits both alike
        start = time.perf_counter()
        results["n_jobs=1"] = search(1).fit(X, y, groups=groups)
        times["n_jobs=1"].append(time.perf_counter() - start)
        start = time.perf_counter()
        with parallel_config(backend="dask"):
            results["dask, 2 workers"] = search(-1).fit(X, y, groups=groups)
        times["dask, 2 workers"].append(time.perf_counter() - start)
    client.close()
    cluster.close()
    best = {name: min(values) for name, values in times.items()}
    for name, seconds in best.items():
        print(f"  {name:<16} {seconds:6.1f} s  (best of {len(times[name])})")
    print(f"  speed-up: {best['n_jobs=1'] / best['dask, 2 workers']:.2f}x")
    same = np.array_equal(
        results["n_jobs=1"].cv_results_["mean_test_score"],
        results["dask, 2 workers"].cv_results_["mean_test_score"],
    )
    print(f"  same mean test scores: {same}")


if __name__ == "__main__":
    main()
