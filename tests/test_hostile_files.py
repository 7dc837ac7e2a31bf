"""Hostile model and stream files: load bounds its work, then refuses with a clear error.

Each test takes a model saved by ``save`` and changes it as an attacker or a
damaged disk would: sizes that would cost gigabytes, compressed or oversized zip
members, JSON nested a hundred thousand deep, flipped bits, labels that do not
fit their types, weights and counts that give NaN or negative probabilities, a
``token_class`` that disagrees with the vocabulary. Saving is tested where it
used to lose a model: after ``set_params``, for numeric steps, over a dangling
symbolic link. The Hypothesis tests at the end mutate saved files at random and
allow two outcomes only: a ``ValueError``/``TypeError`` of ours, or a model whose
probabilities are finite and sum to 1.
"""

import copy
import io
import json
import os
import struct
import time
import zipfile

import numpy as np
import pandas as pd
import pytest
import torch
from _fuzz import Refused, assert_valid_proba, counted, outcome
from _model_files import edit_document, read_members, write_members
from hypothesis import given
from hypothesis import strategies as st
from safetensors.numpy import load as load_arrays
from safetensors.numpy import save as save_arrays

from sklearn_seqlstm import (
    AttributedHistories,
    MarkovChainClassifier,
    MarkovMemorySampler,
    NextEventClassifier,
    NextValueRegressor,
    load,
)
from sklearn_seqlstm.serving import _untrusted

FAST = dict(max_epochs=2, hidden_size=16, embedding_dim=8, random_state=0)
PROBE = [[], ["A"], ["A", "B", "C", "never seen"], list("ABCDABCD")]


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


@pytest.fixture(scope="module")
def saved(lstm, tmp_path_factory):
    """The bytes of the saved LSTM, written once for the module."""
    path = tmp_path_factory.mktemp("saved") / "model"
    lstm.save(path)
    return path.read_bytes()


@pytest.fixture(scope="module")
def saved_stream(data, tmp_path_factory):
    model = NextEventClassifier(**FAST, max_history=3).fit(*data)
    path = tmp_path_factory.mktemp("stream") / "session"
    model.stream(["A", "B", "C", "D", "A"]).save(path)
    return model, _Saved(path.read_bytes(), None)


@pytest.fixture
def path(saved, tmp_path):
    path = tmp_path / "model"
    path.write_bytes(saved)
    return path


# Helpers that take a saved file apart and put it together again -----------------------


def _edit_weights(path, edit):
    members = read_members(path)
    arrays = load_arrays(members["weights.safetensors"])
    edit(arrays)
    members["weights.safetensors"] = save_arrays(arrays)
    write_members(path, members)


def _member_offset(path, name):
    """Where the stored bytes of member ``name`` start in the file."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(name)
    raw = path.read_bytes()
    name_length, extra_length = struct.unpack("<HH", raw[info.header_offset + 26 :][:4])
    return info.header_offset + 30 + name_length + extra_length, info.file_size


def _refused(match, call, *args, **kwargs):
    with pytest.raises(ValueError, match=match) as info:
        call(*args, **kwargs)
    return info.value


# 1. Sizes are checked against the weights before any network is built -----------------


@pytest.mark.parametrize(
    "where, field, value",
    [
        ("params", "hidden_size", 10**30),
        ("params", "hidden_size", 6000),
        ("params", "num_layers", 20000),
        ("attributes", "embedding_dim_", 2**25),
    ],
)
def test_absurd_sizes_are_refused_before_building(path, monkeypatch, where, field, value):
    def never(*args, **kwargs):
        raise AssertionError("the network was built from an unchecked size")

    edit_document(path, lambda d: d[where].update({field: value}))
    monkeypatch.setattr(NextEventClassifier, "_build_net", never)
    error = _refused(field, load, path)
    assert str(path) in str(error)


def test_an_inflated_vocabulary_is_refused_before_building(path, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("the network was built from an unchecked size")

    extra = [["str", f"e{i}"] for i in range(10**5)]
    edit_document(path, lambda d: d["attributes"]["events_"].extend(extra))
    monkeypatch.setattr(NextEventClassifier, "_build_net", never)
    _refused("number of events_", load, path)


# 2. Zip members: stored only, sizes and count capped ------------------------------------


@pytest.mark.parametrize("compression", [zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2])
def test_compressed_members_are_never_inflated(path, compression):
    members = read_members(path)
    document = json.loads(members["model.json"])
    document["padding"] = " " * 5_000_000  # a bomb in small: 5 MB that compress to bytes
    members["model.json"] = json.dumps(document).encode()
    write_members(path, members, compression)
    assert path.stat().st_size < 100_000
    _refused("compressed", load, path)


def test_too_many_members_are_refused(path):
    members = read_members(path)
    members.update({f"extra{i}": b"" for i in range(_untrusted.MAX_MEMBERS)})
    write_members(path, members)
    _refused("archive members", load, path)


def test_a_member_twice_is_refused(path):
    members = read_members(path)
    with zipfile.ZipFile(path, "a") as archive, pytest.warns(UserWarning, match="Duplicate"):
        archive.writestr("model.json", members["model.json"])
    _refused("twice", load, path)


def test_a_declared_size_beyond_the_file_is_refused(path):
    # The central directory's "uncompressed size" of model.json, claimed to be 4 GB.
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    raw = bytearray(path.read_bytes())
    directory = raw.find(b"PK\x01\x02")
    for _ in range(names.index("model.json")):
        directory = raw.find(b"PK\x01\x02", directory + 4)
    raw[directory + 24 : directory + 28] = struct.pack("<I", 0xFFFFFFF0)
    path.write_bytes(bytes(raw))
    _refused("declares", load, path)


def test_a_document_beyond_the_cap_is_refused(path, monkeypatch):
    monkeypatch.setattr(_untrusted, "MAX_DOCUMENT_BYTES", 100)
    _refused("more than the 100 bytes", load, path)
    with zipfile.ZipFile(path) as archive:
        archive.extractall(path.parent / "unzipped")
    _refused("more than the 100 bytes", load, path.parent / "unzipped")


# 3. JSON nesting, and values save never writes ------------------------------------------


def test_deeply_nested_json_is_a_value_error(path):
    members = read_members(path)
    members["model.json"] = b"[" * 100_000
    write_members(path, members)
    _refused("nested too deeply", load, path)


def test_nesting_below_the_recursion_limit_is_refused_too(path):
    deep = []
    for _ in range(100):
        deep = [deep]
    edit_document(path, lambda d: d["attributes"].update(history=deep))
    _refused("nested too deeply", load, path)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_in_the_document_are_refused(path, constant):
    members = read_members(path)
    text = members["model.json"].decode()
    members["model.json"] = text.replace('"n_epochs_": 2', f'"n_epochs_": {constant}').encode()
    assert constant in members["model.json"].decode()
    write_members(path, members)
    _refused(constant, load, path)


# 4. Corrupt archives ---------------------------------------------------------------------


def test_a_flipped_bit_is_a_value_error_naming_the_file(path):
    start, size = _member_offset(path, "weights.safetensors")
    raw = bytearray(path.read_bytes())
    raw[start + size // 2] ^= 0x10
    path.write_bytes(bytes(raw))
    error = _refused("corrupt", load, path)
    assert str(path) in str(error)


def test_the_cli_prints_one_error_line_for_a_corrupt_model(path, tmp_path, capsys):
    from sklearn_seqlstm.cli._cli import main

    start, size = _member_offset(path, "model.json")
    raw = bytearray(path.read_bytes())
    raw[start + size // 2] ^= 0x01
    path.write_bytes(bytes(raw))
    log = tmp_path / "events.csv"
    pd.DataFrame({"case": [1, 1], "step": [0, 1], "event": ["A", "B"]}).to_csv(log, index=False)
    argv = ["recommend", str(path), str(log), "--sequence-col", "case", "--order-col", "step"]
    assert main([*argv, "--event-col", "event"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "corrupt" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


# 5, 8. Labels that do not fit their types or dtypes ---------------------------------------


@pytest.mark.parametrize(
    "classes, match",
    [
        ({"dtype": "<i8", "values": [["int", 1e300], ["int", 1]]}, "not a value of type int"),
        ({"dtype": "|u1", "values": [["numpy.uint8", -1], ["int", 1]]}, "numpy.uint8"),
        ({"dtype": "|i1", "values": [["int", 1000], ["int", 1]]}, "do not fit"),
        ({"dtype": "<U1", "values": [["str", "AB"], ["str", "AC"]]}, "do not fit"),
        ({"dtype": "<U2", "values": [["str", "A"], ["str", "A"]]}, "not distinct"),
        ({"dtype": "<f4", "values": [["numpy.float32", 0.1], ["int", 1]]}, "numpy.float32"),
        ({"dtype": "<U99999999999", "values": [["str", "A"]]}, "dtype"),
        ({"dtype": ["<U1"], "values": [["str", "A"]]}, "not a label dtype"),
        ({"dtype": "i4,f8", "values": [["str", "A"]]}, "not a label dtype"),
    ],
)
def test_labels_that_do_not_fit_are_refused(path, classes, match):
    edit_document(path, lambda d: d["attributes"].update(classes_=classes))
    _refused(match, load, path)


def test_infinite_labels_are_refused(path):
    members = read_members(path)
    document = json.loads(members["model.json"])
    document["attributes"]["classes_"]["values"][0] = ["int", float("inf")]
    members["model.json"] = json.dumps(document).encode()  # writes Infinity
    write_members(path, members)
    _refused("Infinity", load, path)


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_non_finite_weights_are_refused(path, value):
    _edit_weights(path, lambda arrays: arrays["output.bias"].__setitem__(0, value))
    _refused("NaN or infinite", load, path)


@pytest.mark.parametrize(
    "names", [["output.weight"], ["repeat_shift.weight"], ["embedding.weight", "lstm.weight_ih_l0"]]
)
def test_finite_weights_whose_sums_overflow_are_refused(path, names):
    """Weights near float32's limit are finite, yet their sums overflow to inf and NaN."""

    def edit(arrays):
        for name in names:
            signs = np.sign(np.random.RandomState(0).randn(*arrays[name].shape))
            arrays[name][...] = (3e38 * signs).astype(np.float32)

    _edit_weights(path, edit)
    _refused("overflow", load, path)


def test_a_target_scale_that_overflows_predictions_is_refused(data, tmp_path):
    reg = NextValueRegressor(**FAST).fit(data[0], [float(len(h)) for h in data[0]])
    reg.save(tmp_path / "model")
    # Outputs up to 1 or more, times a scale and plus a mean each finite: beyond float64.
    _edit_weights(tmp_path / "model", lambda arrays: arrays["output.bias"].__setitem__(0, 1.0))
    assert load(tmp_path / "model").target_scale_ == reg.target_scale_  # still loads
    big = {"target_scale_": 1.7e308, "target_mean_": 1.7e308}
    edit_document(tmp_path / "model", lambda d: d["attributes"].update(big))
    _refused("overflow", load, tmp_path / "model")


def test_negative_markov_counts_are_refused(markov, tmp_path):
    path = tmp_path / "markov"
    markov.save(path)
    _edit_weights(path, lambda arrays: arrays["counts_1.data"].__setitem__(0, -5.0))
    _refused("negative", load, path)


def test_tampered_markov_context_keys_are_refused(markov, tmp_path):
    path = tmp_path / "markov"
    markov.save(path)

    def swap(arrays):
        keys = arrays["context_keys_1"]
        keys[[0, 1]] = keys[[1, 0]]

    _edit_weights(path, swap)
    _refused("context_keys_1", load, path)


def test_duplicate_events_are_refused(path, markov, tmp_path):
    def repeat_first(document):
        events = document["attributes"]["events_"]
        events[1] = events[0]

    edit_document(path, repeat_first)
    _refused("same event twice", load, path)
    markov.save(tmp_path / "markov")
    edit_document(
        tmp_path / "markov",
        lambda d: d["attributes"]["events"].__setitem__(1, d["attributes"]["events"][0]),
    )
    _refused("not distinct", load, tmp_path / "markov")


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda d: d["attributes"]["steps"].update(time_std=[0.0, 1.0]), "time_std"),
        (lambda d: d["attributes"]["steps"].update(time_mean=[1e400, 1.0]), "Infinity"),
        (lambda d: d["attributes"].update(history=[1, 2]), "history"),
        (lambda d: d["params"].update(callbacks=["int", 1]), "callbacks"),
        (lambda d: d["attributes"]["steps"]["event_attributes"].__setitem__(1, ["int", 1]),
         "input_columns"),
        (lambda d: d["attributes"]["steps"].update(attributes=False), "attributes=False"),
        (lambda d: d["attributes"]["input_columns"].pop(0), "time"),
        (lambda d: d["attributes"]["input_columns"].append("A"), "not columns of histories"),
        (lambda d: d["attributes"]["input_columns"].reverse(), "not columns of histories"),
    ],
)  # fmt: skip
def test_values_no_fitted_model_holds_are_refused(fuzzed_models, tmp_path, edit, match):
    path = tmp_path / "model"
    path.write_bytes(fuzzed_models["attributed"][0])
    edit_document(path, edit)
    _refused(match, load, path)


# 6. token_class ---------------------------------------------------------------------------


@pytest.mark.parametrize("tamper", ["out of range", "in range"])
def test_a_tampered_token_class_is_refused(lstm, path, tamper):
    token_class = lstm.net_.module_.token_class.numpy()
    classes = np.flatnonzero(token_class >= 0)
    assert len(classes) >= 2  # the fixture copies from the history

    def edit(arrays):
        if tamper == "out of range":
            arrays["token_class"][classes[0]] = 99
        else:  # a valid class index, but not the event's own
            first, second = classes[:2]
            arrays["token_class"][[first, second]] = token_class[[second, first]]

    _edit_weights(path, edit)
    _refused("token_class", load, path)


# 7. Devices -------------------------------------------------------------------------------


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks a machine without CUDA")
def test_cuda_without_cuda_is_refused_at_load(path):
    _refused("CUDA", load, path, device="cuda")


@pytest.mark.parametrize("device", ["meta", "abacus"])
def test_devices_that_cannot_run_are_refused_at_load(path, markov, tmp_path, device):
    _refused(device, load, path, device=device)
    markov.save(tmp_path / "markov")
    _refused(device, load, tmp_path / "markov", device=device)


# 9. Stream files --------------------------------------------------------------------------


def _edit_stream(path, edit):
    from safetensors import safe_open
    from safetensors.numpy import save_file

    with safe_open(str(path), framework="numpy") as file:
        metadata = file.metadata()
        arrays = {key: file.get_tensor(key) for key in file.keys()}  # noqa: SIM118
    edit(arrays, metadata)
    save_file(arrays, str(path), metadata=metadata)


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda a, m: a["h"].__setitem__((0, 0), np.nan), "'h' holds NaN"),
        (lambda a, m: a["c"].__setitem__((0, 0), np.inf), "'c' holds NaN"),
        (lambda a, m: a["h"].__setitem__((0, 0), 5.0), "outside"),
        (lambda a, m: a.update(window=a["window"].astype(np.float64) + 0.5), "dtype"),
        (lambda a, m: a["window"].__setitem__(0, 10**6), "outside the vocabulary"),
        (lambda a, m: a.update(window=a["window"][:-1]), "holds 2 events"),
        (lambda a, m: a["counts"].__setitem__(0, a["counts"][0] + 1), "n_copyable"),
        (lambda a, m: a["counts"].__setitem__(0, -1.0), "whole numbers"),
        (lambda a, m: a["seen"].__setitem__(0, 7), "0 or 1"),
        (lambda a, m: m.update(n_events="-3"), "n_events"),
        (lambda a, m: m.update(n_events="1e9"), "n_events"),
        (lambda a, m: a.pop("counts"), "lacks"),
    ],
)
def test_a_tampered_stream_state_is_refused(saved_stream, tmp_path, edit, match):
    model, (raw, _) = saved_stream
    (tmp_path / "session").write_bytes(raw)
    assert model.load_stream(tmp_path / "session").n_events == 5
    _edit_stream(tmp_path / "session", edit)
    _refused(match, model.load_stream, tmp_path / "session")


# 10. The estimator's name ------------------------------------------------------------------


@pytest.mark.parametrize("kind", [["NextEventClassifier"], {"a": 1}, None, 3])
def test_an_estimator_name_that_is_no_name_is_refused(path, kind):
    edit_document(path, lambda d: d.update(estimator=kind))
    _refused("unknown estimator", load, path)


# 11. Saving after set_params --------------------------------------------------------------


@pytest.mark.parametrize(
    "changed, fitted",
    [
        (dict(hidden_size=8), dict(hidden_size=16)),
        (dict(num_layers=3), dict(num_layers=1)),
        (dict(copy_from_history=False), dict(copy_from_history=True)),
    ],
)
def test_save_after_set_params_saves_what_was_fitted(data, tmp_path, changed, fitted):
    clf = NextEventClassifier(**FAST).fit(*data)
    expected = clf.predict_proba(data[0][:30] + PROBE)
    clf.set_params(**changed)
    with pytest.warns(UserWarning, match="set_params has changed"):
        clf.save(tmp_path / "model")
    loaded = load(tmp_path / "model")
    assert loaded.get_params() == {**clf.get_params(), **fitted}
    np.testing.assert_array_equal(loaded.predict_proba(data[0][:30] + PROBE), expected)


def test_turning_the_copy_on_after_fit_saves_the_plain_model(data, tmp_path):
    clf = NextEventClassifier(**FAST, copy_from_history=False).fit(*data)
    expected = clf.predict_proba(PROBE)
    clf.set_params(copy_from_history=True)
    with pytest.warns(UserWarning, match="copy_from_history=False"):
        clf.save(tmp_path / "model")
    loaded = load(tmp_path / "model")
    assert loaded.copy_from_history is False
    np.testing.assert_array_equal(loaded.predict_proba(PROBE), expected)


def test_save_without_set_params_warns_nothing(lstm, tmp_path, recwarn):
    lstm.save(tmp_path / "model")
    assert not [w for w in recwarn if "set_params" in str(w.message)]


# 12. Numeric steps --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def numeric_steps():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 5, 3))
    return X, np.where(X[:, -1, 0] > 0, "up", "down"), X[:, -1, 1]


def test_a_model_of_numeric_steps_saves_and_loads(numeric_steps, tmp_path):
    X, y, values = numeric_steps
    clf = NextEventClassifier(**FAST).fit(X, y)
    clf.save(tmp_path / "clf")
    loaded = load(tmp_path / "clf")
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    assert loaded.events_ == clf.events_
    reg = NextValueRegressor(**FAST).fit(X, values)
    reg.save(tmp_path / "reg")
    np.testing.assert_array_equal(load(tmp_path / "reg").predict(X), reg.predict(X))


def test_a_model_of_numeric_steps_exports_to_onnx(numeric_steps, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    X, y, _ = numeric_steps
    clf = NextEventClassifier(**FAST).fit(X, y)
    clf.to_onnx(tmp_path / "model.onnx")
    inputs = clf.encode_for_onnx(X)
    if not isinstance(inputs, dict):
        inputs = dict(zip(["tokens", "lengths"], inputs, strict=False))
    session = ort.InferenceSession(str(tmp_path / "model.onnx"))
    names = [i.name for i in session.get_inputs()]
    proba = session.run(["proba"], {name: inputs[name] for name in names})[0]
    np.testing.assert_allclose(proba, clf.predict_proba(X), atol=1e-5)


def test_infinite_events_round_trip(tmp_path):
    """Infinite floats are valid events; JSON has no infinity, so they are saved as text."""
    X = [[float("inf"), 1.0], [2.0], [np.float32("-inf")], [float("inf")]]
    y = ["a", "b", "a", "b"]
    for estimator in (MarkovChainClassifier(), NextEventClassifier(**FAST)):
        estimator.fit(X, y)
        estimator.save(tmp_path / "model", overwrite=True)
        loaded = load(tmp_path / "model")
        events = loaded.events_ if hasattr(loaded, "events_") else list(loaded._event_codes)
        expected = (
            estimator.events_ if hasattr(estimator, "events_") else list(estimator._event_codes)
        )
        assert [(type(e), e) for e in events] == [(type(e), e) for e in expected]
        np.testing.assert_array_equal(loaded.predict_proba(X), estimator.predict_proba(X))


# 13. Symbolic links -------------------------------------------------------------------------


def test_save_refuses_a_dangling_symlink(markov, tmp_path):
    link = tmp_path / "model"
    link.symlink_to(tmp_path / "nowhere")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        markov.save(link)
    assert link.is_symlink() and os.readlink(link) == str(tmp_path / "nowhere")
    markov.save(link, overwrite=True)  # asked: the link itself is replaced
    assert not link.is_symlink() and load(link).order == markov.order


# 14. A stream whose model is refit ------------------------------------------------------------


def test_a_stream_refuses_to_go_on_after_its_model_is_refit(data):
    X, y = data
    clf = NextEventClassifier(**FAST).fit(X, y)
    stream = clf.stream(["A", "B"])
    before = stream.predict_proba()
    copy = stream.copy()
    clf.fit([["x"], ["y"], ["x", "y"]], ["y", "x", "z"])
    for call in (
        lambda: stream.push("A"),
        stream.predict_proba,
        stream.predict,
        lambda: copy.recommend(2),
    ):
        _refused("refit", call)
    assert stream.n_events == 2  # nothing changed
    np.testing.assert_array_equal(clf.stream(["x"]).predict_proba().shape, (3,))
    assert before.shape == (len(np.unique(y)),)


def test_a_failed_refit_keeps_the_stream_going(data):
    X, y = data
    clf = NextEventClassifier(**FAST).fit(X, y)
    stream = clf.stream(["A"])
    with pytest.raises(ValueError):
        clf.fit(X, y[:3])  # inconsistent lengths: refused, the old model kept
    stream.push("B")
    np.testing.assert_allclose(
        stream.predict_proba(), clf.predict_proba([["A", "B"]])[0], atol=1e-6
    )


# 24. Datetimes out of range in a stream ---------------------------------------------------------


@pytest.fixture(scope="module")
def timed():
    frame = pd.DataFrame(
        {
            "events": [["login", "search"], ["login"], ["login", "cart"]],
            "time": [
                pd.to_datetime(["2024-05-01 09:00", "2024-05-01 09:05"]),
                pd.to_datetime(["2024-05-02 18:30"]),
                pd.to_datetime(["2024-05-03 10:00", "2024-05-03 10:01"]),
            ],
        }
    )
    X = AttributedHistories.from_frame(frame)
    return NextEventClassifier(max_epochs=1, random_state=0).fit(X, ["cart", "search", "buy"])


@pytest.mark.parametrize(
    "when",
    [np.datetime64("9999-12-31", "s"), np.datetime64("1500-01-01", "D"), "9999-12-31"],
)
def test_a_stream_time_out_of_range_says_so(timed, when):
    stream = timed.stream()
    _refused("out of the supported datetime range", stream.push, "login", time=when)
    assert stream.n_events == 0


# Fuzzing: mutated files -------------------------------------------------------------------------


def _paths(value, prefix=()):
    """Every path of keys and indices into a JSON document."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value[:4]):
            yield from _paths(item, (*prefix, i))


hostile_values = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from([0, -1, 1, 2, 10**30, 2**31, 2**63, -(2**63), 2**25, 20000]),
    st.integers(),
    st.floats(),  # NaN and infinities included: written as NaN / Infinity
    st.text(max_size=4),
    st.lists(st.integers(-3, 3), max_size=3),
    st.sampled_from([["int", 1], ["str", "A"], ["numpy.uint8", 300], ["builtins.eval", "1"]]),
    st.dictionaries(st.sampled_from(["dtype", "values", "kind"]), st.integers(), max_size=2),
)


def _rewrite_field(document, where, value):
    """Set the field at path ``where``; nothing when an earlier rewrite removed the path."""
    target = document
    for key in where[:-1]:
        try:
            target = target[key]
        except (KeyError, IndexError, TypeError):
            return
    if where and isinstance(target, (dict, list)):
        try:
            target[where[-1]] = value
        except (IndexError, TypeError):
            pass


def _check_loaded(path, probe):
    started = time.perf_counter()
    result = outcome(load, path)
    elapsed = time.perf_counter() - started
    # Generous enough for a shared machine, far below the minutes a tampered size cost.
    assert elapsed < 30, f"load took {elapsed:.1f} s"
    if isinstance(result, Refused):
        return
    module = getattr(getattr(result, "net_", None), "module_", None)
    if module is not None:  # the network is no larger than the file that holds it
        n_bytes = sum(t.numel() * t.element_size() for t in module.state_dict().values())
        assert n_bytes <= path.stat().st_size
    if isinstance(result, NextValueRegressor):
        assert np.isfinite(result.predict(probe)).all()
        return
    proba = result.predict_proba(probe)
    assert_valid_proba(proba, len(probe), len(result.classes_))


def _attributed_frame(n):
    rng = np.random.RandomState(0)
    lengths = rng.randint(1, 5, size=n)
    return pd.DataFrame(
        {
            "events": [list(rng.choice(list("ABC"), size=k)) for k in lengths],
            "time": [
                pd.to_datetime(np.sort(rng.randint(0, 10**6, size=k)), unit="s") for k in lengths
            ],
            "device": [list(rng.choice(["phone", "laptop"], size=k)) for k in lengths],
            "amount": [rng.normal(size=k) for k in lengths],
            "segment": rng.choice(["gold", "silver"], size=n),
        }
    )


@pytest.fixture(scope="module")
def fuzzed_models(saved, data, markov, tmp_path_factory):
    """The saved files the fuzz tests mutate, by kind, with histories to predict on."""
    folder = tmp_path_factory.mktemp("fuzzed")
    markov.save(folder / "markov")
    X = AttributedHistories.from_frame(_attributed_frame(30))
    y = np.array(list("ABC") * 10)
    NextEventClassifier(**FAST).fit(X, y).save(folder / "attributed")
    probe = AttributedHistories.from_frame(_attributed_frame(4))
    regressor = NextValueRegressor(**FAST).fit(data[0], [float(len(h)) for h in data[0]])
    regressor.save(folder / "regressor")
    # The read-out over quantile bins, whose tables predictions are read off.
    binned = NextValueRegressor(loss="absolute_error", target_bins=8, **FAST)
    binned.fit(data[0], [float(len(h) % 5) for h in data[0]]).save(folder / "binned")
    return {
        "regressor": _Saved((folder / "regressor").read_bytes(), PROBE),
        "binned": _Saved((folder / "binned").read_bytes(), PROBE),
        "lstm": _Saved(saved, PROBE),
        "markov": _Saved((folder / "markov").read_bytes(), PROBE),
        "attributed": _Saved((folder / "attributed").read_bytes(), probe),
    }


class _Saved(tuple):
    """(file bytes, histories to predict on), shown short in Hypothesis' reports."""

    def __new__(cls, raw, probe):
        return super().__new__(cls, (raw, probe))

    def __repr__(self):
        return f"<saved model, {len(self[0])} bytes>"


KINDS = st.sampled_from(["lstm", "markov", "attributed", "regressor", "binned"])


# Values written into an array: for integer arrays, then for float arrays.
_VALUES = (
    [-1, 0, 2, 7, 99, 2**40],
    [np.nan, np.inf, -np.inf, -1.0, 0.0, 2.0, 7.0, 1e30, 3e38, -3e38],
)

MUTATIONS = st.one_of(
    st.tuples(
        st.just("flip"),
        st.lists(st.tuples(st.floats(0, 1), st.integers(1, 255)), min_size=1, max_size=6),
    ),
    st.tuples(st.just("truncate"), st.floats(0, 1)),
    st.tuples(
        st.just("compress"),
        st.sampled_from([zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA]),
    ),
    st.tuples(st.just("append"), st.binary(max_size=64)),
    # A member's declared sizes in the central directory: (member, field, value).
    st.tuples(
        st.just("declare"),
        st.tuples(st.integers(0, 1), st.sampled_from([20, 24]), st.integers(0, 2**32 - 1)),
    ),
)
# Fields that size what load builds or allocates, and sizes to claim for them.
SIZE_FIELDS = [
    ("params", "hidden_size"),
    ("params", "num_layers"),
    ("params", "max_history"),
    ("params", "max_epochs"),
    ("params", "order"),
    ("attributes", "embedding_dim_"),
    ("attributes", "batch_size_"),
    ("attributes", "n_features_in_"),
    ("attributes", "n_epochs_"),
]
SIZES = st.sampled_from([0, 1, 2, 3, 17, 6000, 20000, 2**25, 2**31, 2**63, 10**30, -1])


def _declare(raw, member, field, value):
    """Rewrite a size field of the central directory entry of member number ``member``."""
    at = raw.find(b"PK\x01\x02")
    for _ in range(member):
        at = raw.find(b"PK\x01\x02", at + 4)
    if at >= 0:
        raw[at + field : at + field + 4] = struct.pack("<I", value)


@given(kind=KINDS, mutation=MUTATIONS)
@counted
def test_fuzz_load_of_mutated_bytes(fuzzed_models, tmp_path_factory, kind, mutation):
    saved, probe = fuzzed_models[kind]
    path = tmp_path_factory.mktemp("fuzz") / "model"
    change, how = mutation
    raw = bytearray(saved)
    if change == "flip":
        for where, mask in how:
            raw[min(int(where * len(raw)), len(raw) - 1)] ^= mask
    elif change == "truncate":
        raw = raw[: int(how * len(raw))]
    elif change == "append":
        raw += how
    elif change == "declare":
        _declare(raw, *how)
    path.write_bytes(bytes(raw))
    if change == "compress":
        write_members(path, read_members(io.BytesIO(saved)), how)
    _check_loaded(path, probe)


@given(kind=KINDS, data=st.data())
@counted
def test_fuzz_load_of_hostile_documents(fuzzed_models, tmp_path_factory, kind, data):
    saved, probe = fuzzed_models[kind]
    path = tmp_path_factory.mktemp("fuzz") / "model"
    members = read_members(io.BytesIO(saved))
    document = json.loads(members["model.json"])
    paths = sorted(_paths(document), key=str)  # those of the saved document, drawn at once
    for where in data.draw(st.lists(st.sampled_from(paths), max_size=3)):
        # A copy: sampled_from hands out the same list each time, which a later
        # rewrite could change in place.
        _rewrite_field(document, where, copy.deepcopy(data.draw(hostile_values)))
    for (section, field), size in data.draw(
        st.lists(st.tuples(st.sampled_from(SIZE_FIELDS), SIZES), max_size=2)
    ):
        # The fields of this kind of model only, in a section not rewritten above.
        if isinstance(document.get(section), dict) and field in document[section]:
            document[section][field] = size
    members["model.json"] = json.dumps(document).encode()
    write_members(path, members)
    _check_loaded(path, probe)


@given(kind=KINDS, data=st.data())
@counted
def test_fuzz_load_of_hostile_weights(fuzzed_models, tmp_path_factory, kind, data):
    saved, probe = fuzzed_models[kind]
    path = tmp_path_factory.mktemp("fuzz") / "model"
    members = read_members(io.BytesIO(saved))
    arrays = load_arrays(members["weights.safetensors"])
    name = data.draw(st.sampled_from(sorted(arrays)))
    array = arrays[name]
    change = data.draw(st.sampled_from(["value", "fill", "shape", "dtype", "drop"]))
    if change in ("value", "fill"):
        flat = array.reshape(-1)
        value = data.draw(st.sampled_from(_VALUES[array.dtype.kind == "f"]))
        where = data.draw(st.integers(0, flat.size - 1)) if change == "value" else slice(None)
        flat[where] = np.asarray(value).astype(flat.dtype)
    elif change == "shape":
        arrays[name] = np.zeros(data.draw(st.lists(st.integers(0, 5), max_size=3)), array.dtype)
    elif change == "dtype":
        arrays[name] = array.astype(data.draw(st.sampled_from([np.float64, np.int32, np.uint8])))
    else:
        del arrays[name]
    members["weights.safetensors"] = save_arrays(arrays)
    write_members(path, members)
    _check_loaded(path, probe)


@pytest.fixture(scope="module")
def saved_attributed_stream(tmp_path_factory):
    """A stream of a model fitted with times and attributes, past its window."""
    X = AttributedHistories.from_frame(_attributed_frame(30))
    model = NextEventClassifier(**FAST, max_history=2).fit(X, np.array(list("ABC") * 10))
    stream = model.stream(context={"segment": "gold"})
    for i, event in enumerate("ABCA"):
        stream.push(event, time=pd.Timestamp("2024-01-01") + pd.Timedelta(hours=i),
                    attributes={"device": "phone", "amount": float(i)})  # fmt: skip
    path = tmp_path_factory.mktemp("stream") / "session"
    stream.save(path)
    return model, _Saved(path.read_bytes(), None)


@given(attributed=st.booleans(), data=st.data())
@counted
def test_fuzz_load_stream_of_hostile_states(
    saved_stream, saved_attributed_stream, tmp_path_factory, attributed, data
):
    model, (raw, _) = saved_attributed_stream if attributed else saved_stream
    path = tmp_path_factory.mktemp("fuzz") / "session"
    path.write_bytes(raw)

    def edit(arrays, metadata):
        name = data.draw(st.sampled_from(sorted(arrays)))
        change = data.draw(st.sampled_from(["value", "shape", "dtype", "n_events"]))
        if change == "value" and arrays[name].size:
            flat = arrays[name].reshape(-1)
            values = _VALUES[flat.dtype.kind == "f"]
            value = np.asarray(data.draw(st.sampled_from(values))).astype(flat.dtype)
            flat[data.draw(st.integers(0, flat.size - 1))] = value
        elif change == "shape":
            arrays[name] = np.zeros(data.draw(st.lists(st.integers(0, 4), max_size=3)))
        elif change == "dtype":
            arrays[name] = arrays[name].astype(data.draw(st.sampled_from([np.float32, np.int8])))
        else:
            metadata["n_events"] = data.draw(st.sampled_from(["0", "2", "99", "", "x", "-1"]))

    _edit_stream(path, edit)
    stream = outcome(model.load_stream, path)
    if isinstance(stream, Refused):
        return
    for i, event in enumerate(["A", "never seen", "B"]):
        if attributed:  # a time before a tampered (but valid) previous one is refused
            when = pd.Timestamp("2024-02-01") + pd.Timedelta(hours=i)
            pushed = outcome(
                stream.push, event, time=when, attributes={"device": "laptop", "amount": 1.0}
            )
            if isinstance(pushed, Refused):
                assert "before the previous event's time" in str(pushed.error)
        else:
            stream.push(event)
        proba = stream.predict_proba()
        assert_valid_proba(proba[None, :], 1, len(model.classes_))
