import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import get_scorer, make_scorer, top_k_accuracy_score
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from sklearn_seqlstm import (
    k_retrieval_curve,
    k_retrieval_curve_from_estimator,
    neg_log_loss_scorer,
    next_event_scorers,
    reciprocal_rank,
    reciprocal_rank_scorer,
    top_k_accuracy,
    top_k_scorer,
)

# Hand-worked example. Columns are the classes a, b, c, d.
CLASSES = ["a", "b", "c", "d"]
PROBA = [
    [0.10, 0.60, 0.20, 0.10],  # true b: highest -> rank 1
    [0.40, 0.30, 0.20, 0.10],  # true c: a and b above it -> rank 3
    [0.25, 0.25, 0.40, 0.10],  # true a: c above, tied with b but in an earlier column -> rank 2
    [0.70, 0.10, 0.10, 0.10],  # true e: not a class -> rank infinite
    [0.10, 0.20, 0.30, 0.40],  # true a: lowest -> rank 4
]
Y_TRUE = ["b", "c", "a", "e", "a"]
# Ranks 1, 3, 2, inf, 4 over 5 samples, so:
# top-1 = 1/5, top-2 = 2/5, top-3 = 3/5, top-4 = 4/5 (the unseen e is never a hit);
# MRR = (1 + 1/3 + 1/2 + 0 + 1/4) / 5 = (25/12) / 5 = 5/12;
# MRR@2 = (1 + 0 + 1/2 + 0 + 0) / 5 = 3/10; MRR@3 = (1 + 1/3 + 1/2) / 5 = 11/30.


@pytest.mark.parametrize("k, expected", [(1, 0.2), (2, 0.4), (3, 0.6), (4, 0.8), (10, 0.8)])
def test_top_k_accuracy_hand_worked(k, expected):
    assert top_k_accuracy(Y_TRUE, PROBA, classes=CLASSES, k=k) == pytest.approx(expected)


@pytest.mark.parametrize("k, expected", [(None, 5 / 12), (1, 0.2), (2, 0.3), (3, 11 / 30)])
def test_reciprocal_rank_hand_worked(k, expected):
    assert reciprocal_rank(Y_TRUE, PROBA, classes=CLASSES, k=k) == pytest.approx(expected)


def test_k_retrieval_curve_hand_worked():
    ks, accuracies = k_retrieval_curve(Y_TRUE, PROBA, classes=CLASSES)
    np.testing.assert_array_equal(ks, [1, 2, 3, 4])
    np.testing.assert_allclose(accuracies, [0.2, 0.4, 0.6, 0.8])
    ks, accuracies = k_retrieval_curve(Y_TRUE, PROBA, classes=CLASSES, max_k=6)
    np.testing.assert_allclose(accuracies, [0.2, 0.4, 0.6, 0.8, 0.8, 0.8])


def test_ties_are_broken_by_column_order_like_predict():
    # Equal probabilities everywhere: the true event ranks by its column, as in a
    # stable sort: a (column 0) ranks 1, b ranks 2, d ranks 4.
    proba = np.full((3, 4), 0.25)
    y_true = ["a", "b", "d"]
    assert top_k_accuracy(y_true, proba, classes=CLASSES, k=1) == pytest.approx(1 / 3)
    assert top_k_accuracy(y_true, proba, classes=CLASSES, k=3) == pytest.approx(2 / 3)
    assert top_k_accuracy(y_true, proba, classes=CLASSES, k=4) == 1.0
    assert reciprocal_rank(y_true, proba, classes=CLASSES) == pytest.approx((1 + 1 / 2 + 1 / 4) / 3)


@settings(max_examples=50, deadline=None)
@given(
    st.integers(2, 5).flatmap(
        lambda n: st.tuples(
            st.lists(
                st.lists(st.sampled_from([0.0, 0.25, 0.5]), min_size=n, max_size=n),
                min_size=1,
                max_size=20,
            ),
            st.lists(st.integers(0, n - 1), min_size=20, max_size=20),
        )
    )
)
def test_top_1_accuracy_is_the_accuracy_of_argmax(problem):
    rows, labels = problem
    proba = np.asarray(rows)
    y_true = np.asarray(labels[: len(rows)])
    classes = np.arange(proba.shape[1])
    expected = np.mean(classes[np.argmax(proba, axis=1)] == y_true)
    assert top_k_accuracy(y_true, proba, classes=classes, k=1) == pytest.approx(expected)


def test_column_order_follows_classes():
    # Reordering the columns together with `classes` changes nothing.
    order = [2, 0, 3, 1]
    proba = np.asarray(PROBA)[:, order]
    classes = np.asarray(CLASSES)[order]
    for k in (1, 2, 3):
        assert top_k_accuracy(Y_TRUE, proba, classes=classes, k=k) == pytest.approx(
            top_k_accuracy(Y_TRUE, PROBA, classes=CLASSES, k=k)
        )
    assert reciprocal_rank(Y_TRUE, proba, classes=classes) == pytest.approx(5 / 12)


def _random_problem(rng, n_samples=300, n_classes=6, n_unseen=0):
    """Tie-free random probabilities; labels 0..n_classes-1 plus n_unseen unseen ones."""
    proba = rng.dirichlet(np.ones(n_classes), size=n_samples)
    y_true = rng.integers(0, n_classes + n_unseen, size=n_samples)
    return y_true, proba, np.arange(n_classes)


@pytest.mark.parametrize("weighted", [False, True])
def test_top_k_accuracy_matches_sklearn_when_all_labels_known(weighted):
    rng = np.random.default_rng(0)
    y_true, proba, classes = _random_problem(rng)
    sample_weight = rng.uniform(0.1, 3.0, size=len(y_true)) if weighted else None
    for k in range(1, len(classes)):
        expected = top_k_accuracy_score(
            y_true, proba, k=k, labels=classes, sample_weight=sample_weight
        )
        ours = top_k_accuracy(y_true, proba, classes=classes, k=k, sample_weight=sample_weight)
        assert ours == pytest.approx(expected)


def test_reciprocal_rank_is_mean_inverse_rank():
    rng = np.random.default_rng(1)
    y_true, proba, classes = _random_problem(rng)
    # Rank by sorting: position of the true column in the descending order, plus 1.
    descending = np.argsort(-proba, axis=1)
    ranks = 1 + np.argmax(descending == y_true[:, None], axis=1)
    assert reciprocal_rank(y_true, proba, classes=classes) == pytest.approx(np.mean(1 / ranks))
    mrr_at_2 = np.mean(np.where(ranks <= 2, 1 / ranks, 0.0))
    assert reciprocal_rank(y_true, proba, classes=classes, k=2) == pytest.approx(mrr_at_2)


def test_unseen_labels_count_as_misses():
    rng = np.random.default_rng(2)
    y_true, proba, classes = _random_problem(rng, n_unseen=2)
    known = np.isin(y_true, classes)
    assert 0 < known.mean() < 1
    n_classes = len(classes)
    # Every known label is within the top n_classes; every unseen one never is.
    assert top_k_accuracy(y_true, proba, classes=classes, k=n_classes) == pytest.approx(
        known.mean()
    )
    # The unseen samples add 0 to the sums but count in the denominator.
    for k in (1, 3):
        on_known = top_k_accuracy(y_true[known], proba[known], classes=classes, k=k)
        assert top_k_accuracy(y_true, proba, classes=classes, k=k) == pytest.approx(
            on_known * known.mean()
        )
    on_known = reciprocal_rank(y_true[known], proba[known], classes=classes)
    assert reciprocal_rank(y_true, proba, classes=classes) == pytest.approx(on_known * known.mean())


def test_k_retrieval_curve_is_non_decreasing_and_ends_at_known_fraction():
    rng = np.random.default_rng(3)
    y_true, proba, classes = _random_problem(rng, n_unseen=1)
    ks, accuracies = k_retrieval_curve(y_true, proba, classes=classes)
    np.testing.assert_array_equal(ks, np.arange(1, len(classes) + 1))
    assert np.all(np.diff(accuracies) >= 0)
    assert accuracies[-1] == pytest.approx(np.isin(y_true, classes).mean())


@pytest.mark.parametrize(
    "metric",
    [
        lambda *args, **kwargs: top_k_accuracy(*args, k=2, **kwargs),
        lambda *args, **kwargs: reciprocal_rank(*args, **kwargs),
        lambda *args, **kwargs: k_retrieval_curve(*args, **kwargs)[1],
    ],
    ids=["top_k_accuracy", "reciprocal_rank", "k_retrieval_curve"],
)
def test_weight_two_equals_a_repeated_row(metric):
    rng = np.random.default_rng(4)
    y_true, proba, classes = _random_problem(rng, n_samples=40, n_unseen=1)
    sample_weight = np.where(np.arange(40) % 3 == 0, 2.0, 1.0)
    repeated = np.repeat(np.arange(40), sample_weight.astype(int))
    np.testing.assert_allclose(
        metric(y_true, proba, classes=classes, sample_weight=sample_weight),
        metric(y_true[repeated], proba[repeated], classes=classes),
    )


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"proba": [0.2, 0.8]}, ValueError, "2D"),
        ({"proba": [[0.2, 0.8]] * 5}, ValueError, "2 columns but there are 4 classes"),
        ({"y_true": ["a", "b"]}, ValueError, "2 labels but proba has 5 rows"),
        ({"classes": ["a", "b", "b", "d"]}, ValueError, "duplicates"),
        ({"classes": [["a", "b", "c", "d"]]}, ValueError, "1-D"),
        ({"sample_weight": [1.0, 2.0]}, ValueError, "sample_weight"),
        ({"k": 0}, ValueError, "'k' parameter"),
        ({"k": 1.5}, TypeError, "'k' parameter"),
        ({"k": "3"}, TypeError, "'k' parameter"),
    ],
)
def test_top_k_accuracy_rejects_bad_input(kwargs, error, match):
    arguments = {"y_true": Y_TRUE, "proba": PROBA, "classes": CLASSES, **kwargs}
    with pytest.raises(error, match=match):
        top_k_accuracy(**arguments)


@pytest.mark.parametrize(
    "metric, kwargs",
    [(reciprocal_rank, {"k": 0}), (k_retrieval_curve, {"max_k": 0})],
)
def test_other_metrics_reject_k_below_one(metric, kwargs):
    with pytest.raises(ValueError, match="parameter"):
        metric(Y_TRUE, PROBA, classes=CLASSES, **kwargs)


@st.composite
def next_event_problems(draw):
    """Probabilities with frequent ties; labels partly outside the classes."""
    n_samples = draw(st.integers(1, 25))
    n_classes = draw(st.integers(1, 6))
    values = st.sampled_from([0.0, 0.1, 0.25, 0.5, 1.0]) | st.floats(0, 1)
    proba = draw(arrays(np.float64, (n_samples, n_classes), elements=values))
    y_true = draw(arrays(np.int64, n_samples, elements=st.integers(0, n_classes + 1)))
    sample_weight = draw(st.none() | arrays(np.float64, n_samples, elements=st.floats(0.1, 10)))
    return y_true, proba, np.arange(n_classes), sample_weight


@settings(deadline=None, max_examples=100)
@given(next_event_problems())
def test_properties_of_top_k_and_reciprocal_rank(problem):
    y_true, proba, classes, sample_weight = problem
    n_classes = len(classes)
    kwargs = {"classes": classes, "sample_weight": sample_weight}
    top_k = [top_k_accuracy(y_true, proba, k=k, **kwargs) for k in range(1, n_classes + 2)]
    assert all(0.0 <= score <= 1.0 for score in top_k)
    assert top_k == sorted(top_k)  # non-decreasing in k
    mrr = reciprocal_rank(y_true, proba, **kwargs)
    assert top_k[0] <= mrr <= 1.0
    mrr_at_k = [reciprocal_rank(y_true, proba, k=k, **kwargs) for k in range(1, n_classes + 1)]
    assert mrr_at_k == sorted(mrr_at_k)
    assert mrr_at_k[-1] == pytest.approx(mrr)
    ks, curve = k_retrieval_curve(y_true, proba, max_k=n_classes + 1, **kwargs)
    np.testing.assert_allclose(curve, top_k)


# Scorers


@pytest.fixture(scope="module")
def events():
    """Four next events whose features are shifted by the event; 8 groups of 20."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, size=160)
    X = rng.normal(size=(160, 3)) + y[:, None] * np.array([1.0, -0.5, 0.3])
    groups = np.repeat(np.arange(8), 20)
    return X, y, groups


@pytest.fixture(scope="module")
def fitted(events):
    X, y, _ = events
    return LogisticRegression().fit(X, y)


def test_next_event_scorers_in_grid_search_with_group_k_fold(events):
    X, y, groups = events
    search = GridSearchCV(
        LogisticRegression(),
        {"C": [0.01, 1.0]},
        scoring=next_event_scorers(),
        refit="top_3",
        cv=GroupKFold(n_splits=4),
        n_jobs=1,
    ).fit(X, y, groups=groups)
    results = search.cv_results_
    top_1, top_3, top_5, mrr, neg_log_loss = (
        results[f"mean_test_{name}"] for name in ["top_1", "top_3", "top_5", "mrr", "neg_log_loss"]
    )
    assert np.all((top_1 <= top_3) & (top_3 <= top_5) & (top_5 <= 1.0))
    assert np.all((top_1 <= mrr) & (mrr <= 1.0))
    np.testing.assert_allclose(top_5, 1.0)  # 4 classes, all seen in every training fold
    assert np.all(neg_log_loss < 0)
    assert search.best_index_ == np.argmax(top_3)
    assert search.best_score_ == top_3[search.best_index_]


def test_scorers_work_with_a_pipeline(events):
    X, y, _ = events
    pipeline = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    proba = pipeline.predict_proba(X)
    assert top_k_scorer(2)(pipeline, X, y) == top_k_accuracy(
        y, proba, classes=pipeline.classes_, k=2
    )
    assert reciprocal_rank_scorer()(pipeline, X, y) == reciprocal_rank(
        y, proba, classes=pipeline.classes_
    )


def _unseen_event_split():
    """Groups 0-2 hold events 0, 1, 2; group 3 also holds event 3, never seen elsewhere."""
    rng = np.random.default_rng(5)
    y = np.concatenate([np.tile([0, 1, 2], 30), np.tile([0, 1, 2, 3], 10)])
    groups = np.concatenate([np.repeat([0, 1, 2], 30), np.full(40, 3)])
    X = rng.normal(size=(len(y), 2)) + y[:, None]
    train, test = np.flatnonzero(groups < 3), np.flatnonzero(groups == 3)
    return X, y, groups, train, test


def test_cross_val_score_counts_unseen_event_as_miss():
    X, y, groups, train, test = _unseen_event_split()
    scores = cross_val_score(
        LogisticRegression(),
        X,
        y,
        groups=groups,
        cv=GroupKFold(n_splits=4),
        scoring=top_k_scorer(2),
        error_score="raise",
    )
    assert np.all((scores >= 0) & (scores <= 1))
    # The split whose test fold holds event 3, done by hand.
    [score] = cross_val_score(
        LogisticRegression(), X, y, cv=[(train, test)], scoring=top_k_scorer(2)
    )
    model = LogisticRegression().fit(X[train], y[train])
    known = y[test] != 3
    on_known = top_k_accuracy(
        y[test][known], model.predict_proba(X[test][known]), classes=model.classes_, k=2
    )
    assert score == pytest.approx(on_known * known.mean())  # event 3 adds only misses
    assert score <= known.mean() == 0.75


def test_sklearn_top_k_scorer_raises_on_unseen_event():
    # Why this module exists: scikit-learn's own top-k scorer fails on this split.
    X, y, _, train, test = _unseen_event_split()
    sklearn_scorer = make_scorer(top_k_accuracy_score, k=2, response_method="predict_proba")
    with pytest.raises(ValueError, match="Number of classes"):
        cross_val_score(
            LogisticRegression(),
            X,
            y,
            cv=[(train, test)],
            scoring=sklearn_scorer,
            error_score="raise",
        )


def test_neg_log_loss_scorer_matches_sklearn_when_all_labels_known(fitted, events):
    X, y, _ = events
    expected = get_scorer("neg_log_loss")(fitted, X, y)
    assert neg_log_loss_scorer()(fitted, X, y) == pytest.approx(expected)


def test_neg_log_loss_scorer_gives_unseen_event_probability_eps():
    X, y, _, train, test = _unseen_event_split()
    model = LogisticRegression().fit(X[train], y[train])
    proba = model.predict_proba(X[test])
    known = y[test] != 3
    losses = np.full(len(test), -np.log(1e-6))
    losses[known] = -np.log(proba[known, y[test][known]])
    score = neg_log_loss_scorer(eps=1e-6)(model, X[test], y[test])
    assert score == pytest.approx(-losses.mean())
    with pytest.raises(ValueError):
        get_scorer("neg_log_loss")(model, X[test], y[test])


def test_scorers_respect_sample_weight_from_grid_search(events):
    # scikit-learn passes fit's sample_weight on to the scorers of a multi-metric
    # search; each scorer must accept it.
    X, y, _ = events
    sample_weight = np.where(y == 0, 3.0, 1.0)
    train, test = np.arange(100), np.arange(100, 160)
    search = GridSearchCV(
        LogisticRegression(),
        {"C": [1.0]},
        scoring=next_event_scorers(),
        refit=False,
        cv=[(train, test)],
    ).fit(X, y, sample_weight=sample_weight)
    model = LogisticRegression().fit(X[train], y[train], sample_weight=sample_weight[train])
    expected = top_k_accuracy(
        y[test],
        model.predict_proba(X[test]),
        classes=model.classes_,
        sample_weight=sample_weight[test],
    )
    assert search.cv_results_["mean_test_top_1"][0] == pytest.approx(expected)


def test_scorers_survive_pickle_and_grid_search(fitted, events):
    X, y, groups = events
    scorers = next_event_scorers()
    restored = pickle.loads(pickle.dumps(scorers))
    for name, scorer in scorers.items():
        assert repr(restored[name]) == repr(scorer)
        assert restored[name](fitted, X, y) == scorer(fitted, X, y)
    search = GridSearchCV(
        LogisticRegression(), {"C": [0.1, 1.0]}, scoring=restored["mrr"], cv=GroupKFold(2), n_jobs=1
    ).fit(X, y, groups=groups)
    assert 0 < search.best_score_ <= 1


def test_scorer_reprs():
    assert repr(top_k_scorer(3)) == "top_k_scorer(k=3)"
    assert repr(reciprocal_rank_scorer()) == "reciprocal_rank_scorer(k=None)"
    assert repr(reciprocal_rank_scorer(k=5)) == "reciprocal_rank_scorer(k=5)"
    assert repr(neg_log_loss_scorer()) == "neg_log_loss_scorer(eps=1e-15)"


def test_next_event_scorers_keys():
    assert list(next_event_scorers()) == ["top_1", "top_3", "top_5", "mrr", "neg_log_loss"]
    assert list(next_event_scorers(ks=[2], mrr=False, log_loss=False)) == ["top_2"]


@pytest.mark.parametrize(
    "estimator",
    [LinearSVC(), Ridge(), make_pipeline(StandardScaler(), LinearSVC())],
    ids=["LinearSVC", "Ridge", "Pipeline(LinearSVC)"],
)
def test_scorers_reject_estimator_without_predict_proba(estimator, events):
    X, y, _ = events
    estimator.fit(X, y)
    for scorer in next_event_scorers().values():
        with pytest.raises(TypeError, match="has no predict_proba"):
            scorer(estimator, X, y)
    with pytest.raises(TypeError, match="has no predict_proba"):
        k_retrieval_curve_from_estimator(estimator, X, y)


@pytest.mark.parametrize(
    "factory, kwargs, error",
    [
        (top_k_scorer, {"k": 0}, ValueError),
        (top_k_scorer, {"k": 1.5}, TypeError),
        (top_k_scorer, {"k": "3"}, TypeError),
        (reciprocal_rank_scorer, {"k": 0}, ValueError),
        (reciprocal_rank_scorer, {"k": 1.5}, TypeError),
        (neg_log_loss_scorer, {"eps": 0}, ValueError),
        (neg_log_loss_scorer, {"eps": 1.0}, ValueError),
        (next_event_scorers, {"ks": (1, 0)}, ValueError),
        (next_event_scorers, {"ks": (), "mrr": False, "log_loss": False}, ValueError),
    ],
)
def test_scorer_creation_rejects_bad_parameters(factory, kwargs, error):
    with pytest.raises(error):
        factory(**kwargs)


def test_k_retrieval_curve_from_estimator_matches_predictions(fitted, events):
    X, y, _ = events
    ks, accuracies = k_retrieval_curve_from_estimator(fitted, X, y, max_k=3)
    expected = k_retrieval_curve(y, fitted.predict_proba(X), classes=fitted.classes_, max_k=3)
    np.testing.assert_array_equal(ks, expected[0])
    np.testing.assert_array_equal(accuracies, expected[1])


def test_top_k_accuracy_warns_when_k_covers_every_class():
    proba = [[0.2, 0.5, 0.3], [0.6, 0.3, 0.1]]
    with pytest.warns(UserWarning, match=r"k=3 is at least the number of classes \(3\)"):
        assert top_k_accuracy(["a", "c"], proba, classes=["a", "b", "c"], k=3) == 1.0


def test_top_k_accuracy_is_silent_below_the_number_of_classes(recwarn):
    top_k_accuracy(["a"], [[0.2, 0.5, 0.3]], classes=["a", "b", "c"], k=2)
    assert not [w for w in recwarn if "number of classes" in str(w.message)]
