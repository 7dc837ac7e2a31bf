"""Continuations: sampled futures and the most likely suffix of a history."""

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chisquare

from sklearn_seqlstm import (
    AttributedHistories,
    MarkovMemorySampler,
    NextEventClassifier,
    samples_from_log,
)

FAST = dict(hidden_size=16, random_state=0)


@pytest.fixture(scope="module")
def markov():
    """A model of a Markov chain at m = 0 whose classes are its events."""
    X, y, _ = MarkovMemorySampler(random_state=0).make_dataset(300, 12)
    return NextEventClassifier(max_epochs=5, **FAST).fit(X, y)


@pytest.fixture(scope="module")
def with_end():
    """Cases that end with an end token, which is a class but never an event."""
    rng = np.random.RandomState(0)
    rows = []
    for case in range(150):
        path = ["open", rng.choice(["a", "b"]), "check", rng.choice(["close", "reopen"])]
        rows += [dict(case=case, step=i, activity=event) for i, event in enumerate(path)]
    X, y, _ = samples_from_log(
        pd.DataFrame(rows),
        sequence_col="case",
        order_col="step",
        event_col="activity",
        end_event="[END]",
    )
    return NextEventClassifier(max_epochs=40, **FAST).fit(X, y)


def _greedy_by_predict_proba(clf, history, max_steps, stop_event):
    """The greedy suffix computed with batch predict_proba: a path apart from the stream."""
    suffix = []
    for _ in range(max_steps):
        proba = clf.predict_proba([list(history) + suffix])[0]
        label = clf.classes_[int(np.argmax(proba))]
        suffix.append(label)
        if label == stop_event:
            break
    return suffix


def _log_proba_of(clf, history, suffix):
    """log P(suffix | history) under the model, from batch predict_proba."""
    histories = [list(history) + list(suffix[:i]) for i in range(len(suffix))]
    proba = clf.predict_proba(histories)
    columns = np.searchsorted(clf.classes_, suffix)
    return float(np.log(proba[np.arange(len(suffix)), columns]).sum())


def test_greedy_suffix_is_the_argmax_walk_of_predict_proba(with_end):
    histories = [["open"], ["open", "a"], ["open", "b", "check"], []]
    got = with_end.predict_suffix(histories, max_steps=6, stop_event="[END]")
    for history, suffix in zip(histories, got, strict=True):
        assert suffix == _greedy_by_predict_proba(with_end, history, 6, "[END]")
    # The model learned the process: every greedy suffix runs to the end token.
    assert all(suffix[-1] == "[END]" for suffix in got)
    assert "[END]" not in got[0][:-1]


def test_beam_search_with_room_for_every_path_finds_the_most_probable_suffix(with_end):
    history, max_steps = ["open", "a"], 3
    n_classes = len(with_end.classes_)
    best = with_end.predict_suffix(
        [history], max_steps, stop_event="[END]", method="beam", beam_width=n_classes**2
    )[0]
    # Exhaustive search: every suffix of max_steps events, or shorter ending at [END].
    candidates = []
    for length in range(1, max_steps + 1):
        for suffix in itertools.product(with_end.classes_.tolist(), repeat=length):
            if "[END]" in suffix[:-1] or (length < max_steps and suffix[-1] != "[END]"):
                continue
            candidates.append((_log_proba_of(with_end, history, suffix), list(suffix)))
    expected = max(candidates, key=lambda candidate: candidate[0])
    assert best == expected[1]
    assert _log_proba_of(with_end, history, best) == pytest.approx(expected[0], abs=1e-5)


def test_beam_of_width_one_is_greedy(with_end):
    histories = [["open"], ["open", "b"]]
    greedy = with_end.predict_suffix(histories, 5, stop_event="[END]")
    beam = with_end.predict_suffix(histories, 5, stop_event="[END]", method="beam", beam_width=1)
    assert greedy == beam


def test_sampled_next_events_follow_predict_proba(markov):
    history = ["A", "B", "C"]
    n = 4000
    drawn = markov.sample_continuations([history], n_steps=1, n_samples=n, random_state=0)[0]
    counts = pd.Series([c[0] for c in drawn]).value_counts()
    observed = np.array([counts.get(label, 0) for label in markov.classes_])
    expected = markov.predict_proba([history])[0] * n
    # The chi-square approximation needs expected counts of 5 or more: rarer classes
    # are pooled into one cell.
    kept = expected >= 5
    observed_kept, expected_kept = observed[kept], expected[kept]
    if expected[~kept].sum() > 0:
        observed_kept = np.append(observed_kept, observed[~kept].sum())
        expected_kept = np.append(expected_kept, expected[~kept].sum())
    assert observed[expected == 0].sum() == 0
    expected_kept *= observed_kept.sum() / expected_kept.sum()
    assert chisquare(observed_kept, expected_kept).pvalue > 1e-3


def test_a_temperature_below_one_sharpens_and_above_one_flattens(markov):
    history = [["A", "B", "C"]]
    top = markov.classes_[int(np.argmax(markov.predict_proba(history)[0]))]

    def share_of_top(temperature):
        drawn = markov.sample_continuations(
            history, 1, 2000, temperature=temperature, random_state=1
        )[0]
        return np.mean([c[0] == top for c in drawn])

    assert share_of_top(0.2) > share_of_top(1.0) > share_of_top(5.0)


def test_at_full_memory_every_continuation_repeats_the_first_event():
    X, y, _ = MarkovMemorySampler(memory_influence=1.0, random_state=0).make_dataset(200, 10)
    # Trained to certainty (the data are: every event repeats the first), so that 300
    # draws of a well-read model never stray; 8 distinct chains train in about 2 s.
    clf = NextEventClassifier(max_epochs=300, lr=0.03, **FAST).fit(X, y)
    histories = [["A"], ["C", "C", "C"], ["H", "H"]]
    drawn = clf.sample_continuations(histories, n_steps=15, n_samples=20, random_state=0)
    for history, continuations in zip(histories, drawn, strict=True):
        for continuation in continuations:
            assert continuation == [history[0]] * 15


def test_same_seed_same_continuations_and_stop_event_ends_them(with_end):
    kwargs = dict(n_steps=8, n_samples=30, stop_event="[END]", random_state=3)
    first = with_end.sample_continuations([["open"]], **kwargs)
    assert first == with_end.sample_continuations([["open"]], **kwargs)
    for continuation in first[0]:
        assert "[END]" not in continuation[:-1]
        assert continuation[-1] == "[END]" or len(continuation) == 8


def _timed_log(n_cases, seed):
    """After "check" comes "fast" or "slow" by the gap before it; resources vary."""
    rng = np.random.RandomState(seed)
    rows = []
    start = pd.Timestamp("2024-03-01 08:00", tz="UTC")
    for case in range(n_cases):
        now = start + pd.Timedelta(hours=int(rng.randint(0, 500)))
        gap = pd.Timedelta(minutes=10 if rng.rand() < 0.5 else 300)
        path = ["open", "check", "fast" if gap.seconds < 3600 else "slow", "close"]
        for i, event in enumerate(path):
            rows.append(
                dict(
                    case=case,
                    time=now + i * gap,
                    activity=event,
                    resource=rng.choice(["r1", "r2"]),
                    channel="web" if case % 2 else "phone",
                )
            )
    return pd.DataFrame(rows)


def test_future_steps_of_a_timed_model_repeat_the_last_gap_with_missing_attributes():
    X, y, _ = samples_from_log(
        _timed_log(80, 0),
        sequence_col="case",
        order_col="time",
        event_col="activity",
        time_col="time",
        event_attributes=["resource"],
        sequence_attributes=["channel"],
    )
    clf = NextEventClassifier(max_epochs=10, **FAST).fit(X, y)
    history = X[[1]]  # ("open", "check") of the first case
    frame = history.to_frame()
    suffix = clf.predict_suffix(history, max_steps=2)[0]

    # The same walk through batch predict_proba, with the stated assumptions spelled
    # out: each new event one last gap later, its resource missing.
    times = list(frame["time"][0])
    gap = times[-1] - times[-2]
    events, resources = list(frame["events"][0]), list(frame["resource"][0])
    expected = []
    for _ in range(2):
        proba = clf.predict_proba(
            AttributedHistories.from_frame(
                pd.DataFrame(
                    {
                        "events": [events],
                        "time": [pd.DatetimeIndex(times)],
                        "resource": [resources],
                        "channel": [frame["channel"][0]],
                    }
                )
            )
        )[0]
        label = clf.classes_[int(np.argmax(proba))]
        expected.append(label)
        events, resources = events + [label], resources + [None]
        times = times + [times[-1] + gap]
    assert suffix == expected


def test_continuations_refuse_what_they_cannot_do(markov):
    with pytest.raises(ValueError, match="stop_event"):
        markov.predict_suffix([["A"]], 3, stop_event="nope")
    with pytest.raises(ValueError, match="method"):
        markov.predict_suffix([["A"]], 3, method="sampling")
    with pytest.raises(ValueError, match="n_steps"):
        markov.sample_continuations([["A"]], 0)
    with pytest.raises(TypeError, match="n_samples"):
        markov.sample_continuations([["A"]], 2, n_samples=1.5)
    with pytest.raises(ValueError, match="temperature"):
        markov.sample_continuations([["A"]], 2, temperature=0)
    labels = NextEventClassifier(max_epochs=1, **FAST).fit(
        [["a"], ["b"], ["a", "b"]], ["churn", "stay", "stay"]
    )
    with pytest.raises(ValueError, match="none of its classes is an event"):
        labels.sample_continuations([["a"]], 2)


def test_continuations_leave_the_input_alone(markov):
    histories = [["A", "B"], ["C"]]
    before = [list(h) for h in histories]
    markov.sample_continuations(histories, 3, 2, random_state=0)
    markov.predict_suffix(histories, 3, method="beam")
    assert histories == before
