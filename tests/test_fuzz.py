"""Fuzzing of every public entry point but the CLI (the CLI's is test_cli_fuzz.py).

Each test feeds generated input (mixed-type and missing-value events, ragged and
nested histories, odd weights, numpy scalar parameters, malformed logs) and
allows exactly one of three outcomes:

- a ``ValueError`` or ``TypeError`` with a message;
- a valid result: probabilities finite, non-negative, rows summing to 1 (or the
  result's own invariant, for transforms, scores, samples and chains);
- an acceptance documented in the docstrings: any hashable event, booleans and
  mixed types included; events unseen in fit at predict time.

And in every case the input is left as it was. The number of cases comes from
the Hypothesis profile (tests/conftest.py); the counts are printed at the end.
"""

from decimal import Decimal

import numpy as np
import pandas as pd
from _fuzz import Refused, assert_valid_proba, counted, outcome, snapshot
from hypothesis import given
from hypothesis import strategies as st

from sklearn_seqlstm import (
    MarkovChainClassifier,
    MarkovMemorySampler,
    NextEventClassifier,
    NextEventSamples,
    SequenceFeaturizer,
    leave_last_out_split,
    neg_log_loss_scorer,
    reciprocal_rank,
    reciprocal_rank_scorer,
    samples_from_log,
    time_split,
    top_k_accuracy,
    top_k_scorer,
)

# --- Generated input -------------------------------------------------------------------

MISSING = [None, float("nan"), pd.NA, pd.NaT, np.datetime64("NaT"), Decimal("NaN")]
plain_events = st.sampled_from(["A", "B", "C", "D"])
# Events that are odd but valid: any hashable value is an event (documented).
valid_odd_events = st.one_of(
    st.integers(-3, 3),
    st.sampled_from([np.int64(2), np.float64(1.5), True, False, "", "é", b"A", (1, "A")]),
    st.floats(allow_nan=False, allow_infinity=True, width=32),
)
invalid_events = st.one_of(
    st.sampled_from(MISSING),
    st.lists(st.integers(0, 2), max_size=2),  # unhashable
    st.sampled_from([{"A": 1}, {"A"}]),  # unhashable, unordered
)
EVENT_KINDS = {
    "clean": plain_events,
    "mixed": plain_events | valid_odd_events,
    "dirty": plain_events | valid_odd_events | invalid_events,
}
events = EVENT_KINDS["dirty"]


def histories(event_strategy=events, odd_forms=True):
    """One history: a list of events, or (``odd_forms``) something that may not be one."""
    sequence = st.lists(event_strategy, max_size=5)
    if not odd_forms:
        return st.one_of(sequence, sequence.map(tuple))
    return st.one_of(
        sequence,
        sequence,
        sequence,
        sequence.map(tuple),
        st.lists(plain_events, max_size=4).map(np.array),
        st.sampled_from(["ABC", "", None, 3, np.array([["A"]]), {"A": 1}]),
        st.lists(st.lists(plain_events, max_size=2), max_size=2),  # nested
    )


@st.composite
def datasets(draw):
    """(X, y, sample_weight, valid): odd values anywhere, or none.

    ``valid`` is True when the data break no documented rule: then ``fit`` must
    succeed (given valid parameters and at least two labels of positive weight).
    """
    kind = draw(st.sampled_from(["clean", "clean", "mixed", "dirty"]))
    form = draw(st.sampled_from(["list", "list", "list", "series", "array2d", "array3d"]))
    odd_forms = kind == "dirty"
    n = draw(st.integers(0 if odd_forms else 2, 12))
    if form == "array2d":
        width = draw(st.integers(0 if odd_forms else 1, 3))
        rows = st.lists(plain_events, min_size=width, max_size=width)
        X = np.array(draw(st.lists(rows, min_size=n, max_size=n)), dtype=object)
        X = X.reshape(n, width)
    elif form == "array3d" and odd_forms:
        X = np.zeros((n, 2, 2))
    else:
        X = draw(st.lists(histories(EVENT_KINDS[kind], odd_forms), min_size=n, max_size=n))
        if form == "series":
            X = pd.Series(X, dtype=object)
    n_labels = draw(st.integers(0, 13)) if odd_forms else n
    label_kind = "dirty" if odd_forms else "clean"
    y = draw(st.lists(EVENT_KINDS[label_kind], min_size=n_labels, max_size=n_labels))
    if odd_forms:
        weight = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([0.0, 3.4e38])
    else:
        weight = st.floats(0, 1e300) | st.sampled_from([0.0, 1.0, 3.4e38, np.finfo(float).max])
    sample_weight = draw(st.one_of(st.none(), st.lists(weight, min_size=n, max_size=n)))
    valid = not odd_forms
    if valid:
        weights = np.ones(n) if sample_weight is None else np.asarray(sample_weight)
        valid = len({label for label, w in zip(y, weights, strict=True) if w > 0}) >= 2
    return X, y, sample_weight, valid


valid_sizes = st.sampled_from([np.int64(4), 4, np.int32(3), 1])
sizes = valid_sizes | st.sampled_from([True, 0, -1, 2.5, "4", None])
valid_rates = st.sampled_from([np.float32(0.05), 0.05, 1e-4])
rates = valid_rates | st.sampled_from([0.0, -1.0, float("nan"), float("inf"), True, "0.1"])


@st.composite
def lstm_params(draw):
    """(params, valid): NextEventClassifier settings, numpy scalars among them."""
    valid = draw(st.booleans())
    if valid:
        params = {
            "hidden_size": draw(valid_sizes),
            "embedding_dim": draw(valid_sizes),
            "batch_size": draw(valid_sizes),
            "max_history": draw(st.sampled_from([None, np.int64(2), 1])),
            "lr": draw(valid_rates),
            "dropout": draw(st.sampled_from([0.0, np.float64(0.2)])),
            "copy_from_history": draw(st.sampled_from([True, False, np.bool_(True)])),
            "num_threads": draw(st.sampled_from([1, None, np.int64(1)])),
        }
    else:
        params = {
            "hidden_size": draw(sizes),
            "embedding_dim": draw(sizes),
            "batch_size": draw(sizes),
            "max_history": draw(st.sampled_from([None, np.int64(2), 1, 0, True])),
            "lr": draw(rates),
            "dropout": draw(st.sampled_from([0.0, np.float64(0.2), 1.0, -0.1, True])),
            "copy_from_history": draw(st.sampled_from([True, False, 1])),
            "num_threads": draw(st.sampled_from([1, None, 0, 10**6, True])),
            "device": draw(st.sampled_from(["cpu", "auto", "bogus", "cuda:99"])),
        }
    return {**params, "max_epochs": 1, "random_state": 0}, valid


def _check_fitted_classifier(clf, X_fit, X_new):
    """Whatever fit accepted, predict_proba gives valid rows or refuses clearly."""
    n_classes = len(clf.classes_)
    for X in (X_fit, X_new):
        proba = outcome(clf.predict_proba, X)
        if isinstance(proba, Refused):
            continue
        assert_valid_proba(proba, len(X), n_classes)
        assert set(clf.predict(X).tolist()) <= set(clf.classes_.tolist())


# --- Estimators -------------------------------------------------------------------------


@given(data=datasets(), settings=lstm_params(), X_new=st.lists(histories(), max_size=4))
@counted
def test_fuzz_next_event_classifier(data, settings, X_new):
    X, y, sample_weight, valid_data = data
    params, valid_params = settings
    before = snapshot(X, y, sample_weight, X_new, params)
    clf = NextEventClassifier(**params)
    fitted = outcome(clf.fit, X, y, sample_weight=sample_weight)
    if valid_data and valid_params:
        assert not isinstance(fitted, Refused), fitted.error
    if not isinstance(fitted, Refused):
        _check_fitted_classifier(clf, X, X_new)
        score = outcome(clf.score, X, y, sample_weight=sample_weight)
        assert isinstance(score, Refused) or 0.0 <= score <= 1.0
    assert snapshot(X, y, sample_weight, X_new, params) == before
    assert clf.get_params()["hidden_size"] is params["hidden_size"]


@given(
    data=datasets(),
    order=st.sampled_from([0, 1, np.int64(2), 3, -1, True, 1.5]),
    alpha=st.sampled_from([0.0, 0.5, np.float32(1.0), -1.0, float("inf"), True]),
    X_new=st.lists(histories(), max_size=4),
)
@counted
def test_fuzz_markov_chain_classifier(data, order, alpha, X_new):
    X, y, sample_weight, valid = data
    before = snapshot(X, y, sample_weight, X_new)
    clf = MarkovChainClassifier(order=order, alpha=alpha)
    fitted = outcome(clf.fit, X, y, sample_weight=sample_weight)
    valid_params = order in (0, 1, 2, 3) and alpha in (0.0, 0.5, 1.0)
    if valid and valid_params and not isinstance(order, bool) and not isinstance(alpha, bool):
        assert not isinstance(fitted, Refused), fitted.error
    if not isinstance(fitted, Refused):
        _check_fitted_classifier(clf, X, X_new)
    assert snapshot(X, y, sample_weight, X_new) == before


@given(
    data=datasets(),
    n_last=st.sampled_from([0, 1, np.int64(2), -1, True]),
    sparse_output=st.booleans(),
    X_new=st.lists(histories(), max_size=4),
)
@counted
def test_fuzz_sequence_featurizer(data, n_last, sparse_output, X_new):
    X, _, _, _ = data
    before = snapshot(X, X_new)
    featurizer = SequenceFeaturizer(n_last=n_last, sparse_output=sparse_output)
    if not isinstance(outcome(featurizer.fit, X), Refused):
        for Z in (X, X_new):
            features = outcome(featurizer.transform, Z)
            if isinstance(features, Refused):
                continue
            dense = features.toarray() if hasattr(features, "toarray") else features
            assert dense.shape == (len(Z), len(featurizer.get_feature_names_out()))
            assert np.isfinite(dense).all()
    assert snapshot(X, X_new) == before


# --- Scorers and metrics ----------------------------------------------------------------

X_SCORE = [["A"], ["B"], ["C"], ["A", "B"], ["B", "C"], ["C", "A"]]
Y_SCORE = ["B", "C", "A", "C", "A", "B"]
MARKOV = MarkovChainClassifier().fit(X_SCORE, Y_SCORE)
SCORERS = [top_k_scorer(1), top_k_scorer(2), reciprocal_rank_scorer(), neg_log_loss_scorer()]


@given(
    scorer=st.sampled_from(SCORERS),
    X=st.lists(histories(), min_size=0, max_size=6),
    y=st.lists(events, max_size=6),
    sample_weight=st.one_of(
        st.none(),
        st.lists(
            st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([0.0, -1.0, 1.7e308]),
            max_size=6,
        ),
    ),
)
@counted
def test_fuzz_scorers(scorer, X, y, sample_weight):
    before = snapshot(X, y, sample_weight)
    score = outcome(scorer, MARKOV, X, y, sample_weight=sample_weight)
    if not isinstance(score, Refused):
        assert np.isfinite(score)
        assert score <= 0 if scorer is SCORERS[-1] else 0 <= score <= 1
    assert snapshot(X, y, sample_weight) == before


@given(
    metric=st.sampled_from([top_k_accuracy, reciprocal_rank]),
    proba=st.lists(
        st.lists(st.floats(allow_nan=True, allow_infinity=True, width=32), min_size=2, max_size=2),
        max_size=5,
    ),
    y=st.lists(st.sampled_from(["a", "b", "c", None]), max_size=5),
    classes=st.sampled_from([["a", "b"], ["a", "a"], ["a"], [["a", "b"]]]),
)
@counted
def test_fuzz_metrics(metric, proba, y, classes):
    before = snapshot(proba, y, classes)
    value = outcome(metric, y, proba, classes=classes)
    if not isinstance(value, Refused):
        assert 0 <= value <= 1
    assert snapshot(proba, y, classes) == before


# --- Event logs -------------------------------------------------------------------------

column_values = st.one_of(
    st.sampled_from(["u1", "u2", "u3"]),
    st.integers(-2, 5),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([*MISSING, pd.Timestamp("2024-01-01"), "2024-01-02", True, (1,)]),
)
column_names = st.sampled_from(["user", "t", "item", "other"])


@st.composite
def logs(draw):
    n_rows = draw(st.integers(0, 10))
    names = draw(st.lists(column_names, min_size=0, max_size=4))  # duplicates allowed
    data = {
        i: draw(st.lists(column_values | plain_events, min_size=n_rows, max_size=n_rows))
        for i in range(len(names))
    }
    frame = pd.DataFrame(data, dtype=object)
    frame.columns = names
    return frame


column_args = st.one_of(column_names, st.sampled_from([None, 0, ["user"], ("user",)]))


@given(
    log=logs(),
    split=st.sampled_from(["samples", "leave_last_out", "time"]),
    sequence_col=column_args,
    order_col=column_args,
    event_col=column_args,
    min_history=st.sampled_from([0, 1, np.int64(2), -1, True]),
    max_history=st.sampled_from([None, 1, np.int64(3), 0, True]),
)
@counted
def test_fuzz_event_log_splits(
    log, split, sequence_col, order_col, event_col, min_history, max_history
):
    before = log.copy(deep=True)
    columns = dict(sequence_col=sequence_col, order_col=order_col, event_col=event_col)
    options = dict(min_history=min_history, max_history=max_history)
    if split == "samples":
        result = outcome(samples_from_log, log, **columns, **options)
    elif split == "leave_last_out":
        result = outcome(leave_last_out_split, log, **columns, **options)
    else:
        result = outcome(time_split, log, **columns, cutoff=2, **options)
    if not isinstance(result, Refused):
        parts = [result] if isinstance(result, NextEventSamples) else list(result)
        event_values = set(log[event_col].tolist())
        for X, y, groups in parts:
            assert len(X) == len(y) == len(groups)
            assert set(y.tolist()) <= event_values
    pd.testing.assert_frame_equal(log, before)
    assert list(log.columns) == list(before.columns)


# --- The sampler ------------------------------------------------------------------------

probabilities = st.one_of(
    st.floats(0, 1),
    st.sampled_from([True, -0.1, 1.5, float("nan"), "0.5", None, np.float32(0.3)]),
)


@st.composite
def sampler_params(draw):
    """(params, valid): the sampler's parameters, odd ones among them or none."""
    if draw(st.booleans()):
        event_list = draw(
            st.none()
            | st.lists(plain_events | valid_odd_events, min_size=2, max_size=4, unique=True)
        )
        params = dict(
            events=event_list,
            transitions=None if event_list is None else {},
            start_proba=None,
            memory_influence=draw(st.floats(0, 1) | st.sampled_from([np.float32(0.5), 1])),
        )
        return {**params, "random_state": 0}, True
    event_list = draw(
        st.one_of(
            st.none(),
            st.lists(plain_events | valid_odd_events | invalid_events, max_size=4),
            st.sampled_from(["AB", 3]),
        )
    )
    targets = st.dictionaries(
        plain_events | valid_odd_events | st.sampled_from(MISSING), probabilities, max_size=3
    )
    transitions = draw(
        st.one_of(
            st.none(),
            st.just({}),
            st.dictionaries(plain_events, targets, max_size=3),
            st.sampled_from([[("A", "B")], "A"]),
        )
    )
    start_proba = draw(
        st.one_of(
            st.none(),
            st.dictionaries(plain_events, probabilities, max_size=2),
            st.lists(probabilities, max_size=4),
        )
    )
    memory_influence = draw(st.one_of(probabilities, st.sampled_from([0.0, 1.0, 0.5])))
    params = dict(
        events=event_list,
        transitions=transitions,
        start_proba=start_proba,
        memory_influence=memory_influence,
    )
    return {**params, "random_state": 0}, False


VALID_COUNTS = [1, 3, np.int64(2)]
VALID_LENGTHS = [2, 4, (2, 4), np.int64(3)]
HUGE = 10**9  # far beyond any machine's memory as a count of chains or events


@given(
    settings=sampler_params(),
    method=st.sampled_from(["sample", "make_dataset", "sample_frame"]),
    n_sequences=st.sampled_from([*VALID_COUNTS, 0, -1, True, 2.0, HUGE]),
    length=st.sampled_from([*VALID_LENGTHS, (4, 2), 0, True, (1,), HUGE, (1, HUGE)]),
)
@counted
def test_fuzz_sampler(settings, method, n_sequences, length):
    params, valid = settings
    before = snapshot(params)
    sampler = MarkovMemorySampler(**params)
    result = outcome(getattr(sampler, method), n_sequences, length)
    valid_sizes = any(n_sequences is v for v in VALID_COUNTS) and any(
        length is v for v in VALID_LENGTHS
    )
    if valid and valid_sizes:
        assert not isinstance(result, Refused), result.error
    huge_but_valid = (n_sequences is HUGE or any(n_sequences is v for v in VALID_COUNTS)) and (
        length is HUGE or any(length is v for v in VALID_LENGTHS)
    )
    if valid and huge_but_valid and HUGE in (n_sequences, length):
        assert isinstance(result, Refused) and "memory" in str(result.error)
    if not isinstance(result, Refused):
        known = set(sampler.event_labels)
        if method == "sample":
            assert len(result) == n_sequences
            assert all(set(chain) <= known for chain in result)
        elif method == "make_dataset":
            X, y, _ = result
            assert len(X) == len(y)
            # The classifiers take the sampler's histories, and its labels or refuse
            # them clearly (labels of mixed types, which scikit-learn cannot sort).
            markov = outcome(MarkovChainClassifier().fit, X, y)
            if not isinstance(markov, Refused):
                assert_valid_proba(markov.predict_proba(X), len(X), len(markov.classes_))
        else:
            assert set(result["event"].tolist()) <= known
    assert snapshot(params) == before
