"""JapaneseVowels: histories of numeric steps only (12 coefficients per step), 9 speakers.

Run with ``OMP_NUM_THREADS=1 python benchmarks/bench_japanese_vowels.py``.

Data. The UEA/UCR multivariate set JapaneseVowels: 9 male speakers say the vowels
"ae"; each utterance is 7 to 29 frames of 12 LPC cepstrum coefficients; the task is
to name the speaker. Standard split: 270 training utterances (30 per speaker), 370
test utterances. The set ships inside the ``aeon`` wheel on PyPI
(``aeon/datasets/data/JapaneseVowels/``). When aeon is importable it is read with
``aeon.datasets.load_classification``, which finds that shipped copy and downloads
nothing. Otherwise (every aeon release caps pandas below 3.1 and so cannot be
installed beside this project's pins) the script runs
``python -m pip download aeon==1.6.0 --no-deps`` once, extracts the two ``.ts``
files and caches them in ``~/.cache/sklearn-seqlstm/`` (or
``$SKLEARN_SEQLSTM_CACHE``, or ``--cache-dir``); ``--aeon-wheel PATH`` reads an
aeon wheel already on disk instead. aeon is never imported by the package.

Models. ``NextEventClassifier`` with defaults (and ``random_state``), ``X`` a list
of 2-D float arrays (steps x 12), ``y`` the speaker; seeds 0, 1 and 2. Baselines:
logistic regression on per-series features (mean, standard deviation, first and
last step of each coefficient, and the length), and 1-nearest-neighbour with the
Euclidean distance on the series resampled to 29 steps. Each accuracy has a 95%
interval from 1,000 bootstrap resamples of the test utterances. The UEA
multivariate bake-off (Ruiz et al., 2021) reports roughly 0.95 to 0.99 for the
best classifiers on this split.
"""

import argparse
import os
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
from _wheels import download_wheel
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_seqlstm import NextEventClassifier, bootstrap_interval

AEON = "aeon==1.6.0"
MEMBER = "aeon/datasets/data/JapaneseVowels/JapaneseVowels_{split}.ts"
DEFAULT_CACHE = Path(
    os.environ.get("SKLEARN_SEQLSTM_CACHE", Path.home() / ".cache" / "sklearn-seqlstm")
)
PUBLISHED = "0.95 to 0.99 (best classifiers of the UEA multivariate bake-off)"
TARGET = 0.95
N_BOOTSTRAP = 1000
RESAMPLED_STEPS = 29


def parse_ts(text):
    """(list of 2-D arrays of shape (steps, dimensions), labels) of a ``.ts`` file."""
    X, y = [], []
    in_data = False
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if not in_data:
            in_data = line.lower() == "@data"
            continue
        *dimensions, label = line.split(":")
        steps = np.array([[float(v) for v in d.split(",")] for d in dimensions]).T
        X.append(steps)
        y.append(label)
    return X, np.asarray(y)


def load_with_aeon():
    """Train and test sets through aeon's loader (the copy shipped in its wheel), or None."""
    try:
        from aeon.datasets import load_classification
    except ImportError:
        return None
    sets = []
    for split in ("train", "test"):
        X, y = load_classification("JapaneseVowels", split=split)
        # aeon gives (channels, time) per series: steps are rows here.
        sets.append(([np.asarray(x, dtype=float).T for x in X], np.asarray(y).astype(str)))
    return sets, "aeon.datasets.load_classification"


def fetch_from_wheel(cache_dir, wheel_path=None):
    """Paths of the cached TRAIN and TEST ``.ts`` files, taken from an aeon wheel."""
    paths = [cache_dir / f"JapaneseVowels_{split}.ts" for split in ("TRAIN", "TEST")]
    if all(path.is_file() for path in paths):
        return paths
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir) as download:
        if wheel_path is None:
            wheel_path = download_wheel(AEON, download)
        with zipfile.ZipFile(wheel_path) as wheel:
            for path, split in zip(paths, ("TRAIN", "TEST"), strict=True):
                member = MEMBER.format(split=split)
                if member not in wheel.namelist():
                    sys.exit(f"The wheel {wheel_path} holds no {member}. Stopping.")
                partial = path.with_suffix(".partial")
                partial.write_bytes(wheel.read(member))
                partial.replace(path)
    print(f"Cached {paths[0]} and {paths[1]}")
    return paths


def summary_features(X):
    """Per series: mean, std, first and last step of each coefficient, and the length."""
    return np.array(
        [np.concatenate([s.mean(0), s.std(0), s[0], s[-1], [len(s)]]) for s in X], dtype=float
    )


def resampled(X, n_steps=RESAMPLED_STEPS):
    """Each series linearly interpolated to ``n_steps`` steps, flattened."""
    grid = np.linspace(0, 1, n_steps)
    rows = []
    for s in X:
        where = np.linspace(0, 1, len(s))
        rows.append(np.column_stack([np.interp(grid, where, s[:, j]) for j in range(s.shape[1])]))
    return np.array(rows).reshape(len(X), -1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--aeon-wheel", type=Path, default=None, help="an aeon wheel on disk")
    args = parser.parse_args(argv)

    loaded = None if args.aeon_wheel else load_with_aeon()
    if loaded is None:
        train_path, test_path = fetch_from_wheel(args.cache_dir, args.aeon_wheel)
        loaded = (
            [parse_ts(train_path.read_text()), parse_ts(test_path.read_text())],
            f"the .ts files of the {AEON} wheel",
        )
    ((X_train, y_train), (X_test, y_test)), source = loaded
    lengths = [len(s) for s in X_train + X_test]
    print(
        f"JapaneseVowels from {source}: {len(X_train)} train / {len(X_test)} test series, "
        f"{X_train[0].shape[1]} features per step, {min(lengths)}-{max(lengths)} steps, "
        f"{len(np.unique(y_train))} speakers"
    )

    # torch builds its compiler stack with the first optimizer (seconds, once per
    # process): a tiny fit first keeps that out of the fit times below.
    NextEventClassifier(max_epochs=1).fit([["a"], ["b"]], ["b", "a"])

    results = []

    def report(name, correct, seconds, note=""):
        # Each test utterance is a sample of its own: a plain bootstrap over them.
        _, low, high, _ = bootstrap_interval(correct, n_resamples=N_BOOTSTRAP, random_state=0)
        results.append((name, correct.mean()))
        print(
            f"{name:<44} {correct.mean():.4f}  [{low:.4f}, {high:.4f}]  fit {seconds:6.1f} s{note}",
            flush=True,
        )

    def evaluate(name, model, train, test):
        start = time.perf_counter()
        model.fit(train, y_train)
        seconds = time.perf_counter() - start
        correct = (np.asarray(model.predict(test)) == y_test).astype(float)
        report(name, correct, seconds)
        return correct, seconds

    print(f"\n{'model':<44} {'accuracy':>8}  {'95% interval':<17}")
    evaluate(
        "logistic regression, mean/std/first/last",
        make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000)),
        summary_features(X_train),
        summary_features(X_test),
    )
    evaluate(
        f"1-NN Euclidean, resampled to {RESAMPLED_STEPS} steps",
        make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=1)),
        resampled(X_train),
        resampled(X_test),
    )
    lstm = []
    for seed in args.seeds:
        model = NextEventClassifier(random_state=seed)
        correct, seconds = evaluate(f"NextEventClassifier (seed {seed})", model, X_train, X_test)
        epochs = len(model.net_.history)
        print(f"{'':<44} ({epochs} epochs)")
        lstm.append((correct, seconds))
    correct = np.mean([c for c, _ in lstm], axis=0)
    report(
        f"NextEventClassifier, mean of {len(lstm)} seed(s)",
        correct,
        float(np.mean([s for _, s in lstm])),
    )
    print(f"published (UEA bake-off): {PUBLISHED}")
    ok = correct.mean() >= TARGET
    print(f"target, NextEventClassifier accuracy >= {TARGET}: {'MET' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
