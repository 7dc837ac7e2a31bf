"""save / load: JSON and safetensors only, exact round trips, tampered files refused."""

import json
import pickle
import zipfile

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from sklearn_seqlstm import (
    MarkovChainClassifier,
    MarkovMemorySampler,
    NextEventClassifier,
    load,
)
from sklearn_seqlstm.serving import _serializers
from sklearn_seqlstm.serving._persistence import FORMAT_VERSION

FAST = dict(max_epochs=2, hidden_size=16, embedding_dim=8, random_state=0)


@pytest.fixture(scope="module")
def data():
    X, y, _ = MarkovMemorySampler(memory_influence=0.4, random_state=0).make_dataset(30, 10)
    return X, y


@pytest.fixture(scope="module")
def lstm(data):
    return NextEventClassifier(**FAST).fit(*data)


@pytest.fixture(scope="module")
def markov(data):
    return MarkovChainClassifier(order=2).fit(*data)


def _histories():
    return [[], ["A"], ["A", "B", "C", "never seen"], list("ABCDEFGHABCDEFGH")]


@pytest.mark.parametrize("name", ["lstm", "markov"])
def test_round_trip_is_exact(request, name, tmp_path, data):
    estimator = request.getfixturevalue(name)
    estimator.save(tmp_path / "model")
    loaded = load(tmp_path / "model")
    assert type(loaded) is type(estimator)
    assert loaded.get_params() == estimator.get_params()
    X = data[0][:40] + _histories()
    np.testing.assert_array_equal(loaded.predict_proba(X), estimator.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), estimator.predict(X))
    np.testing.assert_array_equal(loaded.recommend(X, 3), estimator.recommend(X, 3))
    np.testing.assert_array_equal(loaded.classes_, estimator.classes_)
    assert loaded.classes_.dtype == estimator.classes_.dtype
    # Still an estimator: it clones and refits.
    clone(loaded).fit(*data)


def test_loaded_lstm_streams_and_keeps_its_history(lstm, tmp_path):
    lstm.save(tmp_path / "model")
    loaded = load(tmp_path / "model")
    np.testing.assert_array_equal(
        loaded.stream(["A", "B"]).predict_proba(), lstm.stream(["A", "B"]).predict_proba()
    )
    assert loaded.n_epochs_ == lstm.n_epochs_
    assert loaded.net_.history[:, "train_loss"] == lstm.net_.history[:, "train_loss"]


@pytest.mark.parametrize(
    "X, y",
    [
        ([[1, 2], [2, 3], [3, 1]], [2, 3, 1]),
        ([[np.int32(1)], [np.int32(2)]], np.array([5, 6], dtype=np.int16)),
        ([[1.5], [2.5], [True]], [0.0, 1.0, 2.0]),
        ([["a", 1], [2, "b"]], np.array(["x", "y"], dtype=object)),
        ([[True], [False]], [False, True]),
    ],
)
def test_labels_and_events_keep_their_types(X, y, tmp_path):
    clf = NextEventClassifier(**FAST).fit(X, y)
    clf.save(tmp_path / "model")
    loaded = load(tmp_path / "model")
    assert loaded.classes_.dtype == clf.classes_.dtype
    assert [type(e) for e in loaded.events_] == [type(e) for e in clf.events_]
    assert loaded.events_ == clf.events_
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    markov = MarkovChainClassifier().fit(X, y)
    markov.save(tmp_path / "markov")
    np.testing.assert_array_equal(
        load(tmp_path / "markov").predict_proba(X), markov.predict_proba(X)
    )


def test_labels_that_cannot_be_saved_are_refused(tmp_path):
    clf = MarkovChainClassifier().fit([[("a", 1)], [("b", 2)]], ["x", "y"])
    with pytest.raises(ValueError, match="Cannot save event"):
        clf.save(tmp_path / "model")
    assert not (tmp_path / "model").exists()
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind


def test_no_overwrite_without_asking(markov, tmp_path):
    path = tmp_path / "model"
    path.write_bytes(b"precious")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        markov.save(path)
    assert path.read_bytes() == b"precious"
    markov.save(path, overwrite=True)
    assert load(path).order == markov.order


def test_unfitted_and_foreign_estimators_are_refused(tmp_path):
    from sklearn.exceptions import NotFittedError

    from sklearn_seqlstm.serving._persistence import save

    with pytest.raises(NotFittedError):
        MarkovChainClassifier().save(tmp_path / "model")

    class Sub(MarkovChainClassifier):
        pass

    with pytest.raises(TypeError, match="Cannot save a Sub"):
        save(Sub().fit([["a"], ["b"]], ["a", "b"]), tmp_path / "model")


def test_callbacks_are_dropped_with_a_warning(data, tmp_path):
    from skorch.callbacks import EpochTimer

    clf = NextEventClassifier(**FAST, callbacks=[EpochTimer()]).fit(*data)
    with pytest.warns(UserWarning, match="callbacks"):
        clf.save(tmp_path / "model")
    assert load(tmp_path / "model").callbacks is None


# Files that are not models -----------------------------------------------------------


def test_a_pickle_is_refused(markov, tmp_path):
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(markov))
    with pytest.raises(ValueError, match="not a saved sklearn-seqlstm model"):
        load(path)


def test_a_torch_file_is_refused(lstm, tmp_path):
    # torch.save writes a zip archive holding a pickle: never unpickled here.
    path = tmp_path / "model.pt"
    torch.save(lstm.net_.module_, path)
    with pytest.raises(ValueError, match="not a saved sklearn-seqlstm model"):
        load(path)


def _rewrite(path, document=None, weights=None):
    """Replace model.json or weights.safetensors inside a saved model."""
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    if document is not None:
        members["model.json"] = json.dumps(document).encode()
    if weights is not None:
        members["weights.safetensors"] = weights
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)


def _document(path):
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("model.json"))


def test_pickled_weights_are_refused(lstm, tmp_path):
    path = tmp_path / "model"
    lstm.save(path)
    _rewrite(path, weights=pickle.dumps(lstm.net_.module_.state_dict()))
    with pytest.raises(ValueError, match="not a valid safetensors file"):
        load(path)


@pytest.mark.parametrize(
    "tamper, match",
    [
        (lambda d: d.update(estimator="os.system"), "unknown estimator 'os.system'"),
        (lambda d: d.update(estimator="Pipeline"), "unknown estimator"),
        (lambda d: d.pop("params"), "lacks 'params'"),
        (lambda d: d["attributes"].pop("classes_"), "lacks 'classes_'"),
        (lambda d: d["params"].update(hidden_size=32), "hidden_size is 32"),
        (lambda d: d["params"].update(embedding_dim=-1), "invalid parameters"),
        (lambda d: d["params"].update(evil="x"), "unknown parameters"),
        (lambda d: d["attributes"]["events_"].pop(), "number of events_"),
        (lambda d: d["attributes"]["events_"].append(["builtins.eval", "1"]), "unknown value type"),
        (lambda d: d.update(format="other"), "not a saved sklearn-seqlstm model"),
    ],
)
def test_tampered_documents_are_clear_errors(lstm, tmp_path, tamper, match):
    path = tmp_path / "model"
    lstm.save(path)
    document = _document(path)
    tamper(document)
    _rewrite(path, document=document)
    with pytest.raises(ValueError, match=match):
        load(path)


@pytest.mark.parametrize(
    "tamper, match",
    [
        (lambda d: d["attributes"]["contexts_"].pop(), "contexts_"),
        (lambda d: d["attributes"]["contexts_"][1].append([999]), "shape|unknown event code"),
        (lambda d: d["params"].update(order=5), "contexts_"),
    ],
)
def test_tampered_markov_documents_are_clear_errors(markov, tmp_path, tamper, match):
    path = tmp_path / "model"
    markov.save(path)
    document = _document(path)
    tamper(document)
    _rewrite(path, document=document)
    with pytest.raises(ValueError, match=match):
        load(path)


def test_a_newer_format_names_both_versions(markov, tmp_path):
    path = tmp_path / "model"
    markov.save(path)
    document = _document(path)
    document["format_version"] = FORMAT_VERSION + 1
    _rewrite(path, document=document)
    with pytest.raises(
        ValueError, match=rf"version {FORMAT_VERSION + 1}.*version {FORMAT_VERSION}"
    ):
        load(path)


def test_a_folder_that_is_not_a_model_says_so(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ValueError, match="folder that holds no saved model"):
        load(tmp_path)


def test_an_unzipped_model_folder_loads(markov, tmp_path):
    with zipfile.ZipFile(_saved(markov, tmp_path)) as archive:
        archive.extractall(tmp_path / "unzipped")
    np.testing.assert_array_equal(
        load(tmp_path / "unzipped").predict_proba([["A"]]), markov.predict_proba([["A"]])
    )


def _saved(estimator, folder):
    estimator.save(folder / "model")
    return folder / "model"


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "nothing")


# Devices -----------------------------------------------------------------------------


def test_a_gpu_model_loads_on_a_cpu_machine(lstm, tmp_path, monkeypatch):
    """A model saved from CUDA records device 'cuda'; its weights are CPU arrays anyway."""
    path = tmp_path / "model"
    lstm.save(path)
    document = _document(path)
    document["attributes"]["device"] = "cuda"
    document["params"]["device"] = "cuda"
    _rewrite(path, document=document)
    monkeypatch.setattr(_serializers, "usable_device", lambda name: name == "cpu")
    with pytest.warns(UserWarning, match="not available here"):
        loaded = load(path)
    assert loaded.device == "cpu"
    assert next(loaded.net_.module_.parameters()).device.type == "cpu"
    np.testing.assert_array_equal(loaded.predict_proba([["A"]]), lstm.predict_proba([["A"]]))


def test_saved_weights_carry_no_device(lstm, tmp_path):
    from safetensors.numpy import load as load_numpy

    path = _saved(lstm, tmp_path)
    with zipfile.ZipFile(path) as archive:
        arrays = load_numpy(archive.read("weights.safetensors"))
    network = {name for name in arrays if not name.startswith("history_counts.")}
    assert network == set(lstm.net_.module_.state_dict())
    assert _document(path)["versions"]["torch"] == torch.__version__


def test_explicit_device(lstm, tmp_path):
    loaded = load(_saved(lstm, tmp_path), device="cpu")
    assert next(loaded.net_.module_.parameters()).device.type == "cpu"
    with pytest.raises(ValueError, match="not a torch device"):
        load(tmp_path / "model", device="abacus")


def test_a_tampered_device_is_a_clear_error(lstm, tmp_path):
    path = _saved(lstm, tmp_path)
    document = _document(path)
    document["attributes"]["device"] = "abacus:7"
    _rewrite(path, document=document)
    with pytest.raises(ValueError, match="not a torch device"):
        load(path)


def test_loading_keeps_the_global_random_state(lstm, tmp_path):
    path = _saved(lstm, tmp_path)
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    load(path)
    np.testing.assert_array_equal(torch.rand(3), expected)


def test_a_pipeline_with_scikit_learn_parts_goes_through_skops(data, tmp_path):
    """The user guide's advice: skops for a Pipeline, with our types trusted by name."""
    sio = pytest.importorskip("skops.io")
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from sklearn_seqlstm import SequenceFeaturizer

    X, y = data
    pipe = make_pipeline(SequenceFeaturizer(), LogisticRegression(max_iter=300)).fit(X, y)
    sio.dump(pipe, tmp_path / "pipe.skops")
    untrusted = sio.get_untrusted_types(file=tmp_path / "pipe.skops")
    assert untrusted == ["sklearn_seqlstm.baselines._featurizer.SequenceFeaturizer"]
    loaded = sio.load(tmp_path / "pipe.skops", trusted=untrusted)
    np.testing.assert_array_equal(loaded.predict_proba(X[:20]), pipe.predict_proba(X[:20]))


@settings(max_examples=25, deadline=None)
@given(
    labels=st.one_of(
        st.lists(st.text(min_size=1, max_size=5), min_size=2, max_size=6, unique=True),
        st.lists(st.integers(-(2**40), 2**40), min_size=2, max_size=6, unique=True),
        st.lists(
            st.floats(allow_nan=False, allow_infinity=False), min_size=2, max_size=6, unique=True
        ),
    ),
    order=st.integers(0, 3),
)
def test_markov_round_trips_any_labels_exactly(tmp_path_factory, labels, order):
    X = [labels[: i + 1] for i in range(len(labels))] + [labels[::-1]]
    y = labels + [labels[0]]
    if isinstance(labels[0], float):  # arbitrary floats are events; classes must be discrete
        y = [float(i % 3) for i in range(len(y))]
    clf = MarkovChainClassifier(order=order).fit(X, y)
    path = tmp_path_factory.mktemp("model") / "model"
    clf.save(path)
    loaded = load(path)
    np.testing.assert_array_equal(loaded.classes_, clf.classes_)
    assert loaded.classes_.dtype == clf.classes_.dtype
    assert loaded.contexts_ == clf.contexts_
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
