"""Serving a trained NextEventClassifier: latency, streams, recommend, start-up, save/load.

Run with ``OMP_NUM_THREADS=1 python benchmarks/bench_serving.py``. Every figure is
printed beside its reference from the same run, so read the ratios on a loaded
machine. Times are wall-clock: on the shared virtual machine where this was
written, CPU time (``time.process_time``) at times exceeded wall time for a
single-threaded call, so it was not a trustworthy second measure. Targets (issue 11)
are marked [ok] or [MISSED].

1. ``predict_proba`` on one history of 20 events (median of many calls) against
   the batched path that every input took before (``_predict_proba_chains``:
   chains, loader, collate) and against the raw module call on ready tensors.
2. ``stream.push(event)`` + ``stream.predict_proba()`` (median per event) after
   1, 10, 100 and 1,000 events, against ``predict_proba`` on the whole history.
3. ``recommend(X, k=10)`` for 10,000 histories against ``predict_proba`` +
   ``np.argsort`` (best of a few runs each).
4. ``seqlstm --help`` and ``python -c "import sklearn_seqlstm"`` in fresh
   processes (best of several), beside a bare ``python -c pass``, ``import
   sklearn`` and the eager import of the classifier (torch included).
5. ``save`` and ``load`` time and file size for a model with a 10,000-event
   vocabulary, against ``pickle`` (the only way to keep a model before).
"""

import os
import pickle
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from _timing import best_time, interleaved_medians, median_time

from sklearn_seqlstm import MarkovMemorySampler, NextEventClassifier, load

MS = 1e3


def _mark(value, target):
    return "[ok]" if value <= target else "[MISSED]"


def latency(clf, rng):
    events = list("ABCDEFGH")
    history = [events[i] for i in rng.integers(0, 8, 20)]
    module = clf.net_.module_
    tokens = torch.tensor(clf._encode([history]))
    positions = torch.tensor([[tokens.shape[1] - 1]])

    def raw():
        with torch.inference_mode():
            module(tokens, positions)

    for function in (lambda: clf.predict_proba([history]), raw):
        function()  # warm up
    medians = interleaved_medians(
        {
            "fast": lambda: clf.predict_proba([history]),
            "batched": lambda: clf._predict_proba_chains([tuple(history)]),
            "raw": raw,
        },
        rounds=30,
        per_round=100,
    )
    fast, batched, module_time = medians["fast"], medians["batched"], medians["raw"]
    print("1. predict_proba on one history of 20 events (median of 3,000 calls, interleaved)")
    print(
        f"   predict_proba (fast path)      {fast * MS:7.3f} ms  {_mark(fast * MS, 0.3)} <= 0.3 ms"
    )
    print(
        f"   batched path (before)          {batched * MS:7.3f} ms  "
        f"({batched / fast:.2f}x the fast path)"
    )
    print(
        f"   raw module call                {module_time * MS:7.3f} ms  "
        f"(fast path = {fast / module_time:.2f}x the module)"
    )


def streams(clf, rng):
    events = list("ABCDEFGH")
    history = [events[i] for i in rng.integers(0, 8, 1000)]
    lengths = (1, 10, 100, 1000)
    starts = {length: clf.stream(history[: length - 1]) for length in lengths}
    times = {length: [] for length in lengths}
    # Rounds that visit every length in turn, so that a change of the machine's load
    # falls on all lengths alike; each call pushes onto a fresh copy (made untimed).
    for _ in range(20):
        for length in lengths:
            copies = iter([starts[length].copy() for _ in range(25)])
            event = history[length - 1]
            for _ in range(25):
                stream = next(copies)
                begin = time.perf_counter()
                stream.push(event).predict_proba()
                times[length].append(time.perf_counter() - begin)
    print("\n2. stream.push + stream.predict_proba per event (median of 500), against")
    print("   re-running predict_proba on the whole history (median of 100)")
    print("   events   stream (ms)   whole history (ms)   ratio")
    stream_times = []
    for length in lengths:
        per_event = float(np.median(times[length]))
        whole = median_time(lambda length=length: clf.predict_proba([history[:length]]), 100)
        stream_times.append(per_event)
        print(
            f"   {length:>6}   {per_event * MS:11.3f}   {whole * MS:18.3f}   "
            f"{whole / per_event:5.1f}x"
        )
    worst = max(stream_times)
    print(
        f"   worst {worst * MS:.3f} ms {_mark(worst * MS, 0.3)} <= 0.3 ms; "
        f"1,000 events / 1 event: {stream_times[-1] / stream_times[0]:.2f}x (flat is 1)"
    )


def recommend(rng):
    sampler = MarkovMemorySampler(events=list(range(50)), transitions={}, random_state=0)
    X, y, _ = sampler.make_dataset(500, 21)
    clf = NextEventClassifier(max_epochs=1, random_state=0).fit(X[:2000], y[:2000])
    X = X[:10_000]

    def reference():
        proba = clf.predict_proba(X)
        return clf.classes_[np.argsort(-proba, axis=1, kind="stable")[:, :10]]

    # Interleaved rounds, so that a change of load shifts both alike.
    reference_time = recommend_time = float("inf")
    for _ in range(10):
        expected, seconds = best_time(reference, 1)
        reference_time = min(reference_time, seconds)
        result, seconds = best_time(lambda: clf.recommend(X, 10), 1)
        recommend_time = min(recommend_time, seconds)
    assert np.array_equal(result, expected)
    ratio = recommend_time / reference_time
    print(
        f"\n3. recommend for {len(X):,} histories, k=10, {len(clf.classes_)} classes "
        "(best of 10, interleaved)"
    )
    print(f"   predict_proba + argsort        {reference_time:7.3f} s")
    print(
        f"   recommend                      {recommend_time:7.3f} s  ({ratio:.2f}x) "
        f"{_mark(ratio, 1.1)} <= 1.1x"
    )


def _process_time(argv, repeat=7):
    best = float("inf")
    for _ in range(repeat):
        _, seconds = best_time(
            lambda: subprocess.run(argv, check=True, capture_output=True), repeat=1
        )
        best = min(best, seconds)
    return best


def start_up():
    python = sys.executable
    seqlstm = shutil.which("seqlstm", path=str(Path(python).parent)) or "seqlstm"
    bare = _process_time([python, "-c", "pass"])
    package = _process_time([python, "-c", "import sklearn_seqlstm"])
    help_time = _process_time([seqlstm, "--help"])
    sklearn = _process_time([python, "-c", "import sklearn.base"], repeat=3)
    eager = _process_time(
        [python, "-c", "import sklearn_seqlstm; sklearn_seqlstm.NextEventClassifier"], repeat=3
    )
    evaluate_help = _process_time([seqlstm, "evaluate", "--help"], repeat=3)
    print("\n4. start-up in a fresh process (best of 7; references best of 3)")
    print(f"   python -c pass                 {bare:7.3f} s")
    print(f"   import sklearn_seqlstm         {package:7.3f} s  {_mark(package, 0.5)} <= 0.5 s")
    print(f"   seqlstm --help                 {help_time:7.3f} s  {_mark(help_time, 0.5)} <= 0.5 s")
    print(f"   import sklearn.base (ref.)     {sklearn:7.3f} s")
    print(f"   import + NextEventClassifier   {eager:7.3f} s  (the eager import of before)")
    print(f"   seqlstm evaluate --help        {evaluate_help:7.3f} s  (loads torch for defaults)")


def save_and_load(rng):
    vocabulary = [f"item{i}" for i in range(10_000)]
    order = rng.permutation(vocabulary).tolist()
    sequences = [order[i : i + 20] for i in range(0, len(order), 20)]
    X = [sequence[:t] for sequence in sequences for t in range(1, 21)]
    y = [sequence[t % 20] for sequence in sequences for t in range(1, 21)]
    with warnings.catch_warnings():
        # One sample per class here: scikit-learn warns that y may be continuous.
        warnings.simplefilter("ignore", UserWarning)
        clf = NextEventClassifier(max_epochs=1, random_state=0).fit(X, y)
    folder = Path(tempfile.mkdtemp())
    path = folder / "model.seqlstm"

    def save():
        clf.save(path, overwrite=True)

    _, save_time = best_time(save, 3)
    loaded, load_time = best_time(lambda: load(path), 3)
    assert np.array_equal(loaded.predict_proba(X[:50]), clf.predict_proba(X[:50]))
    pickled, pickle_time = best_time(lambda: pickle.dumps(clf), 3)
    _, unpickle_time = best_time(lambda: pickle.loads(pickled), 3)
    size = path.stat().st_size
    print(
        f"\n5. save / load, {len(clf.events_):,} events, {len(clf.classes_):,} classes (best of 3)"
    )
    print(f"   save        {save_time:7.3f} s   (pickle.dumps {pickle_time:.3f} s)")
    print(f"   load        {load_time:7.3f} s   (pickle.loads {unpickle_time:.3f} s)")
    print(
        f"   file size   {size / 1e6:7.2f} MB  (pickle {len(pickled) / 1e6:.2f} MB, "
        f"{size / len(pickled):.2f}x)"
    )
    shutil.rmtree(folder)


def main():
    print(
        f"bench_serving: Python {platform.python_version()}, torch {torch.__version__}, "
        f"{os.cpu_count()} CPUs, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}, "
        f"torch threads {torch.get_num_threads()}"
    )
    rng = np.random.default_rng(0)
    X, y, _ = MarkovMemorySampler(memory_influence=0.4, random_state=0).make_dataset(300, 20)
    clf = NextEventClassifier(max_epochs=3, random_state=0).fit(X, y)  # the defaults' size
    print(f"model: NextEventClassifier defaults, {len(clf.classes_)} classes\n")
    latency(clf, rng)
    streams(clf, rng)
    recommend(rng)
    start_up()
    save_and_load(rng)


if __name__ == "__main__":
    main()
