"""The options that make ``seqlstm fit`` / ``recommend`` train what Python trains.

Times, attributes, end events and time targets (the arguments of
``samples_from_log``), ratings as weights, RecBole ``.inter`` files and
``--sep``, early stopping's words, the checks made before any work, and the
one-line warnings and errors of the command.
"""

import contextlib
import io
import os
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from test_evaluate import event_log

import sklearn_seqlstm
from sklearn_seqlstm import (
    MarkovChainClassifier,
    NextEventClassifier,
    NextValueRegressor,
    load,
    samples_from_log,
)
from sklearn_seqlstm.cli import _cli_serving
from sklearn_seqlstm.cli._cli import main

COLUMNS = ["--sequence-col", "user", "--order-col", "timestamp", "--event-col", "page"]
PY_COLUMNS = {"sequence_col": "user", "order_col": "timestamp", "event_col": "page"}
TINY = {"max_epochs": 2, "hidden_size": 8, "embedding_dim": 4, "device": "cpu"}
TINY_ARGV = ["--max-epochs", "2", "--hidden-size", "8", "--embedding-dim", "4", "--device", "cpu"]
SEED = 3


def attributed_log(n_sequences=30, seed=0):
    """The evaluate tests' log with an event attribute, a sequence attribute and ratings."""
    frame = event_log(n_sequences, seed)
    rng = np.random.default_rng(seed)
    users = sorted(frame["user"].unique())
    segment = dict(zip(users, rng.choice(["retail", "pro"], len(users)), strict=True))
    return frame.assign(
        resource=rng.choice(["r1", "r2", "r3"], len(frame)),
        amount=rng.normal(100, 20, len(frame)).round(2),
        segment=frame["user"].map(segment),
        rating=rng.integers(1, 6, len(frame)),
    )


@pytest.fixture
def log_path(tmp_path):
    path = tmp_path / "events.csv"
    attributed_log().to_csv(path, index=False)
    return path


def run(*argv):
    """(exit status, stdout, stderr) of ``seqlstm ARGV``, a usage error's too."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main([str(a) for a in argv])
        except SystemExit as exit_:
            status = exit_.code
    return status, out.getvalue(), err.getvalue()


def assert_one_error_line(err, match):
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert match in lines[0], err
    assert "Traceback" not in err


# The command trains what Python trains -----------------------------------------------


ATTRIBUTES = {
    "time_col": "timestamp",
    "event_attributes": ["resource", "amount"],
    "sequence_attributes": ["segment"],
}
ATTRIBUTES_ARGV = [
    "--time-col", "timestamp", "--event-attributes", "resource", "amount",
    "--sequence-attributes", "segment",
]  # fmt: skip


@pytest.mark.slow  # two LSTM fits, and torch's first import: a few seconds
def test_fit_with_time_and_attributes_is_the_python_fit(log_path, tmp_path):
    model = tmp_path / "model.seqlstm"
    status, out, err = run(
        "fit", log_path, *COLUMNS, *ATTRIBUTES_ARGV, *TINY_ARGV,
        "--random-state", SEED, "--save", model, "--no-progress",
    )  # fmt: skip
    assert status == 0, err
    assert "saved to" in out
    cli_model = load(model)

    frame = pd.read_csv(log_path)
    X, y, _ = samples_from_log(frame, **PY_COLUMNS, **ATTRIBUTES)
    python_model = NextEventClassifier(**TINY, random_state=SEED).fit(X, y)
    assert cli_model.get_params() == python_model.get_params()
    assert cli_model.event_attributes_ == ["resource", "amount"]
    # The same samples, seed and arguments give the same network, weight for weight:
    # saving stores float32 weights exactly.
    np.testing.assert_array_equal(cli_model.predict_proba(X), python_model.predict_proba(X))

    # recommend reads the attribute columns the model was fitted with by itself; it
    # needs to be told the time column, which the model knows by its kind only.
    status, out, err = run("recommend", model, log_path, *COLUMNS, "--k", 2)
    assert status == 2
    assert_one_error_line(err, "--time-col")
    status, out, err = run(
        "recommend", model, log_path, *COLUMNS, "--time-col", "timestamp", "--k", 2
    )
    assert status == 0, err
    table = pd.read_csv(io.StringIO(out))
    whole, _, _ = samples_from_log(frame, **PY_COLUMNS, **ATTRIBUTES, end_event="<end>")
    last = np.flatnonzero(np.append(whole.sequence_index[1:] != whole.sequence_index[:-1], True))
    events, proba = python_model.recommend(whole[last], 2, return_proba=True)
    np.testing.assert_array_equal(table["event"].to_numpy(), events.ravel())
    np.testing.assert_allclose(table["probability"].to_numpy(), proba.ravel(), rtol=1e-12)

    # A log that lacks an attribute column the model was fitted with: said before any work.
    frame.drop(columns="amount").to_csv(tmp_path / "no_amount.csv", index=False)
    status, _, err = run(
        "recommend",
        model,
        tmp_path / "no_amount.csv",
        *COLUMNS,
        "--time-col",
        "timestamp",
        "--k",
        2,
    )
    assert status == 2
    assert_one_error_line(err, "'amount'")


@pytest.mark.parametrize(
    "target, options, params",
    [
        ("remaining_time", [], {}),
        ("time_to_next", ["--loss", "huber"], {"loss": "huber"}),
        (
            "remaining_time",
            ["--loss", "absolute_error", "--target-bins", "4"],
            {"loss": "absolute_error", "target_bins": 4},
        ),
        (
            "remaining_time",
            ["--loss", "absolute_error", "--target-bins", "none"],
            {"loss": "absolute_error", "target_bins": None},
        ),
    ],
)
def test_fit_time_target_is_the_python_fit(log_path, tmp_path, target, options, params):
    model = tmp_path / "model"
    argv = ["fit", log_path, *COLUMNS, "--time-col", "timestamp", "--target", target]
    argv += [*TINY_ARGV, "--random-state", SEED, "--save", model, "--no-progress", *options]
    status, _, err = run(*argv)
    assert status == 0, err
    cli_model = load(model)
    assert isinstance(cli_model, NextValueRegressor)
    assert cli_model.get_params()["target_bins"] == params.get("target_bins", "auto")

    frame = pd.read_csv(log_path)
    X, y, _ = samples_from_log(frame, **PY_COLUMNS, time_col="timestamp", target=target)
    python_model = NextValueRegressor(**TINY, **params, random_state=SEED).fit(X, y)
    np.testing.assert_array_equal(cli_model.predict(X), python_model.predict(X))
    if params.get("target_bins") == 4:
        assert len(cli_model.bin_means_) <= 4

    # recommend has no use for a model of numbers: one line that says what to do.
    status, _, err = run("recommend", model, log_path, *COLUMNS)
    assert status == 2
    assert_one_error_line(err, "NextValueRegressor")


def test_end_event_is_the_python_end_event_and_never_recommended(log_path, tmp_path):
    model = tmp_path / "model"
    argv = ["fit", log_path, *COLUMNS, "--model", "markov1", "--end-event", "END"]
    status, _, err = run(*argv, "--save", model)
    assert status == 0, err
    frame = pd.read_csv(log_path)
    X, y, _ = samples_from_log(frame, **PY_COLUMNS, end_event="END")
    python_model = MarkovChainClassifier(order=1).fit(X, y)
    np.testing.assert_array_equal(load(model).predict_proba(X), python_model.predict_proba(X))
    assert "END" in load(model).classes_

    n_events = frame["page"].nunique()  # END is one class more
    status, out, err = run("recommend", model, log_path, *COLUMNS, "--k", n_events)
    assert status == 0, err
    with_end = pd.read_csv(io.StringIO(out))
    status, out, err = run(
        "recommend", model, log_path, *COLUMNS, "--k", n_events, "--end-event", "END"
    )
    assert status == 0, err
    without = pd.read_csv(io.StringIO(out))
    assert "END" in set(with_end["event"]) and "END" not in set(without["event"])
    assert len(without) == len(with_end)
    # The other events keep their order and probabilities.
    for user, rows in without.groupby("user"):
        expected = with_end[(with_end["user"] == user) & (with_end["event"] != "END")]
        assert len(rows) == n_events and len(expected) >= n_events - 1
        assert rows["event"].tolist()[: len(expected)] == expected["event"].tolist()

    # An end event that is an event of the log would be silently merged with it.
    page = frame["page"].iloc[0]
    status, _, err = run(*argv[:-1], page, "--save", tmp_path / "other")
    assert status == 1
    assert_one_error_line(err, "needs a name that no event has")
    assert not (tmp_path / "other").exists()


# Ratings, .inter files and separators --------------------------------------------------


def test_weight_col_is_sample_weight_and_min_weight_drops_rows(log_path, tmp_path):
    frame = pd.read_csv(log_path)
    model = tmp_path / "model"
    status, _, err = run(
        "fit", log_path, *COLUMNS, "--model", "markov2", "--weight-col", "rating", "--save", model
    )
    assert status == 0, err
    ordered = frame.sort_values(["user", "timestamp"], kind="stable")
    # A sample's weight is its next event's rating: the rows after each user's first.
    weights = ordered.groupby("user")["rating"].apply(lambda r: r.iloc[1:].tolist()).sum()
    X, y, _ = samples_from_log(frame, **PY_COLUMNS)
    python_model = MarkovChainClassifier(order=2).fit(X, y, sample_weight=weights)
    np.testing.assert_allclose(load(model).predict_proba(X), python_model.predict_proba(X))
    unweighted = MarkovChainClassifier(order=2).fit(X, y)
    assert not np.allclose(unweighted.predict_proba(X), python_model.predict_proba(X))

    status, _, err = run(
        "fit", log_path, *COLUMNS, "--model", "markov1", "--weight-col", "rating",
        "--min-weight", "3", "--save", model, "--overwrite",
    )  # fmt: skip
    assert status == 0, err
    kept = frame[frame["rating"] >= 3]
    X, y, _ = samples_from_log(kept, **PY_COLUMNS)
    weights = (
        kept.sort_values(["user", "timestamp"], kind="stable")
        .groupby("user")["rating"]
        .apply(lambda r: r.iloc[1:].tolist())
        .sum()
    )
    python_model = MarkovChainClassifier(order=1).fit(X, y, sample_weight=weights)
    np.testing.assert_allclose(load(model).predict_proba(X), python_model.predict_proba(X))

    # recommend drops the same rows from the histories it recommends after.
    argv = ["recommend", model, log_path, *COLUMNS, "--k", 2]
    status, out, err = run(*argv, "--weight-col", "rating", "--min-weight", "3")
    assert status == 0, err
    table = pd.read_csv(io.StringIO(out))
    histories = kept.sort_values(["user", "timestamp"], kind="stable").groupby("user")["page"]
    events = python_model.recommend(histories.apply(list).tolist(), 2)
    np.testing.assert_array_equal(table["event"].to_numpy(), events.ravel())
    assert run(*argv)[1] != out  # the whole histories give other recommendations


@pytest.mark.parametrize(
    "value, match", [("-1", "not negative"), ("many", "finite numbers"), ("", "finite numbers")]
)
def test_bad_weight_is_one_line_naming_the_line(tmp_path, value, match):
    frame = attributed_log().astype({"rating": object})
    frame.iloc[4, frame.columns.get_loc("rating")] = value
    path = tmp_path / "events.csv"
    frame.to_csv(path, index=False)
    status, _, err = run(
        "fit", path, *COLUMNS, "--model", "markov1", "--weight-col", "rating",
        "--save", tmp_path / "m",
    )  # fmt: skip
    assert status == 1
    assert_one_error_line(err, match)
    assert "line 6" in err  # the header is line 1, the fifth row line 6
    assert not (tmp_path / "m").exists()


def test_recbole_inter_file_and_sep_read_as_the_csv(log_path, tmp_path):
    frame = pd.read_csv(log_path)[["user", "timestamp", "page", "rating"]]
    inter = tmp_path / "log.inter"
    recbole = frame.rename(
        columns={
            "user": "user:token",
            "timestamp": "timestamp:float",
            "page": "page:token",
            "rating": "rating:float",
        }
    )
    recbole.to_csv(inter, sep="\t", index=False)
    semicolons = tmp_path / "log.txt"
    frame.to_csv(semicolons, sep=";", index=False)

    predictions = []
    for path, extra in [(log_path, []), (inter, []), (semicolons, ["--sep", ";"])]:
        model = tmp_path / f"model-{path.suffix}"
        argv = ["fit", path, *COLUMNS, "--model", "markov2", "--weight-col", "rating"]
        status, _, err = run(*argv, *extra, "--save", model)
        assert status == 0, (path, err)
        status, out, err = run("recommend", model, path, *COLUMNS, *extra, "--k", 3)
        assert status == 0, (path, err)
        predictions.append(out)
    assert predictions[0] == predictions[1] == predictions[2]

    # Without --sep, an extension that is not a log's is refused before any work.
    status, _, err = run("fit", semicolons, *COLUMNS, "--save", tmp_path / "m")
    assert status == 2
    assert_one_error_line(err, "--sep")


@pytest.mark.parametrize("sep", ["ab", "", '"', "\n"])
def test_bad_sep_is_a_usage_error(log_path, tmp_path, sep):
    status, _, err = run("fit", log_path, *COLUMNS, "--sep", sep, "--save", tmp_path / "m")
    assert status == 2
    assert_one_error_line(err, "--sep")


def test_ids_read_as_text_warn_of_unknown_events_and_their_type(tmp_path):
    # Items as numbers in one file and as RecBole tokens (text) in the other.
    frame = pd.DataFrame(
        {"user": [1, 1, 1, 2, 2, 2], "timestamp": [1, 2, 3, 1, 2, 3], "page": [10, 20, 10] * 2}
    )
    csv, inter = tmp_path / "log.csv", tmp_path / "log.inter"
    frame.to_csv(csv, index=False)
    frame.set_axis(["user:token", "timestamp:float", "page:token"], axis=1).to_csv(
        inter, sep="\t", index=False
    )
    model = tmp_path / "model"
    assert run("fit", csv, *COLUMNS, "--model", "markov1", "--save", model)[0] == 0
    status, out, err = run("recommend", model, csv, *COLUMNS, "--k", 1)
    assert status == 0 and err == ""
    status, out, err = run("recommend", model, inter, *COLUMNS, "--k", 1)
    assert status == 0
    (line,) = err.splitlines()
    assert line.startswith("warning: 6 of the 6 events of the log (100%) are unknown")
    assert "numbers" in line and "text" in line


def test_a_few_unknown_events_do_not_warn(tmp_path, log_path):
    frame = pd.read_csv(log_path)
    model = tmp_path / "model"
    assert run("fit", log_path, *COLUMNS, "--model", "markov1", "--save", model)[0] == 0
    frame.iloc[0, frame.columns.get_loc("page")] = "never seen"
    frame.to_csv(tmp_path / "new.csv", index=False)
    status, _, err = run("recommend", model, tmp_path / "new.csv", *COLUMNS, "--k", 3)
    assert status == 0 and err == ""
    frame["page"] = "never seen " + frame["page"]
    frame.to_csv(tmp_path / "new.csv", index=False)
    status, _, err = run("recommend", model, tmp_path / "new.csv", *COLUMNS, "--k", 3)
    assert status == 0 and "(100%) are unknown to the model" in err
    assert "numbers" not in err  # text in both: no mismatch of types to tell


# Early stopping's words ----------------------------------------------------------------


@pytest.mark.parametrize(
    "option, name, word, value",
    [
        *(("--early-stopping", "early_stopping", word, value) for word, value in [
            ("auto", "auto"), ("true", True), ("on", True), ("False", False), ("off", False)
        ]),
        *(("--history-counts", "history_counts", word, value) for word, value in [
            ("auto", "auto"), ("none", None), ("2.5", 2.5)
        ]),
        ("--min-frequency", "min_frequency", "3", 3),
    ],
)  # fmt: skip
def test_option_words_are_the_python_values(log_path, tmp_path, option, name, word, value):
    model = tmp_path / "model"
    argv = ["fit", log_path, *COLUMNS, "--max-epochs", "1", "--hidden-size", "4"]
    argv += ["--device", "cpu", option, word, "--save", model, "--no-progress"]
    status, _, err = run(*argv)
    assert status == 0, err
    assert load(model).get_params()[name] == value
    NextEventClassifier(**{name: value})._validate_params()  # the same value in Python


@pytest.mark.parametrize(
    "option, word",
    [
        *(("--early-stopping", word) for word in ["yes", "1", "maybe", ""]),
        *(("--history-counts", word) for word in ["-1", "inf", "nan", "sometimes", ""]),
        *(("--min-frequency", word) for word in ["0", "2.5", "ten"]),
    ],
)
def test_other_option_words_are_usage_errors(log_path, tmp_path, option, word):
    status, _, err = run("fit", log_path, *COLUMNS, option, word, "--save", tmp_path / "m")
    assert status == 2
    assert_one_error_line(err, option)


def test_history_counts_with_a_time_target_is_refused(log_path, tmp_path):
    argv = ["fit", log_path, *COLUMNS, "--time-col", "timestamp", "--target", "remaining_time"]
    status, _, err = run(*argv, "--history-counts", "none", "--save", tmp_path / "m")
    assert status == 2
    assert_one_error_line(err, "--history-counts")


# Refused before any work ---------------------------------------------------------------


@pytest.mark.parametrize(
    "argv, match",
    [
        (["--sequence-col", "usr", "--order-col", "timestamp", "--event-col", "page"], "'usr'"),
        ([*COLUMNS, "--time-col", "tme"], "--time-col: the event log events.csv has no column"),
        ([*COLUMNS, "--event-attributes", "resourse"], "'resourse'"),
        ([*COLUMNS, "--weight-col", "ratin"], "'ratin'"),
        ([*COLUMNS, "--target", "remaining_time"], "needs --time-col"),
        ([*COLUMNS, "--model", "markov1", "--time-col", "timestamp"], "reads the events only"),
        ([*COLUMNS, "--loss", "huber"], "--loss"),
        ([*COLUMNS, "--target-bins", "8"], "--target-bins is for NextValueRegressor"),
        ([*COLUMNS, "--target-bins", "1"], "--target-bins: expected auto, none or a number"),
        ([*COLUMNS, "--target-bins", "many"], "--target-bins: expected auto, none or a number"),
        ([*COLUMNS, "--min-weight", "3"], "--min-weight needs --weight-col"),
        ([*COLUMNS, "--event-attributes", "page"], "given in --event-col and --event-attributes"),
        ([*COLUMNS, "--weight-col", "rating", "--end-event", "E"], "give one of the two"),
    ],
)
def test_misspelled_columns_and_options_exit_2_before_any_work(log_path, tmp_path, argv, match):
    before = log_path.read_bytes()
    status, out, err = run("fit", log_path, *argv, "--save", tmp_path / "m")
    assert status == 2
    assert_one_error_line(err, match)
    assert out == ""
    assert sorted(path.name for path in tmp_path.iterdir()) == ["events.csv"]
    assert log_path.read_bytes() == before


@pytest.mark.parametrize("command", ["fit", "recommend"])
def test_missing_file_exits_2_before_any_work(tmp_path, command):
    model = [tmp_path / "model"] if command == "recommend" else []
    if model:
        model[0].write_bytes(b"not read")
    save = ["--save", tmp_path / "m"] if command == "fit" else []
    status, out, err = run(command, *model, tmp_path / "nope.csv", *COLUMNS, *save)
    assert status == 2
    assert_one_error_line(err, "nope.csv: no such file")
    assert out == ""


def test_no_progress_is_an_option_of_fit(log_path, tmp_path):
    argv = ["fit", log_path, *COLUMNS, "--model", "popularity", "--save", tmp_path / "m"]
    status, out, err = run(*argv, "--no-progress")
    assert status == 0 and err == "" and out.startswith("seqlstm fit: Popularity fitted on")


# Warnings and the package's names -------------------------------------------------------


def test_warnings_print_as_one_line_and_not_after_an_error(monkeypatch, log_path, tmp_path):
    def warn_then(status):
        def run_fit(args):
            warnings.warn("a warning\nover two lines", UserWarning, stacklevel=1)
            warnings.warn("a warning\nover two lines", UserWarning, stacklevel=1)
            warnings.warn("how a library is called", DeprecationWarning, stacklevel=1)
            if status:
                raise _cli_serving.CommandError("the run failed")
            return 0

        return run_fit

    argv = ["fit", log_path, *COLUMNS, "--save", tmp_path / "m"]
    monkeypatch.setattr(_cli_serving, "_run_fit", warn_then(0))
    status, _, err = run(*argv)
    assert status == 0
    assert err == "warning: a warning over two lines\n"  # once, without Python's format
    monkeypatch.setattr(_cli_serving, "_run_fit", warn_then(1))
    status, _, err = run(*argv)
    assert status == 1
    assert err == "error: the run failed\n"

    def warn_in_a_loop(args):
        for i in range(1000):
            warnings.warn(f"item {i} is odd", UserWarning, stacklevel=1)
        return 0

    monkeypatch.setattr(_cli_serving, "_run_fit", warn_in_a_loop)
    status, _, err = run(*argv)
    lines = err.splitlines()
    assert status == 0 and len(lines) == 21  # a bounded number of distinct lines
    assert lines[0] == "warning: item 0 is odd" and lines[-1] == "warning: and 980 more warnings"


def test_dir_lists_public_names_not_importlib():
    names = dir(sklearn_seqlstm)
    assert "importlib" not in names
    assert set(sklearn_seqlstm.__all__) <= set(names)
    # Beyond the public names: private and dunder names, and the subpackages once imported.
    subpackages = {"baselines", "cli", "histories", "inspection", "metrics", "neural"}
    subpackages |= {"serving", "synthetic", "utils"}
    others = set(names) - set(sklearn_seqlstm.__all__) - subpackages
    assert all(name.startswith("_") for name in others), others


def test_damaged_model_files_are_one_error_line(log_path, tmp_path):
    model = tmp_path / "model"
    assert run("fit", log_path, *COLUMNS, "--model", "markov1", "--save", model)[0] == 0
    data = model.read_bytes()
    damaged = tmp_path / "damaged"
    # A flipped bit anywhere: in the zip's headers, a member's data (a bad CRC), the
    # JSON, the weights, the directory at the end.
    for position in np.linspace(0, len(data) - 1, 24).astype(int).tolist():
        flipped = bytearray(data)
        flipped[position] ^= 0x10
        damaged.write_bytes(bytes(flipped))
        status, out, err = run("recommend", damaged, log_path, *COLUMNS, "--k", 2)
        if status != 0:  # some bytes (a timestamp, padding) are read by no one
            assert status == 1, (position, err)
            assert_one_error_line(err, "")
    # A file cut short.
    damaged.write_bytes(data[: len(data) // 2])
    status, _, err = run("recommend", damaged, log_path, *COLUMNS, "--k", 2)
    assert status == 1
    assert_one_error_line(err, "cannot load the model")


def test_parquet_reads_as_the_csv_and_refuses_sep(log_path, tmp_path):
    pytest.importorskip("pyarrow")
    parquet = tmp_path / "events.parquet"
    pd.read_csv(log_path).to_parquet(parquet)
    outputs = []
    for path in (log_path, parquet):
        model = tmp_path / f"model{path.suffix}"
        argv = ["fit", path, *COLUMNS, "--model", "markov1", "--weight-col", "rating"]
        assert run(*argv, "--save", model)[0] == 0
        status, out, err = run("recommend", model, path, *COLUMNS, "--k", 2)
        assert status == 0, err
        outputs.append(out)
    assert outputs[0] == outputs[1]
    status, _, err = run("fit", parquet, *COLUMNS, "--sep", ";", "--save", tmp_path / "m")
    assert status == 2
    assert_one_error_line(err, "--sep applies to text files")


def test_help_says_what_early_stopping_means(capsys):
    with pytest.raises(SystemExit):
        main(["fit", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "early_stopping='auto'" in text and "True or False" in text
    assert "--no-progress" in text and "--weight-col" in text and "--sep" in text


@pytest.mark.slow  # a fresh interpreter that imports the model's libraries: a few seconds
def test_a_reader_that_leaves_early_gets_no_error_line(tmp_path):
    # seqlstm recommend ... | head -1: more output than a pipe holds, read one line.
    n_users = 5000
    frame = pd.DataFrame(
        {
            "user": np.repeat(np.arange(n_users), 3),
            "timestamp": np.tile([1, 2, 3], n_users),
            "page": np.array(["A", "B", "C", "D"])[np.arange(3 * n_users) % 4],
        }
    )
    log, model = tmp_path / "events.csv", tmp_path / "model"
    frame.to_csv(log, index=False)
    assert run("fit", log, *COLUMNS, "--model", "markov1", "--save", model)[0] == 0
    process = subprocess.Popen(
        [sys.executable, "-m", "sklearn_seqlstm", "recommend", model, log, *COLUMNS, "--k", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert process.stdout.readline() == b"user,rank,event,probability\n"
    process.stdout.close()
    err = process.stderr.read()
    assert process.wait(timeout=300) == 1
    assert err == b""
