"""From an event log to (history, next event) samples: samples_from_log and the splits."""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.model_selection import GroupKFold

from sklearn_seqlstm import (
    MarkovChainClassifier,
    MarkovMemorySampler,
    NextEventSamples,
    PrefixHistories,
    leave_last_out_split,
    samples_from_log,
    time_split,
)

COLUMNS = {"sequence_col": "user", "order_col": "time", "event_col": "page"}

# Rows out of order; user "b" has two events at time 2 (rows 2 and 5), which keep
# their row order: "item" (row 2) before "cart" (row 5).
LOG = pd.DataFrame(
    {
        "user": ["b", "a", "b", "a", "b", "b", "a", "c"],
        "time": [1, 3, 2, 1, 9, 2, 2, 5],
        "page": ["home", "cart", "item", "home", "exit", "cart", "search", "home"],
    }
)
# Sorted: a = home, search, cart; b = home, item, cart, exit; c = home.


def test_samples_hand_checked():
    with pytest.warns(UserWarning, match="1 of 3 sequences have at most min_history=1"):
        X, y, groups = samples_from_log(LOG, **COLUMNS)
    assert lists(X) == [
        ["home"],
        ["home", "search"],
        ["home"],
        ["home", "item"],
        ["home", "item", "cart"],
    ]
    assert y.tolist() == ["search", "cart", "item", "cart", "exit"]
    assert groups.tolist() == ["a", "a", "b", "b", "b"]


def lists(X):
    """The histories as lists, whether X is a PrefixHistories or a list."""
    return [list(history) for history in X]


def test_samples_are_a_named_tuple_of_histories_and_arrays():
    samples = samples_from_log(LOG[LOG["user"] != "c"], **COLUMNS)
    assert isinstance(samples, NextEventSamples)
    # Prefixes of the log's sequences: each sequence stored once.
    assert isinstance(samples.X, PrefixHistories)
    assert all(isinstance(h, tuple) for h in samples.X)
    truncated = samples_from_log(LOG[LOG["user"] != "c"], **COLUMNS, max_history=1)
    assert isinstance(truncated.X, list) and all(isinstance(h, list) for h in truncated.X)
    assert isinstance(samples.y, np.ndarray) and isinstance(samples.groups, np.ndarray)
    assert samples.X is samples[0]


def test_min_and_max_history():
    log = LOG[LOG["user"] == "b"]
    X, y, _ = samples_from_log(log, **COLUMNS, min_history=2, max_history=2)
    assert lists(X) == [["home", "item"], ["item", "cart"]]
    assert y.tolist() == ["cart", "exit"]
    X, y, _ = samples_from_log(log, **COLUMNS, min_history=0)
    assert lists(X) == [[], ["home"], ["home", "item"], ["home", "item", "cart"]]
    assert y.tolist() == ["home", "item", "cart", "exit"]


@pytest.mark.parametrize("split", ["samples", "end_event", "leave_last_out", "time_split"])
def test_a_max_history_beyond_int64_keeps_whole_histories(split):
    # Any Python int passes the parameter check; one too big for int64 must still
    # mean "no truncation", never an OverflowError from numpy.
    def run(max_history):
        if split == "leave_last_out":
            return leave_last_out_split(LOG, **COLUMNS, max_history=max_history)
        if split == "time_split":
            return time_split(LOG, **COLUMNS, cutoff=3, max_history=max_history)
        end = {"end_event": "[END]"} if split == "end_event" else {}
        return [samples_from_log(LOG, **COLUMNS, max_history=max_history, **end)]

    for huge, whole in zip(run(10**22), run(None), strict=True):
        assert lists(huge.X) == lists(whole.X)
        assert huge.y.tolist() == whole.y.tolist()


def test_event_and_key_types_are_kept():
    log = pd.DataFrame(
        {"user": [7, 7, 7, 3, 3], "time": [0, 1, 2, 0, 1], "page": [10, 11, 12, 5, 6]}
    )
    X, y, groups = samples_from_log(log, **COLUMNS)
    assert lists(X) == [[5], [10], [10, 11]]
    assert y.dtype == np.int64 and y.tolist() == [6, 11, 12]
    assert groups.tolist() == [3, 7, 7]
    assert all(type(event) is int for history in X for event in history)


def test_order_col_none_keeps_the_row_order():
    X, y, _ = samples_from_log(LOG[LOG["user"] == "a"], **{**COLUMNS, "order_col": None})
    assert lists(X) == [["cart"], ["cart", "home"]]  # rows 1, 3, 6: cart, home, search
    assert y.tolist() == ["home", "search"]


def test_datetime_and_ordered_categorical_order_keys():
    log = pd.DataFrame(
        {
            "user": [1, 1, 1],
            "time": pd.to_datetime(["2024-03-01", "2024-01-01", "2024-02-01"], utc=True),
            "page": ["c", "a", "b"],
        }
    )
    assert lists(samples_from_log(log, **COLUMNS).X) == [["a"], ["a", "b"]]
    log["time"] = pd.Categorical(["late", "early", "mid"], ["early", "mid", "late"], ordered=True)
    assert lists(samples_from_log(log, **COLUMNS).X) == [["a"], ["a", "b"]]


def test_samples_feed_group_k_fold_and_an_estimator():
    frame = MarkovMemorySampler(random_state=0).sample_frame(30, 8).sample(frac=1, random_state=0)
    X, y, groups = samples_from_log(
        frame, sequence_col="sequence_id", order_col="position", event_col="event"
    )
    assert len(X) == 30 * 7
    for train, test in GroupKFold(n_splits=3).split(X, y, groups):
        assert not set(groups[train]) & set(groups[test])
    MarkovChainClassifier().fit(X, y).predict(X[:5])


# Property tests against a plain-Python reference -------------------------------------

logs = st.lists(
    st.tuples(st.integers(0, 4), st.integers(0, 5), st.sampled_from("ABCD")),
    min_size=1,
    max_size=40,
).map(lambda rows: pd.DataFrame(rows, columns=["user", "time", "page"]))


def reference_sequences(frame):
    """Each sequence's events: rows by key, then by order key, then by row order."""
    rows = sorted(
        range(len(frame)),
        key=lambda i: (frame["user"].iloc[i], frame["time"].iloc[i], i),
    )
    sequences = {}
    for i in rows:
        sequences.setdefault(frame["user"].iloc[i], []).append(frame["page"].iloc[i])
    return sequences


def reference_samples(sequences, min_history, max_history, keep=lambda key, t, n: True):
    X, y, groups = [], [], []
    for key, events in sequences.items():
        for t in range(min_history, len(events)):
            if keep(key, t, len(events)):
                start = 0 if max_history is None else max(0, t - max_history)
                X.append(events[start:t])
                y.append(events[t])
                groups.append(key)
    return X, y, groups


def as_lists(samples):
    return lists(samples.X), samples.y.tolist(), samples.groups.tolist()


@settings(max_examples=60, deadline=None)
@given(
    logs,
    st.integers(0, 3),
    st.one_of(st.none(), st.integers(1, 4)),
    st.randoms(use_true_random=False),
)
def test_samples_match_the_reference_on_shuffled_logs(frame, min_history, max_history, rng):
    order = list(range(len(frame)))
    rng.shuffle(order)
    frame = frame.iloc[order].reset_index(drop=True)
    expected = reference_samples(reference_sequences(frame), min_history, max_history)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        if not expected[0]:
            with pytest.raises(ValueError, match="No sample"):
                samples_from_log(frame, **COLUMNS, min_history=min_history)
            return
        samples = samples_from_log(
            frame, **COLUMNS, min_history=min_history, max_history=max_history
        )
    assert as_lists(samples) == expected


@settings(max_examples=40, deadline=None)
@given(logs, st.randoms(use_true_random=False))
def test_samples_do_not_depend_on_the_row_order_without_ties(frame, rng):
    frame = frame.assign(time=np.arange(len(frame)) * 7 % 41)  # distinct order keys
    shuffled = frame.sample(frac=1, random_state=rng.randint(0, 1000))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        try:
            expected = as_lists(samples_from_log(frame, **COLUMNS, min_history=0))
        except ValueError:
            return
        assert as_lists(samples_from_log(shuffled, **COLUMNS, min_history=0)) == expected


@settings(max_examples=60, deadline=None)
@given(logs, st.integers(0, 2), st.one_of(st.none(), st.integers(1, 4)))
def test_leave_last_out_properties(frame, min_history, max_history):
    sequences = reference_sequences(frame)
    kept = {key: events for key, events in sequences.items() if len(events) >= min_history + 2}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        expected_train = reference_samples(
            kept, min_history, max_history, keep=lambda key, t, n: t < n - 2
        )
        if not kept or not expected_train[0]:
            with pytest.raises(ValueError, match="leave-last-out"):
                leave_last_out_split(frame, **COLUMNS, min_history=min_history)
            return
        train, valid, test = leave_last_out_split(
            frame, **COLUMNS, min_history=min_history, max_history=max_history
        )

    # One validation and one test sample per sequence kept, aligned by group.
    assert test.groups.tolist() == valid.groups.tolist() == list(kept)
    cut = (lambda h: h) if max_history is None else (lambda h: h[-max_history:])
    for i, events in enumerate(kept.values()):
        assert list(test.X[i]) == cut(events[:-1]) and test.y[i] == events[-1]
        assert list(valid.X[i]) == cut(events[:-2]) and valid.y[i] == events[-2]
    # Training: every other sample, none of whose events is a validation or test target.
    assert as_lists(train) == expected_train
    lengths = {key: len(events) for key, events in kept.items()}
    position = {}
    for history, key in zip(train.X, train.groups.tolist(), strict=True):
        t = position[key] = position.get(key, min_history - 1) + 1
        assert t <= lengths[key] - 3  # the target precedes both held-out targets
        assert len(history) <= t
    # Together the three sides are exactly the samples of the kept sequences.
    everything = reference_samples(kept, min_history, max_history)
    assert len(train.X) + len(valid.X) + len(test.X) == len(everything[0])


@settings(max_examples=60, deadline=None)
@given(logs, st.integers(0, 6), st.integers(0, 2))
def test_time_split_partitions_the_samples(frame, cutoff, min_history):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        try:
            everything = samples_from_log(frame, **COLUMNS, min_history=min_history)
        except ValueError:
            return
        # The order key of each sample's target, in sample order.
        targets = samples_from_log(
            frame.assign(page=frame["time"]), **COLUMNS, min_history=min_history
        ).y
        before = targets < cutoff
        if before.all() or not before.any():
            with pytest.raises(ValueError, match="leaves no"):
                time_split(frame, **COLUMNS, cutoff=cutoff, min_history=min_history)
            return
        train, test = time_split(frame, **COLUMNS, cutoff=cutoff, min_history=min_history)
    X, y, groups = as_lists(everything)
    pick = lambda mask, values: [v for v, m in zip(values, mask, strict=True) if m]  # noqa: E731
    assert as_lists(train) == (pick(before, X), pick(before, y), pick(before, groups))
    assert as_lists(test) == (pick(~before, X), pick(~before, y), pick(~before, groups))


def test_time_split_histories_cross_the_cutoff():
    with pytest.warns(UserWarning, match="1 of 3 sequences"):
        train, test = time_split(LOG, **COLUMNS, cutoff=3)
    assert train.y.tolist() == ["search", "item", "cart"]
    assert lists(test.X) == [["home", "search"], ["home", "item", "cart"]]
    assert test.y.tolist() == ["cart", "exit"]


def test_leave_last_out_hand_checked():
    with pytest.warns(UserWarning, match="1 of 3 sequences have fewer than min_history \\+ 2"):
        train, valid, test = leave_last_out_split(LOG, **COLUMNS)
    assert as_lists(train) == (
        [["home"]],
        ["item"],
        ["b"],
    )
    assert lists(valid.X) == [["home"], ["home", "item"]]
    assert valid.y.tolist() == ["search", "cart"]
    assert lists(test.X) == [["home", "search"], ["home", "item", "cart"]]
    assert test.y.tolist() == ["cart", "exit"]
    assert test.groups.tolist() == ["a", "b"]


# Bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize("function", [samples_from_log, leave_last_out_split])
def test_missing_columns_are_named_with_the_available_ones(function):
    with pytest.raises(ValueError) as info:
        function(LOG, sequence_col="session", order_col="time", event_col="event")
    message = str(info.value)
    assert "sequence_col='session'" in message and "event_col='event'" in message
    assert "order_col" not in message
    assert "Available columns: 'user', 'time', 'page'" in message


@pytest.mark.parametrize(
    "column, row", [("user", 4), ("time", 2), ("page", 6), ("time", 0)], ids=str
)
def test_missing_values_name_the_first_row_and_column(column, row):
    log = LOG.astype(object)
    log.loc[row, column] = None
    log.loc[7, "page"] = np.nan  # a later missing value is not the one reported
    with pytest.raises(ValueError, match=f"missing value .* in column '{column}' at row {row}\\."):
        samples_from_log(log, **COLUMNS)


def test_missing_value_names_the_index_label_and_position():
    log = LOG.set_index(pd.Index(range(100, 108), name="line"))
    log.loc[103, "page"] = None
    with pytest.raises(ValueError, match="column 'page' at line 103 \\(position 3\\)"):
        samples_from_log(log, **COLUMNS)


def test_order_key_of_mixed_types_is_a_value_error_naming_the_column():
    log = LOG.astype({"time": object})
    log.loc[3, "time"] = "yesterday"
    with pytest.raises(ValueError, match="order column 'time' cannot be ordered.*int, str"):
        samples_from_log(log, **COLUMNS)


def test_duplicate_column_names_are_refused():
    log = pd.concat([LOG, LOG[["page"]]], axis=1)
    with pytest.raises(ValueError, match="event_col='page' names 2 columns"):
        samples_from_log(log, **COLUMNS)


def test_not_a_data_frame_and_bad_parameters():
    with pytest.raises(ValueError, match="'frame' parameter"):
        samples_from_log(LOG.to_dict(), **COLUMNS)
    with pytest.raises(ValueError, match="'min_history' parameter"):
        samples_from_log(LOG, **COLUMNS, min_history=-1)
    with pytest.raises(ValueError, match="'max_history' parameter"):
        leave_last_out_split(LOG, **COLUMNS, max_history=0)
    with pytest.raises(ValueError, match="time_split needs an order column"):
        time_split(LOG, **{**COLUMNS, "order_col": None}, cutoff=3)


def test_empty_log():
    with pytest.raises(ValueError, match="event log is empty"):
        samples_from_log(LOG.iloc[:0], **COLUMNS)


def test_too_short_sequences_warn_with_a_count_and_fail_when_nothing_is_left():
    with pytest.raises(ValueError, match="No sample: every one of the 3 sequences"):
        samples_from_log(LOG, **COLUMNS, min_history=4)
    with pytest.warns(UserWarning, match="2 of 3 sequences have at most min_history=3"):
        samples_from_log(LOG, **COLUMNS, min_history=3)
    with pytest.raises(ValueError, match="No sequence is long enough"):
        leave_last_out_split(LOG, **COLUMNS, min_history=3)
    with pytest.raises(ValueError, match="leaves no training sample"):
        leave_last_out_split(LOG[LOG["user"] == "a"], **COLUMNS)


def test_time_split_bad_cutoffs():
    with pytest.raises(ValueError, match="cutoff='noon' cannot be compared with the order column"):
        time_split(LOG, **COLUMNS, cutoff="noon")
    with pytest.raises(ValueError, match="no test sample.*runs from 1 to 9"):
        time_split(LOG, **COLUMNS, cutoff=10)
    with pytest.raises(ValueError, match="no training sample"):
        time_split(LOG, **COLUMNS, cutoff=0)
