"""seqlstm fit / recommend / evaluate --save-model, and the lazy start of the package."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

# The same synthetic event log and columns as the tests of seqlstm evaluate.
from test_evaluate import COLUMNS, event_log

from sklearn_seqlstm import load
from sklearn_seqlstm.cli._cli import main

TINY_LSTM = ["--max-epochs", "2", "--hidden-size", "8", "--embedding-dim", "4", "--device", "cpu"]


@pytest.fixture
def csv_log(tmp_path):
    path = tmp_path / "events.csv"
    event_log().to_csv(path, index=False)
    return path


def cli(*argv):
    return main([str(a) for a in argv])


def test_fit_then_recommend(csv_log, tmp_path, capsys):
    model = tmp_path / "model.seqlstm"
    assert cli("fit", csv_log, *COLUMNS, *TINY_LSTM, "--save", model) == 0
    assert "saved to" in capsys.readouterr().out
    out = tmp_path / "top.csv"
    assert cli("recommend", model, csv_log, *COLUMNS, "--k", 3, "-o", out) == 0
    table = pd.read_csv(out)
    assert table.columns.tolist() == ["user", "rank", "event", "probability"]
    frame = event_log()
    assert table["user"].nunique() == frame["user"].nunique()
    assert all(ranks == [1, 2, 3] for ranks in table.groupby("user")["rank"].apply(list))

    # The same as recommend() on each user's whole, ordered sequence.
    clf = load(model)
    ordered = frame.sort_values(["user", "timestamp"], kind="stable")
    histories = ordered.groupby("user")["page"].apply(list)
    events, proba = clf.recommend(histories.tolist(), 3, return_proba=True)
    np.testing.assert_array_equal(table["event"].to_numpy(), events.ravel())
    np.testing.assert_allclose(table["probability"].to_numpy(), proba.ravel(), rtol=1e-12)


def test_recommend_to_stdout_with_exclude_seen(csv_log, tmp_path, capsys):
    model = tmp_path / "model"
    assert cli("fit", csv_log, *COLUMNS, "--model", "markov1", "--save", model) == 0
    capsys.readouterr()
    assert cli("recommend", model, csv_log, *COLUMNS, "--k", 2, "--exclude-seen") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "user,rank,event,probability"
    frame = event_log()
    seen = frame.groupby("user")["page"].apply(set)
    for line in lines[1:]:
        user, _, event, _ = line.split(",")
        assert event not in seen[user]


def test_evaluate_saves_the_model(csv_log, tmp_path):
    model = tmp_path / "model"
    status = cli(
        "evaluate", csv_log, *COLUMNS, *TINY_LSTM, "--models", "lstm", "markov1",
        "--output", tmp_path / "out", "--no-progress", "--save-model", model,
    )  # fmt: skip
    assert status == 0
    assert load(model).predict([["A"]]).shape == (1,)


@pytest.mark.parametrize(
    "extra, match",
    [
        (["--protocol", "groupkfold"], "leave-last-out"),
        (["--models", "markov1"], "add lstm"),
    ],
)
def test_evaluate_save_model_usage_errors(csv_log, tmp_path, capsys, extra, match):
    status = cli(
        "evaluate", csv_log, *COLUMNS, *extra, "--output", tmp_path / "out",
        "--save-model", tmp_path / "model",
    )  # fmt: skip
    assert status == 2
    err = capsys.readouterr().err
    assert match in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert err.startswith("error: ")


@pytest.mark.parametrize("model", ["{log}", "{out}/results.csv", "{existing}"])
def test_evaluate_save_model_is_checked_before_any_work(csv_log, tmp_path, capsys, model):
    # The input, a file the command writes itself, an existing file without --overwrite.
    existing = tmp_path / "existing"
    existing.write_bytes(b"keep")
    model = model.format(log=csv_log, out=tmp_path / "out", existing=existing)
    before = csv_log.read_bytes()
    status = cli(
        "evaluate", csv_log, *COLUMNS, "--models", "lstm", "--output", tmp_path / "out",
        "--save-model", model, "--no-progress",
    )  # fmt: skip
    assert status == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --save-model") and len(err.strip().splitlines()) == 1
    assert csv_log.read_bytes() == before and existing.read_bytes() == b"keep"
    assert not (tmp_path / "out").exists()


def test_no_file_is_overwritten_without_asking(csv_log, tmp_path, capsys):
    model = tmp_path / "model"
    model.write_bytes(b"keep")
    assert cli("fit", csv_log, *COLUMNS, "--model", "popularity", "--save", model) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert model.read_bytes() == b"keep"
    assert (
        cli("fit", csv_log, *COLUMNS, "--model", "popularity", "--save", model, "--overwrite") == 0
    )
    out = tmp_path / "top.csv"
    out.write_text("keep")
    assert cli("recommend", model, csv_log, *COLUMNS, "--k", 1, "-o", out) == 2
    assert out.read_text() == "keep"
    capsys.readouterr()
    # Never over an input, even with --overwrite.
    before = csv_log.read_bytes()
    assert cli("recommend", model, csv_log, *COLUMNS, "-o", csv_log, "--overwrite") == 2
    assert "never overwritten" in capsys.readouterr().err
    assert csv_log.read_bytes() == before
    assert cli("fit", csv_log, *COLUMNS, "--save", csv_log, "--overwrite") == 2
    assert csv_log.read_bytes() == before


# A missing file, a column the log lacks and a k the model cannot give are found
# before any work: exit status 2; a file that is not a model, once read: 1.
@pytest.mark.parametrize(
    "argv, match, status",
    [
        (["recommend", "{tmp}/missing", "{log}", *COLUMNS], "no such file", 2),
        (["recommend", "{log}", "{log}", *COLUMNS], "not a saved sklearn-seqlstm model", 1),
        (["recommend", "{model}", "{log}", *COLUMNS, "--k", "99"], "exceeds the number", 2),
        (["recommend", "{model}", "{tmp}/none.csv", *COLUMNS], "no such file", 2),
        (["fit", "{log}", "--sequence-col", "nope", "--order-col", "timestamp",
          "--event-col", "page", "--save", "{tmp}/m"], "no column", 2),
    ],
)  # fmt: skip
def test_errors_are_one_line(csv_log, tmp_path, capsys, argv, match, status):
    model = tmp_path / "model"
    assert cli("fit", csv_log, *COLUMNS, "--model", "popularity", "--save", model) == 0
    capsys.readouterr()
    argv = [a.format(tmp=tmp_path, log=csv_log, model=model) for a in argv]
    assert cli(*argv) == status
    err = capsys.readouterr().err
    assert match in err and err.startswith("error: ") and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_bad_k_is_a_usage_error(csv_log, tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        cli("recommend", tmp_path / "m", csv_log, *COLUMNS, "--k", "0")
    assert info.value.code == 2


# Fast start ---------------------------------------------------------------------------

_HEAVY = "('torch', 'skorch', 'sklearn', 'matplotlib', 'pandas')"


def _run(code):
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_import_does_not_load_torch():
    out = _run(
        f"import sys, sklearn_seqlstm\nprint(sorted(m for m in {_HEAVY} if m in sys.modules))"
    )
    assert out.strip() == "[]"


def test_help_does_not_load_torch():
    out = _run(
        "import sys, contextlib, io\n"
        "from sklearn_seqlstm.cli._cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as text:\n"
        "    try:\n"
        "        main(['--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "assert 'recommend' in text.getvalue()\n"
        f"print(sorted(m for m in {_HEAVY} if m in sys.modules))"
    )
    assert out.strip() == "[]"


def test_every_public_name_imports():
    import sklearn_seqlstm

    for name in sklearn_seqlstm.__all__:
        assert getattr(sklearn_seqlstm, name) is not None
        assert name in dir(sklearn_seqlstm)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        sklearn_seqlstm.nope  # noqa: B018
    exec("from sklearn_seqlstm import NextEventClassifier, load, HistoryStream", {})
