"""recommend's business rules (candidates, exclude), renormalize, flags and unknown events."""

import warnings

import numpy as np
import pytest

from sklearn_seqlstm import MarkovChainClassifier, MarkovMemorySampler, NextEventClassifier
from sklearn_seqlstm.metrics import _blocks

FAST = dict(max_epochs=2, hidden_size=8, embedding_dim=4, random_state=0)


@pytest.fixture(scope="module")
def data():
    sampler = MarkovMemorySampler(memory_influence=0.4, random_state=0)
    X, y, _ = sampler.make_dataset(30, 12)
    return list(X[::5]), X, y


@pytest.fixture(scope="module")
def models(data):
    _, X, y = data
    return [NextEventClassifier(**FAST).fit(X, y), MarkovChainClassifier(order=1).fit(X, y)]


def _reference(model, histories, k, keep):
    """Top k of predict_proba over the kept classes, by a stable sort."""
    proba = model.predict_proba(histories)
    out = []
    for row, kept in zip(proba, keep, strict=True):
        order = [j for j in np.argsort(-row, kind="stable") if kept[j]][:k]
        out.append([model.classes_[j] for j in order] + [None] * (k - len(order)))
    return out


@pytest.mark.parametrize("exclude_seen", [False, True])
def test_allow_list_deny_list_and_callable_follow_a_stable_sort(models, data, exclude_seen):
    histories, _, _ = data
    for model in models:
        classes = model.classes_.tolist()
        allowed, denied = classes[::2] + ["not a class"], classes[:2]
        per_row = np.random.RandomState(0).rand(len(histories), len(classes)) < 0.6
        seen = np.array([[c in h for c in classes] for h in histories])
        rules = [
            (dict(candidates=allowed), np.isin(classes, allowed)[None, :]),
            (dict(exclude=denied), ~np.isin(classes, denied)[None, :]),
            (
                dict(candidates=lambda rows, rule=per_row: rule[rows], exclude=denied),
                per_row & ~np.isin(classes, denied),
            ),
        ]
        for options, keep in rules:
            keep = np.broadcast_to(keep, seen.shape) & (~seen if exclude_seen else True)
            got = model.recommend(histories, k=4, exclude_seen=exclude_seen, **options)
            assert got.tolist() == _reference(model, histories, 4, keep)


def test_callable_sees_row_indices_of_blocks(models, data, monkeypatch):
    histories, _, _ = data
    model = models[0]
    calls = []

    def rule(rows):
        calls.append(rows.tolist())
        return np.ones((len(rows), len(model.classes_)), dtype=bool)

    monkeypatch.setattr(_blocks, "PROBA_BLOCK", 4 * len(model.classes_))  # blocks of 4 rows
    whole = model.recommend(histories, k=3)
    np.testing.assert_array_equal(model.recommend(histories, k=3, candidates=rule), whole)
    assert sum(calls, []) == list(range(len(histories)))
    assert all(len(rows) <= 4 for rows in calls)


def test_renormalize_divides_by_the_probability_left(models, data):
    histories, _, _ = data
    for model in models:
        proba = model.predict_proba(histories)
        denied = model.classes_[:2].tolist()
        keep = ~np.isin(model.classes_, denied)
        events, raw = model.recommend(histories, k=3, exclude=denied, return_proba=True)
        _, scaled = model.recommend(
            histories, k=3, exclude=denied, renormalize=True, return_proba=True
        )
        np.testing.assert_allclose(scaled, raw / proba[:, keep].sum(axis=1, keepdims=True))
        # With every class kept there is nothing to renormalise.
        _, plain = model.recommend(histories, k=3, renormalize=True, return_proba=True)
        _, unscaled = model.recommend(histories, k=3, return_proba=True)
        np.testing.assert_array_equal(plain, unscaled)


def test_streams_apply_the_same_rules(models, data):
    histories, _, _ = data
    model = models[0]
    denied = model.classes_[:1].tolist()
    allowed = model.classes_[1::2].tolist()
    for history in histories:
        stream = model.stream(history)
        for options in (
            dict(candidates=allowed, exclude=denied, exclude_seen=True),
            dict(candidates=lambda rows: np.ones((1, len(model.classes_)), bool)),
        ):
            got = stream.recommend(k=3, **options)
            expected = model.recommend([history], k=3, **options)[0]
            assert got.tolist() == expected.tolist()
        got, proba = stream.recommend(k=2, exclude=denied, renormalize=True, return_proba=True)
        _, expected = model.recommend(
            [history], k=2, exclude=denied, renormalize=True, return_proba=True
        )
        np.testing.assert_allclose(proba, expected[0], rtol=0, atol=1e-6)


@pytest.mark.parametrize("flag", ["exclude_seen", "return_proba", "renormalize"])
@pytest.mark.parametrize("value", ["no", 0, None, 1.0])
def test_flags_must_be_booleans_everywhere(models, data, flag, value):
    histories, _, _ = data
    for model in models:
        with pytest.raises(TypeError, match=flag):
            model.recommend(histories, k=2, **{flag: value})
    with pytest.raises(TypeError, match=flag):
        models[0].stream(histories[0]).recommend(k=2, **{flag: value})


def test_bad_rules_are_named(models, data):
    histories, _, _ = data
    model = models[0]
    with pytest.raises(TypeError, match="candidates must be a list"):
        model.recommend(histories, k=2, candidates="E1")
    with pytest.raises(TypeError, match="exclude must be a list"):
        model.recommend(histories, k=2, exclude=3)
    with pytest.raises(TypeError, match="boolean numpy array"):
        model.recommend(histories, k=2, candidates=lambda rows: [[True]] * len(rows))
    with pytest.raises(ValueError, match="shape"):
        model.recommend(histories, k=2, candidates=lambda rows: np.ones((1, 1), bool))


def test_nothing_left_gives_none_with_nan(models, data):
    histories, _, _ = data
    model = models[0]
    events, proba = model.recommend(
        histories, k=2, exclude=model.classes_.tolist(), renormalize=True, return_proba=True
    )
    assert all(e is None for e in events.ravel()) and np.isnan(proba).all()


def test_mostly_unknown_events_warn_once_and_name_the_type_mismatch(models, data):
    _, X, y = data
    model = models[0]  # events are strings such as "E1"
    with pytest.warns(UserWarning, match=r"100%.*type int.*type str|type str.*type int") as record:
        model.recommend([[1, 2, 3], [4, 5]], k=2)
    assert len([w for w in record if "never seen in fit" in str(w.message)]) == 1
    with pytest.warns(UserWarning, match="never seen in fit"):
        model.predict_proba([["nope", "never"]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.predict_proba(X)  # known events: silent
        model.recommend([list(X[3]) + ["unknown"]], k=2)  # a few unknown: silent
