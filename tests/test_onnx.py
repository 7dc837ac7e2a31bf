"""to_onnx: onnxruntime gives predict_proba's probabilities from token ids."""

import json

import numpy as np
import pytest

from sklearn_seqlstm import MarkovMemorySampler, NextEventClassifier, load
from sklearn_seqlstm.serving._codec import decode_values

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

# The graph is the network: its parity with predict_proba is checked without history counts.
FAST = dict(max_epochs=2, hidden_size=16, embedding_dim=8, random_state=0, history_counts=None)
EVENTS = list("ABCDEFGH") + ["never seen"]


@pytest.fixture(scope="module")
def data():
    X, y, _ = MarkovMemorySampler(memory_influence=0.5, random_state=0).make_dataset(30, 10)
    return X, y


def _varied_histories(n=60, seed=0):
    rng = np.random.default_rng(seed)
    histories = [[], ["never seen"]]
    histories += [
        [EVENTS[i] for i in rng.integers(0, len(EVENTS), rng.integers(0, 80))] for _ in range(n)
    ]
    return histories


@pytest.mark.parametrize(
    "settings", [{}, {"copy_from_history": False}, {"max_history": 5}, {"num_layers": 2}]
)
def test_onnxruntime_matches_predict_proba(data, tmp_path, settings):
    clf = NextEventClassifier(**FAST, **settings).fit(*data)
    path = clf.to_onnx(tmp_path / "model.onnx")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    histories = _varied_histories()
    (proba,) = session.run(None, clf.encode_for_onnx(histories))
    np.testing.assert_allclose(proba, clf.predict_proba(histories), rtol=0, atol=1e-5)
    # One history at a time (no padding) gives the same.
    (one,) = session.run(None, clf.encode_for_onnx(histories[5:6]))
    np.testing.assert_allclose(one, proba[5:6], atol=1e-6)


def test_vocabulary_beside_the_graph_encodes_histories(data, tmp_path):
    """A server without this package encodes events from the JSON alone."""
    clf = NextEventClassifier(**FAST).fit(*data)
    path = clf.to_onnx(tmp_path / "model.onnx")
    vocabulary = json.loads((tmp_path / "model.onnx.json").read_text())
    first = vocabulary["first_event_token"]
    token_of = {
        event: first + i for i, event in enumerate(decode_values(vocabulary["events"], "events"))
    }
    reserved = vocabulary["reserved_tokens"]
    history = ["A", "B", "never seen", "C"]
    tokens = [reserved["START"], *(token_of.get(e, reserved["UNKNOWN"]) for e in history)]
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (proba,) = session.run(
        None, {"tokens": np.array([tokens], dtype=np.int64), "lengths": np.array([len(tokens)])}
    )
    np.testing.assert_allclose(proba[0], clf.predict_proba([history])[0], atol=1e-5)
    assert [c for _, c in vocabulary["classes"]["values"]] == clf.classes_.tolist()


def test_a_loaded_model_exports(data, tmp_path):
    clf = NextEventClassifier(**FAST).fit(*data)
    clf.save(tmp_path / "model")
    path = load(tmp_path / "model").to_onnx(tmp_path / "model.onnx")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (proba,) = session.run(None, clf.encode_for_onnx([["A", "B"]]))
    np.testing.assert_allclose(proba, clf.predict_proba([["A", "B"]]), atol=1e-5)


def test_no_overwrite_without_asking(data, tmp_path):
    clf = NextEventClassifier(**FAST).fit(*data)
    (tmp_path / "model.onnx").write_bytes(b"keep")
    with pytest.raises(FileExistsError, match="overwrite"):
        clf.to_onnx(tmp_path / "model.onnx")
    assert (tmp_path / "model.onnx").read_bytes() == b"keep"
    assert not (tmp_path / "model.onnx.json").exists()
    clf.to_onnx(tmp_path / "model.onnx", overwrite=True)
    assert (tmp_path / "model.onnx.json").exists()


# --- Models fitted with times and attributes ---------------------------------------------


def _attributed_histories(numeric_time=False, n=25, seed=0):
    """Varied attributed histories: lengths 0 to 60, unseen events and categories,
    missing values."""
    from test_stream import prefixes, random_sequence

    rng = np.random.default_rng(seed)
    sequences = [
        random_sequence(int(rng.integers(1, 60)), rng, numeric_time, unseen=True) for _ in range(n)
    ]
    X, _ = prefixes(sequences)
    # Every history of the first three sequences, the empty ones included, and a few
    # of every other.
    keep = np.flatnonzero((X.sequence_index < 3) | (rng.random(len(X)) < 0.1))
    return X[keep]


@pytest.mark.parametrize(
    "settings, numeric_time",
    [
        ({}, False),
        ({"sequence_context": "first_step", "max_history": 4}, False),
        ({"num_layers": 2, "copy_from_history": False}, True),
        ({"time_features": False}, False),
        ({"attributes": False}, False),
    ],
)
def test_onnxruntime_matches_predict_proba_with_times_and_attributes(
    tmp_path, settings, numeric_time
):
    from test_stream import attributed_training_set

    clf = NextEventClassifier(**FAST, **settings).fit(*attributed_training_set(numeric_time))
    path = clf.to_onnx(tmp_path / "model.onnx")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    X = _attributed_histories(numeric_time)
    inputs = clf.encode_for_onnx(X)
    assert [i.name for i in session.get_inputs()] == list(inputs)
    assert (settings.get("attributes") is False) == ("cats" not in inputs)
    (proba,) = session.run(None, inputs)
    np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=0, atol=1e-5)
    # One history at a time (no padding) gives the same.
    (one,) = session.run(None, clf.encode_for_onnx(X[7:8]))
    np.testing.assert_allclose(one, proba[7:8], atol=1e-6)
    # The JSON names the inputs and the columns of the step features.
    described = json.loads((tmp_path / "model.onnx.json").read_text())
    assert set(described["inputs"]) == set(inputs)
    encoding = described["step_encoding"]
    assert len(encoding["cats_columns"]) == inputs.get("cats", np.zeros((0, 0, 0))).shape[-1]
    assert len(encoding["nums_columns"]) == inputs.get("nums", np.zeros((0, 0, 0))).shape[-1]


def test_an_attributed_model_needs_attributed_histories_for_onnx(tmp_path):
    from test_stream import attributed_training_set

    clf = NextEventClassifier(**FAST).fit(*attributed_training_set())
    with pytest.raises(ValueError, match="X has none"):
        clf.encode_for_onnx([["A", "B"]])


# --- One return type for encode_for_onnx; TopK in the graph --------------------------------


def test_encode_for_onnx_returns_the_graph_inputs_by_name(data, tmp_path):
    clf = NextEventClassifier(**FAST).fit(*data)
    session = ort.InferenceSession(
        str(clf.to_onnx(tmp_path / "model.onnx")), providers=["CPUExecutionProvider"]
    )
    inputs = clf.encode_for_onnx([["A", "B"], []])
    assert isinstance(inputs, dict)
    assert list(inputs) == [i.name for i in session.get_inputs()] == ["tokens", "lengths"]
    assert inputs["tokens"].dtype == inputs["lengths"].dtype == np.int64


def _assert_ranks_as_recommend(clf, histories, top, top_proba, proba, k, exclude_seen):
    """The graph's TopK against ``recommend`` on the same histories.

    The graph ranks its float32 probabilities, recommend ranks predict_proba's, and
    the two agree to 1e-5: a place may differ only where the two classes swapped
    there are that close (a near tie), never otherwise.
    """
    labels, expected = clf.recommend(histories, k, exclude_seen=exclude_seen, return_proba=True)
    classes = clf.classes_.tolist()
    reference = clf.predict_proba(histories)
    got = np.array(
        [[None if i < 0 else classes[i] for i in row] for row in top.tolist()], dtype=object
    )
    differ = got != labels.astype(object)
    for row, place in zip(*np.nonzero(differ), strict=True):
        assert labels[row, place] is not None and got[row, place] is not None
        a, b = classes.index(labels[row, place]), classes.index(got[row, place])
        assert abs(reference[row, a] - reference[row, b]) < 1e-5
    # Its probabilities are those of the proba output at the indices chosen.
    missing = top < 0
    np.testing.assert_array_equal(np.isnan(top_proba), missing)
    np.testing.assert_array_equal(np.isnan(expected), missing)
    chosen = np.take_along_axis(proba, np.where(missing, 0, top), axis=1)
    np.testing.assert_array_equal(top_proba[~missing], chosen[~missing])
    return differ


@pytest.mark.parametrize("exclude_seen", [False, True])
@pytest.mark.parametrize("settings", [{}, {"copy_from_history": False}])
def test_top_k_in_the_graph_ranks_as_recommend(data, tmp_path, settings, exclude_seen):
    clf = NextEventClassifier(**FAST, **settings).fit(*data)
    k = 4
    path = clf.to_onnx(tmp_path / "model.onnx", top_k=k, exclude_seen=exclude_seen)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [o.name for o in session.get_outputs()] == ["proba", "top_k", "top_k_proba"]
    histories = _varied_histories()
    # A history that holds every class but one leaves places to -1 with exclude_seen.
    histories.append(clf.classes_.tolist()[1:])
    proba, top, top_proba = session.run(None, clf.encode_for_onnx(histories))
    assert top.shape == top_proba.shape == (len(histories), k) and top.dtype == np.int64
    np.testing.assert_allclose(proba, clf.predict_proba(histories), rtol=0, atol=1e-5)
    differ = _assert_ranks_as_recommend(clf, histories, top, top_proba, proba, k, exclude_seen)
    assert differ.mean() < 0.05  # near ties are rare: the rankings are compared at all
    assert (top[-1] < 0).any() == exclude_seen
    if exclude_seen:
        index = {label: i for i, label in enumerate(clf.classes_.tolist())}
        for history, row in zip(histories, top.tolist(), strict=True):
            assert not {index[e] for e in history if e in index} & set(row)
    described = json.loads((tmp_path / "model.onnx.json").read_text())["top_k"]
    assert described["k"] == k and described["exclude_seen"] is exclude_seen
    # One history at a time (no padding) ranks the same.
    _, one, _ = session.run(None, clf.encode_for_onnx(histories[5:6]))
    np.testing.assert_array_equal(one, top[5:6])


def test_top_k_with_times_and_attributes_ranks_as_recommend(tmp_path):
    from test_stream import attributed_training_set

    clf = NextEventClassifier(**FAST).fit(*attributed_training_set())
    k = 3
    path = clf.to_onnx(tmp_path / "model.onnx", top_k=k, exclude_seen=True)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    X = _attributed_histories()
    proba, top, top_proba = session.run(None, clf.encode_for_onnx(X))
    _assert_ranks_as_recommend(clf, X, top, top_proba, proba, k, True)


@pytest.mark.parametrize(
    "options, error, match",
    [
        ({"top_k": 0}, ValueError, "at least 1"),
        ({"top_k": 10_000}, ValueError, "exceeds the number of classes"),
        ({"top_k": 2.0}, TypeError, "k must be an integer"),
        ({"top_k": 2, "exclude_seen": "no"}, TypeError, "exclude_seen must be True or False"),
        ({"exclude_seen": True}, ValueError, "give top_k"),
    ],
)
def test_bad_top_k_options_are_refused_before_writing(data, tmp_path, options, error, match):
    clf = NextEventClassifier(**FAST).fit(*data)
    with pytest.raises(error, match=match):
        clf.to_onnx(tmp_path / "model.onnx", **options)
    assert not list(tmp_path.iterdir())


def test_exclude_seen_in_the_graph_is_refused_with_max_history(data, tmp_path):
    # The graph receives the last max_history events only; recommend excludes every
    # event of the history, so the two would silently disagree.
    clf = NextEventClassifier(**FAST, max_history=3).fit(*data)
    with pytest.raises(ValueError, match="max_history"):
        clf.to_onnx(tmp_path / "model.onnx", top_k=2, exclude_seen=True)
    assert not list(tmp_path.iterdir())
    path = clf.to_onnx(tmp_path / "model.onnx", top_k=2)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    histories = _varied_histories(20)
    proba, top, top_proba = session.run(None, clf.encode_for_onnx(histories))
    _assert_ranks_as_recommend(clf, histories, top, top_proba, proba, 2, False)
