"""``seqlstm evaluate``, run in-process through ``main`` (the parser of add_evaluate_arguments)."""

import argparse
import importlib.util
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import GroupKFold

from sklearn_seqlstm import MarkovMemorySampler, leave_last_out_split, samples_from_log
from sklearn_seqlstm.cli._cli import main
from sklearn_seqlstm.cli._cli_common import lstm_settings as _lstm_settings
from sklearn_seqlstm.cli._evaluate import (
    MODELS,
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
    """Run ``seqlstm evaluate`` through ``main``; the exit status, of a usage error too."""
    try:
        return main(["evaluate", *(str(a) for a in argv)])
    except SystemExit as exit_:
        return exit_.code


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
    for key, (name, _) in MODELS.items():
        assert (name in printed) == (key != "theory"), name  # the theory is asked for

    results = pd.read_csv(output / "results.csv")
    assert set(results["split"]) == {"valid", "test"}
    assert len(results) == 2 * (len(MODELS) - 1)  # all but the theory
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


def _interval_line(printed, model):
    """The 95% interval line of ``model``: {metric: (estimate, low, high)}."""
    import re

    # The interval lines are indented; the table's rows are not.
    line = next(line for line in printed.splitlines() if line.startswith(f"  {model}  "))
    found = re.findall(r"(top-\d+|MRR@10) ([\d.]+) \[([\d.]+), ([\d.]+)\]", line)
    return {metric: tuple(map(float, values)) for metric, *values in found}


def test_every_score_comes_with_its_interval(csv_log, tmp_path, capsys):
    assert run(csv_log, *COLUMNS, "--models", *BASELINES, "-o", tmp_path, "--no-progress") == 0
    printed = capsys.readouterr().out
    assert "95% intervals (bootstrap over sequences" in printed
    results = pd.read_csv(tmp_path / "results.csv").query("split == 'test'")
    for _, row in results.iterrows():
        intervals = _interval_line(printed, row["model"])
        assert set(intervals) == {"top-1", "top-5", "top-10", "MRR@10"}
        for metric, column in [("top-1", "top_1"), ("MRR@10", "mrr_10")]:
            estimate, low, high = intervals[metric]
            assert estimate == pytest.approx(row[column], abs=5e-4)
            assert low <= estimate <= high
    # 40 sequences: the intervals are wide, and not empty.
    low, high = _interval_line(printed, "Popularity")["top-1"][1:]
    assert high - low > 0.05


@pytest.mark.slow  # fits the LSTM
def test_the_comparison_gives_the_paired_difference_and_says_tie_or_not(csv_log, tmp_path, capsys):
    argv = [*COLUMNS, *TINY_LSTM, "--models", "lstm", "markov1", "-o", tmp_path, "--no-progress"]
    assert run(csv_log, *argv) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if "paired" in line]
    assert len(lines) == 4  # top-1, top-5, top-10, MRR@10
    assert all(line.endswith((": a tie", ": better", ": worse")) for line in lines)


def test_trivial_top_k_and_small_test_sets_are_warned_about(tmp_path, capsys):
    # 40 sequences of the sampler's 8 events: top-10 covers every event, and the
    # leave-last-out test set holds 40 samples.
    path = tmp_path / "log.csv"
    event_log().to_csv(path, index=False)
    assert run(path, *COLUMNS, "--models", *BASELINES, "-o", tmp_path / "out", "--no-progress") == 0
    err = capsys.readouterr().err
    assert "warning: top-10 accuracy is 1 by construction" in err
    assert "only 8 of them" in err
    assert "warning: a test set holds 40 samples only" in err


def test_no_warning_when_the_figures_mean_something(tmp_path, capsys):
    path = tmp_path / "log.csv"
    log = MarkovMemorySampler(
        events=[f"e{i}" for i in range(12)], transitions={}, random_state=0
    ).sample_frame(150, 6)
    log.columns = ["user", "timestamp", "page"]
    log.to_csv(path, index=False)
    assert run(path, *COLUMNS, "--models", *BASELINES, "-o", tmp_path / "out", "--no-progress") == 0
    assert "warning:" not in capsys.readouterr().err


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


# Bad input: one line naming the row or column, exit status 1 ----------------------


def one_error_line(capsys, status, expected_status):
    """The error message printed, checked to be one line ``error: ...`` on stderr."""
    captured = capsys.readouterr()
    assert status == expected_status, captured.err
    assert "Traceback" not in captured.err
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    return lines[0]


def evaluate_error(path, *argv, capsys, status=1):
    return one_error_line(capsys, run(path, *argv, "--models", *BASELINES, "--no-progress"), status)


def test_missing_columns_are_named_with_the_available_ones(csv_log, tmp_path, capsys):
    # Found from the header, before any work: a usage error, as in seqlstm fit.
    argv = ["--sequence-col", "session", "--order-col", "timestamp", "--event-col", "event"]
    message = evaluate_error(csv_log, *argv, "-o", tmp_path, capsys=capsys, status=2)
    assert "--sequence-col: the event log events.csv has no column 'session'" in message
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
    message = evaluate_error(path, *COLUMNS, "-o", tmp_path, capsys=capsys, status=2)
    assert "must be a CSV file" in message and "or a Parquet file" in message


def test_missing_file(tmp_path, capsys):
    message = evaluate_error(
        tmp_path / "nope.csv", *COLUMNS, "-o", tmp_path, capsys=capsys, status=2
    )
    assert "nope.csv: no such file" in message


def test_csv_that_fails_to_parse(tmp_path, capsys):
    path = tmp_path / "events.csv"
    path.write_text('user,timestamp,page\nu1,1,A\nu1,2,B,extra,fields\nu1,3,"unclosed\n')
    message = evaluate_error(path, *COLUMNS, "-o", tmp_path, capsys=capsys)
    assert "could not be parsed as delimited text" in message


def test_empty_csv(tmp_path, capsys):
    # No header, so no column: refused before any work.
    path = tmp_path / "events.csv"
    path.write_text("")
    message = evaluate_error(path, *COLUMNS, "-o", tmp_path, capsys=capsys, status=2)
    assert "has no column 'user'. Available columns: none" in message


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
    message = evaluate_error(path, *COLUMNS, "-o", tmp_path, capsys=capsys, status=2)
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
    capsys.readouterr()  # the run's warnings (a small test set) are not the error's output
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet at all")
    message = evaluate_error(broken, *COLUMNS, "-o", tmp_path, capsys=capsys)
    assert "could not be read as Parquet" in message


# Bad options: one line, exit status 2, found before any work ------------------------


@pytest.fixture
def no_fitting(monkeypatch):
    """Fail the test if a model is fitted: these errors must be found before any work."""

    def fail(*args, **kwargs):
        raise AssertionError("models were fitted before the error was found")

    monkeypatch.setattr("sklearn_seqlstm.cli._evaluate._fit_and_score", fail)


@pytest.mark.parametrize(
    "option",
    [
        ["--hidden-size", "0"],
        ["--embedding-dim", "-3"],
        ["--lr", "-1"],
        ["--lr", "nan"],
        ["--dropout", "2"],
        ["--batch-size", "-5"],
        ["--max-epochs", "0"],
        ["--device", "bogus"],
        ["--random-state", "-1"],
    ],
    ids=" ".join,
)
def test_bad_model_options_are_one_line_usage_errors(option, csv_log, tmp_path, capsys, no_fitting):
    status = run(csv_log, *COLUMNS, *option, "--models", "lstm", "-o", tmp_path / "out")
    message = one_error_line(capsys, status, 2)
    assert option[0] in message and option[1] in message
    assert not (tmp_path / "out").exists()


def test_cuda_without_cuda_is_a_usage_error(csv_log, tmp_path, capsys, no_fitting):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    status = run(csv_log, *COLUMNS, "--device", "cuda", "-o", tmp_path / "out")
    assert "CUDA is not available" in one_error_line(capsys, status, 2)


def test_argparse_usage_errors_are_one_line(csv_log, capsys):
    message = one_error_line(capsys, run(csv_log, "--sequence-col", "user"), 2)
    assert "required" in message and "--order-col" in message
    message = one_error_line(capsys, run(csv_log, *COLUMNS, "--hidden-size"), 2)
    assert "--hidden-size" in message and "expected one argument" in message


def test_a_log_with_one_distinct_event_and_the_lstm(tmp_path, capsys):
    path = tmp_path / "events.csv"
    rows = [(user, time, "A") for user in range(3) for time in range(5)]
    pd.DataFrame(rows, columns=["user", "timestamp", "page"]).to_csv(path, index=False)
    argv = [path, *COLUMNS, *TINY_LSTM, "--no-progress", "-o", tmp_path / "o"]
    message = one_error_line(capsys, run(*argv, "--models", "lstm", "markov1"), 1)
    assert "one distinct event" in message and "LSTM" in message
    # The Markov chain alone fits such a log.
    assert run(path, *COLUMNS, "--models", "markov1", "-o", tmp_path / "o", "--no-progress") == 0


# The output folder and its files ----------------------------------------------------


def test_output_that_is_a_file(csv_log, tmp_path, capsys, no_fitting):
    status = run(csv_log, *COLUMNS, "--models", *BASELINES, "-o", csv_log)
    assert "is a file, not a folder" in one_error_line(capsys, status, 2)
    assert read_event_log(csv_log).shape == event_log().shape


def test_output_that_cannot_be_created(csv_log, tmp_path, capsys, no_fitting):
    status = run(csv_log, *COLUMNS, "--models", *BASELINES, "-o", csv_log / "out")
    assert "is a file, not a folder" in one_error_line(capsys, status, 2)


def test_output_folder_that_is_not_writable(csv_log, tmp_path, monkeypatch, capsys, no_fitting):
    # Running as root, chmod cannot make a folder unwritable: refuse every file opened
    # for writing in it instead, as a read-only or foreign folder does.
    output = tmp_path / "read-only"
    output.mkdir()
    real_open = os.open

    def refusing_open(path, flags, *args, **kwargs):
        if Path(path).parent == output and flags & (os.O_WRONLY | os.O_RDWR):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing_open)
    status = run(csv_log, *COLUMNS, "--models", *BASELINES, "-o", output)
    assert "not writable" in one_error_line(capsys, status, 2)
    assert list(output.iterdir()) == []


def test_existing_results_are_not_overwritten(csv_log, tmp_path, capsys):
    output = tmp_path / "out"
    argv = [csv_log, *COLUMNS, "--models", *BASELINES, "-o", output, "--no-progress"]
    assert run(*argv) == 0
    before = {path.name: path.read_bytes() for path in output.iterdir()}
    assert set(before) >= {"results.csv", "k_retrieval.csv"}
    capsys.readouterr()

    message = one_error_line(capsys, run(*argv), 2)
    assert "--overwrite" in message
    for name in before:
        assert name in message
    assert {path.name: path.read_bytes() for path in output.iterdir()} == before

    (output / "results.csv").write_text("an older run")
    assert run(*argv, "--overwrite") == 0
    assert set(pd.read_csv(output / "results.csv")["model"]) == {"Markov (order 1)", "Popularity"}
    assert sorted(path.name for path in output.iterdir()) == sorted(before)  # no temporary left


def test_the_input_is_never_overwritten(tmp_path, capsys):
    path = tmp_path / "results.csv"
    event_log().to_csv(path, index=False)
    original = path.read_bytes()
    for extra in [[], ["--overwrite"]]:
        status = run(path, *COLUMNS, "--models", *BASELINES, "-o", tmp_path, *extra)
        message = one_error_line(capsys, status, 2)
        assert "results.csv" in message and "input" in message
        assert path.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.csv"]


def test_a_failed_write_leaves_no_half_written_file(csv_log, tmp_path, monkeypatch, capsys):
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    output = tmp_path / "out"
    output.mkdir()
    (output / "k_retrieval.png").write_bytes(b"the chart of an earlier run")

    def failing_savefig(self, fname, **kwargs):
        Path(fname).write_bytes(b"\x89PNG half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Figure, "savefig", failing_savefig)
    argv = [csv_log, *COLUMNS, "--models", *BASELINES, "-o", output, "--no-progress"]
    message = one_error_line(capsys, run(*argv, "--overwrite"), 1)
    assert "No space left on device" in message
    assert (output / "k_retrieval.png").read_bytes() == b"the chart of an earlier run"
    assert not [p for p in output.iterdir() if p.name.startswith(".")]  # no temporary left


# The event log itself ------------------------------------------------------------------


def test_duplicated_column_names_are_an_error(tmp_path, capsys):
    path = tmp_path / "events.csv"
    path.write_text("user,timestamp,page,page\nu1,1,A,B\nu1,2,B,C\nu1,3,A,C\nu1,4,B,A\n")
    message = evaluate_error(path, *COLUMNS, "-o", tmp_path / "out", capsys=capsys)
    assert "'page'" in message and "more than once" in message


def test_a_folder_given_as_the_log(tmp_path, capsys):
    folder = tmp_path / "events.csv"
    folder.mkdir()
    message = evaluate_error(folder, *COLUMNS, "-o", tmp_path / "out", capsys=capsys, status=2)
    assert "is a folder, not a file" in message


def test_outputs_get_the_permissions_of_any_new_file(csv_log, tmp_path):
    # Written through temporary files, which must not stay private (tempfile's 0600).
    output = tmp_path / "out"
    assert run(csv_log, *COLUMNS, "--models", *BASELINES, "-o", output, "--no-progress") == 0
    (tmp_path / "plain.txt").write_text("")
    usual = (tmp_path / "plain.txt").stat().st_mode
    for name in ["results.csv", "k_retrieval.csv", "k_retrieval.png"]:
        assert (output / name).stat().st_mode == usual, name


# Time and attributes: every model with and without them -----------------


def attributed_log(n_sequences=60, seed=0):
    """A log whose attributes tell what the events cannot.

    Events are random pages; the column ``hint`` of each event is the next page, so a
    model reading it predicts every next page, one reading the events only about a
    third of them. ``amount`` is numeric with missing values, ``segment`` constant per
    user, ``when`` an ISO timestamp (a second time column beside the order column).
    """
    rng = np.random.RandomState(seed)
    rows = []
    for user in range(n_sequences):
        pages = rng.choice(["A", "B", "C"], size=rng.randint(5, 9))
        for position, page in enumerate(pages):
            rows.append(
                {
                    "user": f"u{user}",
                    "timestamp": 1_700_000_000 + 60 * position,
                    "page": page,
                    "hint": pages[position + 1] if position + 1 < len(pages) else "end",
                    "amount": np.nan if rng.rand() < 0.2 else rng.rand(),
                    "segment": "gold" if user % 2 else "silver",
                    "when": pd.Timestamp(1_700_000_000 + 3600 * position, unit="s").isoformat(),
                }
            )
    return pd.DataFrame(rows).sample(frac=1, random_state=seed)


@pytest.fixture
def attributed_csv(tmp_path):
    path = tmp_path / "attributed.csv"
    attributed_log().to_csv(path, index=False)
    return path


ATTRIBUTES = [
    "--time-col", "timestamp",
    "--event-attributes", "hint", "amount",
    "--sequence-attributes", "segment",
]  # fmt: skip


@pytest.mark.slow  # every model, the LSTM and the logistic regression twice
def test_evaluate_reports_every_model_with_and_without_attributes(attributed_csv, tmp_path, capsys):
    output = tmp_path / "out"
    status = run(attributed_csv, *COLUMNS, *ATTRIBUTES, *TINY_LSTM, "-o", output, "--no-progress")
    assert status == 0
    printed = capsys.readouterr().out
    results = pd.read_csv(output / "results.csv")
    expected = {
        "LSTM, events only",
        "LSTM, with time and attributes",
        "Logistic regression, events only",
        "Logistic regression, with time and attributes",
        "Markov (order 1), events only",
        "Markov (order 2), events only",
        "Markov (order 3), events only",
        "Popularity, events only",
        "Prefix lookup, events only",
    }
    assert set(results["model"]) == expected
    assert len(results) == 2 * len(expected)
    for name in expected:
        assert name in printed
    assert "the Markov chains and popularity read the events only" in printed
    assert "'hint', 'amount'" in printed and "'segment'" in printed
    assert "LSTM (with time and attributes) against the best baseline" in printed
    assert set(pd.read_csv(output / "k_retrieval.csv")["model"]) == expected

    test = results[results["split"] == "test"].set_index("model")["top_1"]
    # The hint gives the next page away: the logistic regression that reads it is
    # right on every test sample (the last page, whose hint is its own page).
    assert test["Logistic regression, with time and attributes"] == 1.0
    assert test["Logistic regression, events only"] < 0.8


def test_evaluate_group_k_fold_with_attributes_keeps_them_in_every_fold(
    attributed_csv, tmp_path, capsys
):
    output = tmp_path / "out"
    argv = [attributed_csv, *COLUMNS, "--protocol", "groupkfold", "--n-splits", "3"]
    argv += ["--event-attributes", "hint", "--models", "logistic", "markov1"]
    assert run(*argv, "-o", output, "--no-progress") == 0
    assert "with attributes" in capsys.readouterr().out
    results = pd.read_csv(output / "results.csv")
    assert set(results["model"]) == {
        "Logistic regression, events only",
        "Logistic regression, with attributes",
        "Markov (order 1), events only",
    }
    scores = results.groupby("model")["top_1"].min()
    # In every fold, the logistic regression reads the hint of each last event.
    assert scores["Logistic regression, with attributes"] == 1.0
    assert scores["Logistic regression, events only"] < 0.8


def test_evaluate_a_second_time_column_as_iso_text(attributed_csv, tmp_path, capsys):
    argv = [attributed_csv, *COLUMNS, "--time-col", "when", "--models", "logistic"]
    assert run(*argv, "-o", tmp_path / "out", "--no-progress") == 0
    results = pd.read_csv(tmp_path / "out" / "results.csv")
    assert set(results["model"]) == {
        "Logistic regression, events only",
        "Logistic regression, with time",
    }


@pytest.mark.parametrize(
    "option, words",
    [
        (["--event-attributes", "nope"], ["--event-attributes", "'nope'", "'hint'"]),
        (["--sequence-attributes", "hint", "nope"], ["--sequence-attributes", "'nope'"]),
        (["--time-col", "nope"], ["--time-col", "'nope'"]),
        (["--event-attributes", "page"], ["'page'", "--event-col"]),
        (["--event-attributes", "user"], ["'user'", "--sequence-col"]),
        (["--sequence-attributes", "timestamp"], ["'timestamp'", "--order-col"]),
        (["--time-col", "page"], ["'page'", "--event-col"]),
        (["--event-attributes", "hint", "hint"], ["'hint'", "twice"]),
        (
            ["--event-attributes", "hint", "--sequence-attributes", "hint"],
            ["'hint'", "--event-attributes and --sequence-attributes"],
        ),
        (["--time-col", "when", "--event-attributes", "when"], ["'when'", "--time-col"]),
        (["--time-col", "timestamp", "--max-history", "3"], ["--max-history", "--time-col"]),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) and "--" in value[0] else "",
)
def test_bad_attribute_columns_are_one_line_usage_errors(
    option, words, attributed_csv, tmp_path, capsys, no_fitting
):
    status = run(attributed_csv, *COLUMNS, *option, "-o", tmp_path / "out", "--no-progress")
    message = one_error_line(capsys, status, 2)
    for word in words:
        assert word in message
    assert not (tmp_path / "out").exists()


def test_the_time_column_may_be_the_order_column(attributed_csv, tmp_path, capsys):
    argv = [attributed_csv, *COLUMNS, "--time-col", "timestamp", "--models", "markov1"]
    assert run(*argv, "-o", tmp_path / "out", "--no-progress") == 0
    assert "Markov (order 1), events only" in capsys.readouterr().out


# Time targets: regressors scored by their mean absolute error -------------

# Hours after each event until the next one: the event tells the gap.
GAPS = {"A": 1.0, "B": 3.0, "C": 10.0}
REGRESSION_BASELINES = ["mean", "median", "trees"]


def time_log(n_sequences=50, hours=1.0, seed=0):
    """A log whose gaps depend on the event: ``GAPS`` times ``hours``, with noise.

    ``timestamp`` is ISO text (the order and the time column), ``resource`` an event
    attribute and ``step`` a plain number, for a numeric time column.
    """
    rng = np.random.RandomState(seed)
    rows = []
    for user in range(n_sequences):
        time = pd.Timestamp("2024-03-01") + pd.Timedelta(hours=int(rng.randint(0, 500)))
        for position, page in enumerate(rng.choice(list(GAPS), size=rng.randint(4, 9))):
            rows.append(
                {
                    "user": f"u{user}",
                    "timestamp": time.isoformat(),
                    "page": page,
                    "resource": rng.choice(["ann", "bob"]),
                    "step": 10 * position + user % 3,
                }
            )
            time += pd.Timedelta(hours=GAPS[page] * hours * rng.uniform(0.8, 1.2))
    return pd.DataFrame(rows).sample(frac=1, random_state=seed)


def table_row(printed, model):
    """The numbers of ``model``'s row in the printed table (rows are not indented)."""
    line = next(line for line in printed.splitlines() if line.startswith(f"{model}  "))
    return [float(value) for value in line[len(model) :].split()]


def dummy_maes(y_train, y_test, seconds):
    """The MAE of the training mean and median on the test targets, computed here."""
    return {
        "Training mean": np.abs(y_test - y_train.mean()).mean() / seconds,
        "Training median": np.abs(y_test - np.median(y_train)).mean() / seconds,
    }


@pytest.mark.parametrize(
    "target, hours, unit, seconds",
    [("time_to_next", 1.0, "hours", 3600.0), ("remaining_time", 24.0, "days", 86400.0)],
)
def test_a_time_target_reports_the_mae_of_every_regressor(
    target, hours, unit, seconds, tmp_path, capsys
):
    path = tmp_path / "log.csv"
    time_log(hours=hours).to_csv(path, index=False)
    argv = [path, *COLUMNS, "--time-col", "timestamp", "--target", target]
    status = run(*argv, "--models", *REGRESSION_BASELINES, "-o", tmp_path / "out", "--no-progress")
    assert status == 0
    printed = capsys.readouterr().out
    assert f"MAE ({unit})" in printed
    assert f"Target ({target})" in printed
    for model in ["Training mean", "Training median", "Gradient-boosted trees"]:
        assert model in printed

    # The same split, made here with the public function, and the dummies' MAE by hand.
    frame = pd.read_csv(path)
    train, _, test = leave_last_out_split(
        frame, sequence_col="user", order_col="timestamp", event_col="page",
        time_col="timestamp", target=target,
    )  # fmt: skip
    for model, expected in dummy_maes(train.y, test.y, seconds).items():
        mae, _ = table_row(printed, model)
        assert mae == pytest.approx(expected, abs=5e-4)
        assert _mae_interval(printed, model)[0] == pytest.approx(expected, abs=5e-4)
    # The event tells the gap: the trees, which read it, beat the dummies.
    if target == "time_to_next":
        assert table_row(printed, "Gradient-boosted trees")[0] < 0.5 * min(
            dummy_maes(train.y, test.y, seconds).values()
        )

    results = pd.read_csv(tmp_path / "out" / "results.csv")
    assert set(results["split"]) == {"valid", "test"}
    assert (results["unit"] == unit).all() and (results["mae"] >= 0).all()
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == ["results.csv"]
    assert "No comparison: it needs the LSTM" in printed


def _mae_interval(printed, model):
    import re

    line = next(line for line in printed.splitlines() if line.startswith(f"  {model}  "))
    estimate, low, high = map(
        float, re.search(r"MAE ([\d.]+) \[([\d.]+), ([\d.]+)\]", line).groups()
    )
    assert low <= estimate <= high
    return estimate, low, high


def test_a_time_target_with_group_k_fold_gives_the_mean_over_folds(tmp_path, capsys):
    path = tmp_path / "log.csv"
    time_log().to_csv(path, index=False)
    argv = [path, *COLUMNS, "--time-col", "timestamp", "--target", "remaining_time"]
    argv += ["--protocol", "groupkfold", "--n-splits", "3", "--models", "mean", "median"]
    assert run(*argv, "-o", tmp_path / "out", "--no-progress") == 0
    printed = capsys.readouterr().out
    X, y, groups = samples_from_log(
        pd.read_csv(path), sequence_col="user", order_col="timestamp", event_col="page",
        time_col="timestamp", target="remaining_time",
    )  # fmt: skip
    folds = [
        dummy_maes(y[train], y[test], 3600.0)
        for train, test in GroupKFold(n_splits=3).split(X, y, groups)
    ]
    assert "mean over the folds" in printed
    for model in ["Training mean", "Training median"]:
        expected = np.mean([fold[model] for fold in folds])
        assert table_row(printed, model)[0] == pytest.approx(expected, abs=5e-4)


def test_numeric_times_are_reported_in_their_own_units(tmp_path, capsys):
    path = tmp_path / "log.csv"
    time_log().to_csv(path, index=False)
    argv = [path, "--sequence-col", "user", "--order-col", "step", "--event-col", "page"]
    argv += ["--time-col", "step", "--target", "time_to_next", "--models", "mean", "median"]
    assert run(*argv, "-o", tmp_path / "out", "--no-progress") == 0
    printed = capsys.readouterr().out
    assert "MAE (time units)" in printed and "in the time column's own units" in printed
    train, _, test = leave_last_out_split(
        pd.read_csv(path), sequence_col="user", order_col="step", event_col="page",
        time_col="step", target="time_to_next",
    )  # fmt: skip
    assert set(test.y) == {10.0}  # the steps are 10 apart
    for model, expected in dummy_maes(train.y, test.y, 1.0).items():
        assert table_row(printed, model)[0] == pytest.approx(expected, abs=5e-4)


@pytest.mark.slow  # fits the LSTM
def test_a_time_target_compares_the_lstm_and_saves_it(tmp_path, capsys):
    path = tmp_path / "log.csv"
    time_log().to_csv(path, index=False)
    model_path = tmp_path / "model.seqlstm"
    argv = [path, *COLUMNS, "--time-col", "timestamp", "--target", "time_to_next"]
    argv += ["--event-attributes", "resource", *TINY_LSTM, "--models", "lstm", "median"]
    argv += ["--save-model", model_path, "-o", tmp_path / "out", "--no-progress"]
    assert run(*argv) == 0
    printed = capsys.readouterr().out
    assert "event attributes 'resource'" in printed
    mae = table_row(printed, "LSTM")[0]
    line = next(line for line in printed.splitlines() if "paired" in line)
    assert line.startswith("  MAE (hours) LSTM") and "(Training median)" in line
    assert line.endswith((": a tie", ": better", ": worse"))

    from sklearn_seqlstm import NextValueRegressor, load

    model = load(model_path)
    assert isinstance(model, NextValueRegressor) and model.loss == "absolute_error"
    assert model.max_epochs == 2 and model.hidden_size == 8
    _, _, test = leave_last_out_split(
        pd.read_csv(path), sequence_col="user", order_col="timestamp", event_col="page",
        time_col="timestamp", event_attributes=["resource"], target="time_to_next",
    )  # fmt: skip
    expected = np.abs(model.predict(test.X) - test.y).mean() / 3600
    assert mae == pytest.approx(expected, abs=5e-4)


def test_the_default_target_is_the_next_event(csv_log, tmp_path, capsys):
    def printed(*argv):
        assert run(csv_log, *COLUMNS, "--models", *BASELINES, "--no-progress", *argv) == 0
        lines = capsys.readouterr().out.splitlines()
        return [line for line in lines if not line.startswith(("Total elapsed", "Wrote"))]

    default = printed("-o", tmp_path / "a")
    assert printed("--target", "next_event", "-o", tmp_path / "b") == default
    assert any(line.startswith("Scores on the test samples") for line in default)


@pytest.mark.parametrize(
    "option, words",
    [
        (["--target", "time_to_next"], ["--target time_to_next needs --time-col"]),
        (["--target", "remaining_time"], ["--target remaining_time needs --time-col"]),
        (
            ["--target", "time_to_next", "--time-col", "timestamp", "--min-history", "0"],
            ["--min-history", "at least 1"],
        ),
        (
            ["--target", "time_to_next", "--time-col", "timestamp", "--no-copy-from-history"],
            ["--no-copy-from-history", "NextValueRegressor"],
        ),
        (
            ["--target", "time_to_next", "--time-col", "timestamp", "--models", "markov1"],
            ["--models markov1", "mean, median, trees"],
        ),
        (["--models", "trees"], ["--models trees", "markov1"]),
        (["--target", "time"], ["--target", "invalid choice"]),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) and "--" in value[0] else "",
)
def test_bad_time_target_options_are_usage_errors_before_reading(
    option, words, tmp_path, capsys, no_fitting
):
    # The log does not exist: each error is found before it is read.
    status = run(tmp_path / "missing.csv", *COLUMNS, *option, "-o", tmp_path / "out")
    message = one_error_line(capsys, status, 2)
    for word in words:
        assert word in message
    assert not (tmp_path / "out").exists()


def test_a_time_column_that_is_not_times_is_a_one_line_error(tmp_path, capsys):
    frame = time_log().assign(when="2024-03-01T10:00:00")
    frame.loc[frame.index[5], "when"] = "yesterday"
    path = tmp_path / "log.csv"
    frame.to_csv(path, index=False)
    argv = [path, *COLUMNS, "--time-col", "when", "--target", "time_to_next"]
    status = run(*argv, "--models", "mean", "-o", tmp_path / "out", "--no-progress")
    message = one_error_line(capsys, status, 1)
    assert "'when'" in message and "'yesterday'" in message and "line" in message
