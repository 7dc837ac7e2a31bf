"""``seqlstm evaluate`` with the options every command shares and the fairness report."""

import argparse
import re
import sys

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sklearn_seqlstm import (
    BayesOracleClassifier,
    MarkovMemorySampler,
    PrefixLookupClassifier,
    leakage_report,
    samples_from_log,
)
from sklearn_seqlstm.cli._cli import main
from sklearn_seqlstm.cli._cli_common import lstm_settings
from sklearn_seqlstm.cli._evaluate import add_evaluate_arguments
from sklearn_seqlstm.cli._evaluate_fairness import lift_share

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


# Fairness: leakage, the prefix lookup, the fitted theory, the graph --------------------


def samples(frame):
    return samples_from_log(frame, sequence_col="user", order_col="timestamp", event_col="page")


def split_files(tmp_path, n_train=40, n_test=20):
    """A training log and a test log of one process; the test one shares some cases."""
    train, test = event_log(n_train, seed=0), event_log(n_test, seed=1)
    # Copies of training cases under new names: leaked verbatim.
    copies = train[train["user"].isin(["u0", "u1", "u2"])].assign(user=lambda f: "copy" + f["user"])
    test = pd.concat([test, copies], ignore_index=True)
    paths = tmp_path / "train.csv", tmp_path / "test.csv"
    train.to_csv(paths[0], index=False)
    test.to_csv(paths[1], index=False)
    return train, test, paths


def test_test_file_run_reports_leakage_lookup_and_theory_as_computed_directly(tmp_path, capsys):
    train, test, (train_path, test_path) = split_files(tmp_path)
    output = tmp_path / "out"
    models = ["markov1", "prefix_lookup", "theory"]
    argv = [train_path, *COLUMNS, "--test-file", test_path, "--models", *models, "-o", output]
    status, out, err = evaluate(*argv, capsys=capsys)
    assert status == 0, err

    X_train, y_train, g_train = samples(train)
    X_test, y_test, g_test = samples(test)
    report = leakage_report(
        X_train, X_test, y_train=y_train, y_test=y_test, groups_train=g_train, groups_test=g_test
    )
    assert report.n_sequences_seen >= 3  # the copies
    for line in str(report).splitlines():
        assert f"  {line}" in out
    written = pd.read_csv(output / "leakage.csv").set_index("what")
    assert written.loc["test histories", "seen_in_training"] == report.n_histories_seen
    assert written.loc["whole test sequences", "seen_in_training"] == report.n_sequences_seen
    assert written.loc["test samples", "seen_in_training"] == report.n_samples_seen
    assert written.loc["test samples", "total"] == report.n_histories

    results = pd.read_csv(output / "results.csv").set_index("model")
    lookup = PrefixLookupClassifier().fit(X_train, y_train)
    assert results.loc["Prefix lookup", "top_1"] == pytest.approx(lookup.score(X_test, y_test))

    # The theory: the sampler fitted to the training cases, knowing every event.
    chains = [tuple(case["page"]) for _, case in train.sort_values("timestamp").groupby("user")]
    events = sorted(set(train["page"]) | set(test["page"]))
    sampler = MarkovMemorySampler.from_histories(chains, events=events)
    oracle = BayesOracleClassifier(sampler).fit(X_train, y_train)
    assert results.loc["Theory (fitted memory chain)", "top_1"] == pytest.approx(
        oracle.score(X_test, y_test)
    )
    # No LSTM: no share of its lift.
    assert "lift over Markov-1" not in out


def test_the_theory_knows_test_events_unseen_in_training(tmp_path, capsys):
    # Leave-last-out: the last events are tested, never trained on; the oracle would
    # refuse them were they not among the theory's events.
    log = event_log(30)
    last = log.groupby("user")["timestamp"].transform("max") == log["timestamp"]
    log.loc[last & (log["user"] == "u3"), "page"] = "never seen"
    path = tmp_path / "events.csv"
    log.to_csv(path, index=False)
    argv = [path, *COLUMNS, "--models", "markov1", "theory", "-o", tmp_path / "out"]
    status, _, err = evaluate(*argv, capsys=capsys)
    assert status == 0, err
    results = pd.read_csv(tmp_path / "out" / "results.csv")
    assert set(results["model"]) == {"Markov (order 1)", "Theory (fitted memory chain)"}


def summary(**top_1):
    names = {"lstm": "LSTM", "markov": "Markov (order 1)", "theory": "Theory"}
    return pd.DataFrame({"top_1": {names[key]: value for key, value in top_1.items()}})


MODEL_KEYS = {
    "LSTM": ("lstm", None),
    "Markov (order 1)": ("markov1", None),
    "Theory": ("theory", None),
}


@given(
    markov=st.floats(0, 1),
    lift=st.floats(-1, 1).filter(lambda x: abs(x) >= 0.002),
    explained=st.floats(-1, 2),
)
def test_lift_share_is_the_theory_lift_over_the_lstm_lift(markov, lift, explained):
    line = lift_share(
        summary(lstm=markov + lift, markov=markov, theory=markov + explained * lift),
        MODEL_KEYS,
        "LSTM",
    )
    # Rounded to a whole percent: within half a percent, and float error.
    printed = float(re.search(r"explains: (-?\d+)% ", line).group(1))
    assert printed == pytest.approx(100 * explained, abs=0.5 + 1e-6)


@pytest.mark.parametrize("lift", [0.0, 0.0009, -0.0009])
def test_lift_share_is_not_given_without_a_lift(lift):
    line = lift_share(summary(lstm=0.5 + lift, markov=0.5, theory=0.6), MODEL_KEYS, "LSTM")
    assert "explains: n/a" in line


def test_lift_share_needs_the_three_models():
    partial = {name: key for name, key in MODEL_KEYS.items() if name != "Theory"}
    assert lift_share(summary(lstm=0.6, markov=0.5), partial, "LSTM") is None
    assert lift_share(summary(lstm=0.6, markov=0.5, theory=0.55), MODEL_KEYS, None) is None


def test_the_share_is_printed_from_the_table(tmp_path, capsys):
    path = tmp_path / "events.csv"
    event_log(60).to_csv(path, index=False)
    output = tmp_path / "out"
    tiny = ["--max-epochs", "3", "--hidden-size", "8", "--embedding-dim", "4", "--device", "cpu"]
    models = ["lstm", "markov1", "theory"]
    argv = [path, *COLUMNS, "--protocol", "time", *tiny, "--models", *models, "-o", output]
    status, out, err = evaluate(*argv, capsys=capsys)
    assert status == 0, err
    top_1 = pd.read_csv(output / "results.csv").set_index("model")["top_1"]
    lift = top_1["LSTM"] - top_1["Markov (order 1)"]
    theory = top_1["Theory (fitted memory chain)"] - top_1["Markov (order 1)"]
    share = "n/a" if abs(lift) < 0.001 else f"{theory / lift:.0%}"
    assert f"that the fitted theory explains: {share} " in out


def test_the_graph_is_written_and_skipped_without_networkx(tmp_path, capsys, monkeypatch):
    path = tmp_path / "events.csv"
    event_log().to_csv(path, index=False)
    argv = [path, *COLUMNS, "--models", "markov1", "-o"]
    status, out, err = evaluate(*argv, tmp_path / "with", capsys=capsys)
    assert status == 0, err
    graph = tmp_path / "with" / "transition_graph.png"
    assert graph.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "transition_graph.png" in out

    monkeypatch.setitem(sys.modules, "networkx", None)  # import fails
    status, out, err = evaluate(*argv, tmp_path / "without", capsys=capsys)
    assert status == 0, err
    assert not (tmp_path / "without" / "transition_graph.png").exists()
    (note,) = [line for line in out.splitlines() if "Transition graph skipped" in line]
    assert "networkx" in note
    assert (tmp_path / "without" / "results.csv").exists()


def test_files_of_an_earlier_run_are_kept_without_overwrite(tmp_path, capsys):
    path = tmp_path / "events.csv"
    event_log().to_csv(path, index=False)
    output = tmp_path / "out"
    output.mkdir()
    (output / "leakage.csv").write_text("an earlier run")
    argv = [path, *COLUMNS, "--models", "markov1", "-o", output]
    status, _, err = evaluate(*argv, capsys=capsys)
    assert status == 2 and "leakage.csv" in err
    assert (output / "leakage.csv").read_text() == "an earlier run"


def test_leave_last_out_leakage_is_of_the_test_samples_only(tmp_path, capsys):
    path = tmp_path / "events.csv"
    event_log().to_csv(path, index=False)
    argv = [path, *COLUMNS, "--models", "markov1", "prefix_lookup", "-o", tmp_path / "out"]
    status, out, err = evaluate(*argv, capsys=capsys)
    assert status == 0, err
    assert "Leakage: test samples seen verbatim in training:" in out  # not "summed"
    assert "Prefix lookup" in out and "Theory" not in out  # the theory is not a default
    written = pd.read_csv(tmp_path / "out" / "leakage.csv").set_index("what")
    assert written.loc["test histories", "total"] == 30  # one per sequence
