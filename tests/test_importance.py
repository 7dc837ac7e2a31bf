"""Permutation importance on histories: attributes, time, sequence context, older events."""

import numpy as np
import pandas as pd
import pytest

from sklearn_seqlstm import (
    AttributedHistories,
    BayesOracleClassifier,
    MarkovMemorySampler,
    NextEventClassifier,
    samples_from_log,
    sequence_permutation_importance,
)
from sklearn_seqlstm.inspection._importance import _shuffled

COLUMNS = dict(sequence_col="case", order_col="time", event_col="activity")


def _log(n_cases, seed):
    """A log where each event's "signal" decides the next activity, and the rest is noise.

    After an event whose signal is "s1" comes "a", after "s2" comes "b", unless a
    "wait" comes first (3 times in 10). "wait" comes 10 minutes or 10 hours after the
    event before it, and that gap decides what follows it: "quick" or "late". "noise"
    (a number) and the case's "channel" are drawn independently of everything.
    """
    rng = np.random.RandomState(seed)
    rows = []
    start = pd.Timestamp("2024-01-01", tz="UTC")
    for case in range(n_cases):
        now = start + pd.Timedelta(hours=int(rng.randint(0, 2000)))
        channel = rng.choice(["web", "phone"])
        activity, gap = "open", pd.Timedelta(0)
        for _ in range(5):
            signal = rng.choice(["s1", "s2"])
            rows.append(
                dict(
                    case=case,
                    time=now,
                    activity=activity,
                    signal=signal,
                    noise=rng.rand(),
                    channel=channel,
                )
            )
            if activity == "wait":
                activity = "quick" if gap < pd.Timedelta(hours=1) else "late"
                gap = pd.Timedelta(minutes=30)
            elif rng.rand() < 0.3:
                activity = "wait"
                gap = pd.Timedelta(minutes=10 if rng.rand() < 0.5 else 600)
            else:
                activity = "a" if signal == "s1" else "b"
                gap = pd.Timedelta(minutes=30)
            now += gap
    return pd.DataFrame(rows)


OPTIONS = dict(
    time_col="time", event_attributes=["signal", "noise"], sequence_attributes=["channel"]
)


@pytest.fixture(scope="module")
def fitted():
    X, y, _ = samples_from_log(_log(300, 0), **COLUMNS, **OPTIONS)
    X_test, y_test, _ = samples_from_log(_log(150, 1), **COLUMNS, **OPTIONS)
    clf = NextEventClassifier(max_epochs=30, hidden_size=16, random_state=0).fit(X, y)
    return clf, X_test, y_test


def test_a_deciding_attribute_matters_and_noise_does_not(fitted):
    clf, X, y = fitted
    result = sequence_permutation_importance(
        clf, X, y, features=["signal", "noise", "channel", "time"], n_repeats=3, random_state=0
    )
    importance = dict(zip(result.feature_names.tolist(), result.importances_mean, strict=True))
    assert importance["signal"] > 0.1
    assert importance["time"] > 0.02  # only the events after "wait" depend on it
    assert abs(importance["noise"]) < 0.02
    assert abs(importance["channel"]) < 0.02
    assert result.importances.shape == (4, 3)
    np.testing.assert_allclose(result.importances_std, result.importances.std(axis=1))


def test_the_oracle_of_a_plain_markov_chain_ignores_every_older_event():
    sampler = MarkovMemorySampler(memory_influence=0.0, random_state=0)
    X, y, _ = sampler.make_dataset(200, 15)
    oracle = BayesOracleClassifier(sampler=sampler).fit(X, y)
    result = sequence_permutation_importance(
        oracle, X, y, features=["events[:-1]", "events[:-3]"], n_repeats=2, random_state=0
    )
    # It reads the last event only, which the shuffles keep: the score cannot move.
    assert np.array_equal(result.importances, np.zeros((2, 2)))


def test_older_events_matter_to_the_oracle_of_a_process_with_memory():
    sampler = MarkovMemorySampler(memory_influence=0.7, random_state=0)
    X, y, _ = sampler.make_dataset(200, 15)
    oracle = BayesOracleClassifier(sampler=sampler).fit(X, y)
    result = sequence_permutation_importance(
        oracle, X, y, features=["events[:-1]"], n_repeats=2, random_state=0
    )
    assert result.importances_mean[0] > 0.05


def test_shuffling_older_events_keeps_the_last_k_and_times_rising(fitted):
    _, X, _ = fitted
    X = X[:200]
    rng = np.random.RandomState(0)
    shuffled = _shuffled(X, "events[:-2]", rng)
    assert isinstance(shuffled, AttributedHistories)  # built through its checks
    frame, before = shuffled.to_frame(), X.to_frame()
    moved = 0
    for i in range(len(X)):
        # Each history ends with its own last two events (all of a shorter one).
        kept = len(before["events"][i][-2:])
        assert tuple(frame["events"][i][-kept:]) == tuple(before["events"][i][-kept:])
        assert list(frame["signal"][i][-kept:]) == list(before["signal"][i][-kept:])
        assert frame["channel"][i] == before["channel"][i]
        assert (np.diff(frame["time"][i].asi8) >= 0).all()
        # The kept part keeps its gap to the event before it, when both have one.
        if len(before["events"][i]) > 2 and len(frame["events"][i]) > 2:
            assert (
                np.diff(frame["time"][i].asi8)[-kept:][0]
                == np.diff(before["time"][i].asi8)[-kept:][0]
            )
        moved += tuple(frame["events"][i]) != tuple(before["events"][i])
    assert moved > 0


def test_shuffled_times_still_rise_and_keep_their_gaps(fitted):
    _, X, _ = fitted
    shuffled = _shuffled(X, "time", np.random.RandomState(0))
    used = np.unique(X.sequence_index)
    for s in used.tolist():
        assert (np.diff(shuffled.times[s]) >= 0).all()
    before = np.sort(np.concatenate([np.diff(X.times[s]) for s in range(len(X.times))]))
    after = np.sort(np.concatenate([np.diff(shuffled.times[s]) for s in range(len(X.times))]))
    np.testing.assert_allclose(before, after)
    assert any(not np.array_equal(X.times[s], shuffled.times[s]) for s in used.tolist())


def test_plain_histories_and_defaults():
    sampler = MarkovMemorySampler(memory_influence=0.0, random_state=0)
    X, y, _ = sampler.make_dataset(60, 6)
    oracle = BayesOracleClassifier(sampler=sampler).fit(X, y)
    before = [list(h) for h in X]
    result = sequence_permutation_importance(oracle, X, y, n_repeats=1, random_state=0)
    # Histories of at most 5 events: events[:-k] for k = 1, 2 and 4.
    assert result.feature_names.tolist() == ["events[:-1]", "events[:-2]", "events[:-4]"]
    assert [list(h) for h in X] == before
    again = sequence_permutation_importance(oracle, X, y, n_repeats=1, random_state=0)
    assert np.array_equal(result.importances, again.importances)


def test_bad_features_are_named(fitted):
    clf, X, y = fitted
    with pytest.raises(ValueError, match="Unknown feature 'colour'"):
        sequence_permutation_importance(clf, X, y, features=["colour"])
    with pytest.raises(ValueError, match="Unknown feature 'events\\[:-0\\]'"):
        sequence_permutation_importance(clf, X, y, features=["events[:-0]"])
    with pytest.raises(ValueError, match="twice"):
        sequence_permutation_importance(clf, X, y, features=["noise", "noise"])
    with pytest.raises(ValueError, match="n_repeats"):
        sequence_permutation_importance(clf, X, y, features=["noise"], n_repeats=0)
    with pytest.raises(ValueError, match="Unknown feature 'time'"):
        sequence_permutation_importance(clf, [["open"]], ["a"], features=["time"])
