"""The benchmarks that read the public process logs skip cleanly without them."""

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import _logs  # noqa: E402


def test_missing_logs_print_one_line_naming_the_public_source(tmp_path, capsys):
    assert _logs.missing("bench_x", tmp_path)
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert str(tmp_path) in out
    assert "ERamaM/ProcessMiningDatasets" in out and "CSV/splits/" in out
    assert "--data" in out and _logs.ENV in out


def test_present_logs_are_not_missing(tmp_path, capsys):
    (tmp_path / "Helpdesk_train.csv").write_text("case:concept:name\n")
    assert not _logs.missing("bench_x", tmp_path)
    assert capsys.readouterr().out == ""


def test_data_option_and_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv(_logs.ENV, str(tmp_path / "from_env"))
    parser = argparse.ArgumentParser()
    _logs.add_data_argument(parser)
    assert parser.parse_args([]).data == tmp_path / "from_env"
    assert parser.parse_args(["--data", str(tmp_path)]).data == tmp_path


@pytest.mark.slow
@pytest.mark.parametrize(
    "script",
    [
        "bench_process_logs.py",
        "bench_process_times.py",
        "bench_leakage.py",
        "bench_suffix.py",
        "bench_history_counts.py",
    ],
)
def test_scripts_exit_zero_without_the_logs(script, tmp_path):
    # make bench runs every script and stops at the first non-zero exit status.
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), "--data", str(tmp_path / "absent")],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": str(BENCHMARKS.parent), "OMP_NUM_THREADS": "1", "PATH": ""},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().count("\n") == 0
    assert "skipped" in done.stdout and "ERamaM/ProcessMiningDatasets" in done.stdout


def test_as_category_reads_integer_ids_as_text_and_keeps_missing(tmp_path, monkeypatch):
    import bench_process_times

    (tmp_path / "Log_train.csv").write_text(
        "case,org:resource,amount\n1,10913,500\n1,,500\n2,11169,700\n"
    )
    monkeypatch.setattr(bench_process_times, "DATA", tmp_path)
    plain = bench_process_times.read("Log", "train")
    assert plain["org:resource"].dtype.kind == "f"  # read_csv: numbers (NaN makes floats)
    frame = bench_process_times.read("Log", "train", ["org:resource", "absent"])
    # The text as written, whatever the missing values make of the numbers.
    assert frame["org:resource"].iloc[[0, 2]].tolist() == ["10913", "11169"]
    assert frame["org:resource"].isna().tolist() == [False, True, False]
    assert frame["amount"].tolist() == [500, 500, 700]  # other columns as read
