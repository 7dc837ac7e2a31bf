"""HistoryStream: a live history followed one event at a time, equal to predict_proba."""

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn_seqlstm import MarkovMemorySampler, NextEventClassifier

FAST = dict(max_epochs=2, hidden_size=16, embedding_dim=8, random_state=0)
EVENTS = list("ABCDEFGH") + ["never seen"]


@pytest.fixture(scope="module")
def data():
    X, y, _ = MarkovMemorySampler(memory_influence=0.5, random_state=0).make_dataset(40, 12)
    return X, y


@pytest.fixture(scope="module", params=["copy", "no copy", "max_history", "two layers"])
def model(request, data):
    settings_ = {
        "copy": {},
        "no copy": {"copy_from_history": False},
        "max_history": {"max_history": 4},
        "two layers": {"num_layers": 2},
    }[request.param]
    return NextEventClassifier(**FAST, **settings_).fit(*data)


def _history(length, seed=0):
    rng = np.random.default_rng(seed)
    return [EVENTS[i] for i in rng.integers(0, len(EVENTS), length)]


def test_stream_equals_predict_proba_at_every_step(model):
    history = _history(150)
    stream = model.stream()
    np.testing.assert_allclose(stream.predict_proba(), model.predict_proba([[]])[0], atol=1e-6)
    expected = model.predict_proba([history[: t + 1] for t in range(len(history))])
    for t, event in enumerate(history):
        stream.push(event)
        np.testing.assert_allclose(stream.predict_proba(), expected[t], rtol=0, atol=1e-6)
    assert stream.n_events == len(history)


@pytest.mark.slow
def test_stream_equals_predict_proba_on_a_long_history(data):
    model = NextEventClassifier(**FAST).fit(*data)
    history = _history(1000, seed=1)
    stream = model.stream()
    expected = model.predict_proba([history[: t + 1] for t in range(0, 1000, 7)])
    for t, event in enumerate(history):
        stream.push(event)
        if t % 7 == 0:
            np.testing.assert_allclose(stream.predict_proba(), expected[t // 7], atol=1e-6)


@settings(max_examples=20, deadline=None)
@given(history=st.lists(st.sampled_from(EVENTS), max_size=12))
def test_stream_from_a_history_equals_predict(model, history):
    stream = model.stream(history)
    np.testing.assert_allclose(stream.predict_proba(), model.predict_proba([history])[0], atol=1e-6)
    assert stream.predict() == model.predict([history])[0]
    for exclude_seen in (False, True):
        np.testing.assert_array_equal(
            stream.recommend(3, exclude_seen=exclude_seen),
            model.recommend([history], 3, exclude_seen=exclude_seen)[0],
        )


def test_copy_and_reset(model):
    history = _history(10)
    stream = model.stream(history)
    branch = stream.copy().push("A")
    np.testing.assert_allclose(stream.predict_proba(), model.predict_proba([history])[0], atol=1e-6)
    np.testing.assert_allclose(
        branch.predict_proba(), model.predict_proba([[*history, "A"]])[0], atol=1e-6
    )
    stream.reset()
    assert stream.n_events == 0
    np.testing.assert_allclose(stream.predict_proba(), model.predict_proba([[]])[0], atol=1e-6)


def test_stream_pickles(model):
    stream = model.stream(_history(9))
    again = pickle.loads(pickle.dumps(stream))
    np.testing.assert_array_equal(again.predict_proba(), stream.predict_proba())
    again.push("B")
    np.testing.assert_allclose(
        again.predict_proba(), model.predict_proba([[*_history(9), "B"]])[0], atol=1e-6
    )


def test_stream_saves_and_loads(model, tmp_path):
    history = _history(7)
    stream = model.stream(history)
    stream.save(tmp_path / "session")
    with pytest.raises(FileExistsError, match="overwrite"):
        stream.save(tmp_path / "session")
    loaded = model.load_stream(tmp_path / "session")
    assert loaded.n_events == 7
    np.testing.assert_array_equal(loaded.predict_proba(), stream.predict_proba())
    for event in ["C", "never seen", "A", "B", "D"]:
        loaded.push(event)
        history.append(event)
        np.testing.assert_allclose(
            loaded.predict_proba(), model.predict_proba([history])[0], atol=1e-6
        )
    np.testing.assert_array_equal(
        loaded.recommend(2, exclude_seen=True), model.recommend([history], 2, exclude_seen=True)[0]
    )


def test_stream_of_another_model_is_refused(model, data, tmp_path):
    model.stream(["A"]).save(tmp_path / "session")
    other = NextEventClassifier(**{**FAST, "random_state": 1}).fit(*data)
    with pytest.raises(ValueError, match="another model"):
        other.load_stream(tmp_path / "session")
    (tmp_path / "junk").write_bytes(b"\x80\x04not a stream")
    with pytest.raises(ValueError, match="not a saved stream"):
        model.load_stream(tmp_path / "junk")


@pytest.mark.parametrize(
    "event, error, match",
    [
        (None, ValueError, "missing"),
        (float("nan"), ValueError, "missing"),
        (np.datetime64("NaT"), ValueError, "missing"),
        (["A"], TypeError, "hashable"),
        ({"A": 1}, TypeError, "hashable"),
    ],
)
def test_bad_events_are_refused(model, event, error, match):
    stream = model.stream(["A"])
    before = stream.predict_proba()
    with pytest.raises(error, match=match):
        stream.push(event)
    assert stream.n_events == 1
    np.testing.assert_array_equal(stream.predict_proba(), before)


def test_pd_na_and_nat_are_refused(model):
    import pandas as pd

    for event in (pd.NA, pd.NaT):
        with pytest.raises(ValueError, match="missing"):
            model.stream().push(event)


def test_stream_needs_a_fitted_model():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        NextEventClassifier().stream()


def test_stream_history_must_not_be_a_string(model):
    with pytest.raises(TypeError, match="string"):
        model.stream("ABC")


def test_predict_proba_result_is_not_shared(model):
    stream = model.stream(["A"])
    proba = stream.predict_proba()
    proba[:] = 0
    assert stream.predict_proba().sum() == pytest.approx(1.0)


def test_one_history_fast_path_equals_the_batched_path(model):
    for history in ([], ["A"], _history(20), _history(40, seed=3)):
        # The same module call: identical to the last bit.
        np.testing.assert_array_equal(
            model.predict_proba([history]), model._predict_proba_chains([tuple(history)])
        )


@settings(max_examples=40, deadline=None)
@given(history=st.lists(st.sampled_from(EVENTS), max_size=30))
def test_fast_path_is_bitwise_the_batched_path(model, history):
    np.testing.assert_array_equal(
        model.predict_proba([history]), model._predict_proba_chains([tuple(history)])
    )


def test_predict_proba_of_one_history_has_one_row(model):
    assert model.predict_proba([["A", "B"]]).shape == (1, len(model.classes_))
