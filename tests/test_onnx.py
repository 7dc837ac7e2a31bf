"""to_onnx: onnxruntime gives predict_proba's probabilities from token ids."""

import json

import numpy as np
import pytest

from sklearn_seqlstm import MarkovMemorySampler, NextEventClassifier, load
from sklearn_seqlstm.serving._codec import decode_values

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

FAST = dict(max_epochs=2, hidden_size=16, embedding_dim=8, random_state=0)
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
    tokens, lengths = clf.encode_for_onnx(histories)
    (proba,) = session.run(None, {"tokens": tokens, "lengths": lengths})
    np.testing.assert_allclose(proba, clf.predict_proba(histories), rtol=0, atol=1e-5)
    # One history at a time (no padding) gives the same.
    tokens, lengths = clf.encode_for_onnx(histories[5:6])
    (one,) = session.run(None, {"tokens": tokens, "lengths": lengths})
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
    tokens, lengths = clf.encode_for_onnx([["A", "B"]])
    (proba,) = session.run(None, {"tokens": tokens, "lengths": lengths})
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
