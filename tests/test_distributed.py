"""Data-parallel training under torchrun: K processes with batch B train as one with K * B."""

import os
import pickle
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone

from sklearn_seqlstm import NextEventClassifier, NextValueRegressor

SCRIPT = Path(__file__).with_name("_distributed_script.py")
sys.path.insert(0, str(SCRIPT.parent))
from _distributed_script import data, params  # noqa: E402


def _torchrun(mode, out, batch_size, n_processes=2, timeout=300):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    for name in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT", "LOCAL_RANK"):
        env.pop(name, None)
    command = [
        sys.executable, "-m", "torch.distributed.run", "--standalone",
        f"--nproc_per_node={n_processes}", str(SCRIPT), mode, str(out), str(batch_size),
    ]  # fmt: skip
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)


def _result(completed, out):
    assert completed.returncode == 0, completed.stderr[-3000:]
    with open(out, "rb") as file:
        return pickle.load(file)


def _single_process(estimator_params):
    return {**estimator_params, "distributed": False}


@pytest.mark.slow
def test_two_processes_train_the_model_of_one_process_with_twice_the_batch(tmp_path):
    X, y = data()
    result = _result(_torchrun("classifier", tmp_path / "out.pkl", 8), tmp_path / "out.pkl")
    single = NextEventClassifier(**_single_process(params(16))).fit(X, y)
    np.testing.assert_allclose(result["proba"], single.predict_proba(X), rtol=0, atol=1e-5)
    # The fitted estimator is a plain one: it pickled out of its process and predicts here.
    model = result["model"]
    assert model.distributed and not hasattr(model.net_.module_, "module")
    np.testing.assert_allclose(model.predict_proba(X), result["proba"], atol=1e-12)
    # Batches of one process differ from those of two with batch 8 each: not a tautology.
    other = NextEventClassifier(**_single_process(params(8))).fit(X, y)
    assert np.abs(other.predict_proba(X) - result["proba"]).max() > 1e-4


@pytest.mark.slow
def test_regressor_trains_data_parallel_too(tmp_path):
    X, y = data()
    result = _result(_torchrun("regressor", tmp_path / "out.pkl", 8), tmp_path / "out.pkl")
    target = np.array([len(h) % 3 + 0.5 * (y[i] == "A") for i, h in enumerate(X)])
    single = NextValueRegressor(**_single_process(params(16))).fit(X, target)
    np.testing.assert_allclose(result["prediction"], single.predict(X), rtol=0, atol=1e-4)


@pytest.mark.slow
def test_grid_search_runs_data_parallel_fits(tmp_path):
    from sklearn.model_selection import GridSearchCV

    X, y = data()
    result = _result(_torchrun("search", tmp_path / "out.pkl", 8), tmp_path / "out.pkl")
    search = GridSearchCV(
        NextEventClassifier(**_single_process(params(16))), {"hidden_size": [8, 16]}, cv=2
    ).fit(X, y)
    np.testing.assert_allclose(
        result["scores"], search.cv_results_["mean_test_score"], rtol=0, atol=1e-9
    )


@pytest.mark.slow
def test_a_process_that_dies_ends_the_whole_fit_with_an_error(tmp_path):
    start = time.perf_counter()
    completed = _torchrun("die", tmp_path / "out.pkl", 8, timeout=240)
    assert completed.returncode != 0
    assert time.perf_counter() - start < 240  # no hang
    output = completed.stdout + completed.stderr
    assert "exitcode" in output and "3" in output  # torchrun names the failed process
    assert not (tmp_path / "out.pkl").exists()


def test_distributed_without_a_process_group_says_how_to_start_one(monkeypatch):
    for name in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(name, raising=False)
    X, y = data()
    clf = NextEventClassifier(distributed=True, max_epochs=1)
    with pytest.raises(ValueError, match="torchrun"):
        clf.fit(X, y)
    assert not hasattr(clf, "net_")
    assert clone(clf).get_params()["distributed"] is True


def test_a_group_that_fit_makes_is_destroyed_at_exit(monkeypatch):
    # Left to the interpreter's teardown, a gloo group can abort the process
    # (SIGABRT); the group that fit makes from torchrun's variables is destroyed by
    # an exit handler instead. A group of one process, made and destroyed in place.
    import socket

    import torch.distributed as dist

    from sklearn_seqlstm.neural import _distributed

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    for name, value in [("RANK", "0"), ("WORLD_SIZE", "1"), ("MASTER_ADDR", "127.0.0.1")]:
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MASTER_PORT", str(port))
    at_exit = []
    monkeypatch.setattr(_distributed.atexit, "register", at_exit.append)
    assert not dist.is_initialized()
    try:
        X, y = data()
        NextEventClassifier(**params(4, num_threads=1)).fit(X, y)
        assert dist.is_initialized() and at_exit == [_distributed.destroy_group]
        at_exit[0]()
        assert not dist.is_initialized()
    finally:
        _distributed.destroy_group()
