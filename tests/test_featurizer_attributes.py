"""SequenceFeaturizer on attributed histories: the logistic baseline sees what the LSTM sees.

Issue 10, item 3: the last event's attributes, the sequence attributes and the time
features of the last event, switched on by ``attributes`` and ``time_features``.
"""

import copy
import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy import sparse
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_seqlstm import (
    AttributedHistories,
    MarkovChainClassifier,
    SequenceFeaturizer,
    samples_from_log,
)

ALL = dict(attributes=True, time_features=True)
# Only the attribute and time features, to read them without the event blocks.
ONLY = dict(n_last=0, counts=False, length=False, **ALL)


def _histories(times=True):
    """Three sequences, each history a prefix (the empty one included)."""
    sequences = [("a", "b", "c"), ("b", "a"), ("c",)]
    return AttributedHistories(
        sequences,
        sequence_index=[0, 0, 0, 1, 1, 2, 2],
        lengths=[0, 1, 3, 1, 2, 1, 0],
        times=[[0.0, 10.0, 100.0], [5.0, 5.0], [7.0]] if times else None,
        event_attributes={
            "who": [["x", "y", None], ["y", "z"], ["x"]],
            "price": [[1.5, np.nan, 3.0], [2.0, 4.0], [np.nan]],
        },
        sequence_attributes={"segment": ["gold", "silver", "gold"], "age": [30.0, np.nan, 50.0]},
    )


def _columns(featurizer, features):
    features = features.toarray() if sparse.issparse(features) else features
    return dict(zip(featurizer.get_feature_names_out().tolist(), features.T, strict=True))


def test_attribute_and_time_features_by_hand():
    X = _histories()
    featurizer = SequenceFeaturizer(**ONLY).fit(X)
    # Categories are learned from the last events of the histories of fit: who is
    # x (history 1), None (2), y (3), z (4), x (5); the empty histories have none.
    assert featurizer.categories_ == {"who": ["x", "y", "z"], "segment": ["gold", "silver"]}
    assert featurizer.event_attributes_ == ["who", "price"]
    assert featurizer.sequence_attributes_ == ["segment", "age"]
    assert featurizer.time_kind_ == "numeric"
    assert featurizer.get_feature_names_out().tolist() == [
        "last_1.who=x",
        "last_1.who=y",
        "last_1.who=z",
        "last_1.who=<unseen>",
        "last_1.who=<missing>",
        "last_1.price",
        "last_1.price=<missing>",
        "sequence.segment=gold",
        "sequence.segment=silver",
        "sequence.segment=<unseen>",
        "sequence.segment=<missing>",
        "sequence.age",
        "sequence.age=<missing>",
        "last_1.log1p_seconds_since_previous",
        "last_1.log1p_seconds_since_start",
    ]
    got = _columns(featurizer, featurizer.transform(X))
    assert_array_equal(got["last_1.who=x"], [0, 1, 0, 0, 0, 1, 0])
    assert_array_equal(got["last_1.who=<missing>"], [0, 0, 1, 0, 0, 0, 0])
    assert_array_equal(got["last_1.who=<unseen>"], np.zeros(7))
    assert_array_equal(got["last_1.price"], [0, 1.5, 3.0, 2.0, 4.0, 0, 0])
    assert_array_equal(got["last_1.price=<missing>"], [0, 0, 0, 0, 0, 1, 0])
    assert_array_equal(got["sequence.segment=gold"], [1, 1, 1, 0, 0, 1, 1])
    assert_array_equal(got["sequence.age"], [30, 30, 30, 0, 0, 50, 50])
    assert_array_equal(got["sequence.age=<missing>"], [0, 0, 0, 1, 1, 0, 0])
    assert_allclose(got["last_1.log1p_seconds_since_previous"], np.log1p([0, 0, 90, 0, 0, 0, 0]))
    assert_allclose(got["last_1.log1p_seconds_since_start"], np.log1p([0, 0, 100, 0, 0, 0, 0]))


def test_unseen_categories_go_to_their_bucket():
    featurizer = SequenceFeaturizer(**ONLY).fit(_histories())
    X = AttributedHistories(
        [("a", "b")],
        [0, 0],
        [1, 2],
        times=[[0.0, 1.0]],
        event_attributes={"who": [["w", "x"]], "price": [[1.0, 2.0]]},
        sequence_attributes={"segment": ["bronze"], "age": [20.0]},
    )
    got = _columns(featurizer, featurizer.transform(X))
    assert_array_equal(got["last_1.who=<unseen>"], [1, 0])
    assert_array_equal(got["last_1.who=x"], [0, 1])
    assert_array_equal(got["sequence.segment=<unseen>"], [1, 1])


def test_calendar_features_of_datetimes():
    # 2024-05-01 was a Wednesday (weekday 2, Monday being 0); 06:00 UTC is a quarter day.
    frame = pd.DataFrame(
        {
            "events": [["a", "b"]],
            "time": [pd.to_datetime(["2024-04-30 23:00", "2024-05-01 06:00"], utc=True)],
        }
    )
    featurizer = SequenceFeaturizer(**ONLY).fit(frame)
    assert featurizer.time_kind_ == "datetime"
    got = _columns(featurizer, featurizer.transform(frame))
    assert_allclose(got["last_1.log1p_seconds_since_previous"], np.log1p([7 * 3600]))
    assert_allclose(got["last_1.hour_sin"], [1.0], atol=1e-12)
    assert_allclose(got["last_1.hour_cos"], [0.0], atol=1e-12)
    assert_allclose(got["last_1.weekday_sin"], [np.sin(2 * np.pi * 2 / 7)])
    assert_allclose(got["last_1.weekday_cos"], [np.cos(2 * np.pi * 2 / 7)])


def test_the_event_features_come_first_and_are_unchanged():
    X = _histories()
    plain = SequenceFeaturizer(n_last=2).fit(list(X))
    both = SequenceFeaturizer(n_last=2, **ALL).fit(X)
    width = len(plain.get_feature_names_out())
    assert both.get_feature_names_out()[:width].tolist() == plain.get_feature_names_out().tolist()
    assert_array_equal(both.transform(X)[:, :width].toarray(), plain.transform(list(X)).toarray())


def test_switched_off_the_attributes_are_ignored():
    X = _histories()
    default = SequenceFeaturizer().fit(X)
    assert default.event_attributes_ == [] and default.time_kind_ is None
    assert_array_equal(
        default.transform(X).toarray(), SequenceFeaturizer().fit_transform(list(X)).toarray()
    )
    # Switched off, attributes at transform time that fit never saw are ignored too.
    assert default.transform(list(X)).shape == default.transform(X).shape


def test_switched_on_without_attributes_in_x_adds_nothing():
    X = [["a", "b"], ["b"]]
    on = SequenceFeaturizer(**ALL).fit(X)
    assert_array_equal(
        on.get_feature_names_out(), SequenceFeaturizer().fit(X).get_feature_names_out()
    )
    with pytest.raises(ValueError, match="no feature to make"):
        SequenceFeaturizer(**ONLY).fit(X)


def test_sparse_and_dense_output_agree_and_pandas_output_is_named():
    X = _histories()
    dense = SequenceFeaturizer(n_last=2, sparse_output=False, **ALL).fit(X)
    sparse_ = SequenceFeaturizer(n_last=2, **ALL).fit(X)
    assert sparse.isspmatrix_csr(sparse_.transform(X)) or sparse.issparse(sparse_.transform(X))
    assert_array_equal(dense.transform(X), sparse_.transform(X).toarray())
    frame = dense.set_output(transform="pandas").transform(X)
    assert frame.columns.tolist() == dense.get_feature_names_out().tolist()


def test_the_dataframe_form_gives_the_same_features():
    X = _histories()
    featurizer = SequenceFeaturizer(**ALL)
    assert_array_equal(
        featurizer.fit_transform(X).toarray(),
        clone(featurizer).fit_transform(X.to_frame()).toarray(),
    )


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda X: X.event_attributes.pop("who"), "lacks the event attribute 'who'"),
        (lambda X: X.sequence_attributes.pop("age"), "lacks the sequence attribute 'age'"),
        (
            lambda X: X.event_attributes.__setitem__("extra", X.event_attributes["price"]),
            "carries the event attribute 'extra'",
        ),
        (
            lambda X: X.sequence_attributes.__setitem__("region", np.array(["n", "s", "n"])),
            "carries the sequence attribute 'region'",
        ),
        (lambda X: setattr(X, "time_kind", None), "numeric times.*X has no times"),
        (lambda X: setattr(X, "time_kind", "datetime"), "numeric times.*datetime"),
        (
            lambda X: X.event_attributes.__setitem__(
                "price", [np.array(["1", "2", "3"], dtype=object), *X.event_attributes["price"][1:]]
            ),
            "'price' is categorical in X but was numeric in fit",
        ),
    ],
)
def test_attributes_must_match_fit(change, message):
    featurizer = SequenceFeaturizer(**ALL).fit(_histories())
    X = _histories()
    change(X)
    with pytest.raises(ValueError, match=message):
        featurizer.transform(X)


def test_times_absent_in_fit_are_refused_at_transform_time():
    featurizer = SequenceFeaturizer(**ALL).fit(_histories(times=False))
    with pytest.raises(ValueError, match="numeric times \\('time'\\), which were absent in fit"):
        featurizer.transform(_histories())
    with pytest.raises(ValueError, match="carries the event attribute 'who'"):
        SequenceFeaturizer(**ALL).fit([["a"], ["b"]]).transform(_histories())
    # Plain histories against a fit with attributes: the first one is named.
    with pytest.raises(ValueError, match="lacks the event attribute 'who'"):
        SequenceFeaturizer(**ALL).fit(_histories()).transform([["a"], ["b"]])


def test_nothing_the_user_passes_is_modified():
    X = _histories()
    frame = X.to_frame()
    before_x, before_frame = copy.deepcopy(X), frame.copy(deep=True)
    featurizer = SequenceFeaturizer(**ALL)
    featurizer.fit(X).transform(X)
    clone(featurizer).fit(frame).transform(frame)
    pd.testing.assert_frame_equal(frame, before_frame)
    pd.testing.assert_frame_equal(X.to_frame(), before_x.to_frame())
    assert_array_equal(X.lengths, before_x.lengths)


def test_a_failed_transform_leaves_the_fit_and_pickle_round_trip():
    featurizer = SequenceFeaturizer(**ALL).fit(_histories())
    expected = featurizer.transform(_histories()).toarray()
    with pytest.raises(ValueError):
        featurizer.transform([["a"]])
    restored = pickle.loads(pickle.dumps(featurizer))
    assert_array_equal(restored.transform(_histories()).toarray(), expected)


# --- With a classifier, on a log ------------------------------------------------------


def _log(n_cases=60, seed=0):
    """After "route", the next activity is the route's resource; after "wait", "late"
    when "wait" came long after the previous event and "early" otherwise. Events
    alone cannot tell either."""
    rng = np.random.RandomState(seed)
    rows = []
    for case in range(n_cases):
        resource = rng.choice(["A", "B"])
        slow = rng.rand() < 0.5
        steps = [("open", "r0", 0), ("route", resource, 60), (resource, "r0", 120)]
        wait = 120 + (9000 if slow else 60)
        steps += [("wait", "r0", wait), ("late" if slow else "early", "r0", wait + 60)]
        for activity, who, when in steps:
            rows.append(
                {"case": case, "t": when, "activity": activity, "who": who, "tier": case % 3}
            )
    return pd.DataFrame(rows)


def test_the_logistic_baseline_reads_the_attributes():
    X, y, groups = samples_from_log(
        _log(),
        sequence_col="case",
        order_col="t",
        event_col="activity",
        time_col="t",
        event_attributes=["who"],
        sequence_attributes=["tier"],
    )
    pipeline = make_pipeline(
        SequenceFeaturizer(), StandardScaler(with_mean=False), LogisticRegression(max_iter=1000)
    )
    search = GridSearchCV(
        pipeline,
        {
            "sequencefeaturizer__attributes": [False, True],
            "sequencefeaturizer__time_features": [False, True],
        },
        cv=GroupKFold(n_splits=3),
    ).fit(X, y, groups=groups)
    scores = dict(
        zip(
            [
                (p["sequencefeaturizer__attributes"], p["sequencefeaturizer__time_features"])
                for p in search.cv_results_["params"]
            ],
            search.cv_results_["mean_test_score"],
            strict=True,
        )
    )
    # Two of the four targets are coin flips without the attributes, one without times.
    assert scores[True, True] == 1.0
    assert scores[True, True] > scores[True, False] > scores[False, False]
    assert scores[True, True] > scores[False, True] > scores[False, False]
    assert search.best_params_ == {
        "sequencefeaturizer__attributes": True,
        "sequencefeaturizer__time_features": True,
    }


def test_markov_chains_ignore_times_and_attributes():
    X, y, _ = samples_from_log(
        _log(),
        sequence_col="case",
        order_col="t",
        event_col="activity",
        time_col="t",
        event_attributes=["who"],
    )
    on_attributed = MarkovChainClassifier(order=2).fit(X, y)
    on_events = MarkovChainClassifier(order=2).fit(list(X), y)
    assert_array_equal(on_attributed.predict_proba(X), on_events.predict_proba(list(X)))
    assert_array_equal(on_attributed.predict_proba(X.to_frame()), on_events.predict_proba(list(X)))


# --- Properties -----------------------------------------------------------------------


@st.composite
def attributed_histories(draw):
    n_sequences = draw(st.integers(1, 4))
    sequences, times, who, price = [], [], [], []
    for _ in range(n_sequences):
        n = draw(st.integers(0, 5))
        sequences.append(tuple(draw(st.lists(st.sampled_from("abc"), min_size=n, max_size=n))))
        gaps = draw(st.lists(st.integers(0, 10**6), min_size=n, max_size=n))
        times.append(np.cumsum(gaps).astype(float))
        who.append(draw(st.lists(st.sampled_from(["x", "y", None]), min_size=n, max_size=n)))
        price.append(
            draw(st.lists(st.one_of(st.floats(-1e6, 1e6), st.just(np.nan)), min_size=n, max_size=n))
        )
    pairs = [(s, k) for s, sequence in enumerate(sequences) for k in range(len(sequence) + 1)]
    chosen = draw(st.lists(st.sampled_from(pairs), min_size=1, max_size=12))
    sequence_index, lengths = zip(*chosen, strict=True)
    return AttributedHistories(
        sequences,
        sequence_index,
        lengths,
        times=times,
        event_attributes={"who": who, "price": price},
        sequence_attributes={"vip": [s % 2 == 0 for s in range(n_sequences)]},
    )


@given(X=attributed_histories())
def test_features_are_those_of_each_history_alone(X):
    """Each row's features follow from that history's own last event, whatever the
    other histories and however they share sequences."""
    featurizer = SequenceFeaturizer(**ONLY).fit(X)
    got = featurizer.transform(X).toarray()
    names = featurizer.get_feature_names_out().tolist()
    assert got.shape == (len(X), len(names))
    for i, (s, n) in enumerate(zip(X.sequence_index.tolist(), X.lengths.tolist(), strict=True)):
        row = dict(zip(names, got[i], strict=True))
        vip = X.sequence_attributes["vip"][s]
        assert row[f"sequence.vip={vip}"] == 1
        if n == 0:
            assert not any(row[name] for name in names if name.startswith("last_1."))
            continue
        times = X.times[s]
        assert_allclose(
            row["last_1.log1p_seconds_since_previous"],
            np.log1p(times[n - 1] - times[n - 2] if n > 1 else 0.0),
        )
        assert_allclose(row["last_1.log1p_seconds_since_start"], np.log1p(times[n - 1] - times[0]))
        who = X.event_attributes["who"][s][n - 1]
        if "last_1.who" in row:  # every value missing: the column reads as numeric
            assert row["last_1.who=<missing>"] == 1
        else:
            assert row[f"last_1.who={'<missing>' if who is None else who}"] == 1
            assert sum(row[name] for name in names if name.startswith("last_1.who=")) == 1
        price = X.event_attributes["price"][s][n - 1]
        assert row["last_1.price=<missing>"] == float(np.isnan(price))
        assert row["last_1.price"] == (0.0 if np.isnan(price) else price)


@parametrize_with_checks([SequenceFeaturizer(n_last=2, **ALL)])
def test_sklearn_compatible_with_the_attribute_options(estimator, check):
    # scikit-learn's checks pass plain histories: the options must be harmless there.
    check(estimator)
