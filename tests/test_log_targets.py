"""Regression targets cut from an event log: samples_from_log(target=...)."""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn_seqlstm import (
    AttributedHistories,
    leave_last_out_split,
    samples_from_log,
    time_split,
)

COLUMNS = {"sequence_col": "case", "order_col": "time", "event_col": "activity"}
NUMERIC = ["time_to_next", "remaining_time", "next_value"]
HOUR, DAY = 3600.0, 86400.0

# Case "A": open 00:00, check 00:30, close 02:00 (amounts 10, 20, 30); case "B": open
# on day 2 at 10:00, close a day later (amounts 5, 7). Rows shuffled.
LOG = pd.DataFrame(
    {
        "case": ["B", "A", "A", "B", "A"],
        "time": pd.to_datetime(
            [
                "2024-01-03 10:00",
                "2024-01-01 02:00",
                "2024-01-01 00:00",
                "2024-01-02 10:00",
                "2024-01-01 00:30",
            ]
        ),
        "activity": ["close", "close", "open", "open", "check"],
        "amount": [7, 30, 10, 5, 20],
    }
)


def lists(X):
    return [list(history) for history in X]


def test_each_target_by_hand():
    X, y, groups = samples_from_log(LOG, **COLUMNS, time_col="time")
    assert lists(X) == [["open"], ["open", "check"], ["open"]]
    assert y.tolist() == ["check", "close", "close"]
    assert groups.tolist() == ["A", "A", "B"]

    y = samples_from_log(LOG, **COLUMNS, time_col="time", target="time_to_next").y
    assert y.dtype == np.float64
    assert y.tolist() == [0.5 * HOUR, 1.5 * HOUR, DAY]
    y = samples_from_log(LOG, **COLUMNS, time_col="time", target="remaining_time").y
    assert y.dtype == np.float64
    assert y.tolist() == [2 * HOUR, 1.5 * HOUR, DAY]
    y = samples_from_log(LOG, **COLUMNS, target="next_value", value_col="amount").y
    assert y.dtype == np.float64
    assert y.tolist() == [20.0, 30.0, 7.0]


def test_numeric_times_give_differences_in_their_own_unit():
    log = LOG.assign(time=[3.0, 0.25, 0.0, 2.0, 0.125])  # days, say
    y = samples_from_log(log, **COLUMNS, time_col="time", target="time_to_next").y
    assert y.tolist() == [0.125, 0.125, 1.0]
    y = samples_from_log(log, **COLUMNS, time_col="time", target="remaining_time").y
    assert y.tolist() == [0.25, 0.125, 1.0]
    # Integer times too.
    log = LOG.assign(time=[30, 5, 1, 20, 2])
    y = samples_from_log(log, **COLUMNS, time_col="time", target="remaining_time").y
    assert y.dtype == np.float64 and y.tolist() == [4.0, 3.0, 10.0]


def test_end_event_gives_the_whole_case_a_zero_time_target():
    kwargs = dict(**COLUMNS, time_col="time", end_event="[END]")
    X, labels, groups = samples_from_log(LOG, **kwargs)
    assert labels.tolist() == ["check", "close", "[END]", "close", "[END]"]
    for target, expected in [
        ("time_to_next", [0.5 * HOUR, 1.5 * HOUR, 0.0, DAY, 0.0]),
        ("remaining_time", [2 * HOUR, 1.5 * HOUR, 0.0, DAY, 0.0]),
    ]:
        samples = samples_from_log(LOG, **kwargs, target=target)
        assert samples.y.dtype == np.float64
        assert samples.y.tolist() == expected
        assert lists(samples.X) == lists(X)
        assert samples.groups.tolist() == groups.tolist()
    # Without end_event the whole case is no history: no sample has 0 left.
    y = samples_from_log(LOG, **COLUMNS, time_col="time", target="remaining_time").y
    assert (y > 0).all()


def test_min_history_and_max_history():
    with pytest.warns(UserWarning, match="1 of 2 sequences"):
        y = samples_from_log(
            LOG, **COLUMNS, time_col="time", target="time_to_next", min_history=2
        ).y
    assert y.tolist() == [1.5 * HOUR]  # case B is too short
    # min_history=0: the empty history has a next value, but no last event to time from.
    y = samples_from_log(LOG, **COLUMNS, target="next_value", value_col="amount", min_history=0).y
    assert y.tolist() == [10.0, 20.0, 30.0, 5.0, 7.0]
    for target in ["time_to_next", "remaining_time"]:
        with pytest.raises(ValueError, match="needs min_history >= 1"):
            samples_from_log(LOG, **COLUMNS, time_col="time", target=target, min_history=0)
    # max_history cuts plain histories; the targets stay those of the whole history.
    X, y, _ = samples_from_log(
        LOG, **COLUMNS, target="next_value", value_col="amount", max_history=1
    )
    assert lists(X) == [["open"], ["check"], ["open"]]
    assert y.tolist() == [20.0, 30.0, 7.0]
    # Histories with times are prefixes: max_history belongs to the classifier.
    with pytest.raises(ValueError, match="Pass max_history to NextEventClassifier"):
        samples_from_log(LOG, **COLUMNS, time_col="time", target="time_to_next", max_history=1)


def test_the_splits_pass_the_target_through():
    log = pd.DataFrame(
        {
            "case": [1] * 4 + [2] * 3,
            "time": [0.0, 1.0, 3.0, 7.0, 10.0, 20.0, 40.0],
            "activity": list("abcdxyz"),
            "amount": [1.0, 2.0, 3.0, 4.0, 10.0, 20.0, 30.0],
        }
    )
    kwargs = dict(**COLUMNS, time_col="time")
    train, valid, test = leave_last_out_split(log, **kwargs, target="time_to_next")
    assert (train.y.tolist(), valid.y.tolist(), test.y.tolist()) == (
        [1.0],
        [2.0, 10.0],
        [4.0, 20.0],
    )
    train, valid, test = leave_last_out_split(log, **kwargs, target="remaining_time")
    assert (train.y.tolist(), valid.y.tolist(), test.y.tolist()) == (
        [7.0],
        [6.0, 30.0],
        [4.0, 20.0],
    )
    train, valid, test = leave_last_out_split(
        log, **COLUMNS, target="next_value", value_col="amount"
    )
    assert (train.y.tolist(), valid.y.tolist(), test.y.tolist()) == (
        [2.0],
        [3.0, 20.0],
        [4.0, 30.0],
    )

    train, test = time_split(log, **kwargs, cutoff=5.0, target="time_to_next")
    assert train.y.tolist() == [1.0, 2.0] and test.y.tolist() == [4.0, 10.0, 20.0]
    train, test = time_split(log, **kwargs, cutoff=5.0, target="remaining_time")
    assert train.y.tolist() == [7.0, 6.0] and test.y.tolist() == [4.0, 30.0, 20.0]
    train, test = time_split(log, **COLUMNS, cutoff=5.0, target="next_value", value_col="amount")
    assert train.y.tolist() == [2.0, 3.0] and test.y.tolist() == [4.0, 20.0, 30.0]
    with pytest.raises(ValueError, match="needs time_col"):
        time_split(log, **COLUMNS, cutoff=5.0, target="time_to_next")
    with pytest.raises(ValueError, match="needs value_col"):
        leave_last_out_split(log, **COLUMNS, target="next_value")


def test_a_series_as_a_log_of_one_sequence():
    months = pd.date_range("2020-01-01", periods=24, freq="MS")
    co2 = 410 + 0.2 * np.arange(24) + 3 * np.sin(2 * np.pi * np.arange(24) / 12)
    series = pd.DataFrame({"month": months, "co2": co2})
    series["name"] = series["month"].dt.month_name()
    series["station"] = "mauna loa"
    kwargs = dict(sequence_col="station", order_col="month", event_col="name")
    X, y, groups = samples_from_log(
        series, **kwargs, event_attributes=["co2"], target="next_value", value_col="co2"
    )
    assert isinstance(X, AttributedHistories)
    np.testing.assert_array_equal(y, co2[1:])
    assert set(groups.tolist()) == {"mauna loa"}
    # Every prefix is a history, carrying the past values and month names.
    frame = X.to_frame()
    for t in range(1, 24):
        np.testing.assert_array_equal(frame["co2"][t - 1], co2[:t])
        assert list(frame["events"][t - 1]) == series["name"][:t].tolist()
    # value_col is not added to the histories by itself.
    X, y2, _ = samples_from_log(series, **kwargs, target="next_value", value_col="co2")
    assert not isinstance(X, AttributedHistories)
    np.testing.assert_array_equal(y2, y)


def test_nullable_integers_and_missing_values_off_the_targets_are_fine():
    log = LOG.assign(amount=pd.array([7, 30, pd.NA, 5, 20], dtype="Int64"))
    # Row 2 (case A's first event) is missing, but it is the target of no sample.
    y = samples_from_log(log, **COLUMNS, target="next_value", value_col="amount").y
    assert y.dtype == np.float64 and y.tolist() == [20.0, 30.0, 7.0]
    with pytest.raises(ValueError, match=r"value_col='amount'.*row 2"):
        samples_from_log(log, **COLUMNS, target="next_value", value_col="amount", min_history=0)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_value_that_is_not_finite_at_a_target_names_the_row(bad):
    log = LOG.assign(amount=[7.0, 30.0, 10.0, 5.0, bad])  # row 4: case A's "check"
    with pytest.raises(ValueError, match=r"not finite .* at row 4"):
        samples_from_log(log, **COLUMNS, target="next_value", value_col="amount")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(target="time"), r"target.*next_event.*remaining_time|remaining_time.*next_event"),
        (dict(target="time_to_next"), r"target='time_to_next' needs time_col"),
        (dict(target="remaining_time"), r"target='remaining_time' needs time_col"),
        (dict(target="next_value"), r"target='next_value' needs value_col"),
        (dict(target="next_value", value_col="nope"), r"no column value_col='nope'"),
        (dict(target="next_value", value_col="activity"), r"value_col='activity' must be numeric"),
        (dict(target="next_value", value_col="flag"), r"value_col='flag' must be numeric"),
        (dict(value_col="amount"), r"value_col='amount' is only used with target='next_value'"),
        (
            dict(target="next_value", value_col="amount", end_event="[END]"),
            r"cannot be combined with end_event",
        ),
    ],
)
def test_bad_targets_are_named(kwargs, message):
    log = LOG.assign(flag=[True, False, True, False, True])
    with pytest.raises(ValueError, match=message):
        samples_from_log(log, **COLUMNS, **kwargs)


# Property tests against pandas ------------------------------------------------------

logs = st.lists(
    st.tuples(st.integers(0, 4), st.integers(0, 50), st.sampled_from("ABCD"), st.floats(-5, 5)),
    min_size=1,
    max_size=40,
).map(lambda rows: pd.DataFrame(rows, columns=["case", "time", "activity", "amount"]))


def expected_targets(frame, min_history, end_event):
    """Per target, the targets in sample order, from a pandas sort, diff and groupby."""
    ordered = frame.rename_axis("row").reset_index().sort_values(["case", "time", "row"])
    by_case = ordered.groupby("case", sort=True)
    position = by_case.cumcount()
    previous = by_case["time"].shift(1)
    seconds = (
        (lambda delta: delta.dt.total_seconds())
        if pd.api.types.is_datetime64_any_dtype(frame["time"])
        else (lambda delta: delta.astype(float))
    )
    ordered["time_to_next"] = seconds(ordered["time"] - previous)
    ordered["remaining_time"] = seconds(by_case["time"].transform("max") - previous)
    ordered["next_value"] = ordered["amount"]
    ordered["length"] = position  # the length of the history of each target
    targets = ordered[position >= min_history]
    if end_event:
        size = by_case.size()
        ends = pd.DataFrame(
            {
                "case": size.index,
                "length": size.to_numpy(),
                "time_to_next": 0.0,
                "remaining_time": 0.0,
            }
        )
        ends = ends[ends["length"] >= min_history]
        targets = pd.concat([targets, ends]).sort_values(["case", "length"], kind="stable")
    return targets


@settings(max_examples=60, deadline=None)
@given(logs, st.integers(1, 3), st.booleans(), st.booleans())
def test_targets_match_pandas_and_the_samples_of_next_event(frame, min_history, dated, end):
    if dated:
        frame = frame.assign(time=pd.Timestamp("2024-01-01") + pd.to_timedelta(frame["time"], "h"))
    end_event = "[END]" if end else None
    kwargs = dict(**COLUMNS, time_col="time", min_history=min_history, end_event=end_event)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        try:
            reference = samples_from_log(frame, **kwargs)
        except ValueError as exc:
            assert "No sample" in str(exc)
            return
        samples = {
            target: samples_from_log(frame, **kwargs, target=target)
            for target in ["time_to_next", "remaining_time"]
        }
        if not end:
            samples["next_value"] = samples_from_log(
                frame, **{**kwargs, "time_col": None}, target="next_value", value_col="amount"
            )
    expected = expected_targets(frame, min_history, end)
    assert len(reference.y) == len(expected)
    np.testing.assert_array_equal(reference.groups, expected["case"].to_numpy())
    for target, (X, y, groups) in samples.items():
        assert isinstance(y, np.ndarray) and y.dtype == np.float64
        np.testing.assert_allclose(y, expected[target].to_numpy(dtype=float), rtol=1e-12)
        # The same samples as for the next event, object for object.
        np.testing.assert_array_equal(groups, reference.groups)
        np.testing.assert_array_equal(X.sequence_index, reference.X.sequence_index)
        np.testing.assert_array_equal(X.lengths, reference.X.lengths)
        assert lists(X) == lists(reference.X)
    if end:
        ends = reference.y == "[END]"
        assert (samples["time_to_next"].y[ends] == 0).all()
        assert (samples["remaining_time"].y[ends] == 0).all()


@settings(max_examples=40, deadline=None)
@given(logs, st.integers(1, 2), st.integers(0, 50))
def test_the_splits_give_the_targets_of_samples_from_log(frame, min_history, cutoff):
    kwargs = dict(**COLUMNS, time_col="time", min_history=min_history)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for target in ["time_to_next", "remaining_time"]:
            try:
                everything = samples_from_log(frame, **kwargs, target=target)
            except ValueError:
                return
            for split in [
                lambda **kw: leave_last_out_split(frame, **kwargs, **kw),
                lambda **kw: time_split(frame, **kwargs, cutoff=cutoff, **kw),
            ]:
                try:
                    labels = split()
                except ValueError:
                    continue
                parts = split(target=target)
                # Each split sample's target is that of the same (sequence, length) overall.
                lookup = {
                    (s, n): value
                    for s, n, value in zip(
                        everything.X.sequence_index.tolist(),
                        everything.X.lengths.tolist(),
                        everything.y.tolist(),
                        strict=True,
                    )
                }
                for part, label in zip(parts, labels, strict=True):
                    assert lists(part.X) == lists(label.X)
                    np.testing.assert_array_equal(part.groups, label.groups)
                    assert part.y.tolist() == [
                        lookup[s, n]
                        for s, n in zip(
                            part.X.sequence_index.tolist(), part.X.lengths.tolist(), strict=True
                        )
                    ]
