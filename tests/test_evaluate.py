"""``seqlstm evaluate``, run in-process through add_evaluate_arguments and run_evaluate."""

import argparse
import importlib.util
import sys

import pandas as pd
import pytest

from sklearn_seqlstm import MarkovMemorySampler
from sklearn_seqlstm._evaluate import (
    MODELS,
    _lstm_settings,
    add_evaluate_arguments,
    read_event_log,
    run_evaluate,
)

COLUMNS = ["--sequence-col", "user", "--order-col", "timestamp", "--event-col", "page"]
# A tiny, fast LSTM: the command's plumbing is under test here, not the model.
TINY_LSTM = ["--max-epochs", "2", "--hidden-size", "8", "--embedding-dim", "4", "--device", "cpu"]
BASELINES = ["markov1", "popularity"]


def parse(*argv):
    parser = add_evaluate_arguments(argparse.ArgumentParser(prog="seqlstm evaluate"))
    return parser.parse_args([str(a) for a in argv])


def event_log(n_sequences=40, seed=0):
    """A shuffled synthetic log with a Unix timestamp and string keys, as users have."""
    frame = MarkovMemorySampler(memory_influence=0.4, random_state=seed).sample_frame(
        n_sequences, (4, 12)
    )
    frame = frame.assign(
        user="u" + frame["sequence_id"].astype(str),
        timestamp=1_700_000_000 + 60 * frame["position"],
    ).rename(columns={"event": "page"})
    return frame[["user", "timestamp", "page"]].sample(frac=1, random_state=seed)


@pytest.fixture
def csv_log(tmp_path):
    path = tmp_path / "events.csv"
    event_log().to_csv(path, index=False)
    return path


def run(*argv):
    return run_evaluate(parse(*argv))


def test_the_parser_dispatches_to_run_evaluate():
    assert parse("events.csv", *COLUMNS).run is run_evaluate


@pytest.mark.slow  # every model, and the first torch and matplotlib imports: a few seconds
def test_evaluate_leave_last_out_end_to_end(csv_log, tmp_path, capsys):
    output = tmp_path / "out"
    status = run(csv_log, *COLUMNS, *TINY_LSTM, "--output", output, "--no-progress")
    assert status == 0
    printed = capsys.readouterr().out
    assert "40 sequences" in printed and "leave-last-out" in printed
    assert "LSTM against the best baseline" in printed
    for name, _ in MODELS.values():
        assert name in printed

    results = pd.read_csv(output / "results.csv")
    assert set(results["split"]) == {"valid", "test"}
    assert len(results) == 2 * len(MODELS)
    assert (results["n_test"] == 40).all()
    for column in ["top_1", "top_5", "top_10", "mrr_10"]:
        assert results[column].between(0, 1).all()
    assert (results["top_1"] <= results["top_5"]).all()
    assert (results["top_5"] <= results["top_10"]).all()
    assert (results["mrr_10"] >= results["top_1"]).all()
    # One fit serves both the validation and the test samples.
    by_model = results.groupby("model")["fit_seconds"].nunique()
    assert (by_model == 1).all()

    curves = pd.read_csv(output / "k_retrieval.csv")
    assert set(curves["model"]) == set(results["model"])
    assert curves["k"].max() == 8  # the sampler's 8 events
    assert (output / "k_retrieval.png").stat().st_size > 0


def test_evaluate_group_k_fold(csv_log, tmp_path, capsys):
    output = tmp_path / "out"
    argv = [csv_log, *COLUMNS, *TINY_LSTM, "--protocol", "groupkfold", "--n-splits", "3"]
    status = run(*argv, "--models", "lstm", *BASELINES, "--output", output, "--no-progress")
    assert status == 0
    assert "mean over the folds" in capsys.readouterr().out
    results = pd.read_csv(output / "results.csv")
    assert sorted(set(results["split"])) == ["fold 0", "fold 1", "fold 2"]
    assert len(results) == 3 * 3
    # Every sample is in exactly one test fold.
    n_samples = len(pd.read_csv(csv_log)) - 40
    assert results.groupby("model")["n_test"].sum().eq(n_samples).all()


def test_evaluate_with_progress_bar_and_without_tqdm(csv_log, tmp_path, monkeypatch, capsys):
    argv = [csv_log, *COLUMNS, "--models", *BASELINES]
    assert run(*argv, "--output", tmp_path / "bar") == 0
    assert "fitting" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # import fails
    assert run(*argv, "--output", tmp_path / "plain") == 0
    assert (tmp_path / "plain" / "results.csv").exists()


def test_evaluate_without_matplotlib_skips_the_chart(csv_log, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    output = tmp_path / "out"
    assert run(csv_log, *COLUMNS, "--models", *BASELINES, "-o", output, "--no-progress") == 0
    assert "Chart skipped: it needs matplotlib" in capsys.readouterr().out
    assert not (output / "k_retrieval.png").exists()
    assert (output / "k_retrieval.csv").exists()


def test_short_sequences_are_skipped_with_a_count(tmp_path, capsys):
    log = pd.concat(
        [
            event_log(),
            pd.DataFrame({"user": ["x", "y", "y"], "timestamp": [1, 1, 2], "page": ["A"] * 3}),
        ]
    )
    path = tmp_path / "events.csv"
    log.to_csv(path, index=False)
    assert run(path, *COLUMNS, "--models", *BASELINES, "-o", tmp_path, "--no-progress") == 0
    assert "Skipped 2 of 42 sequences: fewer than 3 events" in capsys.readouterr().out


def test_lstm_settings_reach_the_classifier():
    args = parse("log.csv", *COLUMNS, "--max-epochs", "3", "--lr", "0.1", "--early-stopping", "off")
    assert _lstm_settings(args) == {"max_epochs": 3, "lr": 0.1, "early_stopping": False}
    args = parse("log.csv", *COLUMNS, "--no-copy-from-history", "--verbose", "--dropout", "0")
    assert _lstm_settings(args) == {"dropout": 0.0, "copy_from_history": False, "verbose": 1}
    assert _lstm_settings(parse("log.csv", *COLUMNS)) == {}


@pytest.mark.parametrize(
    "argv", [["--n-splits", "1"], ["--min-history", "-1"], ["--models", "gru"]], ids=str
)
def test_bad_arguments_are_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as info:
        parse("log.csv", *COLUMNS, *argv)
    assert info.value.code == 2


# Bad input: one message naming the row or column, exit status 1 --------------------


def evaluate_error(path, *argv, capsys):
    status = run(path, *argv, "--models", *BASELINES, "--no-progress")
    captured = capsys.readouterr()
    assert status == 1
    assert "Traceback" not in captured.err
    assert captured.err.startswith("seqlstm evaluate: error: ")
    return captured.err


def test_missing_columns_are_named_with_the_available_ones(csv_log, tmp_path, capsys):
    argv = ["--sequence-col", "session", "--order-col", "timestamp", "--event-col", "event"]
    message = evaluate_error(csv_log, *argv, "-o", tmp_path, capsys=capsys)
    assert "sequence_col='session'" in message and "event_col='event'" in message
    assert "Available columns: 'user', 'timestamp', 'page'" in message


@pytest.mark.parametrize("column", ["user", "timestamp", "page"])
def test_missing_value_names_the_line_and_column(column, tmp_path, capsys):
    log = event_log().reset_index(drop=True).astype(object)
    log.loc[5, column] = None
    path = tmp_path / "events.csv"
    log.to_csv(path, index=False)
    message = evaluate_error(path, *COLUMNS, "-o", tmp_path, capsys=capsys)
    # Row 5 of the data is line 7 of the file, after the header.
    assert f"missing value (None or NaN) in column '{column}' at line 7" in message


def test_order_column_that_cannot_be_ordered(tmp_path, capsys):
    log = event_log().reset_index(drop=True).astype({"timestamp": object})
    log.loc[3, "timestamp"] = "yesterday"
    path = tmp_path / "events.csv"
    log.to_csv(path, index=False)
    message = evaluate_error(path, *COLUMNS, "-o", tmp_path, capsys=capsys)
    assert "order column 'timestamp' cannot be ordered" in message
    assert "'yesterday' at line 5" in message


def test_order_column_mixing_numbers_and_timestamps(tmp_path, capsys):
    log = event_log().reset_index(drop=True).astype({"timestamp": object})
    log.loc[4, "timestamp"] = "2024-05-01T12:30:00"
    path = tmp_path / "events.csv"
    log.to_csv(path, index=False)
    message = evaluate_error(path, *COLUMNS, "-o", tmp_path, capsys=capsys)
    assert (
        "both numbers (" in message
        and "and timestamps ('2024-05-01T12:30:00' at line 6)" in message
    )


def test_iso_timestamps_and_tsv_are_read(tmp_path, capsys):
    log = event_log()
    timestamps = pd.to_datetime(log["timestamp"], unit="s").dt.strftime("%Y-%m-%dT%H:%M:%S")
    log["timestamp"] = timestamps.where(log["user"] != "u1", timestamps + "+02:00")
    path = tmp_path / "events.tsv.gz"
    log.to_csv(path, sep="\t", index=False)
    assert run(path, *COLUMNS, "--models", *BASELINES, "-o", tmp_path, "--no-progress") == 0
    frame = read_event_log(path)
    assert frame.shape == log.shape and frame.index.name == "line"


@pytest.mark.parametrize("name", ["events.xlsx", "events", "events.json.gz"])
def test_unsupported_file_types(name, tmp_path, capsys):
    path = tmp_path / name
    path.write_text("user,timestamp,page\n")
    message = evaluate_error(path, *COLUMNS, "-o", tmp_path, capsys=capsys)
    assert "must be a CSV file" in message and "or a Parquet file" in message


def test_missing_file(tmp_path, capsys):
    message = evaluate_error(tmp_path / "nope.csv", *COLUMNS, "-o", tmp_path, capsys=capsys)
    assert "nope.csv: no such file" in message


def test_csv_that_fails_to_parse(tmp_path, capsys):
    path = tmp_path / "events.csv"
    path.write_text('user,timestamp,page\nu1,1,A\nu1,2,B,extra,fields\nu1,3,"unclosed\n')
    message = evaluate_error(path, *COLUMNS, "-o", tmp_path, capsys=capsys)
    assert "could not be parsed as CSV" in message


def test_empty_csv(tmp_path, capsys):
    path = tmp_path / "events.csv"
    path.write_text("")
    message = evaluate_error(path, *COLUMNS, "-o", tmp_path, capsys=capsys)
    assert "could not be parsed as CSV" in message


def test_nothing_left_is_an_error(tmp_path, capsys):
    path = tmp_path / "events.csv"
    pd.DataFrame({"user": [1, 2], "timestamp": [1, 1], "page": ["A", "B"]}).to_csv(path)
    message = evaluate_error(path, *COLUMNS, "-o", tmp_path, capsys=capsys)
    assert "No sequence is long enough for a leave-last-out split" in message
    message = evaluate_error(
        path, *COLUMNS, "--protocol", "groupkfold", "-o", tmp_path, capsys=capsys
    )
    assert "No sample" in message


def test_too_few_sequences_for_the_folds(csv_log, tmp_path, capsys):
    argv = [*COLUMNS, "--protocol", "groupkfold", "--n-splits", "50", "-o", tmp_path]
    message = evaluate_error(csv_log, *argv, capsys=capsys)
    assert "--n-splits 50 needs at least 50 sequences" in message


def test_parquet_without_pyarrow_is_a_clear_error(tmp_path, monkeypatch, capsys):
    path = tmp_path / "events.parquet"
    path.write_bytes(b"PAR1")
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name in {"pyarrow", "fastparquet"} else real_find_spec(name, *a),
    )
    message = evaluate_error(path, *COLUMNS, "-o", tmp_path, capsys=capsys)
    assert "reading Parquet files needs pyarrow (pip install pyarrow)" in message


@pytest.mark.skipif(
    importlib.util.find_spec("pyarrow") is None,
    reason="pyarrow is not installed: the Parquet round trip needs it (pip install pyarrow)",
)
def test_parquet_end_to_end(tmp_path, capsys):
    path = tmp_path / "events.parquet"
    event_log().to_parquet(path, index=False)
    output = tmp_path / "out"
    assert run(path, *COLUMNS, "--models", *BASELINES, "-o", output, "--no-progress") == 0
    assert len(pd.read_csv(output / "results.csv")) == 2 * len(BASELINES)
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet at all")
    message = evaluate_error(broken, *COLUMNS, "-o", tmp_path, capsys=capsys)
    assert "could not be read as Parquet" in message
