"""Training from event logs in files (EventLogFiles), chunk by chunk."""

import subprocess
import sys
import textwrap
from collections import Counter

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.utils import check_random_state

from sklearn_seqlstm import (
    MarkovMemorySampler,
    NextEventClassifier,
    NextValueRegressor,
    samples_from_log,
)

pa = pytest.importorskip("pyarrow")

from sklearn_seqlstm import EventLogFiles  # noqa: E402
from sklearn_seqlstm.neural._chains import chains_from_prefixes  # noqa: E402
from sklearn_seqlstm.neural._streaming import (  # noqa: E402
    StreamedChainLoader,
    StreamedChains,
    _ChunkEncoder,
    _Scan,
    held_out,
)

COLUMNS = {"sequence_col": "sequence_id", "order_col": "position", "event_col": "event"}


def event_log(n_sequences=60, lengths=(3, 12), seed=0):
    sampler = MarkovMemorySampler(
        events=list("ABCDEFGH"), transitions={}, memory_influence=0.5, random_state=seed
    )
    log = sampler.sample_frame(n_sequences, lengths)
    return log.sort_values(["sequence_id", "position"], ignore_index=True)


def write_parts(log, folder, n_parts, kind="parquet"):
    """The log in n_parts files, split at row boundaries (not at sequence boundaries)."""
    folder.mkdir(exist_ok=True)
    bounds = np.linspace(0, len(log), n_parts + 1).astype(int)
    for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        part = log.iloc[a:b]
        if kind == "parquet":
            part.to_parquet(folder / f"part-{i:03d}.parquet", index=False)
        else:
            part.to_csv(folder / f"part-{i:03d}.csv", index=False)
    return folder


def same_model(a, b):
    sa, sb = a.net_.module_.state_dict(), b.net_.module_.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def fit_kwargs(**extra):
    return {"max_epochs": 3, "batch_size": 8, "random_state": 0, **extra}


# With end_event, samples_from_log counts a sequence of min_history events as short,
# although it gives the end sample; EventLogFiles warns of those that give none.
@pytest.mark.filterwarnings("ignore:.*min_history=3")
@pytest.mark.parametrize(
    "log_kwargs",
    [{}, {"end_event": "END"}, {"min_history": 0}, {"min_history": 3, "end_event": "END"}],
)
def test_one_chunk_gives_the_model_of_samples_from_log(tmp_path, log_kwargs):
    log = event_log()
    folder = write_parts(log, tmp_path / "log", n_parts=3)
    X, y, _ = samples_from_log(log, **COLUMNS, **log_kwargs)
    in_memory = NextEventClassifier(**fit_kwargs()).fit(X, y)
    files = EventLogFiles(folder, **COLUMNS, **log_kwargs)
    streamed = NextEventClassifier(**fit_kwargs()).fit(files)
    assert streamed.events_ == in_memory.events_
    np.testing.assert_array_equal(streamed.classes_, in_memory.classes_)
    assert streamed.classes_.dtype == in_memory.classes_.dtype
    assert same_model(streamed, in_memory)
    assert streamed.net_.history[:, "train_loss"] == in_memory.net_.history[:, "train_loss"]
    histories = [("A",), ("B", "C", "D"), ("H", "H")]
    np.testing.assert_array_equal(
        streamed.predict_proba(histories), in_memory.predict_proba(histories)
    )
    assert not hasattr(streamed, "n_features_in_")


def test_a_csv_folder_gives_the_model_of_a_parquet_file(tmp_path):
    log = event_log()
    log.to_parquet(tmp_path / "log.parquet", index=False)
    folder = write_parts(log, tmp_path / "csv", n_parts=4, kind="csv")
    a = NextEventClassifier(**fit_kwargs()).fit(EventLogFiles(tmp_path / "log.parquet", **COLUMNS))
    b = NextEventClassifier(**fit_kwargs()).fit(EventLogFiles(folder, **COLUMNS))
    assert same_model(a, b)
    # Parquet and CSV files in one list.
    log.iloc[:100].to_parquet(tmp_path / "head.parquet", index=False)
    log.iloc[100:].to_csv(tmp_path / "tail.csv", index=False)
    mixed = EventLogFiles([tmp_path / "head.parquet", tmp_path / "tail.csv"], **COLUMNS)
    assert same_model(a, NextEventClassifier(**fit_kwargs()).fit(mixed))


@pytest.mark.parametrize("chunk_size", [1, 7, 40, 10_000])
def test_chunks_hold_whole_sequences_within_chunk_size(tmp_path, chunk_size):
    log = event_log(n_sequences=30, lengths=(1, 25))
    folder = write_parts(log, tmp_path / "log", n_parts=5)
    files = EventLogFiles(folder, **COLUMNS, chunk_size=chunk_size)
    keys, rows = [], 0
    for chunk in files._chunks():
        # At most chunk_size rows, unless the chunk is one longer sequence.
        assert chunk.n_rows <= chunk_size or len(chunk.starts) == 1
        keys.extend(chunk.keys.to_pylist())
        rows += chunk.n_rows
    assert keys == sorted(set(log["sequence_id"]))
    assert rows == len(log)


def test_chunks_do_not_depend_on_the_files(tmp_path):
    log = event_log(n_sequences=30, lengths=(1, 25))
    one = EventLogFiles(write_parts(log, tmp_path / "a", 1), **COLUMNS, chunk_size=50)
    many = EventLogFiles(write_parts(log, tmp_path / "b", 7), **COLUMNS, chunk_size=50)
    assert [c.lengths.tolist() for c in one._chunks()] == [
        c.lengths.tolist() for c in many._chunks()
    ]


@pytest.mark.filterwarnings("ignore:.*min_history=1")  # sequences of one event
@pytest.mark.parametrize("end_event", [None, "END"])
def test_chunk_chains_are_the_chains_in_memory(tmp_path, end_event):
    """Chunk by chunk, the chains and entries are those of chains_from_prefixes."""
    log = event_log(n_sequences=40, lengths=(1, 15))
    folder = write_parts(log, tmp_path / "log", n_parts=3)
    files = EventLogFiles(folder, **COLUMNS, end_event=end_event, chunk_size=30)
    scan = _Scan(files, seed=0, fraction=0.1)
    assert len(scan.chains["all"]) > 3  # several chunks
    X, y, _ = samples_from_log(log, **COLUMNS, end_event=end_event)
    clf = NextEventClassifier()  # for its encoding of histories into token ids
    clf._event_ids = {e: 4 + i for i, e in enumerate(scan.events)}
    classes = np.unique(y)
    expected = chains_from_prefixes(
        clf._encode(X.used_sequences()), X.sequence_index, X.lengths, np.searchsorted(classes, y)
    )
    encoder = _ChunkEncoder(scan.events, classes, seed=0, fraction=0.1)
    parts = [encoder.chain_set(chunk, "all") for chunk in files._chunks()]
    np.testing.assert_array_equal(np.concatenate([p.tokens for p in parts]), expected.tokens)
    np.testing.assert_array_equal(
        np.concatenate([p.chain_lengths for p in parts]), expected.chain_lengths
    )
    for name in ("entry_position", "entry_target"):
        np.testing.assert_array_equal(
            np.concatenate([getattr(p, name) for p in parts]), getattr(expected, name)
        )
    # Weights 1 in memory, scaled by scaled_to_unit in fit: 0.5 in both.
    np.testing.assert_array_equal(np.concatenate([p.entry_weight for p in parts]), 0.5)
    np.testing.assert_array_equal(
        np.concatenate([p.n_entries_per_chain for p in parts]), expected.n_entries_per_chain
    )


def test_several_chunks_train_every_chain_once_per_epoch(tmp_path):
    log = event_log(n_sequences=50, lengths=(2, 15))
    folder = write_parts(log, tmp_path / "log", n_parts=2)
    files = EventLogFiles(folder, **COLUMNS, chunk_size=60)
    scan = _Scan(files, seed=0, fraction=0.1)
    assert len(scan.chains["all"]) > 5
    encoder = _ChunkEncoder(scan.events, np.asarray(scan.events), seed=0, fraction=0.1)
    dataset = StreamedChains(files, encoder, "all", scan.chains["all"])
    loader = StreamedChainLoader(
        dataset, batch_size=4, shuffle=True, random_state=np.random.RandomState(0)
    )
    expected = Counter(
        ("START", *sequence[:-1]) for _, sequence in log.groupby("sequence_id")["event"]
    )
    decode = {4 + i: e for i, e in enumerate(scan.events)} | {2: "START"}
    for _ in range(2):  # epochs
        seen, n_batches = Counter(), 0
        for X, _ in loader:
            n_batches += 1
            for tokens, positions in zip(
                X["tokens"].tolist(), X["positions"].tolist(), strict=True
            ):
                length = max(positions) + 1  # the last entry reads the chain's last step
                seen[tuple(decode[t] for t in tokens[:length])] += 1
        assert seen == expected
        assert n_batches == len(loader)


def test_several_chunks_fit_and_differ_from_one_chunk_only_in_the_order(tmp_path):
    log = event_log()
    folder = write_parts(log, tmp_path / "log", n_parts=2)
    one = NextEventClassifier(**fit_kwargs()).fit(EventLogFiles(folder, **COLUMNS))
    several = NextEventClassifier(**fit_kwargs()).fit(
        EventLogFiles(folder, **COLUMNS, chunk_size=50)
    )
    assert several.events_ == one.events_
    np.testing.assert_array_equal(several.classes_, one.classes_)
    assert several.n_epochs_ == 3
    # The batches differ (shuffled within chunks), so the weights do.
    assert not same_model(several, one)


def test_early_stopping_holds_out_sequences_by_a_hash_of_their_key(tmp_path):
    log = event_log(n_sequences=80)
    folder = write_parts(log, tmp_path / "log", n_parts=2)
    params = fit_kwargs(max_epochs=4, early_stopping=True, validation_fraction=0.25)
    streamed = NextEventClassifier(**params).fit(EventLogFiles(folder, **COLUMNS))
    # The same split in memory: the held-out sequences as X_val.
    seed = check_random_state(0).randint(np.iinfo(np.int32).max)
    X, y, groups = samples_from_log(log, **COLUMNS)
    valid = held_out(groups, seed, 0.25)
    assert 0 < valid.mean() < 0.5
    in_memory = NextEventClassifier(**params).fit(
        X[~valid], y[~valid], X_val=X[valid], y_val=y[valid]
    )
    assert streamed.early_stopping_
    assert same_model(streamed, in_memory)
    assert streamed.net_.history[:, "valid_loss"] == in_memory.net_.history[:, "valid_loss"]


def test_held_out_depends_on_the_key_and_seed_only():
    keys = np.arange(2_000)
    a = held_out(keys, 1, 0.2)
    assert a.dtype == bool and abs(a.mean() - 0.2) < 0.03
    np.testing.assert_array_equal(held_out(keys[::-1], 1, 0.2), a[::-1])
    np.testing.assert_array_equal(held_out(pa.array(keys), 1, 0.2), a)
    assert (held_out(keys, 2, 0.2) != a).any()
    # Strings that read as the numbers are the same keys.
    np.testing.assert_array_equal(held_out(keys.astype(str), 1, 0.2), a)


def test_early_stopping_that_holds_out_nothing_is_refused(tmp_path):
    log = event_log(n_sequences=3)
    log.to_parquet(tmp_path / "log.parquet", index=False)
    files = EventLogFiles(tmp_path / "log.parquet", **COLUMNS)
    clf = NextEventClassifier(early_stopping=True, validation_fraction=0.01, random_state=0)
    with pytest.raises(ValueError, match="held out 0"):
        clf.fit(files)
    assert not hasattr(clf, "net_")


def test_a_folder_with_mismatched_schemas_names_the_file(tmp_path):
    log = event_log()
    folder = write_parts(log, tmp_path / "log", n_parts=2)
    odd = pd.read_parquet(folder / "part-001.parquet")
    odd["sequence_id"] = odd["sequence_id"].astype(str)
    odd.to_parquet(folder / "part-001.parquet", index=False)
    files = EventLogFiles(folder, **COLUMNS)
    with pytest.raises(ValueError, match=r"part-001\.parquet.*does not match.*'sequence_id'"):
        NextEventClassifier(max_epochs=1).fit(files)


def test_a_file_without_a_column_is_named(tmp_path):
    log = event_log()
    folder = write_parts(log, tmp_path / "log", n_parts=2)
    log.iloc[:3].drop(columns="event").to_parquet(folder / "part-002.parquet", index=False)
    with pytest.raises(ValueError, match=r"part-002\.parquet.*no column 'event'"):
        NextEventClassifier(max_epochs=1).fit(EventLogFiles(folder, **COLUMNS))


@pytest.mark.parametrize("where", ["within a file", "across files", "order key"])
def test_an_unsorted_log_is_refused_with_how_to_sort_it(tmp_path, where):
    log = event_log()
    if where == "within a file":
        log = log.iloc[np.r_[5:15, 0:5, 15 : len(log)]]
    elif where == "order key":
        log = log.copy()
        log.loc[1, "position"] = 99
    n_parts = 1 if where != "across files" else 2
    folder = write_parts(log, tmp_path / "log", n_parts=n_parts)
    if where == "across files":
        (folder / "part-000.parquet").rename(folder / "part-009.parquet")
    message = "not sorted by 'sequence_id', then 'position'.*duckdb"
    if where == "across files":
        message += "|first row of that file"
    with pytest.raises(ValueError, match=message) as info:
        NextEventClassifier(max_epochs=1).fit(EventLogFiles(folder, **COLUMNS))
    assert "part-00" in str(info.value)


def test_missing_values_are_refused_with_the_row(tmp_path):
    log = event_log().astype({"event": object})
    log.loc[7, "event"] = None
    log.to_parquet(tmp_path / "log.parquet", index=False)
    with pytest.raises(ValueError, match="missing value .* column 'event' at row 7"):
        NextEventClassifier(max_epochs=1).fit(EventLogFiles(tmp_path / "log.parquet", **COLUMNS))


def test_categorical_and_numeric_columns(tmp_path):
    log = event_log()
    log["event"] = log["event"].astype("category")  # stored dictionary-encoded
    log["sequence_id"] = "s" + log["sequence_id"].astype(str).str.zfill(3)
    log.to_parquet(tmp_path / "log.parquet", index=False)
    X, y, _ = samples_from_log(log, **COLUMNS)
    a = NextEventClassifier(**fit_kwargs()).fit(X, y)
    b = NextEventClassifier(**fit_kwargs()).fit(EventLogFiles(tmp_path / "log.parquet", **COLUMNS))
    assert same_model(a, b)
    # Integer events give integer classes.
    codes = log.assign(event=log["event"].cat.codes.astype("int64"))
    codes.to_parquet(tmp_path / "codes.parquet", index=False)
    c = NextEventClassifier(max_epochs=1).fit(EventLogFiles(tmp_path / "codes.parquet", **COLUMNS))
    assert c.classes_.dtype.kind == "i" and c.events_ == list(range(8))


def test_what_fit_refuses_with_files(tmp_path):
    event_log().to_parquet(tmp_path / "log.parquet", index=False)
    files = EventLogFiles(tmp_path / "log.parquet", **COLUMNS)
    with pytest.raises(ValueError, match="y must be None"):
        NextEventClassifier().fit(files, ["A"])
    with pytest.raises(ValueError, match="max_history=3 is not supported"):
        NextEventClassifier(max_history=3).fit(files)
    with pytest.raises(TypeError, match="NextValueRegressor cannot train on an EventLogFiles"):
        NextValueRegressor().fit(files, None)


def test_bad_paths_and_parameters(tmp_path):
    with pytest.raises(ValueError, match="holds no Parquet"):
        EventLogFiles(tmp_path, **COLUMNS)
    with pytest.raises(ValueError, match="is not a file"):
        EventLogFiles(tmp_path / "nothing.parquet", **COLUMNS)
    (tmp_path / "log.json").write_text("{}")
    with pytest.raises(ValueError, match="neither a Parquet file"):
        EventLogFiles([tmp_path / "log.json"], **COLUMNS)
    event_log().to_parquet(tmp_path / "log.parquet", index=False)
    with pytest.raises(ValueError, match="chunk_size must be an integer >= 1"):
        EventLogFiles(tmp_path / "log.parquet", **COLUMNS, chunk_size=0)
    with pytest.raises(ValueError, match="must be different columns"):
        EventLogFiles(tmp_path / "log.parquet", sequence_col="a", order_col="a", event_col="b")
    (tmp_path / "broken.parquet").write_bytes(b"not parquet")
    with pytest.raises(ValueError, match="broken.parquet' could not be read"):
        NextEventClassifier().fit(EventLogFiles(tmp_path / "broken.parquet", **COLUMNS))


def test_without_pyarrow_the_error_names_the_extra(tmp_path, monkeypatch):
    event_log().to_parquet(tmp_path / "log.parquet", index=False)
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(ImportError, match=r"sklearn-seqlstm\[parquet\]"):
        EventLogFiles(tmp_path / "log.parquet", **COLUMNS)


def test_the_package_works_without_pyarrow():
    code = textwrap.dedent(
        """
        import sys


        class NoPyarrow:  # as if pyarrow were not installed
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] == "pyarrow":
                    raise ImportError("No module named 'pyarrow'")


        sys.meta_path.insert(0, NoPyarrow())
        from sklearn_seqlstm import NextEventClassifier, EventLogFiles
        clf = NextEventClassifier(max_epochs=1).fit([["a"], ["b"]], ["b", "a"])
        print(clf.predict([["a"]]).tolist())
        try:
            EventLogFiles("log.parquet", sequence_col="s", order_col="t", event_col="e")
        except ImportError as exc:
            print(exc)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    prediction, message = out.stdout.strip().splitlines()
    assert prediction in ("['a']", "['b']")
    assert "pip install 'sklearn-seqlstm[parquet]'" in message


@pytest.mark.slow
def test_several_chunks_learn_a_deterministic_log(tmp_path):
    """Every next event is the successor of the last one: streamed training learns it."""
    rng = np.random.default_rng(0)
    rows = []
    for s in range(300):
        first = rng.integers(0, 10)
        for t in range(int(rng.integers(4, 12))):
            rows.append((s, t, f"e{(first + t) % 10}"))
    log = pd.DataFrame(rows, columns=["sequence_id", "position", "event"])
    write_parts(log, tmp_path / "log", n_parts=3)
    files = EventLogFiles(tmp_path / "log", **COLUMNS, chunk_size=500)
    assert sum(1 for _ in files._chunks()) >= 4
    clf = NextEventClassifier(max_epochs=15, random_state=0).fit(files)
    histories = [[f"e{i}"] for i in range(10)]
    expected = [f"e{(i + 1) % 10}" for i in range(10)]
    assert clf.predict(histories).tolist() == expected


def test_distributed_training_from_files_is_refused_clearly(tmp_path):
    path = tmp_path / "log.parquet"
    pd.DataFrame(
        {"case": [1, 1, 2, 2], "step": [0, 1, 0, 1], "event": ["a", "b", "b", "a"]}
    ).to_parquet(path)
    files = EventLogFiles(path, sequence_col="case", order_col="step", event_col="event")
    clf = NextEventClassifier(distributed=True, max_epochs=1)
    with pytest.raises(ValueError, match="distributed=True is not supported"):
        clf.fit(files)
    assert not hasattr(clf, "net_")
