"""recommend: the k most probable next events, ranked as predict ranks them."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sklearn_seqlstm import (
    BayesOracleClassifier,
    MarkovChainClassifier,
    MarkovMemorySampler,
    NextEventClassifier,
)
from sklearn_seqlstm.metrics._recommend import top_k_indices

FAST = dict(max_epochs=3, hidden_size=16, embedding_dim=8, random_state=0)


@pytest.fixture(scope="module")
def data():
    sampler = MarkovMemorySampler(memory_influence=0.4, random_state=0)
    X, y, _ = sampler.make_dataset(40, 12)
    return sampler, X, y


@pytest.fixture(scope="module")
def estimators(data):
    sampler, X, y = data
    return [
        NextEventClassifier(**FAST).fit(X, y),
        MarkovChainClassifier(order=1).fit(X, y),
        # alpha=0 and order 2: many rows of equal probabilities, so ties are common.
        MarkovChainClassifier(order=2, alpha=0.0).fit(X, y),
        BayesOracleClassifier(sampler).fit(X, y),
    ]


@settings(max_examples=200, deadline=None)
@given(
    scores=st.integers(1, 12).flatmap(
        lambda n: arrays(
            np.float64, (5, n), elements=st.sampled_from([0.0, 0.25, 0.5, 1.0, -np.inf])
        )
    ),
    data=st.data(),
)
def test_top_k_is_the_stable_ranking(scores, data):
    k = data.draw(st.integers(1, scores.shape[1]))
    top = top_k_indices(scores, k)
    # The reference: a stable sort by descending score keeps ties in column order.
    reference = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    reference = np.where(np.take_along_axis(scores, reference, axis=1) == -np.inf, -1, reference)
    np.testing.assert_array_equal(top, reference)
    first = np.where(scores.max(axis=1) == -np.inf, -1, scores.argmax(axis=1))
    np.testing.assert_array_equal(top[:, 0], first)


def test_blocks_of_rows_rank_as_the_whole(monkeypatch):
    from sklearn_seqlstm.metrics import _recommend

    scores = np.random.default_rng(0).integers(0, 4, (50, 7)).astype(float)
    whole = top_k_indices(scores, 3)
    monkeypatch.setattr(_recommend, "_CHUNK", 15)  # blocks of 2 rows
    np.testing.assert_array_equal(top_k_indices(scores, 3), whole)


def test_recommend_one_is_predict(estimators, data):
    _, X, _ = data
    for estimator in estimators:
        np.testing.assert_array_equal(estimator.recommend(X, 1)[:, 0], estimator.predict(X))


@settings(max_examples=30, deadline=None)
@given(
    histories=st.lists(
        st.lists(st.sampled_from(list("ABCDEFGH")), min_size=0, max_size=6),
        min_size=1,
        max_size=6,
    )
)
def test_recommend_one_is_predict_on_any_history(estimators, histories):
    for estimator in estimators[1:3]:  # the ones with ties; the LSTM is checked above
        np.testing.assert_array_equal(
            estimator.recommend(histories, 1)[:, 0], estimator.predict(histories)
        )


def test_recommend_ranks_by_probability(estimators, data):
    _, X, _ = data
    for estimator in estimators:
        k = len(estimator.classes_)
        events, proba = estimator.recommend(X[:30], k, return_proba=True)
        assert events.shape == proba.shape == (30, k)
        full = estimator.predict_proba(X[:30])
        assert np.all(np.diff(proba, axis=1) <= 0)
        columns = np.searchsorted(estimator.classes_, events)
        np.testing.assert_array_equal(np.take_along_axis(full, columns, axis=1), proba)
        # Every class once per row.
        assert all(len(set(row)) == k for row in events.tolist())


def test_exclude_seen_never_recommends_the_history(estimators, data):
    _, X, _ = data
    for estimator in estimators:
        events = estimator.recommend(X[:40], 3, exclude_seen=True)
        for history, row in zip(X[:40], events.tolist(), strict=True):
            assert not set(history) & {e for e in row if e is not None}


def test_exclude_seen_pads_with_none_when_too_few_remain():
    clf = MarkovChainClassifier().fit([["a"], ["b"], ["c"]], ["b", "c", "a"])
    events, proba = clf.recommend([["a", "b"], ["a"]], 2, exclude_seen=True, return_proba=True)
    assert events.dtype == object
    assert events.tolist() == [["c", None], events.tolist()[1]]
    assert None not in events.tolist()[1] and "a" not in events.tolist()[1]
    assert np.isnan(proba[0, 1]) and not np.isnan(proba[1]).any()


def test_recommend_leaves_labels_of_any_type():
    clf = MarkovChainClassifier().fit([[1], [2], [3]], [2, 3, 1])
    events = clf.recommend([[1]], 2)
    assert events.dtype == clf.classes_.dtype


@pytest.mark.parametrize(
    "k, error, match",
    [
        (0, ValueError, "at least 1"),
        (-2, ValueError, "at least 1"),
        (4, ValueError, "exceeds the number of classes"),
        (1.0, TypeError, "integer"),
        (True, TypeError, "integer"),
        ("2", TypeError, "integer"),
        (None, TypeError, "integer"),
    ],
)
def test_bad_k_is_a_clear_error(k, error, match):
    clf = MarkovChainClassifier().fit([["a"], ["b"], ["c"]], ["b", "c", "a"])
    with pytest.raises(error, match=match):
        clf.recommend([["a"]], k)


def test_numpy_integer_k_is_accepted():
    clf = MarkovChainClassifier().fit([["a"], ["b"], ["c"]], ["b", "c", "a"])
    assert clf.recommend([["a"]], np.int64(2)).shape == (1, 2)


def test_recommend_before_fit_is_not_fitted_error():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        MarkovChainClassifier().recommend([["a"]], 1)


def test_recommend_does_not_modify_input(estimators, data):
    _, X, _ = data
    before = [list(h) for h in X[:10]]
    estimators[0].recommend(X[:10], 2, exclude_seen=True)
    assert [list(h) for h in X[:10]] == before
