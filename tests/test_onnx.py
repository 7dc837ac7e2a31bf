"""to_onnx: onnxruntime gives predict_proba's probabilities from token ids."""

import json

import numpy as np
import pytest

from sklearn_seqlstm import MarkovMemorySampler, NextEventClassifier, load
from sklearn_seqlstm._persistence import decode_values

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
