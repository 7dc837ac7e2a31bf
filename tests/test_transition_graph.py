"""TransitionGraphDisplay: the graph of consecutive events, of data and of a model."""

from collections import Counter

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sklearn_seqlstm import (
    MarkovChainClassifier,
    MarkovMemorySampler,
    PrefixHistories,
    TransitionGraphDisplay,
)

nx = pytest.importorskip("networkx")
matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def _heaviest_successor(graph, event):
    return max(graph.successors(event), key=lambda b: graph[event][b]["weight"])


def _edges(graph):
    return sorted((str(a), str(b), w) for a, b, w in graph.edges(data="weight"))


def test_heaviest_edges_follow_the_transition_map_at_m0():
    chains = MarkovMemorySampler(memory_influence=0.0, random_state=0).sample(300, 20)
    graph = TransitionGraphDisplay.from_histories(chains).graph_
    assert isinstance(graph, nx.DiGraph)
    heaviest = {event: _heaviest_successor(graph, event) for event in "DCA"}
    assert heaviest == {"D": "A", "C": "D", "A": "B"}


def test_counts_are_the_consecutive_pairs():
    chains = MarkovMemorySampler(memory_influence=0.5, random_state=1).sample(50, (1, 12))
    graph = TransitionGraphDisplay.from_histories(chains).graph_
    pairs = Counter(pair for chain in chains for pair in zip(chain, chain[1:], strict=False))
    assert {(a, b): w for a, b, w in graph.edges(data="weight")} == pairs
    events = Counter(event for chain in chains for event in chain)
    assert dict(graph.nodes(data="count")) == events


def test_every_input_form_counts_each_sequence_once():
    sampler = MarkovMemorySampler(memory_influence=0.3, random_state=2)
    chains = sampler.sample(80, (2, 10))
    expected = _edges(TransitionGraphDisplay.from_histories(chains).graph_)
    X, y, groups = sampler.make_dataset(80, (2, 10))  # the same chains: an int seed
    assert _edges(TransitionGraphDisplay.from_histories(X, y, groups=groups).graph_) == expected
    prefixes, y_prefixes, _ = PrefixHistories.from_sequences(chains)
    assert _edges(TransitionGraphDisplay.from_histories(prefixes, y_prefixes).graph_) == expected
    frame = sampler.sample_frame(80, (2, 10))
    from_log = TransitionGraphDisplay.from_log(
        frame, sequence_col="sequence_id", order_col="position", event_col="event"
    )
    assert _edges(from_log.graph_) == expected


def test_normalize_min_weight_and_top_n():
    chains = MarkovMemorySampler(memory_influence=0.2, random_state=3).sample(100, 15)
    shares = TransitionGraphDisplay.from_histories(chains, normalize="row").graph_
    for event in shares:
        out = [w for _, _, w in shares.out_edges(event, data="weight")]
        assert sum(out) == pytest.approx(1.0)
    pruned = TransitionGraphDisplay.from_histories(chains, normalize="row", min_weight=0.3)
    kept = {(a, b) for a, b, w in shares.edges(data="weight") if w >= 0.3}
    assert set(pruned.graph_.edges) == kept
    top = TransitionGraphDisplay.from_histories(chains, top_n=3).graph_
    counts = Counter(event for chain in chains for event in chain)
    assert set(top) == {event for event, _ in counts.most_common(3)}
    assert all(a in top and b in top for a, b in top.edges)


def test_communities_separate_two_processes_and_are_reproducible():
    def chains(events, seed):
        sampler = MarkovMemorySampler(events=events, transitions={}, random_state=seed)
        return sampler.sample(60, 10)

    data = chains(["a", "b", "c", "d"], 0) + chains(["w", "x", "y", "z"], 1)
    data.append(["d", "w"])  # one bridge: the graph is connected, the groups still clear
    display = TransitionGraphDisplay.from_histories(data, random_state=0)
    assert sorted(display.communities_) == [["a", "b", "c", "d"], ["w", "x", "y", "z"]]
    for index, community in enumerate(display.communities_):
        assert {display.graph_.nodes[e]["community"] for e in community} == {index}
    again = TransitionGraphDisplay.from_histories(data, random_state=0)
    assert again.communities_ == display.communities_
    for event, position in display.positions_.items():
        assert_allclose(again.positions_[event], position)
    legend = [t.get_text() for t in display.ax_.get_legend().get_texts()]
    assert legend == ["a, b, c, d", "w, x, y, z"]


def test_nodes_and_edges_are_sized_by_weight():
    chains = MarkovMemorySampler(memory_influence=0.0, random_state=4).sample(100, 20)
    display = TransitionGraphDisplay.from_histories(chains)
    nodes = list(display.graph_.nodes)
    sizes = display.nodes_.get_sizes()
    counts = [display.graph_.nodes[n]["count"] for n in nodes]
    assert np.argmax(sizes) == np.argmax(counts)
    assert np.argmin(sizes) == np.argmin(counts)
    widths = [patch.get_linewidth() for patch in display.edges_]
    weights = [w for _, _, w in display.graph_.edges(data="weight")]
    assert np.argmax(widths) == np.argmax(weights)
    assert display.figure_ is display.ax_.figure


def test_from_estimator_draws_the_mean_predicted_distribution():
    sampler = MarkovMemorySampler(memory_influence=0.0, random_state=5)
    X, y, _ = sampler.make_dataset(200, 15)
    markov = MarkovChainClassifier(order=1).fit(X, y)
    display = TransitionGraphDisplay.from_estimator(markov, X)
    # An order-1 chain predicts from the last event only: the mean is its row.
    for event in "ABCD":
        row = markov.predict_proba([[event]])[0]
        for next_event, proba in zip(markov.classes_, row, strict=True):
            assert display.graph_[event][next_event]["weight"] == pytest.approx(proba)
    assert display.graph_.nodes["A"]["count"] == sum(h[-1] == "A" for h in X)
    heaviest = {event: _heaviest_successor(display.graph_, event) for event in "DCA"}
    assert heaviest == {"D": "A", "C": "D", "A": "B"}


def test_labels_of_any_hashable_type():
    chains = [[("a", 1), ("b", 2), ("a", 1)], [("b", 2), ("c", 3)]]
    display = TransitionGraphDisplay.from_histories(chains)
    assert sorted(display.graph_.edges) == [
        (("a", 1), ("b", 2)),
        (("b", 2), ("a", 1)),
        (("b", 2), ("c", 3)),
    ]
    model = MarkovChainClassifier().fit(chains, ["x", "y"])
    nodes = TransitionGraphDisplay.from_estimator(model, chains).graph_.nodes
    assert {type(node) for node in nodes} == {tuple, str}


def test_refuses_bad_input():
    chains = [["a", "b"], ["b", "a"]]
    with pytest.raises(ValueError, match="normalize"):
        TransitionGraphDisplay.from_histories(chains, normalize="all")
    with pytest.raises(ValueError, match="min_weight"):
        TransitionGraphDisplay.from_histories(chains, min_weight="0.1")
    with pytest.raises(ValueError, match="top_n"):
        TransitionGraphDisplay.from_histories(chains, top_n=0)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        TransitionGraphDisplay.from_histories(chains, ["a"])
    with pytest.raises(ValueError, match="no event"):
        TransitionGraphDisplay.from_histories([[], []])
    with pytest.raises(ValueError, match="only empty histories"):
        TransitionGraphDisplay.from_estimator(MarkovChainClassifier().fit(chains, ["a", "b"]), [[]])
