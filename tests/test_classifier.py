"""NextEventClassifier: interface, scikit-learn tooling, reproducibility, bad input."""

import copy
import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from skorch.callbacks import Callback

from sklearn_seqlstm import MarkovMemorySampler, NextEventClassifier
from sklearn_seqlstm.neural import _torch
from sklearn_seqlstm.neural._torch import cpu_runs_bfloat16_lstm

FAST = dict(max_epochs=3, hidden_size=16, embedding_dim=8, random_state=0)
# CPUs without AVX-512 cannot run torch's bfloat16 LSTM: bfloat16 training is
# refused there (tested below), so the tests that train in bfloat16 cannot run.
needs_bfloat16_cpu = pytest.mark.skipif(
    not cpu_runs_bfloat16_lstm(),
    reason="this CPU cannot run torch's LSTM in bfloat16 (it has no AVX-512)",
)


def _cycle_data(n_sequences=60, length=8, seed=0):
    """Every prefix of sequences that cycle A -> B -> C -> A from a random start."""
    rng = np.random.RandomState(seed)
    cycle = ["A", "B", "C"]
    X, y, groups = [], [], []
    for s in range(n_sequences):
        start = rng.randint(3)
        sequence = [cycle[(start + i) % 3] for i in range(length)]
        for t in range(1, length):
            X.append(sequence[:t])
            y.append(sequence[t])
            groups.append(s)
    return X, np.array(y), np.array(groups)


@pytest.fixture(scope="module")
def cycle_data():
    return _cycle_data()


@pytest.fixture(scope="module")
def fitted(cycle_data):
    X, y, _ = cycle_data
    return NextEventClassifier(max_epochs=15, random_state=0).fit(X, y)


def test_learns_a_deterministic_cycle(fitted, cycle_data):
    X, y, _ = cycle_data
    assert fitted.score(X, y) == 1.0
    proba = fitted.predict_proba([["A"], ["C", "A"], ["B"]])
    assert proba.shape == (3, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert fitted.classes_.tolist() == ["A", "B", "C"]
    assert fitted.predict([["A"], ["C", "A"], ["B"]]).tolist() == ["B", "B", "C"]


def test_fitted_attributes(fitted):
    assert fitted.events_ == ["A", "B", "C"]
    assert fitted.n_epochs_ == 15 == len(fitted.net_.history)
    losses = fitted.net_.history[:, "train_loss"]
    assert losses[-1] < losses[0]
    assert not hasattr(fitted, "n_features_in_")  # histories of varied lengths


def test_empty_history_and_unseen_events_are_valid(fitted):
    proba = fitted.predict_proba([[], ["never-seen"], ["A", "never-seen", "B"]])
    assert np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_labels_need_not_be_events():
    # Sequence classification: did the visitor convert?
    X = [["home", "cart", "pay"], ["home"], ["search", "cart", "pay"], ["search"]] * 10
    y = ["converted", "left", "converted", "left"] * 10
    clf = NextEventClassifier(max_epochs=10, random_state=0).fit(X, y)
    assert clf.score(X, y) == 1.0
    assert set(clf.classes_) == {"converted", "left"}


@pytest.mark.parametrize(
    "to_input",
    [
        pytest.param(lambda X: X, id="list-of-lists"),
        pytest.param(lambda X: [tuple(h) for h in X], id="list-of-tuples"),
        pytest.param(lambda X: [np.array(h) for h in X], id="list-of-arrays"),
        pytest.param(lambda X: pd.Series(X), id="series"),
        pytest.param(lambda X: np.array(X, dtype=object), id="2d-object-array"),
        pytest.param(lambda X: pd.DataFrame(X, columns=["e1", "e2"]), id="dataframe"),
    ],
)
def test_input_forms_give_the_same_model(to_input):
    X = [["A", "B"], ["B", "C"], ["C", "A"], ["A", "C"]] * 5
    y = ["C", "A", "B", "B"] * 5
    expected = NextEventClassifier(**FAST).fit(X, y).predict_proba(X)
    clf = NextEventClassifier(**FAST).fit(to_input(X), y)
    np.testing.assert_allclose(clf.predict_proba(to_input(X)), expected)


def test_integer_events_and_labels():
    X = [[1, 2], [2, 3], [3, 1]] * 5
    y = [3, 1, 2] * 5
    clf = NextEventClassifier(max_epochs=15, random_state=0).fit(X, y)
    assert clf.predict([[1, 2]]).tolist() == [3]
    assert clf.n_features_in_ == 2
    with pytest.raises(ValueError, match="X has 3 features"):
        clf.predict(np.array([[1, 2, 3]]))
    # A list of histories is never held to the training width.
    assert clf.predict([[1], [1, 2, 3]]).shape == (2,)


def test_same_random_state_same_model_and_global_rng_untouched(cycle_data):
    X, y, _ = cycle_data
    torch.manual_seed(123)
    np.random.seed(123)  # noqa: NPY002 (the global state is what this test guards)
    torch_state, numpy_state = torch.get_rng_state(), np.random.get_state()  # noqa: NPY002
    a = NextEventClassifier(**FAST).fit(X, y).predict_proba(X)
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert np.random.get_state()[1].tolist() == numpy_state[1].tolist()  # noqa: NPY002
    b = NextEventClassifier(**FAST).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    c = NextEventClassifier(**{**FAST, "random_state": 1}).fit(X, y).predict_proba(X)
    assert not np.allclose(a, c)


def test_threads_are_restored(cycle_data):
    X, y, _ = cycle_data
    before = torch.get_num_threads()
    NextEventClassifier(**FAST, num_threads=1).fit(X, y)
    assert torch.get_num_threads() == before


def test_input_is_not_modified(cycle_data):
    X, y, _ = cycle_data
    X_copy, y_copy = copy.deepcopy(X), y.copy()
    weights = np.ones(len(y))
    callbacks = [Callback()]
    callbacks_copy = copy.deepcopy(callbacks)
    clf = NextEventClassifier(**{**FAST, "callbacks": callbacks}).fit(X, y, sample_weight=weights)
    clf.predict(X)
    assert X == X_copy
    np.testing.assert_array_equal(y, y_copy)
    np.testing.assert_array_equal(weights, np.ones(len(y)))
    assert vars(callbacks[0]) == vars(callbacks_copy[0])


def test_pipeline_grid_search_cross_val_clone(cycle_data):
    X, y, groups = cycle_data
    pipe = make_pipeline(FunctionTransformer(lambda X: X), NextEventClassifier(**FAST))
    search = GridSearchCV(pipe, {"nexteventclassifier__hidden_size": [8, 16]}, cv=2)
    search.fit(X, y)
    assert search.best_estimator_.predict(X[:3]).shape == (3,)
    scores = cross_val_score(
        NextEventClassifier(**FAST), X, y, groups=groups, cv=GroupKFold(n_splits=3)
    )
    assert scores.shape == (3,)
    assert clone(NextEventClassifier(hidden_size=7)).get_params()["hidden_size"] == 7


def test_pickle_round_trip_predicts_identically(fitted, cycle_data):
    X, _, _ = cycle_data
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict_proba(X), fitted.predict_proba(X))
    assert str(next(restored.net_.module_.parameters()).device) == "cpu"


def test_sample_weight_counts_like_repetition():
    X = [["A"], ["A"], ["B"], ["B", "A"]]
    y = ["B", "C", "A", "C"]
    weighted = NextEventClassifier(**FAST).fit(X, y, sample_weight=[2, 1, 1, 3])
    repeated = NextEventClassifier(**FAST).fit(
        [["A"], ["A"], ["A"], ["B"], ["B", "A"], ["B", "A"], ["B", "A"]],
        ["B", "B", "C", "A", "C", "C", "C"],
    )
    np.testing.assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X), rtol=1e-6)


def test_max_history_truncates(cycle_data):
    X, y, _ = cycle_data
    clf = NextEventClassifier(max_epochs=15, max_history=2, random_state=0).fit(X, y)
    assert clf.score(X, y) == 1.0
    # Events before the last two cannot change the prediction.
    a, b = clf.predict_proba([["A", "B", "C", "A"], ["C", "C", "C", "A"]])
    np.testing.assert_allclose(a, b)


def test_early_stopping_keeps_the_best_epoch(cycle_data):
    X, y, _ = cycle_data
    clf = NextEventClassifier(
        max_epochs=40, early_stopping=True, n_iter_no_change=2, lr=0.05, random_state=0
    ).fit(X, y)
    valid = clf.net_.history[:, "valid_loss"]
    assert clf.n_epochs_ == len(valid) <= 40
    assert clf.score(X, y) == 1.0


class _WeightsEachEpoch(Callback):
    def initialize(self):
        self.weights = []
        return self

    def on_epoch_end(self, net, **kwargs):
        self.weights.append(copy.deepcopy(net.module_.state_dict()))


def test_early_stopping_runs_the_whole_budget_and_keeps_the_best_epoch():
    # Few noisy sequences and a constant, high learning rate: the validation loss
    # rises again well before the budget's end.
    X, y, _ = MarkovMemorySampler(memory_influence=0.5, random_state=0).make_dataset(80, 12)
    clf = NextEventClassifier(
        max_epochs=25,
        early_stopping=True,
        lr=0.05,
        lr_schedule="constant",
        callbacks=[("record", _WeightsEachEpoch())],
        random_state=0,
    ).fit(X, y)
    record = dict(clf.net_.callbacks_)["record"]  # fit trains a copy of the callbacks
    valid = clf.net_.history[:, "valid_loss"]
    best = int(np.argmin(valid))
    assert clf.n_iter_ == len(valid) == 25  # no patience: every epoch of the budget ran
    assert best < 20, "the data must make the best epoch an early one"
    kept = clf.net_.module_.state_dict()
    assert all(kept[name].equal(weights) for name, weights in record.weights[best].items())
    assert not all(kept[name].equal(w) for name, w in record.weights[-1].items())


def test_validation_loss_is_the_weighted_mean_over_samples():
    # Batches of a few chains of very different weights: a loss divided by each
    # batch's own weight would weigh the light batches as much as the heavy ones.
    sampler = MarkovMemorySampler(memory_influence=0.5, random_state=0)
    X, y, _ = sampler.make_dataset(60, 8)
    X_val, y_val, _ = sampler.make_dataset(30, 8)
    weights = np.random.default_rng(0).integers(1, 100, size=len(y_val)).astype(float)
    clf = NextEventClassifier(max_epochs=2, batch_size=4, random_state=0).fit(
        X, y, X_val=X_val, y_val=y_val, sample_weight_val=weights
    )
    assert len(clf.net_.history[-1, "batches"]) > 1
    proba = clf.predict_proba(X_val)
    column = {label: i for i, label in enumerate(clf.classes_.tolist())}
    log_proba = np.log(proba[np.arange(len(y_val)), [column[label] for label in y_val]])
    expected = -np.average(log_proba, weights=weights)
    best = min(clf.net_.history[:, "valid_loss"])  # the best epoch's weights are kept
    assert best == pytest.approx(expected, rel=1e-4)


class _InterruptAfter(Callback):
    def __init__(self, epochs):
        self.epochs = epochs

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) >= self.epochs:
            raise KeyboardInterrupt


def test_keyboard_interrupt_leaves_a_usable_model(cycle_data):
    X, y, _ = cycle_data
    clf = NextEventClassifier(max_epochs=50, callbacks=[_InterruptAfter(2)], random_state=0)
    clf.fit(X, y)
    assert clf.n_epochs_ == 2
    assert clf.predict(X[:5]).shape == (5,)


# ---- bad input: clear errors before any training -------------------------------------


@pytest.mark.parametrize(
    "X, y, error, match",
    [
        ([], [], ValueError, "empty"),
        ([["A"], ["B"]], ["A"], ValueError, "inconsistent numbers of samples"),
        ([["A"], ["B"]], ["C", "C"], ValueError, "at least 2 classes"),
        ([["A", None], ["B"]], ["A", "B"], ValueError, r"X\[0\]\[1\] is a missing value"),
        ([["A", float("nan")], ["B"]], ["A", "B"], ValueError, "missing value"),
        ([["A", ["nested"]], ["B"]], ["A", "B"], TypeError, r"hashable.*X\[0\]\[1\] is a list"),
        (["AB", "C"], ["A", "B"], TypeError, r"X\[0\] is a string"),
        ("ABC", ["A", "B", "C"], TypeError, "single string"),
        ([1, 2], ["A", "B"], ValueError, r"X\[0\] is 1, not a history"),
        (np.array([1, 2]), ["A", "B"], ValueError, "Reshape your data"),
        ([{"A", "B"}, ["C"]], ["A", "B"], TypeError, "no order"),
        ([["A"], ["B"]], ["A", None], ValueError, "missing labels"),
        ([["A"], ["B"]], [0.5, 1.5], ValueError, "Unknown label type"),
    ],
)
def test_bad_input_is_a_clear_error(X, y, error, match):
    with pytest.raises(error, match=match):
        NextEventClassifier(**FAST).fit(X, y)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"hidden_size": 0}, "hidden_size"),
        ({"embedding_dim": -1}, "embedding_dim"),
        ({"num_layers": 1.5}, "num_layers"),
        ({"dropout": 1.0}, "dropout"),
        ({"lr": 0}, "lr"),
        ({"batch_size": 0}, "batch_size"),
        ({"max_epochs": 0}, "max_epochs"),
        ({"validation_fraction": 1.0}, "validation_fraction"),
        ({"max_history": 0}, "max_history"),
        ({"min_frequency": 0}, "min_frequency"),
        ({"min_frequency": 2.5}, "min_frequency"),
        ({"num_threads": 0}, "num_threads"),
        ({"device": "gpu-please"}, "device"),
        ({"callbacks": [object()]}, "callbacks"),
        ({"callbacks": "ProgressBar"}, "callbacks"),
    ],
)
def test_bad_hyperparameters_are_named(params, match):
    with pytest.raises((ValueError, TypeError), match=match):
        NextEventClassifier(**params).fit([["A"], ["B"]], ["A", "B"])


def test_all_zero_weights_is_an_error():
    with pytest.raises(ValueError, match="at least one non-zero"):
        NextEventClassifier().fit([["A"], ["B"]], ["A", "B"], sample_weight=[0, 0])


def test_predict_before_fit():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        NextEventClassifier().predict([["A"]])


# ---- Hypothesis: any valid histories are accepted; predictions are well formed --------

events = st.one_of(st.sampled_from(["a", "b", "c"]), st.integers(0, 3))


@settings(max_examples=25, deadline=None)
@given(
    X=st.lists(st.lists(events, max_size=5), min_size=2, max_size=12),
    unseen=st.lists(st.lists(st.one_of(events, st.just("zz")), max_size=6), min_size=1),
)
def test_any_valid_histories_fit_and_predict(X, unseen):
    y = ["even" if i % 2 == 0 else "odd" for i in range(len(X))]
    X_copy = copy.deepcopy(X)
    clf = NextEventClassifier(max_epochs=1, hidden_size=4, embedding_dim=2, random_state=0)
    clf.fit(X, y)
    assert X == X_copy
    proba = clf.predict_proba(unseen)
    assert proba.shape == (len(unseen), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # Each row depends on its own history only, whatever else is in the batch.
    np.testing.assert_allclose(clf.predict_proba(unseen[:1]), proba[:1], rtol=1e-6, atol=1e-7)


def test_documented_defaults():
    # The defaults that bench_at_limit.py and bench_defaults.py measure, as documented.
    params = NextEventClassifier().get_params()
    assert {k: params[k] for k in ("embedding_dim", "hidden_size", "num_layers")} == {
        "embedding_dim": "auto",
        "hidden_size": 64,
        "num_layers": 1,
    }
    assert params["dropout"] == 0.5 and params["lr"] == 0.01 and params["batch_size"] == "auto"
    assert params["lr_schedule"] == "cosine"
    assert params["max_epochs"] is None and params["n_iter_no_change"] is None
    assert params["early_stopping"] == "auto" and params["validation_fraction"] == 0.1
    assert params["copy_from_history"] is True and params["max_history"] is None
    assert params["num_threads"] == 1 and params["device"] == "auto"


def _distinct_chains(n):
    """n one-event histories of n distinct events: n chains, n + 2 events and classes."""
    return [[f"e{i}"] for i in range(n)], ["a", "b"] * (n // 2) + ["a"] * (n % 2)


@pytest.mark.parametrize("n_chains, expected", [(1_999, False), (2_000, True)])
def test_auto_early_stopping_turns_on_from_2000_chains(n_chains, expected):
    X, y = _distinct_chains(n_chains)
    clf = NextEventClassifier(max_epochs=1, hidden_size=4, random_state=0).fit(X, y)
    assert clf.early_stopping_ is expected
    assert ("valid_loss" in clf.net_.history[-1]) is expected


@pytest.mark.parametrize(
    "n_chains, embedding_dim, batch_size",
    # V = n_chains + 2 events and classes: 4 * sqrt(V) is 8.9, 48.9 and 179 here.
    [(3, 16, 16), (148, 64, 16), (2_000, 128, 31)],
)
def test_auto_sizes_follow_the_vocabulary_and_the_chains(n_chains, embedding_dim, batch_size):
    X, y = _distinct_chains(n_chains)
    clf = NextEventClassifier(max_epochs=1, hidden_size=4, early_stopping=False).fit(X, y)
    assert (clf.embedding_dim_, clf.batch_size_) == (embedding_dim, batch_size)
    assert clf.net_.module_.embedding.embedding_dim == embedding_dim
    assert clf.net_.batch_size == batch_size
    assert clf.embedding_dim == "auto" and clf.batch_size == "auto"  # parameters untouched
    fixed = NextEventClassifier(embedding_dim=5, batch_size=7, max_epochs=1).fit(X, y)
    assert (fixed.embedding_dim_, fixed.batch_size_) == (5, 7)


def test_cosine_schedule_lowers_the_learning_rate_along_a_half_cosine(cycle_data):
    X, y, _ = cycle_data
    clf = NextEventClassifier(max_epochs=4, lr=0.02, random_state=0).fit(X, y)
    expected = [0.02 * (1 + np.cos(np.pi * epoch / 4)) / 2 for epoch in range(4)]
    np.testing.assert_allclose(clf.net_.history[:, "event_lr"], expected)
    constant = NextEventClassifier(max_epochs=2, lr=0.02, lr_schedule="constant").fit(X, y)
    assert "event_lr" not in constant.net_.history[-1]
    assert constant.net_.optimizer_.param_groups[0]["lr"] == 0.02


@needs_bfloat16_cpu
def test_bfloat16_mixed_precision_trains_a_valid_model(cycle_data):
    X, y, _ = cycle_data
    clf = NextEventClassifier(max_epochs=30, random_state=0, precision="bfloat16").fit(X, y)
    proba = clf.predict_proba(X)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert clf.score(X, y) == 1.0  # the deterministic cycle is still learned
    # The weights stay float32; only the computation is lowered.
    assert all(p.dtype == torch.float32 for p in clf.net_.module_.parameters())
    # And it is not the float32 model: the batched predictions differ in the low bits.
    plain = NextEventClassifier(max_epochs=30, random_state=0).fit(X, y)
    assert not np.array_equal(proba, plain.predict_proba(X))


def test_bfloat16_on_a_gpu_without_it_is_refused(monkeypatch, cycle_data):
    X, y, _ = cycle_data
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: False)
    clf = NextEventClassifier(**FAST, device="cuda", precision="bfloat16")
    with pytest.raises(ValueError, match="needs a GPU with bfloat16 support"):
        clf.fit(X, y)


def test_the_bfloat16_probe_tells_whether_the_lstm_runs():
    lstm = torch.nn.LSTM(3, 4, batch_first=True)
    inputs = torch.randn(2, 5, 3, requires_grad=True)

    def run():
        with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
            output, _ = lstm(inputs)
        output.float().sum().backward()

    if cpu_runs_bfloat16_lstm():
        run()
    else:
        with pytest.raises(RuntimeError):
            run()


def test_bfloat16_on_a_cpu_without_it_is_refused_in_fit_and_predict(monkeypatch, cycle_data):
    X, y, _ = cycle_data
    fitted = NextEventClassifier(**FAST).fit(X, y)
    expected = fitted.predict_proba(X)
    monkeypatch.setattr(_torch, "cpu_runs_bfloat16_lstm", lambda: False)
    clf = NextEventClassifier(**FAST, device="cpu", precision="bfloat16")
    with pytest.raises(ValueError, match="needs a CPU on which torch runs the LSTM"):
        clf.fit(X, y)
    assert not hasattr(clf, "net_")  # the failed fit left it unfitted
    # A model whose precision is set to bfloat16 after fitting (as a file from a
    # machine with AVX-512 may be) is refused when it predicts, too.
    fitted.set_params(precision="bfloat16", device="cpu")
    with pytest.raises(ValueError, match="needs a CPU on which torch runs the LSTM"):
        fitted.predict_proba(X)
    fitted.set_params(precision="float32")
    np.testing.assert_array_equal(fitted.predict_proba(X), expected)


@needs_bfloat16_cpu
def test_precision_survives_save_and_load(cycle_data, tmp_path):
    from sklearn_seqlstm import load

    X, y, _ = cycle_data
    clf = NextEventClassifier(**FAST, precision="bfloat16").fit(X, y)
    clf.save(tmp_path / "model")
    loaded = load(tmp_path / "model")
    assert loaded.precision == "bfloat16"
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
