"""The next events seen after each training history, blended into the network's prediction.

After a history seen in fit with total weight n, c of it followed by a class, the
classifier predicts ``(c + k * p) / (n + k)`` with p the network's; ``k`` is chosen
by leave-one-out, or given. These tests check the formula against the network
alone (the same network: the counts do not change training), every prediction
path, the choice of ``k``, and the counts in saved models and streams.
"""

import json
import zipfile
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from safetensors.numpy import load as load_arrays
from safetensors.numpy import save as save_arrays

from sklearn_seqlstm import (
    AttributedHistories,
    MarkovMemorySampler,
    NextEventClassifier,
    PrefixHistories,
    load,
)
from sklearn_seqlstm.neural._history_counts import (
    PRIOR_WEIGHT_GRID,
    HistoryCounts,
    choose_prior_weight,
)

FAST = dict(max_epochs=3, hidden_size=8, embedding_dim=4, random_state=0)
UNSEEN = ["never", "seen"]


def _repetitive(n_cases=150, seed=0):
    """Every prefix of few distinct traces: histories that repeat, as in a process log."""
    rng = np.random.RandomState(seed)
    traces = [list("abc"), list("abdc"), list("ac"), list("bddc")]
    sequences = [traces[rng.randint(len(traces))] + ["end"] for _ in range(n_cases)]
    X = [seq[:i] for seq in sequences for i in range(1, len(seq))]
    y = [seq[i] for seq in sequences for i in range(1, len(seq))]
    return X, y, sequences


def _counts(X, y):
    """Counter of the next events of each history, as a dict of tuples."""
    seen = {}
    for history, label in zip(X, y, strict=True):
        seen.setdefault(tuple(history), Counter())[label] += 1
    return seen


@pytest.fixture(scope="module")
def data():
    return _repetitive()[:2]


@pytest.fixture(scope="module")
def network(data):
    return NextEventClassifier(**FAST, history_counts=None).fit(*data)


@pytest.fixture(scope="module")
def blended(data):
    return NextEventClassifier(**FAST, history_counts=3.0).fit(*data)


def _probe(X):
    return [list(h) for h in dict.fromkeys(map(tuple, X))] + [UNSEEN, []]


def test_a_seen_history_gets_the_dirichlet_mean_of_its_counts(data, network, blended):
    X, y = data
    probe = _probe(X)
    p_net = network.predict_proba(probe)
    expected = p_net.copy()
    k = 3.0
    for i, counts in enumerate(_counts(X, y).get(tuple(h)) for h in probe):
        if counts is None:
            continue
        n = sum(counts.values())
        c = np.array([counts.get(label, 0) for label in blended.classes_], dtype=float)
        expected[i] = (c + k * p_net[i]) / (n + k)
    assert blended.history_counts_weight_ == k
    assert_allclose(blended.predict_proba(probe), expected, rtol=1e-12, atol=1e-15)
    # An unseen history, and the empty one, keep the network's prediction.
    with pytest.warns(UserWarning, match="never seen"):
        assert_array_equal(blended.predict_proba(probe[-2:]), p_net[-2:])


def test_weight_zero_gives_the_relative_frequencies(data):
    X, y = data
    clf = NextEventClassifier(**FAST, history_counts=0).fit(X, y)
    probe = _probe(X)[:-2]
    for history, proba in zip(probe, clf.predict_proba(probe), strict=True):
        counts = _counts(X, y)[tuple(history)]
        n = sum(counts.values())
        expected = [counts.get(label, 0) / n for label in clf.classes_]
        assert_allclose(proba, expected, rtol=1e-12, atol=1e-15)


def test_none_is_the_network_alone(data, network):
    assert network.history_counts_weight_ is None
    assert network._history_counts is None


def test_auto_keeps_the_network_when_no_history_repeats():
    X, y, _ = MarkovMemorySampler(random_state=0).make_dataset(40, 12)
    unique = dict(zip(map(tuple, X), y, strict=True))  # one sample per history
    X, y = [list(h) for h in unique], list(unique.values())
    auto = NextEventClassifier(**FAST).fit(X, y)
    alone = NextEventClassifier(**FAST, history_counts=None).fit(X, y)
    assert auto.history_counts_weight_ == np.inf
    assert_array_equal(auto.predict_proba(X), alone.predict_proba(X))


def test_auto_beats_an_underfit_network_on_new_cases():
    X, y, _ = _repetitive(300, seed=0)
    X_new, y_new, _ = _repetitive(300, seed=1)
    underfit = dict(FAST, max_epochs=1)
    auto = NextEventClassifier(**underfit).fit(X, y)
    alone = NextEventClassifier(**underfit, history_counts=None).fit(X, y)
    assert np.isfinite(auto.history_counts_weight_)

    def log_loss(clf):
        proba = clf.predict_proba(X_new)
        return -np.mean(np.log(proba[np.arange(len(y_new)), np.searchsorted(clf.classes_, y_new)]))

    assert log_loss(auto) < log_loss(alone)


def test_every_prediction_path_agrees(data, blended):
    X, y = data
    probe = _probe(X)
    batched = blended.predict_proba(probe)
    one_by_one = np.vstack([blended.predict_proba([h]) for h in probe])
    streamed = np.vstack([blended.stream(h).predict_proba() for h in probe])
    assert_allclose(one_by_one, batched, atol=1e-6)
    assert_allclose(streamed, batched, atol=1e-6)
    assert_array_equal(blended.predict(probe), blended.classes_[np.argmax(batched, axis=1)])
    suffix = blended.predict_suffix(probe, max_steps=1)
    assert [s[0] for s in suffix] == blended.predict(probe).tolist()


def test_prefix_histories_and_lists_give_the_same_counts():
    X, y, sequences = _repetitive()
    prefixes, targets, _ = PrefixHistories.from_sequences(sequences)
    lists = NextEventClassifier(**FAST).fit(X, y)
    prefixed = NextEventClassifier(**FAST).fit(prefixes, targets)
    assert lists.history_counts_weight_ == prefixed.history_counts_weight_
    assert_array_equal(lists.predict_proba(X), prefixed.predict_proba(prefixes))


def test_a_truncated_history_is_counted_as_the_model_reads_it(data):
    X, y = data
    clf = NextEventClassifier(**FAST, max_history=2, history_counts=1.0).fit(X, y)
    probe = _probe(X)
    batched = clf.predict_proba(probe)
    streamed = np.vstack([clf.stream(h).predict_proba() for h in probe])
    assert_allclose(streamed, batched, atol=1e-6)


def test_a_model_with_times_uses_the_network_alone():
    import pandas as pd

    frame = pd.DataFrame(
        {
            "events": [["a", "b"], ["a"], ["a", "b"]] * 5,
            "time": [pd.to_datetime(["2024-01-01", "2024-01-02"])] * 15,
        }
    )
    frame["time"] = [t[: len(e)] for t, e in zip(frame["time"], frame["events"], strict=True)]
    X = AttributedHistories.from_frame(frame)
    clf = NextEventClassifier(**FAST).fit(X, ["b", "b", "c"] * 5)
    assert clf.history_counts_weight_ is None


@pytest.mark.parametrize("value", [-1.0, "always", np.nan, np.inf])
def test_a_bad_weight_is_refused(data, value):
    with pytest.raises(ValueError, match="history_counts"):
        NextEventClassifier(**FAST, history_counts=value).fit(*data)


# Choosing k -------------------------------------------------------------------------------


def test_deterministic_histories_and_a_uniform_network_choose_the_smallest_weight():
    counts = np.array([5.0, 9.0, 2.0])  # each history always followed by one class
    proba = np.full(3, 0.25)
    assert choose_prior_weight(counts, counts, proba, 0) == PRIOR_WEIGHT_GRID[0]


def test_nothing_to_leave_out_keeps_the_network():
    assert choose_prior_weight(np.empty(0), np.empty(0), np.empty(0), 0) == np.inf


@given(
    st.lists(st.integers(1, 20), min_size=1, max_size=8),
    st.integers(-5, 5),
    st.floats(0.01, 0.99),
)
@settings(max_examples=50, deadline=None)
def test_the_choice_does_not_depend_on_the_scale_of_the_weights(counts, exponent, p):
    counts = np.array(counts, dtype=float)
    totals = counts + 3.0
    proba = np.full(len(counts), p)
    scaled = np.ldexp(counts, -exponent), np.ldexp(totals, -exponent)
    assert choose_prior_weight(*scaled, proba, exponent) == choose_prior_weight(
        counts, totals, proba, 0
    )


@given(
    st.lists(
        st.tuples(st.lists(st.integers(3, 5), max_size=4), st.integers(0, 2), st.integers(1, 9)),
        min_size=1,
        max_size=12,
    ),
    st.floats(0.0, 100.0),
)
@settings(max_examples=50, deadline=None)
def test_blended_rows_are_distributions(samples, k):
    """Any counts blended into any distribution give rows that sum to 1."""
    from sklearn_seqlstm.neural._chains import canonical_chains, group_into_chains

    histories = [(1, *tokens) for tokens, _, _ in samples]
    targets = np.array([t for _, t, _ in samples])
    weights = np.array([w for _, _, w in samples], dtype=float)
    chains = canonical_chains(group_into_chains(histories, targets, weights), weights)
    counts = HistoryCounts(6, 3).add(chains).finish()
    counts.prior_weight = k
    proba = np.random.RandomState(0).dirichlet(np.ones(3), size=len(histories))
    entry_nodes = counts.entry_nodes(chains)
    out = counts.blend(proba[: len(entry_nodes)], entry_nodes)
    assert ((out >= 0) & (out <= 1 + 1e-12)).all()
    assert_allclose(out.sum(axis=1), 1.0, rtol=1e-12)


# Saved models and streams -----------------------------------------------------------------


def test_save_and_load_keep_the_counts(data, blended, tmp_path):
    X, _ = data
    blended.save(tmp_path / "model")
    loaded = load(tmp_path / "model")
    assert loaded.history_counts_weight_ == blended.history_counts_weight_
    assert_array_equal(loaded.predict_proba(_probe(X)), blended.predict_proba(_probe(X)))
    stream = blended.stream(X[5])
    stream.save(tmp_path / "stream")
    assert_array_equal(
        loaded.load_stream(tmp_path / "stream").predict_proba(), stream.predict_proba()
    )


def _edit(path, edit_arrays=None, edit_document=None):
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    if edit_arrays is not None:
        arrays = load_arrays(members["weights.safetensors"])
        edit_arrays(arrays)
        members["weights.safetensors"] = save_arrays(arrays)
    if edit_document is not None:
        document = json.loads(members["model.json"])
        edit_document(document)
        members["model.json"] = json.dumps(document).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)


def _set(name, index, value):
    return lambda arrays: arrays["history_counts." + name].__setitem__(index, value)


@pytest.mark.parametrize(
    "edit_arrays, edit_document, match",
    [
        (_set("edge_child", 0, 0), None, "tree"),
        (_set("edge_key", -1, -5), None, "sorted"),
        (_set("count_class", 0, 99), None, "class the model lacks"),
        (_set("count_weight", 0, -1.0), None, "not positive"),
        (_set("count_weight", slice(None), 1e308), None, "infinity"),
        (_set("count_node", -1, 10**6), None, "trie nodes"),
        (_set("count_offsets", 1, 0), None, "malformed"),
        (lambda a: a.pop("history_counts.count_class"), None, "lack"),
        (None, lambda d: d["attributes"].update(history_counts_weight_="nan"), ">= 0"),
        (None, lambda d: d["attributes"].update(history_counts_weight_="inf"), "weight is inf"),
        (None, lambda d: d["attributes"].update(history_counts_scale_exponent=1e9), "integer"),
    ],
)
def test_tampered_counts_are_refused(blended, tmp_path, edit_arrays, edit_document, match):
    path = tmp_path / "model"
    blended.save(path)
    _edit(path, edit_arrays, edit_document)
    with pytest.raises(ValueError, match=match):
        load(path)


def test_a_stream_node_outside_the_trie_is_refused(blended, tmp_path):
    from safetensors import safe_open
    from safetensors.numpy import save_file

    path = tmp_path / "stream"
    blended.stream(["a", "b"]).save(path)
    with safe_open(str(path), framework="numpy") as file:
        metadata = file.metadata()
        arrays = {key: file.get_tensor(key) for key in file.keys()}  # noqa: SIM118
    arrays["history_node"][0] = 10**6
    save_file(arrays, str(path), metadata=metadata)
    with pytest.raises(ValueError, match="history_node"):
        blended.load_stream(path)


def test_onnx_export_of_blended_probabilities_needs_network_only(blended, tmp_path):
    pytest.importorskip("onnx")
    with pytest.raises(ValueError, match="network_only=True"):
        blended.to_onnx(tmp_path / "model.onnx")
    assert not (tmp_path / "model.onnx").exists()
    blended.to_onnx(tmp_path / "model.onnx", network_only=True)
    assert (tmp_path / "model.onnx").exists()


@given(st.lists(st.lists(st.integers(3, 5), min_size=1, max_size=6), min_size=1, max_size=10))
@settings(max_examples=50, deadline=None)
def test_the_prefix_layout_holds_every_node_history(tails):
    from sklearn_seqlstm.neural._chains import canonical_chains, group_into_chains

    histories = [(1, *tail) for tail in tails]
    chains = canonical_chains(group_into_chains(histories, np.zeros(len(histories), int)))
    counts = HistoryCounts(6, 1).add(chains).finish()
    nodes = counts.walk(chains.tokens, chains.token_offsets)  # every prefix of every chain
    sequences, index, lengths = counts.prefix_layout(np.unique(nodes))
    found = counts.walk(
        np.concatenate([sequences[i][: n + 1] for i, n in zip(index, lengths, strict=True)]),
        np.concatenate([[0], np.cumsum(lengths + 1)]),
    )
    assert_array_equal(found[np.cumsum(lengths + 1) - 1], np.unique(nodes))


def test_a_log_in_many_chunks_counts_every_history_once(tmp_path):
    pytest.importorskip("pyarrow")
    import pandas as pd

    from sklearn_seqlstm import EventLogFiles, samples_from_log

    _, _, sequences = _repetitive(60)
    frame = pd.DataFrame(
        [
            {"case": f"c{case:03d}", "step": step, "event": event}
            for case, sequence in enumerate(sequences)
            for step, event in enumerate(sequence[:-1])
        ]
    )
    frame.to_csv(tmp_path / "log.csv", index=False)
    columns = dict(sequence_col="case", order_col="step", event_col="event", end_event="end")
    files = EventLogFiles(tmp_path / "log.csv", **columns, chunk_size=7)
    assert sum(1 for _ in files._chunks()) > 5
    X, y, _ = samples_from_log(frame, **columns)
    chunked = NextEventClassifier(**FAST, history_counts=1.0).fit(files)._history_counts
    in_memory = NextEventClassifier(**FAST, history_counts=1.0).fit(X, y)
    counts = in_memory._history_counts
    assert chunked.n_histories == counts.n_histories
    uniform = np.full(len(in_memory.classes_), 1 / len(in_memory.classes_))
    for tokens in in_memory._encode([list(h) for h in dict.fromkeys(map(tuple, X))]):
        assert_array_equal(
            chunked.blend_one(uniform, chunked.node(tokens)),
            counts.blend_one(uniform, counts.node(tokens)),
        )


def test_a_stream_of_other_counts_is_refused(data, blended, tmp_path):
    other = NextEventClassifier(**FAST, history_counts=5.0).fit(*data)  # the same network
    blended.stream(["a", "b"]).save(tmp_path / "stream")
    with pytest.raises(ValueError, match="another model"):
        other.load_stream(tmp_path / "stream")


@pytest.mark.parametrize("k, scale", [(1e308, 1e-10), (0.5, 1e300), (0.0, 1e-300)])
def test_extreme_weights_give_distributions(data, k, scale):
    X, y = data
    clf = NextEventClassifier(**FAST, history_counts=k)
    proba = clf.fit(X, y, sample_weight=np.full(len(y), scale)).predict_proba(X)
    assert np.isfinite(proba).all()
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)


def test_histories_beyond_the_budget_are_not_counted():
    from sklearn_seqlstm.neural._chains import canonical_chains, group_into_chains

    histories = [(1, 3), (1, 3, 4), (1, 4), (1, 4, 4), (1, 5)]
    targets = np.array([0, 1, 0, 1, 1])
    chains = canonical_chains(group_into_chains(histories, targets))
    full = HistoryCounts(6, 2).add(chains).finish()
    small = HistoryCounts(6, 2, max_nodes=4).add(chains).finish()
    assert small.n_nodes == 4 and small.n_histories < full.n_histories
    full.prior_weight = small.prior_weight = 1.0
    proba = np.array([0.5, 0.5])
    kept = 0
    for history in histories:
        node = small.node(history)
        if node >= 0:  # a history the budget kept has all of its counts
            kept += 1
            assert_array_equal(
                small.blend_one(proba, node), full.blend_one(proba, full.node(history))
            )
        else:
            assert_array_equal(small.blend_one(proba, node), proba)
    assert 0 < kept < len(histories)


def test_a_weight_that_scaling_takes_to_zero_is_not_counted():
    """Found by the fuzz tests: a history whose only weight underflowed gave NaN."""
    X = [[], [], ["A"], [], [], [], [], []]
    y = ["A", "A", "A", "A", "A", "A", "B", "A"]
    weights = [0.0, 0.0, 2.7228194741205627e-73, 0.0, 0.0, 0.0, 5.727780783694992e250, 0.0]
    clf = NextEventClassifier(**FAST, history_counts=1.0).fit(X, y, sample_weight=weights)
    proba = clf.predict_proba([[], ["A"]])
    assert np.isfinite(proba).all()
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)


def test_counts_of_the_smallest_weights_give_distributions():
    """Found by the fuzz tests: counts near float64's smallest once scaled overflowed."""
    X = [[], ["A", "A"], [], ["A"], [], [], [], [], [], []]
    y = ["A"] * 9 + ["B"]
    weights = [0, 0.5, 0, 2.0, 0, 0, 0, 0, 0, np.finfo(np.float64).max]
    clf = NextEventClassifier(**FAST, history_counts=0.5).fit(X, y, sample_weight=weights)
    for proba in (clf.predict_proba(X), np.vstack([clf.predict_proba([h]) for h in X])):
        assert np.isfinite(proba).all()
        assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
