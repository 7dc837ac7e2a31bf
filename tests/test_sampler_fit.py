"""MarkovMemorySampler.from_histories: the process fitted to chains by maximum likelihood."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from sklearn.base import clone

from sklearn_seqlstm import BayesOracleClassifier, MarkovMemorySampler, PrefixHistories

# A map unlike the default one, over five events, with rows of every kind: full,
# partial (leftover spread), absent (uniform).
_MAP = {"a": {"b": 0.7, "c": 0.2}, "b": {"c": 0.5, "e": 0.5}, "d": {"a": 0.6}}
_EVENTS = ["a", "b", "c", "d", "e"]


def _log_likelihood(sampler, chains):
    """Brute force: the sum of log P(next event | history) over every step, first included."""
    X, y, _ = PrefixHistories.from_sequences(chains, min_history=0)
    proba = sampler.next_event_proba(list(X))
    columns = [sampler.event_labels.index(event) for event in y]
    return np.log(proba[np.arange(len(y)), columns]).sum()


@pytest.mark.parametrize("memory_influence", [0.0, 0.4, 0.8])
@pytest.mark.parametrize("transitions", [None, _MAP], ids=["default map", "other map"])
def test_recovers_memory_influence_and_every_transition(memory_influence, transitions):
    events = None if transitions is None else _EVENTS
    truth = MarkovMemorySampler(
        events=events, transitions=transitions, memory_influence=memory_influence, random_state=0
    )
    chains = truth.sample(n_sequences=20_000, length=20)
    theory = MarkovMemorySampler.from_histories(chains)
    assert abs(theory.memory_influence - memory_influence) < 0.03
    assert theory.event_labels == truth.event_labels
    error = np.abs(theory.transition_matrix.to_numpy() - truth.transition_matrix.to_numpy())
    assert error.max() < 0.03
    assert np.all(np.diag(theory.transition_matrix.to_numpy()) == 0)


def test_fast_small_recovery():
    truth = MarkovMemorySampler(memory_influence=0.3, random_state=1)
    theory = MarkovMemorySampler.from_histories(truth.sample(2000, 20))
    assert abs(theory.memory_influence - 0.3) < 0.05
    error = np.abs(theory.transition_matrix.to_numpy() - truth.transition_matrix.to_numpy())
    assert error.max() < 0.08


def test_estimate_is_a_maximum_of_the_likelihood():
    chains = MarkovMemorySampler(
        events=_EVENTS, transitions=_MAP, memory_influence=0.5, random_state=2
    ).sample(300, (2, 15))
    theory = MarkovMemorySampler.from_histories(chains, alpha=0.0)
    best = _log_likelihood(theory, chains)
    for step in (-0.02, 0.02):
        moved = clone(theory).set_params(memory_influence=theory.memory_influence + step)
        assert _log_likelihood(moved, chains) < best
    # Move probability between two next events of one row: the likelihood drops too.
    transitions = {row: dict(targets) for row, targets in theory.transitions.items()}
    transitions["a"]["b"] -= 0.02
    transitions["a"]["c"] += 0.02
    moved = clone(theory).set_params(transitions=transitions)
    assert _log_likelihood(moved, chains) < best


def test_start_and_smoothing():
    chains = [["a", "b", "a"], ["a", "b"], ["b", "a", "b", "a"]]
    raw = MarkovMemorySampler.from_histories(chains, events=["a", "b", "c"], alpha=0.0)
    assert_allclose(raw.start_proba, [2 / 3, 1 / 3, 0.0])
    assert raw.transition_matrix.loc["a", "c"] == 0.0  # never seen, not smoothed
    # c never starts a step: its row is uniform over the other events.
    assert_allclose(raw.transition_matrix.loc["c"].to_numpy(), [0.5, 0.5, 0.0])
    smoothed = MarkovMemorySampler.from_histories(chains, events=["a", "b", "c"], alpha=1.0)
    assert 0 < smoothed.transition_matrix.loc["a", "c"] < smoothed.transition_matrix.loc["a", "b"]


def test_repeats_can_only_be_copies():
    # A plain Markov chain never repeats an event; chains that do need memory.
    no_repeats = MarkovMemorySampler.from_histories([["a", "b", "a", "b"], ["b", "a"]] * 20)
    with_repeats = MarkovMemorySampler.from_histories([["a", "a", "a", "b"], ["b", "b"]] * 20)
    assert no_repeats.memory_influence < 0.05
    assert with_repeats.memory_influence > 0.5


def test_fitted_sampler_is_a_sampler_of_the_same_shape():
    truth = MarkovMemorySampler(memory_influence=0.3, random_state=3)
    chains = truth.sample(500, (3, 12))
    theory = MarkovMemorySampler.from_histories(chains, random_state=7)
    assert theory.random_state == 7
    assert clone(theory).get_params() == theory.get_params()
    frame = theory.sample_frame(len(chains), (3, 12))
    assert list(frame.columns) == ["sequence_id", "position", "event"]
    assert set(frame["event"]) <= set(truth.event_labels)
    # Its next-event distribution is the formula of its own parameters.
    history = ["A", "D", "A", "C"]
    m = theory.memory_influence
    expected = (1 - m) * theory.transition_matrix.loc["C"].to_numpy() + m * np.array(
        [history.count(e) / len(history) for e in theory.event_labels]
    )
    assert_allclose(theory.next_event_proba([history])[0], expected)
    # And it scores as a model through the oracle.
    X, y, _ = truth.make_dataset(200, 12)
    oracle = BayesOracleClassifier(theory).fit(X, y)
    assert 0 < oracle.score(X, y) <= 1


def test_refuses_bad_input():
    with pytest.raises(TypeError, match="string"):
        MarkovMemorySampler.from_histories("abc")
    X, _, _ = PrefixHistories.from_sequences([["a", "b", "c"]])
    with pytest.raises(TypeError, match="used_sequences"):
        MarkovMemorySampler.from_histories(X)
    with pytest.raises(ValueError, match="at least two distinct events"):
        MarkovMemorySampler.from_histories([["a", "a"]])
    with pytest.raises(ValueError, match="unknown event 'c'"):
        MarkovMemorySampler.from_histories([["a", "b", "c"]], events=["a", "b"])
    with pytest.raises(ValueError, match="alpha"):
        MarkovMemorySampler.from_histories([["a", "b"]], alpha=-1)
    with pytest.raises(ValueError, match="hold no event"):
        MarkovMemorySampler.from_histories([[], []], events=["a", "b"])
    with pytest.raises(TypeError, match="hashable"):
        MarkovMemorySampler.from_histories([[["a"], "b"]])
    with pytest.raises(ValueError, match="missing event"):
        MarkovMemorySampler.from_histories([["a", None, "b"]])
    with pytest.raises(ValueError, match="alpha must be a finite"):
        MarkovMemorySampler.from_histories([["a", "b"]], alpha=float("inf"))
    with pytest.raises(ValueError, match="max_iter"):
        MarkovMemorySampler.from_histories([["a", "b"]], max_iter=0)


@given(
    st.lists(st.lists(st.sampled_from([0, 1, 2, "x"]), max_size=8), min_size=1, max_size=10),
    st.sampled_from([0.0, 0.5, 1.0]),
)
def test_any_chains_give_a_valid_process(chains, alpha):
    if len({event for chain in chains for event in chain}) < 2:
        with pytest.raises(ValueError):
            MarkovMemorySampler.from_histories(chains, alpha=alpha)
        return
    theory = MarkovMemorySampler.from_histories(chains, alpha=alpha, random_state=0)
    assert 0 <= theory.memory_influence <= 1
    matrix = theory.transition_matrix.to_numpy()  # the map is checked when it is read
    assert_allclose(matrix.sum(axis=1), 1.0)
    assert np.all(np.diag(matrix) == 0)
    # Every chain has a positive probability under the fitted process: the fit saw it.
    steps = [(chain[:t], chain[t]) for chain in chains for t in range(len(chain))]
    proba = theory.next_event_proba([history for history, _ in steps])
    columns = [theory.event_labels.index(event) for _, event in steps]
    assert np.all(proba[np.arange(len(steps)), columns] > 0)
    assert len(theory.sample(3, 5)) == 3
