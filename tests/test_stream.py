"""HistoryStream: a live history followed one event at a time, equal to predict_proba."""

import copy
import pickle

import numpy as np
import pandas as pd
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


MODEL_SETTINGS = ["copy", "no copy", "max_history", "max_history beyond int64", "two layers"]


@pytest.fixture(scope="module", params=MODEL_SETTINGS)
def model(request, data):
    settings_ = {
        "copy": {},
        "no copy": {"copy_from_history": False},
        "max_history": {"max_history": 4},
        # A limit too big for deque's maxlen truncates nothing: the stream keeps no window.
        "max_history beyond int64": {"max_history": 10**22},
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
        # The same LSTM call; the read-out in float64 rather than float32.
        np.testing.assert_allclose(
            model.predict_proba([history]),
            model._predict_proba_chains([tuple(history)]),
            rtol=0,
            atol=1e-6,
        )


@settings(max_examples=40, deadline=None)
@given(history=st.lists(st.sampled_from(EVENTS), max_size=30))
def test_fast_path_matches_the_batched_path(model, history):
    fast = model.predict_proba([history])
    np.testing.assert_allclose(
        fast, model._predict_proba_chains([tuple(history)]), rtol=0, atol=1e-6
    )
    assert fast.sum() == pytest.approx(1.0, abs=1e-12)


def test_predict_proba_of_one_history_has_one_row(model):
    assert model.predict_proba([["A", "B"]]).shape == (1, len(model.classes_))


# --- Models fitted with times and attributes ---------------------------------------------

CATEGORIES = ["r1", "r2", "r3", None]  # None: a missing value
CHANNELS = ["web", "phone", "shop"]
START_TIME = np.datetime64("2024-03-01T08:00:00", "s")


def random_sequence(length, rng, numeric_time=False, unseen=False):
    """One attributed sequence: events, times, event attributes (a category and a number,
    both with missing values) and a context (a category and a number)."""
    events = [EVENTS[i] for i in rng.integers(0, len(EVENTS) - (0 if unseen else 1), length)]
    # Gaps of zero to a day, some exactly zero; two events may share a time.
    gaps = rng.choice([0, 30, 600, 3600, 86_000], size=length) * rng.random(length).round(1)
    seconds = np.cumsum(gaps).round()
    times = (
        seconds + 1000.0
        if numeric_time
        else START_TIME + rng.integers(0, 90 * 86_400) + seconds.astype("timedelta64[s]")
    )
    resources = CATEGORIES + (["never seen"] if unseen else [])
    resource = np.empty(length, dtype=object)
    resource[:] = [resources[i] for i in rng.integers(0, len(resources), length)]
    amount = rng.normal(50, 20, length)
    amount[rng.random(length) < 0.25] = np.nan
    channels = CHANNELS + (["never seen"] if unseen else [])
    context = {
        "channel": channels[rng.integers(0, len(channels))],
        "size": float(rng.normal(3, 1)) if rng.random() < 0.7 else np.nan,
    }
    return events, times, {"resource": resource, "amount": amount}, context


def prefixes(sequences, first=0):
    """AttributedHistories of every prefix (from length ``first``) of the sequences, and
    the next event of each prefix (None after a whole sequence)."""
    from sklearn_seqlstm import AttributedHistories

    index, lengths, y = [], [], []
    for s, (events, _, _, _) in enumerate(sequences):
        for n in range(first, len(events) + 1):
            index.append(s)
            lengths.append(n)
            y.append(events[n] if n < len(events) else None)
    X = AttributedHistories(
        [events for events, _, _, _ in sequences],
        np.array(index),
        np.array(lengths),
        times=[times for _, times, _, _ in sequences],
        event_attributes={
            name: [attributes[name] for _, _, attributes, _ in sequences]
            for name in ("resource", "amount")
        },
        sequence_attributes={
            name: np.array([context[name] for _, _, _, context in sequences], dtype=object)
            for name in ("channel", "size")
        },
    )
    return X, np.array(y, dtype=object)


def attributed_training_set(numeric_time=False, seed=0):
    rng = np.random.default_rng(seed)
    sequences = [random_sequence(int(rng.integers(2, 12)), rng, numeric_time) for _ in range(40)]
    X, y = prefixes(sequences)
    keep = np.flatnonzero(y != None)  # noqa: E711 (an object array)
    return X[keep], y[keep].astype(str)


ATTRIBUTED_SETTINGS = {
    "every step": ({}, False),
    "first step": ({"sequence_context": "first_step"}, False),
    "max_history": ({"max_history": 4}, False),
    "first step, max_history": ({"sequence_context": "first_step", "max_history": 3}, False),
    "numeric time, two layers, no copy": ({"num_layers": 2, "copy_from_history": False}, True),
}


@pytest.fixture(scope="module", params=list(ATTRIBUTED_SETTINGS))
def attributed_model(request):
    options, numeric_time = ATTRIBUTED_SETTINGS[request.param]
    X, y = attributed_training_set(numeric_time)
    return NextEventClassifier(**FAST, **options).fit(X, y), numeric_time


def _as_time(value, numeric_time):
    return float(value) if numeric_time else pd.Timestamp(value)


def _push(stream, sequence, t, numeric_time):
    events, times, attributes, _ = sequence
    stream.push(
        events[t],
        time=_as_time(times[t], numeric_time),
        attributes={name: values[t] for name, values in attributes.items()},
    )


def test_attributed_stream_equals_predict_proba_at_every_step(attributed_model):
    model, numeric_time = attributed_model
    rng = np.random.default_rng(7)
    sequence = random_sequence(120, rng, numeric_time, unseen=True)
    X, _ = prefixes([sequence])
    expected = model.predict_proba(X)  # after 0, 1, ..., 120 events
    stream = model.stream(context=sequence[3])
    np.testing.assert_allclose(stream.predict_proba(), expected[0], rtol=0, atol=1e-6)
    for t in range(len(sequence[0])):
        _push(stream, sequence, t, numeric_time)
        np.testing.assert_allclose(stream.predict_proba(), expected[t + 1], rtol=0, atol=1e-6)
    assert stream.n_events == len(sequence[0])
    np.testing.assert_array_equal(
        stream.recommend(3, exclude_seen=True), model.recommend(X[-1:], 3, exclude_seen=True)[0]
    )


def test_attributed_stream_copy_reset_pickle_save_and_load(attributed_model, tmp_path):
    model, numeric_time = attributed_model
    rng = np.random.default_rng(3)
    sequence = random_sequence(12, rng, numeric_time)
    X, _ = prefixes([sequence])
    expected = model.predict_proba(X)
    stream = model.stream(context=sequence[3])
    for t in range(8):
        _push(stream, sequence, t, numeric_time)
    branch = stream.copy()
    again = pickle.loads(pickle.dumps(stream))
    stream.save(tmp_path / "session")
    loaded = model.load_stream(tmp_path / "session")
    assert loaded.context.keys() == stream.context.keys()
    np.testing.assert_array_equal(loaded.predict_proba(), stream.predict_proba())
    for other in (branch, again, loaded):
        for t in range(8, 12):
            _push(other, sequence, t, numeric_time)
            np.testing.assert_allclose(other.predict_proba(), expected[t + 1], atol=1e-6)
    # The copies went on without the stream: it is still after 8 events.
    np.testing.assert_allclose(stream.predict_proba(), expected[8], atol=1e-6)
    stream.reset()
    assert stream.n_events == 0
    np.testing.assert_allclose(stream.predict_proba(), expected[0], atol=1e-6)
    _push(stream, sequence, 0, numeric_time)  # times start over after reset
    np.testing.assert_allclose(stream.predict_proba(), expected[1], atol=1e-6)


@pytest.fixture(scope="module")
def datetime_model():
    return NextEventClassifier(**FAST).fit(*attributed_training_set())


def test_a_saved_attributed_stream_needs_its_model(datetime_model, tmp_path):
    stream = datetime_model.stream(context={"channel": "web", "size": None})
    stream.push("A", time=pd.Timestamp("2024-01-01"), attributes={"resource": "r1", "amount": 3})
    stream.save(tmp_path / "session")
    other = NextEventClassifier(**{**FAST, "random_state": 1}).fit(*attributed_training_set())
    with pytest.raises(ValueError, match="another model"):
        other.load_stream(tmp_path / "session")
    plain = NextEventClassifier(**FAST).fit([["A"], ["B"]], ["B", "A"])
    with pytest.raises(ValueError, match="another model"):
        plain.load_stream(tmp_path / "session")
    loaded = datetime_model.load_stream(tmp_path / "session")
    assert loaded.context == {"channel": "web", "size": None}
    with pytest.raises(ValueError, match="before the previous"):
        loaded.push("B", time=pd.Timestamp("2023-12-31"), attributes={"resource": 1, "amount": 2})


GOOD_ATTRIBUTES = {"resource": "r1", "amount": 2.5}
GOOD_TIME = pd.Timestamp("2024-05-01 10:00", tz="UTC")


@pytest.mark.parametrize(
    "context, error, match",
    [
        (None, ValueError, r"context lacks the sequence attribute\(s\) 'channel', 'size'"),
        ({"channel": "web"}, ValueError, r"lacks the sequence attribute\(s\) 'size'"),
        ({"channel": "web", "size": 1, "city": "x"}, ValueError, "'city', which this model"),
        ([("channel", "web")], TypeError, "context must be a dict"),
        ({"channel": ["web"], "size": 1}, TypeError, "'channel': a category must be hashable"),
        ({"channel": "web", "size": "big"}, TypeError, "'size' is numeric"),
        ({"channel": "web", "size": float("inf")}, ValueError, "infinite"),
    ],
)
def test_a_bad_context_is_named(datetime_model, context, error, match):
    before = None if context is None else copy.deepcopy(context)
    with pytest.raises(error, match=match):
        datetime_model.stream(context=context)
    assert context == before  # never modified


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"attributes": GOOD_ATTRIBUTES}, ValueError, "needs the event's time"),
        ({"time": pd.NaT, "attributes": GOOD_ATTRIBUTES}, ValueError, "needs the event's time"),
        ({"time": 5.0, "attributes": GOOD_ATTRIBUTES}, ValueError, "not a datetime"),
        ({"time": "not a time", "attributes": GOOD_ATTRIBUTES}, ValueError, "not a datetime"),
        ({"time": GOOD_TIME}, ValueError, r"lacks the event attribute\(s\) 'resource', 'amount'"),
        ({"time": GOOD_TIME, "attributes": {"resource": "r1"}}, ValueError, "'amount'"),
        (
            {"time": GOOD_TIME, "attributes": {**GOOD_ATTRIBUTES, "org:role": "x"}},
            ValueError,
            "'org:role', which this model does not use",
        ),
        ({"time": GOOD_TIME, "attributes": ["r1", 2.5]}, TypeError, "attributes must be a dict"),
        (
            {"time": GOOD_TIME, "attributes": {"resource": "r1", "amount": "2.5"}},
            TypeError,
            "'amount' is numeric",
        ),
        (
            {"time": GOOD_TIME, "attributes": {"resource": "r1", "amount": True}},
            TypeError,
            "'amount' is numeric",
        ),
        (
            {"time": GOOD_TIME, "attributes": {"resource": {"r1"}, "amount": 1}},
            TypeError,
            "'resource': a category must be hashable",
        ),
        (
            {"time": GOOD_TIME - pd.Timedelta(seconds=1), "attributes": GOOD_ATTRIBUTES},
            ValueError,
            "before the previous event's time",
        ),
    ],
)
def test_a_bad_attributed_event_is_refused_and_changes_nothing(
    datetime_model, kwargs, error, match
):
    stream = datetime_model.stream(context={"channel": "web", "size": 2.0})
    stream.push("A", time=GOOD_TIME, attributes=GOOD_ATTRIBUTES)
    before = (stream.predict_proba(), stream.n_events, stream._previous_time)
    passed = copy.deepcopy(kwargs)
    with pytest.raises(error, match=match):
        stream.push("B", **kwargs)
    np.testing.assert_array_equal(stream.predict_proba(), before[0])
    assert (stream.n_events, stream._previous_time) == before[1:]
    assert kwargs.keys() == passed.keys()
    assert kwargs.get("attributes") == passed.get("attributes")
    # The stream goes on as if nothing had happened.
    stream.push("B", time=GOOD_TIME, attributes={"resource": None, "amount": None})
    assert stream.n_events == 2


def test_missing_values_and_unseen_categories_are_allowed(datetime_model):
    rng = np.random.default_rng(11)
    events, times, attributes, _ = random_sequence(3, rng)
    context = {"channel": "never seen", "size": None}
    attributes = {
        "resource": np.array([None, "never seen", np.nan], dtype=object),
        "amount": np.array([np.nan, 1.0, np.nan]),
    }
    sequence = (events, times, attributes, context)
    X, _ = prefixes([sequence])
    stream = datetime_model.stream(context=context)
    for t in range(3):
        _push(stream, sequence, t, numeric_time=False)
        np.testing.assert_allclose(
            stream.predict_proba(), datetime_model.predict_proba(X)[t + 1], atol=1e-6
        )


def test_a_history_of_events_alone_is_refused_when_events_carry_more(datetime_model):
    with pytest.raises(ValueError, match="push each event"):
        datetime_model.stream(["A"], context={"channel": "web", "size": 1.0})


def test_a_model_with_context_only_streams_events(attributed_model):
    """time_features=False and sequence attributes only: the history is events alone."""
    from sklearn_seqlstm import AttributedHistories

    X, y = attributed_training_set()
    X_context = AttributedHistories(
        X.sequences, X.sequence_index, X.lengths, sequence_attributes=X.sequence_attributes
    )
    model = NextEventClassifier(**FAST, sequence_context="first_step").fit(X_context, y)
    assert model.time_kind_ is None and model.event_attributes_ == []
    history = _history(30, seed=5)
    context = {"channel": "phone", "size": 4.0}
    expected = model.predict_proba(
        AttributedHistories(
            [history],
            np.zeros(31, dtype=int),
            np.arange(31),
            sequence_attributes={k: np.array([v], dtype=object) for k, v in context.items()},
        )
    )
    stream = model.stream(history[:10], context=context)
    np.testing.assert_allclose(stream.predict_proba(), expected[10], atol=1e-6)
    for t in range(10, 30):
        stream.push(history[t])
        np.testing.assert_allclose(stream.predict_proba(), expected[t + 1], atol=1e-6)
    with pytest.raises(ValueError, match="does not use time"):
        stream.push("A", time=GOOD_TIME)
    with pytest.raises(ValueError, match="reads no event attribute"):
        stream.push("A", attributes={"resource": "r1"})


def test_a_plain_model_refuses_times_attributes_and_context(model):
    with pytest.raises(ValueError, match="'segment', which this model does not use"):
        model.stream(context={"segment": "gold"})
    stream = model.stream(context={})
    with pytest.raises(ValueError, match="does not use time"):
        stream.push("A", time=GOOD_TIME)
    with pytest.raises(ValueError, match="'device', which this model does not use"):
        stream.push("A", attributes={"device": "phone"})
    assert stream.n_events == 0


@settings(max_examples=50, deadline=None)
@given(
    categories=st.sets(
        st.one_of(st.text(max_size=3), st.integers(-3, 3), st.floats(-2, 2), st.booleans()),
        max_size=8,
    ),
    values=st.lists(
        st.one_of(
            st.text(max_size=3),
            st.integers(-3, 3),
            st.floats(allow_nan=True),
            st.booleans(),
            st.none(),
            st.tuples(st.integers(0, 2)),
        ),
        max_size=8,
    ),
)
def test_one_value_at_a_time_finds_the_categories_of_get_indexer(categories, values):
    """The stream's lookup (a few values) gives fit's positions (get_indexer)."""
    from sklearn_seqlstm.histories._histories import sorted_labels
    from sklearn_seqlstm.neural._steps import _positions

    index = pd.Index(sorted_labels(categories), dtype=object)
    array = np.empty(len(values), dtype=object)
    array[:] = values
    np.testing.assert_array_equal(_positions(index, array), index.get_indexer(array))


def test_every_form_of_a_time_gives_the_same_stream(datetime_model):
    import datetime

    context = {"channel": "web", "size": 1.0}
    forms = [
        pd.Timestamp("2024-05-01 10:00:30"),
        pd.Timestamp("2024-05-01 12:00:30", tz="Europe/Paris"),
        datetime.datetime(2024, 5, 1, 10, 0, 30, tzinfo=datetime.timezone.utc),
        np.datetime64("2024-05-01T10:00:30"),
        "2024-05-01 10:00:30",
    ]
    probas = []
    for when in forms:
        stream = datetime_model.stream(context=context)
        stream.push("A", time=pd.Timestamp("2024-05-01 09:00"), attributes=GOOD_ATTRIBUTES)
        stream.push("B", time=when, attributes=GOOD_ATTRIBUTES)
        probas.append(stream.predict_proba())
    for proba in probas[1:]:
        np.testing.assert_array_equal(proba, probas[0])
