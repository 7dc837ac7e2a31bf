"""Every example in examples/ runs end to end (sphinx-gallery runs them too)."""

import runpy
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parents[1] / "examples").glob("plot_*.py"))
# plot_memory_sweep.py has its own test, which also checks what it computes
# (tests/test_diagnostics.py).
COVERED_ELSEWHERE = {"plot_memory_sweep.py"}


@pytest.mark.slow
@pytest.mark.parametrize(
    "example", [e for e in EXAMPLES if e.name not in COVERED_ELSEWHERE], ids=lambda e: e.name
)
def test_example_runs(example, tmp_path, monkeypatch):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)  # examples may write files
    runpy.run_path(str(example), run_name="__main__")
    import matplotlib.pyplot as plt

    assert plt.get_fignums(), f"{example.name} drew nothing"
    plt.close("all")
