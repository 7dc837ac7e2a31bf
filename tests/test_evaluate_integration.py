"""``seqlstm evaluate`` with the options every command shares and the fairness report."""

import argparse

import pandas as pd
import pytest

from sklearn_seqlstm import MarkovMemorySampler
from sklearn_seqlstm.cli._cli import main
from sklearn_seqlstm.cli._cli_common import lstm_settings
from sklearn_seqlstm.cli._evaluate import add_evaluate_arguments

COLUMNS = ["--sequence-col", "user", "--order-col", "timestamp", "--event-col", "page"]


def event_log(n_sequences=30, seed=0):
    frame = MarkovMemorySampler(memory_influence=0.4, random_state=seed).sample_frame(
        n_sequences, (4, 10)
    )
    frame = frame.assign(
        user="u" + frame["sequence_id"].astype(str), timestamp=frame["position"]
    ).rename(columns={"event": "page"})
    return frame[["user", "timestamp", "page"]]


def evaluate(*argv, capsys):
    try:
        status = main(["evaluate", *(str(a) for a in argv), "--no-progress"])
    except SystemExit as exit_:
        status = exit_.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def parse(*argv):
    parser = add_evaluate_arguments(argparse.ArgumentParser(prog="seqlstm evaluate"))
    return parser.parse_args([str(a) for a in argv])


# The options shared with seqlstm fit --------------------------------------------------


@pytest.mark.parametrize(
    "word, value",
    [("auto", "auto"), ("true", True), ("on", True), ("False", False), ("off", False)],
)
def test_early_stopping_has_the_meaning_of_every_command(word, value):
    args = parse("log.csv", *COLUMNS, "--early-stopping", word)
    assert lstm_settings(args) == {"early_stopping": value}


def test_early_stopping_refuses_other_words(capsys):
    status, _, err = evaluate("log.csv", *COLUMNS, "--early-stopping", "maybe", capsys=capsys)
    assert status == 2 and err.startswith("error: ") and "--early-stopping" in err


def markov_results(path, tmp_path, name, *extra, capsys):
    output = tmp_path / name
    argv = [path, *COLUMNS, *extra, "--models", "markov1", "-o", output]
    status, _, err = evaluate(*argv, capsys=capsys)
    assert status == 0, err
    return pd.read_csv(output / "results.csv")[["split", "top_1", "mrr_10", "n_test"]]


def test_recbole_inter_and_sep_read_the_same_log_as_csv(tmp_path, capsys):
    log = event_log()
    csv = tmp_path / "events.csv"
    log.to_csv(csv, index=False)
    # RecBole's atomic file: tab-separated, name:type headers.
    inter = tmp_path / "events.inter"
    log.rename(
        columns={"user": "user:token", "timestamp": "timestamp:float", "page": "page:token"}
    ).to_csv(inter, sep="\t", index=False)
    semicolons = tmp_path / "events.txt"
    log.to_csv(semicolons, sep=";", index=False)

    expected = markov_results(csv, tmp_path, "csv", capsys=capsys)
    pd.testing.assert_frame_equal(markov_results(inter, tmp_path, "inter", capsys=capsys), expected)
    pd.testing.assert_frame_equal(
        markov_results(semicolons, tmp_path, "sep", "--sep", ";", capsys=capsys), expected
    )


@pytest.fixture
def no_work(monkeypatch):
    """Fail the test if the log is read or a progress bar is started."""

    def fail(*args, **kwargs):
        raise AssertionError("work began before the error was found")

    monkeypatch.setattr("sklearn_seqlstm.cli._evaluate.read_event_log", fail)
    monkeypatch.setattr("sklearn_seqlstm.cli._evaluate.progress_bar", fail)


@pytest.mark.parametrize(
    "change, expected",
    [
        (["--event-col", "pgae"], "--event-col: the event log events.csv has no column 'pgae'"),
        (["--time-col", "when"], "--time-col: the event log events.csv has no column 'when'"),
        (["--event-attributes", "who"], "has no column 'who'"),
    ],
    ids=["event", "time", "attribute"],
)
def test_a_misspelled_column_exits_2_before_any_work(tmp_path, capsys, no_work, change, expected):
    path = tmp_path / "events.csv"
    event_log().to_csv(path, index=False)
    status, out, err = evaluate(path, *COLUMNS, *change, "-o", tmp_path / "out", capsys=capsys)
    assert status == 2 and out == ""
    assert err.splitlines() == [err.strip()] and err.startswith("error: ") and expected in err
    assert not (tmp_path / "out").exists()


def test_a_missing_file_exits_2_before_any_work(tmp_path, capsys, no_work):
    status, out, err = evaluate(tmp_path / "nope.csv", *COLUMNS, "-o", tmp_path, capsys=capsys)
    assert status == 2 and out == "" and "nope.csv: no such file" in err


def test_a_misspelled_column_of_the_test_file_exits_2_before_any_work(tmp_path, capsys, no_work):
    path, test = tmp_path / "events.csv", tmp_path / "test.csv"
    event_log().to_csv(path, index=False)
    event_log(seed=1).rename(columns={"page": "Page"}).to_csv(test, index=False)
    argv = [path, *COLUMNS, "--test-file", test, "-o", tmp_path / "out"]
    status, _, err = evaluate(*argv, capsys=capsys)
    assert status == 2 and "--test-file --event-col" in err and "test.csv" in err
