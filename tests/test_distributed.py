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


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One torchrun launch (its start is most of the cost) for three tests: a
    classifier, a regressor and a grid search, fitted one after the other in the
    same group of two processes."""
    out = tmp_path_factory.mktemp("distributed") / "out.pkl"
    return _result(_torchrun("classifier,regressor,search", out, 8, timeout=500), out)


@pytest.mark.slow
def test_two_processes_train_the_model_of_one_process_with_twice_the_batch(trained):
    X, y = data()
    result = trained["classifier"]
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
def test_regressor_trains_data_parallel_too(trained):
    X, y = data()
    result = trained["regressor"]
    target = np.array([len(h) % 3 + 0.5 * (y[i] == "A") for i, h in enumerate(X)])
    single = NextValueRegressor(**_single_process(params(16))).fit(X, target)
    np.testing.assert_allclose(result["prediction"], single.predict(X), rtol=0, atol=1e-4)


@pytest.mark.slow
def test_grid_search_runs_data_parallel_fits(trained):
    from sklearn.model_selection import GridSearchCV

    X, y = data()
    result = trained["search"]
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


def _free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_group_that_fit_makes_is_destroyed_at_exit(monkeypatch):
    # Left to the interpreter's teardown, a gloo group can abort the process
    # (SIGABRT); the group that fit makes from torchrun's variables is destroyed by
    # an exit handler instead. A group of one process, made and destroyed in place.
    # Only this module's view of atexit is replaced: torch registers exit handlers of
    # its own while it trains (when it first imports torch._dynamo), and those must
    # neither be caught here nor lost.
    from types import SimpleNamespace

    import torch.distributed as dist

    from sklearn_seqlstm.neural import _distributed

    for name, value in [("RANK", "0"), ("WORLD_SIZE", "1"), ("MASTER_ADDR", "127.0.0.1")]:
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MASTER_PORT", str(_free_port()))
    at_exit = []
    monkeypatch.setattr(_distributed, "atexit", SimpleNamespace(register=at_exit.append))
    assert not dist.is_initialized()
    try:
        X, y = data()
        NextEventClassifier(**params(4, num_threads=1)).fit(X, y)
        assert dist.is_initialized() and at_exit == [_distributed.destroy_group]
        at_exit[0]()
        assert not dist.is_initialized()
    finally:
        _distributed.destroy_group()


# In a fresh interpreter (one for all, as its start is most of the cost), with a
# timeout: a regression would hang in torch's rendezvous, and must fail the tests
# instead. First the checks of torchrun's variables, each case (RANK, WORLD_SIZE,
# MASTER_PORT, the group's timeout in seconds) answered by the error's type and
# first line, whether the estimator was left unfitted, and the seconds it took.
# Then a one-process group made by fit, torch._dynamo (which imports the module of
# torch that captured the default group), destroy_group, and the gloo threads left.
_JOIN = """
import json, os, sys, time
from datetime import timedelta
sys.path.insert(0, sys.argv[1])
from _distributed_script import data, params
from sklearn_seqlstm import NextEventClassifier
from sklearn_seqlstm.neural import _distributed

def gloo_threads():
    names = []
    for task in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{task}/comm") as file:
            names.append(file.read().strip())
    return [name for name in names if "gloo" in name]

X, y = data()
cases, port = json.loads(sys.argv[2]), sys.argv[3]
for rank, world_size, timeout in cases:
    os.environ.update(RANK=rank, WORLD_SIZE=world_size, MASTER_PORT=port)
    _distributed.RENDEZVOUS_TIMEOUT = timedelta(seconds=timeout)
    clf = NextEventClassifier(**params(4, num_threads=1))
    start = time.perf_counter()
    try:
        clf.fit(X, y)
        answer = ["none", ""]
    except (ValueError, RuntimeError) as exc:
        answer = [type(exc).__name__, str(exc).splitlines()[0]]
    answer += [not hasattr(clf, "net_"), time.perf_counter() - start]
    print(json.dumps(answer), flush=True)
if os.path.isdir("/proc/self/task"):
    os.environ.update(RANK="0", WORLD_SIZE="1", MASTER_PORT=sys.argv[4])
    NextEventClassifier(**params(4, num_threads=1)).fit(X, y)
    import torch._dynamo
    before = gloo_threads()
    _distributed.destroy_group()
    print(json.dumps([before, gloo_threads()]), flush=True)
"""

_REFUSED = [
    ("5", "2", "RANK=5 and WORLD_SIZE=2"),
    ("2", "2", "RANK=2 and WORLD_SIZE=2"),
    ("-1", "2", "RANK=-1"),
    ("0", "0", "WORLD_SIZE=0"),
    ("one", "2", "RANK as an integer; got 'one'"),
]


@pytest.fixture(scope="module")
def joins():
    import json

    port, free = _free_port(), _free_port()
    # With a timeout of a whole minute, only a check before the rendezvous answers
    # at once. Last, rank 1 of 2 with no rank 0 to serve the rendezvous: torch alone
    # would wait 30 minutes.
    cases = [(rank, world_size, 60.0) for rank, world_size, _ in _REFUSED]
    cases.append(("1", "2", 2.0))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MASTER_ADDR": "127.0.0.1"}
    command = [sys.executable, "-c", _JOIN, str(SCRIPT.parent), json.dumps(cases)]
    completed = subprocess.run(
        [*command, str(port), str(free)], env=env, capture_output=True, text=True, timeout=240
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    answers = [json.loads(line) for line in completed.stdout.strip().splitlines()]
    return port, answers


@pytest.mark.slow
@pytest.mark.parametrize("case", range(len(_REFUSED)))
def test_a_rank_outside_the_world_is_refused_before_joining(joins, case):
    kind, message, unfitted, seconds = joins[1][case]
    assert kind == "ValueError" and _REFUSED[case][2] in message, message
    assert unfitted and seconds < 30


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts threads in /proc")
def test_destroying_the_group_that_fit_made_ends_gloo_threads(joins):
    # The cause of the aborts at exit: a module of torch imported after the group was
    # made kept it alive past destroy_process_group, so gloo's threads ran on into the
    # interpreter's teardown. Destroyed, the group must leave no thread behind.
    before, after = joins[1][len(_REFUSED) + 1]
    assert before, "the group ran no gloo thread: nothing was tested"
    assert after == []


@pytest.mark.slow
def test_a_group_that_never_forms_is_an_error_after_the_timeout(joins):
    port, answers = joins
    kind, message, unfitted, seconds = answers[len(_REFUSED)]
    assert kind == "RuntimeError" and unfitted, message
    assert "could not join" in message and f"127.0.0.1:{port}" in message
    assert "within 2 s" in message and seconds < 60
