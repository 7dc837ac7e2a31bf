"""Inputs that gave silently wrong results or unclear errors: each now trains, or is refused
with a ValueError or TypeError that names the fault.

Regression targets and numeric inputs near float64's limits, attribute names that collide,
times out of range, text order keys, an event log passed where histories go, files
replaced during a fit; and a Hypothesis suite of small attributed event logs run from
``samples_from_log`` to ``predict_proba``.
"""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from _fuzz import Refused, assert_valid_proba, counted, outcome
from hypothesis import given
from hypothesis import strategies as st

from sklearn_seqlstm import (
    AttributedHistories,
    MarkovMemorySampler,
    NextEventClassifier,
    NextValueRegressor,
    load,
    samples_from_log,
    time_split,
)

X_PLAIN = [["open"], ["open", "wait"], ["open", "wait", "wait"], ["open", "call"]] * 5
Y_PLAIN = np.array([1.0, 2.0, 3.0, 0.5] * 5)


def tiny_regressor(**params):
    return NextValueRegressor(max_epochs=3, hidden_size=4, random_state=0, **params)


def tiny_classifier(**params):
    return NextEventClassifier(max_epochs=2, hidden_size=4, random_state=0, **params)


# Regression targets and weights at float64's limits ----------------------------------


def test_huge_targets_train_as_their_scaled_down_copy():
    """y * 1e160 overflowed the squared spread: the model is now the one of y, scaled."""
    small = tiny_regressor().fit(X_PLAIN, Y_PLAIN)
    huge = tiny_regressor().fit(X_PLAIN, Y_PLAIN * 1e160)
    prediction = huge.predict(X_PLAIN[:4])
    assert np.isfinite(prediction).all()
    np.testing.assert_allclose(prediction, small.predict(X_PLAIN[:4]) * 1e160, rtol=1e-4)
    np.testing.assert_allclose(huge.target_scale_, small.target_scale_ * 1e160, rtol=1e-12)


def test_targets_at_the_float64_limit_fit_predict_and_save(tmp_path):
    y = np.where(Y_PLAIN > 1.5, 1e308, -1e308)
    reg = tiny_regressor().fit(X_PLAIN, y)
    prediction = reg.predict(X_PLAIN[:4])
    assert np.isfinite(prediction).all()
    assert np.isfinite(reg.target_mean_) and 0 < reg.target_scale_ < np.inf
    path = tmp_path / "model.zip"
    reg.save(path)
    np.testing.assert_array_equal(load(path).predict(X_PLAIN[:4]), prediction)


def test_one_huge_weight_keeps_every_target_finite():
    """A weight of 1e300 beside weights of 1 hid the others' spread: targets of 1e149 sd."""
    weights = np.ones(len(Y_PLAIN))
    weights[0] = 1e300
    reg = tiny_regressor().fit(X_PLAIN, Y_PLAIN, sample_weight=weights)
    standardised = reg._standardise(Y_PLAIN)
    assert np.abs(standardised).max() <= 1e4
    assert np.isfinite(reg.predict(X_PLAIN)).all()


def test_a_network_gone_non_finite_never_predicts_nan_silently():
    reg = tiny_regressor().fit(X_PLAIN, Y_PLAIN)
    with torch.no_grad():
        next(reg.net_.module_.parameters()).fill_(float("nan"))
    with pytest.raises(ValueError, match="predictions are not finite"):
        reg.predict(X_PLAIN[:2])


def test_plain_targets_keep_their_standardisation():
    """The exact power-of-2 scaling leaves ordinary targets' mean and scale as they were."""
    rng = np.random.default_rng(0)
    y = rng.normal(1e9, 3e4, size=len(X_PLAIN))  # epoch seconds
    weights = rng.uniform(0.1, 3, size=len(X_PLAIN))
    reg = NextValueRegressor()
    reg._fit_targets(y, weights)
    mean = np.average(y, weights=weights)
    assert reg.target_mean_ == pytest.approx(mean, rel=1e-15)
    assert reg.target_scale_ == pytest.approx(
        np.sqrt(np.average((y - mean) ** 2, weights=weights)), rel=1e-12
    )


# Numeric steps and attributes near float64's maximum ---------------------------------


def numeric_steps(seed=0, n=20):
    rng = np.random.default_rng(seed)
    return np.clip(rng.normal(size=(n, 3, 2)), -1, 1), np.array(["a", "b"] * (n // 2))


@pytest.mark.parametrize("exponent", [1000, 1023])
def test_numeric_steps_near_the_float_maximum_train_as_small_ones(exponent):
    """Scaled by a power of 2, the standardised steps are the same to the bit: so is the model."""
    X, y = numeric_steps()
    small = tiny_classifier().fit(X, y)
    huge = tiny_classifier().fit(X * 2.0**exponent, y)
    proba = huge.predict_proba(X * 2.0**exponent)
    assert_valid_proba(proba, len(X), 2)
    np.testing.assert_array_equal(proba, small.predict_proba(X))


def test_a_step_far_beyond_fit_gives_finite_probabilities():
    X, y = numeric_steps()
    clf = tiny_classifier().fit(X, y)
    far = np.full((2, 3, 2), 1.7e308)
    far[1] *= -1
    assert_valid_proba(clf.predict_proba(far), 2, 2)


def test_numeric_times_spanning_the_float_range_train_finitely():
    X = AttributedHistories(
        [("a", "b", "a")] * 6, np.arange(6), [3] * 6, times=[np.array([-1e308, 0.0, 1e308])] * 6
    )
    clf = tiny_classifier().fit(X, ["a", "b"] * 3)
    assert_valid_proba(clf.predict_proba(X), 6, 2)


# Attributed histories: names, indices, empty histories, text in numbers ---------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"event_attributes": {"events": [["x", "y"]]}},
        {"event_attributes": {"time": [[1.0, 2.0]]}},
        {"sequence_attributes": {"time": ["x"]}},
        {"sequence_attributes": {"events": [1.0]}},
    ],
)
def test_reserved_attribute_names_are_refused(kwargs):
    with pytest.raises(ValueError, match="reserved name"):
        AttributedHistories([("a", "b")], [0], [2], **kwargs)


def test_attribute_names_equal_as_text_are_refused():
    with pytest.raises(ValueError, match=r"named 1 and '1'"):
        AttributedHistories([("a",)], [0], [1], event_attributes={1: [[1.0]], "1": [["x"]]})
    with pytest.raises(ValueError, match="both an event attribute and a sequence attribute"):
        AttributedHistories(
            [("a",)], [0], [1], event_attributes={1: [[1.0]]}, sequence_attributes={"1": ["x"]}
        )


def test_a_non_str_attribute_name_is_kept_as_str():
    X = AttributedHistories([("a",)], [0], [1], event_attributes={1: [[1.0]]})
    assert X.event_attribute_names == ["1"]


@pytest.mark.parametrize("index", [[0.5], [np.nan], [True], ["0"]])
def test_a_sequence_index_that_is_no_integer_is_refused(index):
    with pytest.raises(ValueError, match="sequence_index must hold integers"):
        AttributedHistories([("a", "b"), ("c",)], index, [1])


def test_integral_floats_index_as_integers():
    as_floats = AttributedHistories([("a", "b"), ("c",)], [1.0, 0.0], [1.0, 2.0])
    as_ints = AttributedHistories([("a", "b"), ("c",)], [1, 0], [1, 2])
    assert list(as_floats) == list(as_ints) == [("c",), ("a", "b")]
    with pytest.raises(ValueError, match="lengths must hold integers"):
        AttributedHistories([("a", "b")], [0], [1.5])


def attributed_frame(times):
    return pd.DataFrame(
        {
            "events": [["a", "b"], ["a"], ["b", "a", "b"]] * 4,
            "time": times * 4,
            "price": [[1.0, 2.0], [3.0], [1.0, 2.0, 3.0]] * 4,
            "segment": ["g", "s", "g"] * 4,
        }
    )


DATETIMES = [
    pd.to_datetime(["2024-05-01 09:00", "2024-05-01 09:05"]),
    pd.to_datetime(["2024-05-02"]),
    pd.to_datetime(["2024-05-02", "2024-05-03", "2024-05-04"]),
]
NUMBERS = [np.array([0.0, 5.0]), np.array([1.0]), np.array([0.0, 1.0, 2.0])]


@pytest.mark.parametrize("times", [DATETIMES, NUMBERS], ids=["datetime", "numeric"])
def test_all_empty_histories_predict_with_their_time_column(times):
    """New sessions carry an empty time column, of no kind: it fits the model's kind."""
    frame = attributed_frame(times)
    clf = tiny_classifier().fit(frame, ["b", "a", "a"] * 4)
    new = pd.DataFrame(
        {"events": [[], []], "time": [[], []], "price": [[], []], "segment": ["g", "s"]}
    )
    assert AttributedHistories.from_frame(new).time_kind is None
    assert_valid_proba(clf.predict_proba(new), 2, 2)
    # An empty history with a context reads as the first step of a longer one does:
    # its probabilities are those of a history cut to nothing.
    cut = frame.iloc[[0, 1]].assign(
        events=[[], []], time=[times[0][:0], times[1][:0]], price=[[], []]
    )
    np.testing.assert_allclose(clf.predict_proba(new), clf.predict_proba(cut))


def test_a_text_in_a_numeric_attribute_is_named():
    frame = attributed_frame(DATETIMES)
    clf = tiny_classifier().fit(frame, ["b", "a", "a"] * 4)
    bad = frame.iloc[:1].copy()
    bad.at[0, "price"] = [1.0, "x"]
    with pytest.raises(TypeError, match=r"Attribute 'price' is numeric in this model; got 'x'"):
        clf.predict(bad)
    bad.at[0, "price"] = [True, 1.0]
    with pytest.raises(TypeError, match=r"'price' is numeric in this model; got True"):
        clf.predict(bad)


# Event logs: times out of range, text order keys, end_event counts --------------------

COLUMNS = {"sequence_col": "case", "order_col": "order", "event_col": "event"}


def small_log(**columns):
    return pd.DataFrame(
        {"case": [1, 1, 1, 2, 2], "order": [1, 2, 3, 1, 2], "event": list("abcab"), **columns}
    )


@pytest.mark.parametrize(
    "time",
    [
        np.array(
            ["2024-01-01", "2024-01-02", "9999-12-31", "2024-01-01", "2024-01-03"],
            dtype="datetime64[s]",
        ),
        ["2024-01-01", "2024-01-02", "1500-01-01", "2024-01-01", "2024-01-03"],
    ],
    ids=["9999-12-31", "year-1500"],
)
def test_a_time_out_of_range_names_the_column_and_value(time):
    log = small_log(t=time)
    year = "9999" if "9999" in str(time) else "1500"
    with pytest.raises(
        ValueError, match=rf"time column 't' has a time out of range at row 2: '{year}"
    ):
        samples_from_log(log, **COLUMNS, time_col="t")


@pytest.mark.parametrize(
    "order, message",
    [
        ("order", r"'t' has a value that is not a time at row 2"),
        ("t", r"order column 't' cannot be ordered"),  # timestamps beside text
    ],
)
def test_a_value_that_is_no_time_before_one_out_of_range_is_named(order, message):
    stamp = pd.Timestamp("2024-05-01 09:00")
    log = small_log(t=pd.Series([stamp, stamp, "not a time", stamp, "9999-12-31"], dtype=object))
    with pytest.raises(ValueError, match=message):
        samples_from_log(log, **{**COLUMNS, "order_col": order}, time_col="t")
    text = small_log(t=["2024-05-01", "2024-05-02", "not a time", "2024-05-01", "9999-12-31"])
    with pytest.raises(ValueError, match=r"'t' has a value that is not a time at row 2"):
        samples_from_log(text, **{**COLUMNS, "order_col": order}, time_col="t")


def test_an_attributed_frame_time_out_of_range_is_named():
    frame = pd.DataFrame({"events": [["a", "b"]], "time": [["2024-01-01", "9999-12-31"]]})
    with pytest.raises(ValueError, match=r"'time', sequence 0, event 1: '9999-12-31"):
        AttributedHistories.from_frame(frame)


ISO = [
    "2024-01-01T10:00:00+05:00",  # 05:00 UTC: the first event of case 1
    "2024-01-01T06:00:00+00:00",
    "2024-01-01T07:00:00+00:00",
    "2024-01-01T00:00:00+00:00",
    "2024-01-03T00:00:00+00:00",
]


def test_iso_order_keys_with_offsets_are_ordered_as_times():
    log = small_log(stamp=ISO).assign(event=["x", "y", "z", "p", "q"])
    by_text = samples_from_log(log, **{**COLUMNS, "order_col": "stamp"})
    # The same rows with the times parsed by pandas: the order it must give.
    parsed = log.assign(stamp=pd.to_datetime(log["stamp"], utc=True, format="ISO8601"))
    by_time = samples_from_log(parsed, **{**COLUMNS, "order_col": "stamp"})
    assert list(by_text.X) == list(by_time.X) == [("x",), ("x", "y"), ("p",)]
    with_time = samples_from_log(log, **{**COLUMNS, "order_col": "stamp"}, time_col="stamp")
    assert list(with_time.X) == list(by_text.X)


def test_numeric_text_order_keys_are_ordered_as_numbers():
    log = pd.DataFrame({"case": [1] * 3, "order": ["10", "9", "11"], "event": list("abc")})
    X, y, _ = samples_from_log(log, **COLUMNS)
    assert list(X) == [("b",), ("b", "a")] and y.tolist() == ["a", "c"]


def test_other_text_order_keys_stay_text():
    log = pd.DataFrame({"case": [1] * 3, "order": ["step-b", "step-a", "step-c"], "event": "abc"})
    log["event"] = list("abc")
    X, y, _ = samples_from_log(log, **COLUMNS)
    assert list(X) == [("b",), ("b", "a")] and y.tolist() == ["a", "c"]


def test_time_split_compares_the_cutoff_with_parsed_text_times():
    log = small_log(stamp=ISO).assign(event=["x", "y", "z", "p", "q"])
    train, test = time_split(
        log, **{**COLUMNS, "order_col": "stamp"}, cutoff="2024-01-01T06:30:00+00:00"
    )
    assert train.y.tolist() == ["y"] and test.y.tolist() == ["z", "q"]


def test_end_event_samples_are_not_counted_as_missing():
    log = pd.DataFrame({"case": [1, 2, 2, 3], "event": ["a", "a", "b", "c"]})
    cols = {**COLUMNS, "order_col": None}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every sequence gives a sample: no warning
        X, y, groups = samples_from_log(log, **cols, end_event="END")
    assert list(X) == [("a",), ("a",), ("a", "b"), ("c",)]
    assert y.tolist() == ["END", "b", "END", "END"]
    with pytest.warns(UserWarning, match="2 of 3 sequences have at most min_history=1 event and"):
        samples_from_log(log, **cols)
    with pytest.warns(UserWarning, match="2 of 3 sequences have fewer than min_history=2 events"):
        samples_from_log(log, **cols, end_event="END", min_history=2)


def test_one_event_sequences_give_their_end_samples():
    log = pd.DataFrame({"case": [1, 2], "event": ["a", "b"]})
    cols = {**COLUMNS, "order_col": None}
    X, y, _ = samples_from_log(log, **cols, end_event="END")
    assert list(X) == [("a",), ("b",)] and y.tolist() == ["END", "END"]
    with pytest.raises(ValueError, match=r"at most min_history=1 event, so no event has 1"):
        samples_from_log(log, **cols)


# A raw event log passed to fit --------------------------------------------------------


def raw_log():
    log = MarkovMemorySampler(random_state=0).sample_frame(30, (3, 8))
    hours = pd.to_timedelta(np.arange(len(log)), unit="h")
    return log.assign(time=pd.Timestamp("2024-01-01") + hours)


@pytest.mark.parametrize(
    "columns", [["sequence_id", "event", "time"], ["sequence_id", "event"], None]
)
def test_a_raw_event_log_given_to_fit_points_to_samples_from_log(columns):
    log = raw_log()
    X = log if columns is None else log[columns]
    if columns is None:
        X = X.assign(amount=np.where(np.arange(len(X)) % 3, 1.0, np.nan))  # "contains NaN"
    with pytest.raises(ValueError, match="looks like an event log.*samples_from_log"):
        tiny_classifier().fit(X, log["event"])


def test_wide_histories_are_not_taken_for_a_log():
    rng = np.random.default_rng(0)
    wide = pd.DataFrame(rng.choice(list("ABCD"), size=(40, 3)), columns=["e1", "e2", "e3"])
    tiny_classifier().fit(wide, rng.choice(list("AB"), 40))
    # Sorted, with y equal to a column: its runs share the events of the other columns.
    ordered = wide.sort_values("e1", ignore_index=True)
    tiny_classifier().fit(ordered, ordered["e3"])
    # Events that are numbers in runs, y a column of other values.
    numbers = pd.DataFrame({"e1": np.repeat(np.arange(10), 4), "e2": np.tile([7, 8], 20)})
    tiny_classifier().fit(numbers, np.tile(["x", "y"], 20))


# EventLogFiles: a missing end_event, files changed during fit ------------------------


def test_event_log_files_refuse_a_missing_end_event(tmp_path):
    pytest.importorskip("pyarrow")
    from sklearn_seqlstm import EventLogFiles

    path = tmp_path / "log.parquet"
    small_log().to_parquet(path)
    for missing in (float("nan"), np.float32("nan"), pd.NA, pd.NaT):
        with pytest.raises(ValueError, match="end_event must be an event, not a missing value"):
            EventLogFiles(path, **COLUMNS, end_event=missing)
    with pytest.raises(ValueError, match="end_event must be an event, not a missing value"):
        samples_from_log(small_log(), **COLUMNS, end_event=float("nan"))


def test_a_file_replaced_between_epochs_is_named(tmp_path):
    pytest.importorskip("pyarrow")
    from skorch.callbacks import Callback

    from sklearn_seqlstm import EventLogFiles

    log = MarkovMemorySampler(random_state=0).sample_frame(20, (3, 6))
    path = tmp_path / "log.parquet"
    log.to_parquet(path, index=False)
    files = EventLogFiles(path, sequence_col="sequence_id", order_col="position", event_col="event")

    class Replace(Callback):
        def on_epoch_end(self, net, **kwargs):
            other = MarkovMemorySampler(events=list("XYZ"), transitions={}, random_state=1)
            other.sample_frame(20, (3, 6)).to_parquet(tmp_path / "new.parquet", index=False)
            (tmp_path / "new.parquet").replace(path)

    clf = NextEventClassifier(
        max_epochs=3, hidden_size=4, random_state=0, early_stopping=False, callbacks=[Replace()]
    )
    with pytest.raises(ValueError, match=r"log\.parquet' was modified or replaced since"):
        clf.fit(files)
    assert not hasattr(clf, "classes_")  # a failed fit leaves the estimator as it was
    # A new EventLogFiles reads the new contents.
    fresh = EventLogFiles(path, sequence_col="sequence_id", order_col="position", event_col="event")
    assert set(tiny_classifier().fit(fresh).classes_) <= set("XYZ")


# Hypothesis: small attributed event logs, from samples_from_log to predict_proba ------

ODD_NAMES = ["price", " ", "é-name", 1, "1", "events", "time", "case:x", ""]
ODD_NUMBERS = [0.0, -1.5, 1e308, -1e308, 5e-324, math.nan, None, 2**63, -(2**70)]
ODD_VALUES = ODD_NUMBERS + ["a", "b", True, "", pd.NaT]
ODD_TIMES = [
    pd.Timestamp("2024-05-01 09:00"),
    pd.Timestamp("2024-05-01 09:00", tz="Europe/Paris"),
    "2024-05-01T10:00:00+05:00",
    "2024-05-02T00:00:00Z",
    "9999-12-31",
    "1500-01-01",
    pd.Timestamp("2262-04-11"),
    0,
    1e308,
    -1.5,
    None,
    "not a time",
]


@st.composite
def attributed_logs(draw):
    n = draw(st.integers(3, 10))
    # Case 0 opens with a, b, c: targets of two classes, so that most logs reach fit.
    cases = [0, 0, 0] + draw(st.lists(st.integers(0, 3), min_size=n - 3, max_size=n - 3))
    events = ["a", "b", "c"] + draw(
        st.lists(st.sampled_from(["a", "b", "c"]), min_size=n - 3, max_size=n - 3)
    )
    frame = pd.DataFrame({"case": cases, "order": np.arange(n), "event": events})
    time_col = None
    if draw(st.booleans()):
        kind = draw(st.sampled_from(["numbers", "stamps", "odd"]))
        if kind == "numbers":
            times = np.cumsum(draw(st.lists(st.floats(0, 1e6), min_size=n, max_size=n)))
        elif kind == "stamps":
            gaps = draw(st.lists(st.integers(0, 10**6), min_size=n, max_size=n))
            times = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.cumsum(gaps), unit="s")
        else:
            times = draw(st.lists(st.sampled_from(ODD_TIMES), min_size=n, max_size=n))
        frame["when"] = list(times)
        time_col = "when"
    names = draw(st.lists(st.sampled_from(ODD_NAMES), max_size=3, unique=True))
    event_attributes, sequence_attributes = [], []
    for name in names:
        pool = ODD_NUMBERS if draw(st.booleans()) else ODD_VALUES
        if draw(st.booleans()):  # a sequence attribute: one value per case, or varying
            per_case = {c: draw(st.sampled_from(pool)) for c in sorted(set(cases))}
            values = [per_case[c] for c in cases]
            if draw(st.integers(0, 4)) == 0:
                values[-1] = draw(st.sampled_from(pool))
            sequence_attributes.append(name)
        else:
            values = draw(st.lists(st.sampled_from(pool), min_size=n, max_size=n))
            event_attributes.append(name)
        frame[name] = pd.Series(values, dtype=object)
    end_event = draw(st.sampled_from([None, None, "END"]))
    return frame, time_col, event_attributes, sequence_attributes, end_event


@given(log=attributed_logs(), sequence_context=st.sampled_from(["every_step", "first_step"]))
@counted
def test_attributed_logs_train_or_are_refused(log, sequence_context):
    """Success with finite probabilities summing to 1, or a ValueError/TypeError of ours."""
    frame, time_col, event_attributes, sequence_attributes, end_event = log
    before = frame.copy()
    samples = outcome(
        samples_from_log,
        frame,
        **COLUMNS,
        time_col=time_col,
        event_attributes=event_attributes,
        sequence_attributes=sequence_attributes,
        end_event=end_event,
    )
    pd.testing.assert_frame_equal(frame, before)  # the log is never modified
    if isinstance(samples, Refused):
        return
    X, y, _ = samples
    clf = NextEventClassifier(
        max_epochs=1, hidden_size=4, sequence_context=sequence_context, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # few classes, small folds
        fitted = outcome(clf.fit, X, y)
    if isinstance(fitted, Refused):
        return
    assert_valid_proba(clf.predict_proba(X), len(X), len(clf.classes_))
    frame_form = outcome(X.to_frame) if isinstance(X, AttributedHistories) else None
    if frame_form is not None:
        assert not isinstance(frame_form, Refused)
        assert_valid_proba(clf.predict_proba(frame_form), len(X), len(clf.classes_))
