"""Every example in examples/ runs end to end (sphinx-gallery runs them too).

The examples that show a real process log read it with ``fetch_process_log``,
which downloads it on first use. Here nothing is downloaded: ``SEQLSTM_DATA``
points at a folder of links to the logs found as the benchmarks find them
(``SEQLSTM_PROCESS_LOGS``, else ``../shared/data/process_logs``), and those
examples are skipped, with the reason, where the logs are absent.
"""

import runpy
from pathlib import Path

import pytest
from _process_logs import SKIP_REASON, data_home

EXAMPLES = sorted((Path(__file__).parents[1] / "examples").glob("plot_*.py"))
# plot_memory_sweep.py has its own test, which also checks what it computes
# (tests/test_diagnostics.py).
COVERED_ELSEWHERE = {"plot_memory_sweep.py"}


def reads_process_logs(example):
    return "fetch_process_log(" in example.read_text(encoding="utf-8")


def test_the_real_log_examples_are_recognised():
    real = {e.name for e in EXAMPLES if reads_process_logs(e)}
    assert {"plot_transition_graph.py", "plot_continuations.py", "plot_fitted_theory.py"} <= real


@pytest.mark.slow
@pytest.mark.parametrize(
    "example", [e for e in EXAMPLES if e.name not in COVERED_ELSEWHERE], ids=lambda e: e.name
)
def test_example_runs(example, tmp_path, monkeypatch):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    if reads_process_logs(example):
        home = data_home(tmp_path / "data")
        if home is None:
            pytest.skip(f"{example.name} reads a process log, and there are {SKIP_REASON}")
        monkeypatch.setenv("SEQLSTM_DATA", str(home))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)  # examples may write files
    runpy.run_path(str(example), run_name="__main__")
    import matplotlib.pyplot as plt

    assert plt.get_fignums(), f"{example.name} drew nothing"
    plt.close("all")
