"""NDCG, exclude_seen on the top-k metrics and scorers, scoring in blocks, LeaveLastOut."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.model_selection import GridSearchCV

from sklearn_seqlstm import (
    LeaveLastOut,
    MarkovChainClassifier,
    MarkovMemorySampler,
    ndcg_at_k,
    ndcg_scorer,
    next_event_scorers,
    reciprocal_rank,
    reciprocal_rank_scorer,
    top_k_accuracy,
    top_k_scorer,
)
from sklearn_seqlstm.metrics import _blocks
from sklearn_seqlstm.metrics._blocks import take_rows

CLASSES = list("abcde")


@st.composite
def ranking_cases(draw):
    n = draw(st.integers(1, 8))
    proba = np.array(
        draw(
            st.lists(
                st.lists(st.sampled_from([0.0, 0.1, 0.2, 0.5]), min_size=5, max_size=5),
                min_size=n,
                max_size=n,
            )
        )
    )
    y = draw(st.lists(st.sampled_from(CLASSES + ["z"]), min_size=n, max_size=n))
    histories = draw(
        st.lists(st.lists(st.sampled_from(CLASSES + ["q"]), max_size=4), min_size=n, max_size=n)
    )
    k = draw(st.integers(1, 5))
    return y, proba, histories, k


def _reference_ranks(y, proba, histories, exclude_seen):
    """Ranks by a stable sort over the classes left, one row at a time."""
    ranks = []
    for label, row, history in zip(y, proba, histories, strict=True):
        kept = [j for j, c in enumerate(CLASSES) if not (exclude_seen and c in history)]
        order = sorted(kept, key=lambda j: -row[j])  # sorted is stable: ties by column
        ranked = [CLASSES[j] for j in order]
        ranks.append(ranked.index(label) + 1 if label in ranked else np.inf)
    return np.array(ranks, dtype=float)


@settings(max_examples=80, deadline=None)
@given(case=ranking_cases(), exclude_seen=st.booleans())
def test_metrics_follow_a_stable_sort_of_the_classes_left(case, exclude_seen):
    y, proba, histories, k = case
    ranks = _reference_ranks(y, proba, histories, exclude_seen)
    options = dict(classes=CLASSES, exclude_seen=exclude_seen)
    if exclude_seen:
        options["histories"] = histories
    with pytest.warns(UserWarning) if k >= 5 and not exclude_seen else _no_warning():
        hit = top_k_accuracy(y, proba, k=k, **options)
    assert hit == pytest.approx(np.mean(ranks <= k))
    assert reciprocal_rank(y, proba, k=k, **options) == pytest.approx(
        np.mean(np.where(ranks <= k, 1 / ranks, 0))
    )
    assert ndcg_at_k(y, proba, k=k, **options) == pytest.approx(
        np.mean(np.where(ranks <= k, 1 / np.log2(ranks + 1), 0))
    )
    assert ndcg_at_k(y, proba, k=None, **options) == pytest.approx(np.mean(1 / np.log2(ranks + 1)))


class _no_warning:
    def __enter__(self):
        import warnings

        self._catch = warnings.catch_warnings()
        self._catch.__enter__()
        warnings.simplefilter("error")

    def __exit__(self, *exc):
        return self._catch.__exit__(*exc)


def test_ndcg_lies_between_mrr_and_hit():
    rng = np.random.RandomState(0)
    proba = rng.dirichlet(np.ones(5), size=50)
    y = rng.choice(CLASSES, size=50)
    for k in (1, 2, 3):
        mrr = reciprocal_rank(y, proba, classes=CLASSES, k=k)
        ndcg = ndcg_at_k(y, proba, classes=CLASSES, k=k)
        hit = top_k_accuracy(y, proba, classes=CLASSES, k=k)
        assert mrr <= ndcg + 1e-12 and ndcg <= hit + 1e-12


def test_exclude_seen_needs_the_histories_and_only_with_it():
    proba = [[0.5, 0.3, 0.2, 0.0, 0.0]]
    with pytest.raises(ValueError, match="needs histories="):
        top_k_accuracy(["a"], proba, classes=CLASSES, exclude_seen=True)
    with pytest.raises(ValueError, match="only with exclude_seen=True"):
        ndcg_at_k(["a"], proba, classes=CLASSES, histories=[["a"]])
    with pytest.raises(ValueError, match="1 samples"):
        reciprocal_rank(["a"], proba, classes=CLASSES, exclude_seen=True, histories=[[], []])
    with pytest.raises((TypeError, ValueError), match="exclude_seen"):
        top_k_accuracy(["a"], proba, classes=CLASSES, exclude_seen="yes", histories=[[]])


@pytest.fixture(scope="module")
def fitted():
    sampler = MarkovMemorySampler(memory_influence=0.4, random_state=0)
    X, y, groups = sampler.make_dataset(30, 15)
    return X, y, groups, MarkovChainClassifier(order=1).fit(X, y)


@pytest.mark.parametrize("exclude_seen", [False, True])
def test_scorers_equal_their_metrics(fitted, exclude_seen):
    X, y, _, clf = fitted
    proba = clf.predict_proba(X)
    options = dict(classes=clf.classes_, exclude_seen=exclude_seen)
    if exclude_seen:
        options["histories"] = X
    pairs = [
        (top_k_scorer(3, exclude_seen=exclude_seen), top_k_accuracy(y, proba, k=3, **options)),
        (
            reciprocal_rank_scorer(5, exclude_seen=exclude_seen),
            reciprocal_rank(y, proba, k=5, **options),
        ),
        (ndcg_scorer(4, exclude_seen=exclude_seen), ndcg_at_k(y, proba, k=4, **options)),
    ]
    for scorer, expected in pairs:
        assert scorer(clf, X, y) == pytest.approx(expected, rel=1e-12)


def test_scoring_in_blocks_equals_scoring_at_once(fitted, monkeypatch):
    X, y, _, clf = fitted
    scorers = next_event_scorers(ks=(1, 3), ndcg=True, exclude_seen=True)
    assert list(scorers) == ["top_1", "top_3", "mrr", "ndcg_1", "ndcg_3", "neg_log_loss"]
    weight = np.random.RandomState(0).rand(len(y))
    whole = {name: s(clf, X, y, sample_weight=weight) for name, s in scorers.items()}
    monkeypatch.setattr(_blocks, "PROBA_BLOCK", 7 * len(clf.classes_))  # blocks of 7 rows
    for name, scorer in scorers.items():
        assert scorer(clf, X, y, sample_weight=weight) == pytest.approx(whole[name], rel=1e-12)


def test_masking_lifts_a_model_that_ranks_seen_events(fitted):
    """A Markov chain on these chains often ranks the events seen; masking them helps."""
    X, y, _, clf = fitted
    assert top_k_scorer(1, exclude_seen=True)(clf, X, y) != top_k_scorer(1)(clf, X, y)
    assert repr(ndcg_scorer(10, exclude_seen=True)) == "ndcg_scorer(k=10, exclude_seen=True)"
    assert repr(top_k_scorer(2)) == "top_k_scorer(k=2)"


def test_leave_last_out_tests_each_sequences_last_sample(fitted):
    X, y, groups, _ = fitted
    splits = list(LeaveLastOut().split(X, y, groups))
    assert len(splits) == 1 == LeaveLastOut().get_n_splits(X, y, groups)
    train, test = splits[0]
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(len(y)))
    groups = np.asarray(groups)
    assert len(test) == len(np.unique(groups))
    for index in test:
        assert index == np.flatnonzero(groups == groups[index]).max()
    with pytest.raises(ValueError, match="needs groups"):
        list(LeaveLastOut().split(X, y))


def test_grid_search_with_leave_last_out_scores_the_last_samples(fitted):
    X, y, groups, _ = fitted
    search = GridSearchCV(
        MarkovChainClassifier(),
        {"order": [1, 2]},
        scoring=top_k_scorer(3),
        cv=LeaveLastOut(),
    ).fit(X, y, groups=groups)
    train, test = next(LeaveLastOut().split(X, y, groups))
    for order, score in zip([1, 2], search.cv_results_["split0_test_score"], strict=True):
        model = MarkovChainClassifier(order=order).fit(take_rows(X, train), np.asarray(y)[train])
        expected = top_k_scorer(3)(model, take_rows(X, test), np.asarray(y)[test])
        assert score == pytest.approx(expected)
