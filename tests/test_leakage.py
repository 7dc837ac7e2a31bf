"""Is the benchmark fair: leakage_report, PrefixLookupClassifier, accuracy by history length."""

from collections import Counter

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from sklearn_seqlstm import (
    AccuracyByPrefixLengthDisplay,
    AttributedHistories,
    MarkovChainClassifier,
    MarkovMemorySampler,
    PrefixHistories,
    PrefixLookupClassifier,
    leakage_report,
)

# Short histories over three events: collisions between train and test are common.
histories = st.lists(st.lists(st.sampled_from("abc"), max_size=4), min_size=1, max_size=12)


def _runs(X):
    """Brute force: split list histories into runs, each a prefix of the next."""
    runs, current = [], [0]
    for i in range(1, len(X)):
        if tuple(X[i - 1]) == tuple(X[i][: len(X[i - 1])]):
            current.append(i)
        else:
            runs.append(current)
            current = [i]
    runs.append(current)
    return runs


def _whole(X, y):
    return [tuple(X[run[-1]]) + ((y[run[-1]],) if y is not None else ()) for run in _runs(X)]


def _brute_force(X_train, X_test, y_train=None, y_test=None):
    train_whole = _whole(X_train, y_train)
    seen = [any(tuple(h) == s[: len(h)] for s in train_whole) for h in X_test]
    test_whole = _whole(X_test, y_test)
    whole_seen = [s in set(train_whole) for s in test_whole]
    samples = None
    if y_train is not None:
        pairs = set(zip(map(tuple, X_train), y_train, strict=True))
        samples = sum((tuple(h), label) in pairs for h, label in zip(X_test, y_test, strict=True))
    return sum(seen), len(test_whole), sum(whole_seen), samples


# --- leakage_report -------------------------------------------------------------------


@given(histories, histories, st.booleans(), st.data())
def test_leakage_report_matches_brute_force(X_train, X_test, with_y, data):
    y_train = y_test = None
    if with_y:
        labels = st.sampled_from("abc")
        y_train = data.draw(st.lists(labels, min_size=len(X_train), max_size=len(X_train)))
        y_test = data.draw(st.lists(labels, min_size=len(X_test), max_size=len(X_test)))
    report = leakage_report(X_train, X_test, y_train=y_train, y_test=y_test)
    n_seen, n_sequences, n_whole_seen, n_samples_seen = _brute_force(
        X_train, X_test, y_train, y_test
    )
    assert report.n_histories == len(X_test)
    assert report.n_histories_seen == n_seen
    assert report.history_share == n_seen / len(X_test)
    assert (report.n_sequences, report.n_sequences_seen) == (n_sequences, n_whole_seen)
    assert report.n_samples_seen == n_samples_seen
    assert (report.sample_share is None) == (not with_y)


def test_leakage_report_prefix_histories_agree_with_lists():
    train = MarkovMemorySampler(memory_influence=0.5, random_state=0).sample(300, (2, 6))
    test = MarkovMemorySampler(memory_influence=0.5, random_state=1).sample(300, (2, 6))
    X_train, y_train, groups_train = PrefixHistories.from_sequences(train)
    X_test, y_test, groups_test = PrefixHistories.from_sequences(test)
    as_prefixes = leakage_report(X_train, X_test, y_train=y_train, y_test=y_test)
    lists = {"y_train": y_train.tolist(), "y_test": y_test.tolist()}
    as_lists = leakage_report(
        list(X_train), list(X_test), groups_train=groups_train, groups_test=groups_test, **lists
    )
    assert as_prefixes == as_lists
    # Without groups, chains whose longest history begins the next chain's first merge.
    merged = leakage_report(list(X_train), list(X_test), **lists)
    assert merged.n_sequences < as_prefixes.n_sequences
    # Short chains of a few events repeat: the test must find some leakage, not all.
    assert 0 < as_prefixes.sequence_share < as_prefixes.history_share < 1


def test_leakage_report_counts_the_training_part_of_a_split_sequence():
    # Train on the first prefixes of a sequence, test on the later ones: training saw
    # the sequence only up to the next event of its longest training history.
    X, _, _ = PrefixHistories.from_sequences([["a", "b", "c", "d"]])  # a | ab | abc
    report = leakage_report(X[:1], X[1:])
    assert report.n_histories_seen == 1  # "ab": the training history "a" and its next event
    assert report.n_sequences_seen == 0
    assert leakage_report(X, X).sequence_share == 1.0


def test_leakage_report_compares_events_only():
    def attributed(devices):
        frame = pd.DataFrame(
            {"events": [["a", "b"], ["c"]], "device": devices, "segment": ["x", "y"]}
        )
        return AttributedHistories.from_frame(frame)

    train = attributed([["phone", "phone"], ["laptop"]])
    test = attributed([["laptop", "tablet"], ["phone"]])
    assert leakage_report(train, test) == leakage_report(list(train), list(test))
    assert leakage_report(train, test).history_share == 1.0


def test_leakage_report_extremes():
    X = [["a"], ["a", "b"], ["c"]]
    assert leakage_report(X, X).history_share == leakage_report(X, X).sequence_share == 1.0
    disjoint = leakage_report(X, [["d"], ["d", "a"]])
    assert disjoint.n_histories_seen == disjoint.n_sequences_seen == 0
    assert "0 of 2" in str(disjoint)


def test_leakage_report_refuses_bad_labels():
    X = [["a"], ["b"]]
    with pytest.raises(ValueError, match="both y_train and y_test"):
        leakage_report(X, X, y_train=["a", "b"])
    with pytest.raises(ValueError, match="y_test must hold one value per history"):
        leakage_report(X, X, y_train=["a", "b"], y_test=["a"])
    with pytest.raises(TypeError, match="single string"):
        leakage_report("ab", X)


# --- PrefixLookupClassifier -----------------------------------------------------------


def _lookup_data(seed, n=400):
    rng = np.random.RandomState(seed)
    X = [list(rng.choice(list("abc"), size=rng.randint(0, 4))) for _ in range(n)]
    y = rng.choice(list("xyz"), size=n)
    return X, y


def test_prefix_lookup_predicts_the_most_frequent_label_after_a_seen_history():
    X, y = _lookup_data(0)
    clf = PrefixLookupClassifier().fit(X, y)
    followers = {}
    for history, label in zip(X, y, strict=True):
        followers.setdefault(tuple(history), Counter())[label] += 1
    backoff = MarkovChainClassifier(order=1).fit(X, y)
    X_test, _ = _lookup_data(1, n=200)
    X_test.append(["d", "a"])  # unseen events too
    predicted = clf.predict(X_test)
    backoff_predicted = backoff.predict(X_test)
    n_seen = 0
    for history, label, fallback in zip(X_test, predicted, backoff_predicted, strict=True):
        counts = followers.get(tuple(history))
        if counts is None:
            assert label == fallback
            continue
        n_seen += 1
        top = max(counts.values())
        assert counts[label] == top
    assert 0 < n_seen < len(X_test)
    assert clf.n_histories_ == len(followers)


def test_prefix_lookup_probabilities_blend_counts_and_backoff():
    X, y = _lookup_data(2)
    raw = PrefixLookupClassifier(alpha=0.0).fit(X, y)
    history = X[0]
    labels = [label for h, label in zip(X, y, strict=True) if h == history]
    expected = [labels.count(c) / len(labels) for c in raw.classes_]
    assert_allclose(raw.predict_proba([history])[0], expected)
    blended = PrefixLookupClassifier(alpha=2.0).fit(X, y)
    prior = blended.backoff_.predict_proba([history])[0]
    counts = np.array([labels.count(c) for c in blended.classes_])
    assert_allclose(blended.predict_proba([history])[0], (counts + 2 * prior) / (len(labels) + 2))
    assert_allclose(blended.predict_proba(X).sum(axis=1), 1.0)


def test_prefix_lookup_same_on_prefix_histories_and_lists():
    chains = MarkovMemorySampler(memory_influence=0.3, random_state=0).sample(200, (2, 8))
    X, y, _ = PrefixHistories.from_sequences(chains)
    test, _, _ = PrefixHistories.from_sequences(
        MarkovMemorySampler(memory_influence=0.3, random_state=1).sample(100, (2, 8))
    )
    from_prefixes = PrefixLookupClassifier().fit(X, y)
    from_lists = PrefixLookupClassifier().fit(list(X), y)
    assert_allclose(from_prefixes.predict_proba(test), from_lists.predict_proba(list(test)))


def test_prefix_lookup_weight_two_is_a_duplicate():
    X, y = _lookup_data(3, n=100)
    weights = np.where(np.arange(100) % 3 == 0, 2.0, 1.0)
    weighted = PrefixLookupClassifier().fit(X, y, sample_weight=weights)
    repeat = np.repeat(np.arange(100), weights.astype(int))
    duplicated = PrefixLookupClassifier().fit([X[i] for i in repeat], y[repeat])
    assert_allclose(weighted.predict_proba(X), duplicated.predict_proba(X))


def test_prefix_lookup_refuses_bad_parameters_and_keeps_its_fit():
    X, y = _lookup_data(4, n=50)
    clf = PrefixLookupClassifier().fit(X, y)
    before = clf.predict_proba(X)
    with pytest.raises(ValueError, match="alpha"):
        PrefixLookupClassifier(alpha=-1).fit(X, y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        clf.fit(X, y[:-1])
    assert_array_equal(clf.predict_proba(X), before)


# --- AccuracyByPrefixLengthDisplay ----------------------------------------------------


@pytest.fixture
def pyplot():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def test_accuracy_by_prefix_length_matches_direct_accuracy(pyplot):
    sampler = MarkovMemorySampler(memory_influence=0.2, random_state=0)
    X, y, groups = sampler.make_dataset(200, (2, 9))
    markov = MarkovChainClassifier().fit(X, y)
    X_test, y_test, groups_test = MarkovMemorySampler(
        memory_influence=0.2, random_state=1
    ).make_dataset(200, (2, 9))
    display = AccuracyByPrefixLengthDisplay.from_estimator(
        markov, X_test, y_test, groups=groups_test, max_length=6, random_state=0
    )
    lengths = np.minimum([len(h) for h in X_test], 6)
    hits = markov.predict(X_test) == y_test
    assert_array_equal(display.lengths, np.unique(lengths))
    for length, accuracy, low, high, count in zip(
        display.lengths,
        display.accuracies,
        display.lows,
        display.highs,
        display.counts,
        strict=True,
    ):
        assert accuracy == pytest.approx(hits[lengths == length].mean())
        assert count == np.count_nonzero(lengths == length)
        assert low <= accuracy <= high
    assert display.max_length == 6
    assert display.ax_.get_xticklabels()[-1].get_text() == "≥6"
    assert display.line_.get_label() == "MarkovChainClassifier"
    assert display.figure_ is display.ax_.figure
    again = AccuracyByPrefixLengthDisplay.from_estimator(
        markov, X_test, y_test, groups=groups_test, max_length=6, random_state=0
    )
    assert_array_equal(again.lows, display.lows)  # the seed fixes the intervals


def test_accuracy_by_prefix_length_groups_widen_the_intervals(pyplot):
    # Prefixes of one sequence agree with each other: resampling whole sequences
    # must give wider intervals than treating prefixes as independent.
    rng = np.random.RandomState(0)
    sequence_hit = rng.rand(40) < 0.5
    groups = np.repeat(np.arange(40), 10)
    y_true = np.where(np.repeat(sequence_hit, 10), "a", "b")
    y_pred = np.full(400, "a")
    lengths = np.ones(400, dtype=int)
    kwargs = {"history_lengths": lengths, "random_state": 0}
    grouped = AccuracyByPrefixLengthDisplay.from_predictions(
        y_true, y_pred, groups=groups, **kwargs
    )
    alone = AccuracyByPrefixLengthDisplay.from_predictions(y_true, y_pred, **kwargs)
    assert grouped.highs[0] - grouped.lows[0] > 2 * (alone.highs[0] - alone.lows[0])


def test_accuracy_by_prefix_length_refuses_bad_input(pyplot):
    with pytest.raises(ValueError, match="same length"):
        AccuracyByPrefixLengthDisplay.from_predictions(["a"], ["a", "b"], history_lengths=[1])
    with pytest.raises(ValueError, match="non-negative integers"):
        AccuracyByPrefixLengthDisplay.from_predictions(["a"], ["a"], history_lengths=[1.5])
    with pytest.raises(ValueError, match="max_length must be at least 1"):
        AccuracyByPrefixLengthDisplay.from_predictions(
            ["a"], ["a"], history_lengths=[1], max_length=0
        )
    with pytest.raises(ValueError, match="0 everywhere"):
        AccuracyByPrefixLengthDisplay.from_predictions(
            ["a"], ["a"], history_lengths=[1], sample_weight=[0.0]
        )
