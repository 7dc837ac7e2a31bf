"""Fuzzing of the ``seqlstm`` command through ``main([...])``.

Each example writes a small, often malformed event log into a folder of its own,
builds a command line from generated option values (negative, zero, huge, NaN,
infinite, text, missing) and runs ``main``. Exactly one of these must happen:

- exit status 0, and the output folder holds the command's files, with scores
  between 0 and 1;
- exit status 1 or 2, one line ``error: ...`` on stderr, no traceback, and not a
  file changed or created anywhere, the output folder included.

In both cases no file outside the output folder is touched, the input log
included. Any other exception escapes ``main`` and fails the test with its
traceback, which is what a user would have seen.

The number of examples comes from the Hypothesis profile (tests/conftest.py),
which also prints how many ran; ``pytest --hypothesis-show-statistics`` adds how
many ended with each exit status.
"""

import contextlib
import csv
import io
import os
import tempfile
from pathlib import Path
from unittest import mock

import pandas as pd
import pytest
from _fuzz import counted
from hypothesis import event, example, given
from hypothesis import strategies as st

from sklearn_seqlstm.cli._cli import main

pytest.importorskip("matplotlib")  # a successful run writes the chart too

EVALUATE_FILES = {"results.csv", "k_retrieval.csv", "k_retrieval.png"}
COLUMNS = ["user", "timestamp", "page"]
# Tiny LSTM settings, given after the generated ones (argparse keeps the last value of
# an option, and still checks every value given): a valid but huge generated size
# would take the run's memory or time, which is not what is under test here.
TINY_LSTM = ["--max-epochs", "1", "--hidden-size", "4", "--embedding-dim", "2"]
TINY_LSTM += ["--num-layers", "1", "--batch-size", "8", "--device", "cpu"]

LSTM_ARGV = ["--sequence-col", "user", "--order-col", "timestamp", "--event-col", "page"]
LSTM_ARGV += ["--models", "lstm", "markov1", *TINY_LSTM]

# --- Generated event logs --------------------------------------------------------------

keys = st.sampled_from(["u1", "u2", "u3", "u4", 1, 2, "", None, "u 1"])
orders = st.one_of(
    st.integers(-3, 12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["2024-05-01T12:00:00", "2024-05-01T12:00:00+02:00", "yesterday", "9", "10"]),
    st.sampled_from(["", None, "NaN", "1e3"]),
)
events = st.one_of(
    st.sampled_from(["A", "B", "C", "A", "B"]),
    st.sampled_from([1, 2.5, "", None, "nan", "NaN", "NA", "é", "A,B", 'say "hi"', True]),
)
headers = st.one_of(
    st.just(COLUMNS),
    st.permutations(COLUMNS),
    # Duplicated, missing, extra and blank column names.
    st.lists(st.sampled_from([*COLUMNS, "extra", "", "page.1"]), min_size=0, max_size=5),
)


@st.composite
def event_logs(draw):
    """The text of a log: a header and rows of mixed, missing and odd values."""
    kind = draw(st.sampled_from(["rows", "rows", "rows", "empty", "garbage"]))
    if kind == "empty":
        return ""
    if kind == "garbage":
        return draw(st.text(max_size=40))
    header = draw(headers)
    rows = draw(st.lists(st.tuples(keys, orders, events, events), max_size=24))
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    for row in rows:
        # Rows may be shorter or longer than the header.
        writer.writerow(row[: draw(st.integers(len(header) - 1, len(header) + 1)) or None])
    return text.getvalue()


def regular_log(seed, n_sequences=8):
    """A log that does give samples: fewer examples are spent on empty logs."""
    lines = ["user,timestamp,page"]
    for user in range(n_sequences):
        for time in range(3 + (user + seed) % 4):
            lines.append(f"u{user},{time * 7 % 11},{'ABCD'[(user * 3 + time + seed) % 4]}")
    return "\n".join(lines) + "\n"


# Two in three logs give samples, so that more examples reach the fitting.
logs = st.one_of(event_logs(), *[st.integers(0, 3).map(regular_log)] * 2)

# --- Generated command lines ------------------------------------------------------------

numbers = st.one_of(
    st.integers(2, 4).map(str),  # valid for every option: half the values, so that not
    st.one_of(  # every example stops at the first option
        st.integers(-5, 40).map(str),
        st.sampled_from(["0", "-1", "1e3", "nan", "inf", "-inf", "", "x", "0.5", "1.5"]),
        st.sampled_from(["10000000000000000000000", "4294967296", "-0", " 3", "0x10"]),
        st.floats().map(str),
    ),
)
OPTIONS = {
    "--hidden-size": numbers,
    "--embedding-dim": numbers,
    "--num-layers": numbers,
    "--dropout": numbers,
    "--lr": numbers,
    "--batch-size": numbers,
    "--max-epochs": numbers,
    "--n-iter-no-change": numbers,
    "--min-frequency": numbers,
    "--n-splits": numbers,
    "--min-history": numbers,
    "--max-history": numbers,
    "--random-state": numbers,
    "--device": st.sampled_from(["cpu", "auto", "bogus", "cuda", "cuda:99", "", "meta", "cpu:0"]),
    "--protocol": st.sampled_from(["leave-last-out", "groupkfold", "time", "bogus"]),
    "--test-size": st.sampled_from(["0.2", "0.5", "0.9", "0", "1", "nan"]) | numbers,
    "--early-stopping": st.sampled_from(["auto", "on", "off", "true", "False", "maybe"]),
}
FLAGS = ["--no-copy-from-history", "--verbose", "--overwrite", "--exclude-seen", "--bogus", "-h"]
MODEL_SETS = [
    ["markov1", "popularity"],
    ["markov2", "popularity"],
    ["markov1", "markov3", "logistic"],
    ["lstm", "markov1"],
    ["prefix_lookup", "theory"],
    ["markov1", "prefix_lookup", "theory"],
]


def rarely(strategy, otherwise):
    """``strategy`` in one example in ten, else ``otherwise``.

    (Hypothesis favours the simplest values, the first of a list among them: the
    rare one is the last.)
    """
    return st.sampled_from(range(10)).flatmap(lambda i: strategy if i == 9 else st.just(otherwise))


@st.composite
def evaluate_options(draw):
    """Options after the log and the output folder: generated values of every option."""
    argv = []
    columns = draw(st.sampled_from(["right"] * 4 + ["wrong", "missing"]))
    for flag, name in zip(["--sequence-col", "--order-col", "--event-col"], COLUMNS, strict=True):
        if columns == "wrong" and draw(st.booleans()):
            name = draw(st.sampled_from(["session", "", "page.1", "extra", "user"]))
        if columns != "missing" or draw(st.booleans()):
            argv += [flag, name]
    models = draw(rarely(st.sampled_from([["gru"], []]), None)) or draw(st.sampled_from(MODEL_SETS))
    argv += ["--models", *models]
    for flag in draw(st.lists(st.sampled_from(sorted(OPTIONS)), max_size=2, unique=True)):
        argv += [flag, draw(OPTIONS[flag])]
    argv += draw(st.lists(st.sampled_from(FLAGS[:4]), max_size=2, unique=True))
    if "lstm" in models:
        argv += TINY_LSTM
    argv += draw(rarely(st.sampled_from([*FLAGS[4:], *OPTIONS]).map(lambda flag: [flag]), []))
    return [*argv, "--no-progress"]


# --- The run and its checks -------------------------------------------------------------


def snapshot(root):
    """Every file under ``root`` with its bytes and modification time; the folders."""
    files, folders = {}, set()
    for path in root.rglob("*"):
        relative = path.relative_to(root).as_posix()
        if path.is_file():
            files[relative] = (path.read_bytes(), path.stat().st_mtime_ns)
        else:
            folders.add(relative)
    return files, folders


@contextlib.contextmanager
def working_folder(path):
    """Run the block in ``path``: relative paths keep a failing argv readable.

    (contextlib.chdir needs Python 3.11.)
    """
    previous = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


def run_main(argv):
    """(exit status, stdout, stderr) of ``main(argv)``; other exceptions escape."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            status = main(argv)
        except SystemExit as exit_:
            status = exit_.code
    return status, stdout.getvalue(), stderr.getvalue()


def check_outcome(status, err, argv):
    """Exit status 0, or 1 or 2 with one line ``error: ...`` and no traceback."""
    assert status in (0, 1, 2), (status, argv, err)
    if status != 0:
        assert "Traceback" not in err, err
        lines = err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), (argv, err)


def inside(relative, folder):
    return relative == folder or relative.startswith(folder + "/")


def check_untouched(before, after, output):
    """No file outside ``output`` (a path relative to the root) changed or appeared.

    New folders are the output folder and the parents it was created in.
    """
    (files_before, folders_before), (files_after, folders_after) = before, after
    outside = {name: data for name, data in files_after.items() if not inside(name, output)}
    assert outside == {n: d for n, d in files_before.items() if not inside(n, output)}
    new_folders = folders_after - folders_before
    assert all(inside(output, folder) for folder in new_folders), new_folders
    assert folders_before <= folders_after


def output_choice(root, log):
    """Make one kind of output folder; return its path (relative to the root, for argv)."""
    return {
        "fresh": "out",
        "nested": "out/a/b",
        "empty": _mkdir(root / "empty"),
        "earlier run": _earlier_run(root / "earlier"),
        "the log's folder": log.parent.relative_to(root).as_posix() or ".",
        "a file": log.relative_to(root).as_posix(),
        "under a file": log.relative_to(root).as_posix() + "/out",
    }


def _mkdir(path):
    path.mkdir()
    return path.name


def _earlier_run(path):
    path.mkdir()
    (path / "results.csv").write_text("an earlier run\n")
    (path / "notes.txt").write_text("the user's own file\n")
    return path.name


@given(
    text=logs,
    log_name=st.sampled_from(["events.csv", "events.tsv", "results.csv"])
    | rarely(st.just("events.txt"), "events.csv"),
    log_is_folder=rarely(st.just(True), False),
    output_kind=st.sampled_from(["fresh", "nested", "empty", "the log's folder", "earlier run"])
    | rarely(st.sampled_from(["a file", "under a file"]), "fresh"),
    options=evaluate_options(),
)
# Always run: the LSTM on a log it can fit, then a log of one distinct event.
@example(
    text=regular_log(0),
    log_name="events.csv",
    log_is_folder=False,
    output_kind="fresh",
    options=[*LSTM_ARGV, "--protocol", "groupkfold", "--n-splits", "2", "--no-progress"],
)
@example(
    text="user,timestamp,page\n" + "".join(f"u{i % 3},{i},A\n" for i in range(15)),
    log_name="events.csv",
    log_is_folder=False,
    output_kind="fresh",
    options=[*LSTM_ARGV, "--no-progress"],
)
@counted
def test_evaluate_fuzz(text, log_name, log_is_folder, output_kind, options):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        log = root / "input" / log_name
        log.parent.mkdir()
        if log_is_folder:
            log.mkdir()
        else:
            log.write_text(text.replace(",", "\t") if log_name.endswith(".tsv") else text)
        output = output_choice(root, log)[output_kind]
        argv = ["evaluate", str(log.relative_to(root)), "-o", output, *options]
        before = snapshot(root)
        with working_folder(root):
            status, out, err = run_main(argv)
        after = snapshot(root)

        check_outcome(status, err, argv)
        event(f"exit status {status}")
        input_file = log.relative_to(root).as_posix()  # it may be in the output folder
        assert after[0].get(input_file) == before[0].get(input_file), argv
        if status != 0 or "-h" in argv:
            assert after == before, argv  # an error (or --help) leaves everything as it was
            assert status != 0 or out.startswith("usage: seqlstm evaluate")
            return
        check_untouched(before, after, output)
        written = {name.rpartition("/")[2] for name in after[0] if inside(name, output)}
        assert written >= EVALUATE_FILES, (argv, written)
        assert not [name for name in written if name.startswith(".")]  # no temporary left
        if output_kind == "earlier run":
            assert "--overwrite" in argv
            assert after[0][f"{output}/notes.txt"] == before[0][f"{output}/notes.txt"]
        results = pd.read_csv(root / output / "results.csv")
        scores = results[["top_1", "top_5", "top_10", "mrr_10"]]
        assert scores.notna().all().all() and scores.stack().between(0, 1).all(), results


@given(
    text=logs,
    target=st.sampled_from(["time_to_next", "remaining_time"]),
    time_col=st.sampled_from(["timestamp"] * 4 + ["page", "user", "nope"]),
    models=st.sampled_from([["mean", "median"], ["median", "trees"], ["trees"]])
    | rarely(st.sampled_from([["lstm", "mean"], ["markov1"]]), ["mean"]),
    options=st.lists(
        st.tuples(
            st.sampled_from(["--min-history", "--protocol", "--n-splits"]),
            numbers | st.sampled_from(["leave-last-out", "groupkfold"]),
        ),
        max_size=2,
    ),
)
# Always run: a log that gives samples, and one with the LSTM.
@example(
    text=regular_log(0),
    target="time_to_next",
    time_col="timestamp",
    models=["median", "trees"],
    options=[],
)
@example(
    text=regular_log(2),
    target="remaining_time",
    time_col="timestamp",
    models=["lstm", "mean"],
    options=[("--protocol", "groupkfold"), ("--n-splits", "2")],
)
@counted
def test_evaluate_time_target_fuzz(text, target, time_col, models, options):
    """evaluate --target time_to_next|remaining_time: exit 0 with a finite MAE per model
    in results.csv (the only file written), or one error line and nothing written."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        log = root / "input" / "events.csv"
        log.parent.mkdir()
        log.write_text(text)
        argv = ["evaluate", "input/events.csv", "-o", "out", *LSTM_ARGV[:6]]
        argv += ["--target", target, "--time-col", time_col, "--models", *models]
        argv += [*(part for option in options for part in option), "--no-progress"]
        argv += TINY_LSTM if "lstm" in models else []
        before = snapshot(root)
        with working_folder(root):
            status, _, err = run_main(argv)
        after = snapshot(root)
        check_outcome(status, err, argv)
        event(f"exit status {status}")
        if status != 0:
            assert after == before, argv
            return
        check_untouched(before, after, "out")
        assert [name for name in after[0] if inside(name, "out")] == ["out/results.csv"]
        results = pd.read_csv(root / "out" / "results.csv")
        assert results["mae"].notna().all() and (results["mae"] >= 0).all(), results
        assert len(results["unit"].unique()) == 1, results


@given(
    output_kind=st.sampled_from(
        ["fresh", "nested", "empty", "earlier run", "a file"] + ["under a file"]
    ),
    report_exists=st.booleans(),
    options=st.lists(
        st.one_of(
            st.tuples(st.just("--random-state"), numbers),
            st.sampled_from([("--overwrite",), ("--no-progress",), ("--quick",), ("--bogus",)]),
        ),
        max_size=3,
    ),
)
@counted
def test_demo_fuzz(output_kind, report_exists, options):
    """The demo's options and output folder are checked before its sweep starts.

    The sweep is replaced by one that stops the run: a command line that reaches
    it passed every check, and must not have touched a file by then.
    """

    class SweepStarted(Exception):
        pass

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        log = root / "input" / "report.md"  # "a file" and "under a file" name it
        log.parent.mkdir()
        log.write_text("the user's own file\n")
        output = output_choice(root, log)[output_kind]
        if report_exists and output_kind in ("empty", "earlier run"):
            (root / output / "report.md").write_text("an earlier report\n")
        argv = ["demo", "-o", output, *(part for option in options for part in option)]
        before = snapshot(root)
        with (
            working_folder(root),
            mock.patch("sklearn_seqlstm.inspection._sweep.memory_sweep") as sweep,
        ):
            sweep.side_effect = SweepStarted
            try:
                status, _, err = run_main(argv)
            except SweepStarted:
                status = err = None
        assert snapshot(root) == before, argv  # nothing written before the sweep
        event("the sweep started" if status is None else f"exit status {status}")
        if status is not None:
            check_outcome(status, err, argv)
            assert status != 0, argv  # the demo cannot succeed without its sweep
        elif output_kind == "earlier run" or (report_exists and output_kind == "empty"):
            assert "--overwrite" in argv


# --- seqlstm fit and seqlstm recommend ----------------------------------------

FIT_OPTIONS = ["--min-history", "--max-history", "--random-state"]


def save_choice(root, log):
    """Make one kind of model path; return it relative to the root, for argv."""
    (root / "existing.seqlstm").write_bytes(b"the user's own file\n")
    return {
        "fresh": "model.seqlstm",
        "nested": "models/a/model.seqlstm",
        "existing": "existing.seqlstm",
        "the log": log.relative_to(root).as_posix(),
        "a folder": log.parent.relative_to(root).as_posix(),
        "under a file": log.relative_to(root).as_posix() + "/model",
    }


@given(
    text=logs,
    model=st.sampled_from(["markov1", "popularity", "markov2"])
    | rarely(st.just("lstm"), "markov1"),
    save_kind=st.sampled_from(["fresh", "nested", "existing"])
    | rarely(st.sampled_from(["the log", "a folder", "under a file"]), "fresh"),
    options=st.lists(st.tuples(st.sampled_from(FIT_OPTIONS), numbers), max_size=2),
    k=numbers,
    output_kind=st.sampled_from(["standard output", "fresh", "existing", "the log", "the model"]),
    flags=st.lists(st.sampled_from(["--overwrite", "--exclude-seen"]), max_size=2, unique=True),
)
# Always run: a model fitted, then its recommendations replacing an earlier file.
@example(
    text=regular_log(1),
    model="markov1",
    save_kind="nested",
    options=[],
    k="2",
    output_kind="existing",
    flags=["--overwrite", "--exclude-seen"],
)
@counted
def test_fit_and_recommend_fuzz(text, model, save_kind, options, k, output_kind, flags):
    """seqlstm fit, then seqlstm recommend on its model: the outcomes of evaluate's fuzz.

    An error leaves every file as it was; a success writes the model (or the CSV)
    only, never over an existing file without --overwrite, never over an input.
    """
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        log = root / "input" / "events.csv"
        log.parent.mkdir()
        log.write_text(text)
        save = save_choice(root, log)[save_kind]
        overwrite = ["--overwrite"] if "--overwrite" in flags else []
        argv = ["fit", "input/events.csv", *LSTM_ARGV[:6], "--model", model, "--save", save]
        argv += [*(part for option in options for part in option), *overwrite]
        argv += TINY_LSTM if model == "lstm" else []
        before = snapshot(root)
        with working_folder(root):
            status, _, err = run_main(argv)
        after = snapshot(root)
        check_outcome(status, err, argv)
        event(f"fit: exit status {status}")
        if status != 0:
            assert after == before, argv
            return
        assert save_kind in ("fresh", "nested", "existing"), argv  # never over an input
        assert save_kind != "existing" or overwrite, argv
        check_untouched(before, after, save)

        out = {"fresh": "top.csv", "existing": "existing.csv", "the log": "input/events.csv"}
        out["the model"] = save
        (root / "existing.csv").write_text("the user's own file\n")
        argv = ["recommend", save, "input/events.csv", *LSTM_ARGV[:6], "--k", k]
        argv += [*flags, *(["-o", out[output_kind]] if output_kind in out else [])]
        before = snapshot(root)
        with working_folder(root):
            status, stdout, err = run_main(argv)
        after = snapshot(root)
        check_outcome(status, err, argv)
        event(f"recommend: exit status {status}")
        if status != 0:
            assert after == before, argv
            return
        assert output_kind in ("standard output", "fresh", "existing"), argv
        assert output_kind != "existing" or overwrite, argv
        if output_kind == "standard output":
            assert after == before, argv
            table = pd.read_csv(io.StringIO(stdout))
        else:
            check_untouched(before, after, out[output_kind])
            table = pd.read_csv(root / out[output_kind])
        assert table.columns.tolist() == ["user", "rank", "event", "probability"]
        # With --exclude-seen, a sequence that holds all but a few events has fewer than
        # k to recommend: the documented empty slots (no event, no probability).
        present = table["event"].notna()
        assert present.all() or "--exclude-seen" in argv, table
        assert table.loc[present, "probability"].between(0, 1).all(), table
        assert table.loc[~present, "probability"].isna().all(), table


# --- seqlstm fit / recommend with times, attributes, weights and separators --------------

ATTRIBUTE_COLUMNS = [*COLUMNS, "resource", "segment", "rating"]
ratings = st.one_of(
    st.integers(0, 5),
    st.sampled_from([-1, 2.5, "", None, "x", "nan", "inf", 1e308]),
)


@st.composite
def attributed_logs(draw):
    """The text and file name of a log with time, attribute and rating columns.

    Written as CSV, as a RecBole ``.inter`` file (typed header, tabs), or as a
    ``.txt`` file with semicolons (read only with ``--sep ';'``); the rows hold
    the odd values of :func:`event_logs`, and a rating.
    """
    form = draw(st.sampled_from(["csv", "inter", "txt"]))
    regular = draw(st.booleans())
    header = ATTRIBUTE_COLUMNS
    if not regular and draw(st.booleans()):
        header = draw(st.permutations(ATTRIBUTE_COLUMNS))
    rows = []
    if regular:
        for user in range(6):
            for time in range(2 + user % 3):
                page = "ABCD"[(user + time) % 4]
                rows.append([f"u{user}", time * 60, page, f"r{time % 2}", f"s{user % 2}", 1 + time])
    else:
        rows = draw(
            st.lists(
                st.tuples(keys, orders, events, events, st.sampled_from(["s1", "s2"]), ratings),
                max_size=16,
            )
        )
    if form == "inter":
        types = {"timestamp": "float", "rating": "float"}
        header = [f"{name}:{types.get(name, 'token')}" for name in header]
    text = io.StringIO()
    writer = csv.writer(text, delimiter={"csv": ",", "inter": "\t", "txt": ";"}[form])
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
    return text.getvalue(), f"events.{form}"


column_names = st.sampled_from([*ATTRIBUTE_COLUMNS, "nope", ""])
LOG_OPTIONS = {
    "--time-col": st.sampled_from(["timestamp"] * 3 + ["resource", "page", "nope"]),
    "--event-attributes": st.lists(column_names, min_size=1, max_size=2),
    "--sequence-attributes": st.lists(column_names, min_size=1, max_size=2),
    "--end-event": st.sampled_from(["END", "A", "", "1", "-1"]),
    "--weight-col": st.sampled_from(["rating"] * 3 + ["page", "nope"]),
    "--min-weight": numbers,
    "--sep": st.sampled_from([";", ",", "\\t", "tab", "ab", "", '"']),
}
FIT_ONLY = {
    "--target": st.sampled_from(["next_event", "time_to_next", "remaining_time", "bogus"]),
    "--loss": st.sampled_from(["squared_error", "absolute_error", "huber", "bogus"]),
    "--early-stopping": st.sampled_from(["auto", "on", "off", "true", "False", "maybe", ""]),
}


def draw_options(draw, options):
    argv = []
    for flag in draw(st.lists(st.sampled_from(sorted(options)), max_size=3, unique=True)):
        value = draw(options[flag])
        argv += [flag, *value] if isinstance(value, list) else [flag, value]
    return argv


@given(
    log=attributed_logs(),
    model=st.sampled_from(["lstm", "lstm", "markov1", "popularity"]),
    data=st.data(),
)
@example(  # Always run: a model with time and attributes, fitted then served.
    log=("user,timestamp,page,resource,segment,rating\n" + "".join(
        f"u{u},{t * 60},{'ABCD'[(u + t) % 4]},r{t % 2},s{u % 2},{1 + t}\n"
        for u in range(6) for t in range(2 + u % 3)
    ), "events.csv"),
    model="lstm",
    data=None,
)  # fmt: skip
@counted
def test_fit_and_recommend_options_fuzz(log, model, data):
    """fit and recommend with generated log options: exit 0, or one error line.

    An error leaves every file as it was; a success writes the model (or the
    CSV) and nothing else.
    """
    text, name = log
    if data is None:  # the explicit example
        fit_options = ["--time-col", "timestamp", "--event-attributes", "resource"]
        fit_options += ["--sequence-attributes", "segment", "--end-event", "END"]
        recommend_options = ["--time-col", "timestamp", "--end-event", "END"]
    else:
        fit_options = draw_options(data.draw, {**LOG_OPTIONS, **FIT_ONLY})
        recommend_options = draw_options(data.draw, LOG_OPTIONS)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / name).write_text(text, encoding="utf-8")
        argv = ["fit", name, *LSTM_ARGV[:6], "--model", model, "--save", "model.seqlstm"]
        argv += [*fit_options, *TINY_LSTM, "--no-progress"]
        before = snapshot(root)
        with working_folder(root):
            status, _, err = run_main(argv)
        after = snapshot(root)
        check_outcome(status, err, argv)
        event(f"options fit: exit status {status}")
        if status != 0:
            assert after == before, argv
            return
        check_untouched(before, after, "model.seqlstm")

        argv = ["recommend", "model.seqlstm", name, *LSTM_ARGV[:6], "--k", "2"]
        argv += [*recommend_options, "-o", "top.csv"]
        before = snapshot(root)
        with working_folder(root):
            status, _, err = run_main(argv)
        after = snapshot(root)
        check_outcome(status, err, argv)
        event(f"options recommend: exit status {status}")
        if status != 0:
            assert after == before, argv
            return
        check_untouched(before, after, "top.csv")
        table = pd.read_csv(root / "top.csv")
        assert table.columns.tolist() == ["user", "rank", "event", "probability"]
        assert table["probability"].dropna().between(0, 1).all(), table
        if "--end-event" in recommend_options:
            end = recommend_options[recommend_options.index("--end-event") + 1]
            assert end not in table["event"].astype(str).tolist(), table
