"""PrefixHistories: prefixes stored once, and the classifier's O(events) path for them."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.model_selection import GroupKFold, cross_val_score
from sklearn.utils._indexing import _safe_indexing

from sklearn_seqlstm import (
    MarkovChainClassifier,
    MarkovMemorySampler,
    NextEventClassifier,
    PrefixHistories,
)
from sklearn_seqlstm.neural._chains import (
    ChainDataset,
    ChainLoader,
    chains_from_prefixes,
    collate,
    group_into_chains,
)
from sklearn_seqlstm.neural._module import START, LSTMNextEventModule, WeightedEntryLoss

sequences_strategy = st.lists(st.lists(st.sampled_from("abc"), max_size=7), max_size=8)


@settings(max_examples=100, deadline=None)
@given(sequences=sequences_strategy, min_history=st.integers(0, 3))
def test_from_sequences_gives_every_prefix_and_its_next_event(sequences, min_history):
    X, y, groups = PrefixHistories.from_sequences(sequences, min_history=min_history)
    expected = [
        (tuple(s[:t]), s[t], i) for i, s in enumerate(sequences) for t in range(min_history, len(s))
    ]
    assert list(zip(list(X), y.tolist(), groups.tolist(), strict=True)) == expected
    assert len(X) == X.shape[0] == len(expected)


def test_matches_the_samplers_dataset():
    sampler = MarkovMemorySampler(memory_influence=0.3, random_state=0)
    X_list, y_list, groups_list = sampler.make_dataset(50, (2, 15))
    X, y, groups = PrefixHistories.from_sequences(sampler.sample(50, (2, 15)))
    assert list(X) == [tuple(h) for h in X_list]
    np.testing.assert_array_equal(y, y_list)
    np.testing.assert_array_equal(groups, groups_list)


def test_indexing_returns_prefix_histories_without_copying_sequences():
    X, _, _ = PrefixHistories.from_sequences([["a", "b", "c"], ["b", "a"]])
    assert X[-1] == ("b",)
    for key in (slice(1, None), np.array([2, 0]), np.array([True, False, True])):
        subset = X[key]
        assert isinstance(subset, PrefixHistories)
        assert subset.sequences is X.sequences
    assert list(X[np.array([2, 0])]) == [("b",), ("a",)]
    # scikit-learn's splitters index with X[indices, ...]
    subset = _safe_indexing(X, np.array([1, 2]))
    assert isinstance(subset, PrefixHistories)
    assert list(subset) == [("a", "b"), ("b",)]


@pytest.mark.parametrize(
    "sequence_index, lengths, match",
    [
        ([0, 1], [1], "same length"),
        ([0, 2], [1, 1], r"sequence_index must lie in \[0, 2\)"),
        ([0, 1], [1, 3], r"lengths\[1\] = 3 does not fit sequence 1 of length 2"),
        ([0, 1], [-1, 1], r"lengths\[0\] = -1"),
    ],
)
def test_invalid_prefixes_are_named(sequence_index, lengths, match):
    with pytest.raises(ValueError, match=match):
        PrefixHistories([["a", "b"], ["c", "d"]], sequence_index, lengths)


def test_missing_events_in_sequences_are_an_error():
    X, y, _ = PrefixHistories.from_sequences([["a", None, "b"], ["a", "b", "a"]])
    with pytest.raises(ValueError, match="missing value"):
        NextEventClassifier(max_epochs=1).fit(X, y)


def _encoded(sequences):
    return [(START, *(4 + "abc".index(e) for e in s)) for s in sequences]


def _total_loss(module, chains):
    total = torch.zeros(())
    for batch in ChainLoader(ChainDataset(chains), batch_size=3).batches():
        inputs, target = collate(chains, batch)
        total = total + WeightedEntryLoss()(module(**inputs), target) * target["weight"].sum()
    return total


def test_fast_path_has_the_same_loss_as_the_generic_path():
    rng = np.random.RandomState(0)
    sequences = [list(rng.choice(list("abc"), size=rng.randint(2, 9))) for _ in range(12)]
    sequences.append(sequences[0][:3])  # a sequence that is a prefix of another
    X, y, _ = PrefixHistories.from_sequences(sequences, min_history=0)
    targets = np.array(["abc".index(e) for e in y])
    weights = rng.uniform(0.5, 2, size=len(y))
    fast = chains_from_prefixes(
        _encoded(X.used_sequences()), X.sequence_index, X.lengths, targets, weights
    )
    generic = group_into_chains(_encoded(list(X)), targets, weights)
    torch.manual_seed(0)
    module = LSTMNextEventModule(7, 3, 3, 6, 1, 0.0, token_class=[-1] * 4 + [0, 1, 2]).eval()
    torch.testing.assert_close(_total_loss(module, fast), _total_loss(module, generic))


def test_classifier_on_prefix_histories_predicts_as_on_lists():
    sampler = MarkovMemorySampler(memory_influence=0.5, random_state=0)
    X, y, groups = PrefixHistories.from_sequences(sampler.sample(100, (3, 20)))
    clf = NextEventClassifier(max_epochs=3, random_state=0).fit(X, y)
    np.testing.assert_allclose(clf.predict_proba(X), clf.predict_proba(list(X)), atol=1e-6)
    assert clf.score(X, y) > 0.3
    # max_history cuts windows: the generic path serves them.
    clf = NextEventClassifier(max_epochs=1, max_history=3, random_state=0).fit(X, y)
    assert clf.predict_proba(X[:5]).shape == (5, len(clf.classes_))


def test_cross_validation_with_groups_on_prefix_histories():
    sampler = MarkovMemorySampler(memory_influence=0.5, random_state=0)
    X, y, groups = PrefixHistories.from_sequences(sampler.sample(60, 10))
    for estimator in (MarkovChainClassifier(), NextEventClassifier(max_epochs=1)):
        scores = cross_val_score(estimator, X, y, groups=groups, cv=GroupKFold(n_splits=3))
        assert scores.shape == (3,)
