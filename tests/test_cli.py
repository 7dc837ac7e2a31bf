"""The seqlstm command: `seqlstm demo` in quick mode, in-process and as a subprocess."""

import contextlib
import io
import os
import re
import subprocess
import sys
from importlib.metadata import entry_points

import pandas as pd
import pytest

from sklearn_seqlstm.cli._cli import build_parser, main
from sklearn_seqlstm.inspection._sweep import BAYES_LIMIT, SWEEP_COLUMNS

CHARTS = [
    "accuracy_vs_memory.png",
    "top_k_vs_memory.png",
    "log_loss_vs_memory.png",
    "k_retrieval.png",
    "transition_matrices.png",
    "loss_curve.png",
    "transition_graph.png",
]
FILES = ["results.csv", "report.md", *CHARTS]
QUICK_GRID = [0.0, 0.4, 1.0]
MODELS = ["LSTM", "Markov (order 1)", "Logistic regression", BAYES_LIMIT]
# Numbers in report.md have 3 decimals.
ROUNDING = 0.0005 + 1e-9


@pytest.fixture(scope="module")
def quick_demo(tmp_path_factory):
    """Run `seqlstm demo --quick` once in-process; return (output folder, stdout)."""
    pytest.importorskip("matplotlib")
    output = tmp_path_factory.mktemp("demo")
    # A report of an earlier run, which --overwrite replaces.
    (output / "report.md").write_text("an earlier report")
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        status = main(["demo", "--quick", "--output", str(output), "--no-progress", "--overwrite"])
    assert status == 0
    return output, stdout.getvalue()


def test_quick_demo_writes_every_file(quick_demo):
    output, stdout = quick_demo
    for name in FILES:
        path = output / name
        assert path.is_file() and path.stat().st_size > 0, name
    for name in CHARTS:
        assert (output / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    assert re.search(r"Total elapsed: \d+\.\d s", stdout)
    assert "Top-1 accuracy on the test chains" in stdout
    assert (output / "report.md").read_text(encoding="utf-8").startswith("# sklearn-seqlstm demo")
    # Every file was written through a temporary file and renamed: none is left.
    assert sorted(path.name for path in output.iterdir()) == sorted(FILES)


def test_quick_demo_results_csv(quick_demo):
    results = pd.read_csv(quick_demo[0] / "results.csv")
    assert results.columns.tolist() == SWEEP_COLUMNS
    assert sorted(results["memory_influence"].unique()) == QUICK_GRID
    assert list(pd.unique(results["model"])) == MODELS
    assert len(results) == len(QUICK_GRID) * len(MODELS) * 3
    limit = results[(results["model"] == BAYES_LIMIT) & (results["memory_influence"] == 1.0)]
    assert limit["top_k_accuracy"].eq(1.0).all()


def _gaps_from_csv(results):
    """Mean and worst gap to the limit per model, computed here from results.csv."""
    top1 = results[results["k"] == 1]
    accuracy = top1.pivot(index="memory_influence", columns="model", values="top_k_accuracy")
    log_loss = top1.pivot(index="memory_influence", columns="model", values="log_loss")
    gaps = {}
    for model in MODELS[:-1]:
        gaps[model] = (
            accuracy[BAYES_LIMIT] - accuracy[model],
            log_loss[model] - log_loss[BAYES_LIMIT],
        )
    return gaps


def test_quick_demo_report_numbers_match_results_csv(quick_demo):
    output, _ = quick_demo
    results = pd.read_csv(output / "results.csv")
    report = (output / "report.md").read_text(encoding="utf-8")
    gaps = _gaps_from_csv(results)

    number = r"(-?\d+(?:\.\d+)?)"
    cells = r" \| ".join([number] * 6)
    row = re.compile(rf"^\| ([^|]+?) \| {cells} \|$", re.MULTILINE)
    parsed = {match[0]: [float(v) for v in match[1:]] for match in row.findall(report)}
    assert set(parsed) == set(MODELS[:-1])
    for model, (accuracy_gap, log_loss_gap) in gaps.items():
        mean_acc, worst_acc, worst_acc_m, mean_ll, worst_ll, worst_ll_m = parsed[model]
        assert mean_acc == pytest.approx(accuracy_gap.mean(), abs=ROUNDING)
        assert worst_acc == pytest.approx(accuracy_gap.max(), abs=ROUNDING)
        # The m named is one where the worst gap occurs (robust to ties).
        assert accuracy_gap[worst_acc_m] == pytest.approx(accuracy_gap.max())
        assert mean_ll == pytest.approx(log_loss_gap.mean(), abs=ROUNDING)
        assert worst_ll == pytest.approx(log_loss_gap.max(), abs=ROUNDING)
        assert log_loss_gap[worst_ll_m] == pytest.approx(log_loss_gap.max())

    limit = results[(results["model"] == BAYES_LIMIT) & (results["k"] == 1)]
    limit = limit.set_index("memory_influence")["top_k_accuracy"]
    dip = re.search(
        rf"top-1 accuracy is {number} at m = {number}, falls to its lowest, {number}, at "
        rf"m = {number}, and rises to {number} at m = {number}",
        report,
    )
    assert dip, "the report names where the limit dips"
    first, m_first, lowest, m_lowest, last, m_last = map(float, dip.groups())
    assert (m_first, m_last) == (limit.index.min(), limit.index.max())
    assert first == pytest.approx(limit[m_first], abs=ROUNDING)
    assert lowest == pytest.approx(limit.min(), abs=ROUNDING)
    assert limit[m_lowest] == pytest.approx(limit.min())
    assert last == pytest.approx(limit[m_last], abs=ROUNDING)

    limit_row = re.search(r"^\| Bayes limit top-1 \| (.+) \|$", report, re.MULTILINE)
    values = [float(v) for v in limit_row[1].split(" | ")]
    assert values == pytest.approx(limit.sort_index().tolist(), abs=ROUNDING)


def test_demo_without_matplotlib_still_writes_results_and_report(tmp_path, monkeypatch, capsys):
    for module in [name for name in sys.modules if name.split(".")[0] == "matplotlib"]:
        monkeypatch.delitem(sys.modules, module)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert main(["demo", "--quick", "--output", str(tmp_path), "--no-progress"]) == 0
    assert (tmp_path / "results.csv").is_file() and (tmp_path / "report.md").is_file()
    assert not list(tmp_path.glob("*.png"))
    assert 'pip install "sklearn-seqlstm[plot]"' in capsys.readouterr().err


def test_parser_has_subcommands():
    parser = build_parser()
    args = parser.parse_args(["demo"])
    assert args.command == "demo" and not args.quick and args.progress
    assert str(args.output) == "demo_output"
    with pytest.raises(SystemExit) as info:
        parser.parse_args([])  # a subcommand is required
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0


def error_line(capsys, status, expected_status):
    """The one line ``error: ...`` printed on stderr, without a traceback."""
    captured = capsys.readouterr()
    assert status == expected_status, captured.err
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    return lines[0]


def exit_status(argv):
    """``main(argv)``'s exit status, of a usage error (SystemExit) too."""
    try:
        return main(argv)
    except SystemExit as exit_:
        return exit_.code


@pytest.fixture
def no_sweep(monkeypatch):
    """Fail the test if the demo starts its sweep: these errors come before any work."""

    def fail(*args, **kwargs):
        raise AssertionError("the sweep started before the error was found")

    monkeypatch.setattr("sklearn_seqlstm.inspection._sweep.memory_sweep", fail)


def test_usage_errors_are_one_line(capsys):
    message = error_line(capsys, exit_status(["bogus"]), 2)
    assert "invalid choice: 'bogus'" in message
    message = error_line(capsys, exit_status(["demo", "--random-state", "x"]), 2)
    assert "--random-state" in message and "'x'" in message


def test_demo_output_that_is_a_file(tmp_path, capsys, no_sweep):
    path = tmp_path / "report.md"
    path.write_text("mine")
    status = exit_status(["demo", "--quick", "-o", str(path), "--no-progress"])
    assert "is a file, not a folder" in error_line(capsys, status, 2)
    assert path.read_text() == "mine"


def test_demo_does_not_overwrite_without_overwrite(tmp_path, capsys, no_sweep):
    (tmp_path / "report.md").write_text("mine")
    (tmp_path / "notes.txt").write_text("not an output of the demo")
    status = exit_status(["demo", "--quick", "-o", str(tmp_path), "--no-progress"])
    message = error_line(capsys, status, 2)
    assert "report.md" in message and "--overwrite" in message and "notes.txt" not in message
    assert (tmp_path / "report.md").read_text() == "mine"


def test_demo_random_state_out_of_range(tmp_path, capsys, no_sweep):
    status = exit_status(["demo", "--quick", "-o", str(tmp_path), "--random-state", "-1"])
    assert "--random-state" in error_line(capsys, status, 2)


def test_console_script_is_declared():
    scripts = {ep.name: ep.value for ep in entry_points(group="console_scripts")}
    assert scripts.get("seqlstm") == "sklearn_seqlstm.cli._cli:main"


@pytest.mark.slow
def test_python_m_demo_quick_in_a_subprocess(tmp_path):
    pytest.importorskip("matplotlib")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    completed = subprocess.run(
        [sys.executable, "-m", "sklearn_seqlstm", "demo", "--quick", "--output", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    for name in FILES:
        assert (tmp_path / name).is_file(), name
    assert "Total elapsed" in completed.stdout
    if _has_tqdm():
        assert "memory sweep" in completed.stderr  # the progress bar


def _has_tqdm():
    try:
        import tqdm  # noqa: F401
    except ImportError:
        return False
    return True


def test_python_m_evaluate_error_is_one_line_without_traceback(tmp_path):
    path = tmp_path / "events.csv"
    rows = [f"u{user},{time},{'ABC'[(user + time) % 3]}" for user in range(6) for time in range(5)]
    path.write_text("user,timestamp,page\n" + "\n".join(rows) + "\n")
    argv = ["--sequence-col", "user", "--order-col", "timestamp", "--event-col", "page"]
    argv += ["--models", "lstm", "markov1", "--max-epochs", "1", "--hidden-size", "0"]
    completed = subprocess.run(
        [sys.executable, "-m", "sklearn_seqlstm", "evaluate", str(path), *argv, "-o", "out"],
        capture_output=True,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        cwd=tmp_path,
        timeout=300,
    )
    assert completed.returncode == 2, completed.stderr
    assert "Traceback" not in completed.stderr
    lines = completed.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: argument --hidden-size"), lines
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.csv"]
