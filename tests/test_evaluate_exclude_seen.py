"""``seqlstm evaluate --exclude-seen``: every model ranks only the events a history lacks."""

import argparse

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin

from sklearn_seqlstm.cli._cli import main
from sklearn_seqlstm.cli._evaluate import MODELS, add_evaluate_arguments

COLUMNS = ["--sequence-col", "user", "--order-col", "timestamp", "--event-col", "page"]

#: Each sequence of the hand-made log, with the rank of its last event (the test
#: target under leave-last-out) by LastEventFirst: unmasked, and with the events of
#: the history masked (inf: the target is in the history, a miss). LastEventFirst
#: ranks the history's last event first, then the others in alphabetical order.
SEQUENCES = [
    # history c a b c, target c: c is the last event (rank 1), masked as seen.
    ("cabcc", 1, np.inf),
    # history a b d b, target e: b, a, c, d, e; masked: a, b, d gone, so c, e.
    ("abdbe", 5, 2),
    # history e d e d, target a: d, a, ...; masked: d, e gone, so a first.
    ("ededa", 2, 1),
    # history b c d a, target c: a, b, c, ...; masked: c is in the history.
    ("bcdac", 3, np.inf),
]


class LastEventFirst(ClassifierMixin, BaseEstimator):
    """Ranks the history's last event first, then every other event alphabetically."""

    def fit(self, X, y):
        self.classes_ = np.array(sorted({*y, *(event for history in X for event in history)}))
        return self

    def predict_proba(self, X):
        n = len(self.classes_)
        proba = np.tile(np.arange(n, 0, -1, dtype=float), (len(X), 1))
        for row, history in enumerate(X):
            proba[row, np.searchsorted(self.classes_, list(history)[-1])] = n + 1
        return proba / proba.sum(axis=1, keepdims=True)


def _log(path, copies=5):
    """The hand-made log, each sequence ``copies`` times (the scores are unchanged)."""
    rows = [
        (f"u{copy}-{i}", 100 + position, event)
        for copy in range(copies)
        for i, (events, _, _) in enumerate(SEQUENCES)
        for position, event in enumerate(events)
    ]
    pd.DataFrame(rows, columns=["user", "timestamp", "page"]).to_csv(path, index=False)
    return path


def _expected(ranks):
    ranks = np.asarray(ranks, dtype=float)
    scores = {f"top_{k}": float(np.mean(ranks <= k)) for k in (1, 5, 10)}
    scores["mrr_10"] = float(np.mean(np.where(ranks <= 10, 1 / ranks, 0.0)))
    return scores


def _run(log, output, *options, capsys):
    code = main(
        ["evaluate", str(log), *COLUMNS, "--models", "popularity", "--no-progress"]
        + ["-o", str(output), *options]
    )
    assert code == 0
    printed = capsys.readouterr().out
    results = pd.read_csv(output / "results.csv")
    return results[results["split"] == "test"].iloc[0], printed


@pytest.fixture
def last_event_first(monkeypatch):
    monkeypatch.setitem(
        MODELS, "popularity", ("Last event first", lambda lstm, s: LastEventFirst())
    )


@pytest.mark.parametrize("masked", [False, True])
def test_scores_are_those_computed_by_hand(last_event_first, tmp_path, capsys, masked):
    log = _log(tmp_path / "events.csv")
    options = ["--exclude-seen"] if masked else []
    row, printed = _run(log, tmp_path / "out", *options, capsys=capsys)
    expected = _expected([seq[2 if masked else 1] for seq in SEQUENCES])
    for metric, value in expected.items():
        assert row[metric] == pytest.approx(value), metric
    assert bool(row["exclude_seen"]) is masked
    curves = pd.read_csv(tmp_path / "out" / "k_retrieval.csv")
    assert curves["exclude_seen"].eq(masked).all()

    label = "seen items masked" if masked else "seen items not masked"
    header = printed.split("\n\n")[0]
    assert ("Seen items masked" in header) is masked
    assert ("Seen items not masked" in header) is not masked
    titles = [line for line in printed.splitlines() if line.endswith(":")]
    titles = [t for t in titles if t.startswith(("Scores", "95% intervals", "LSTM"))]
    assert len(titles) == 2 and all(t.endswith(f", {label}:") for t in titles), titles


def test_masking_makes_seen_targets_misses_for_a_history_free_model(tmp_path, capsys):
    """Popularity ignores the history, and is masked alike: with five events, every
    target is in its top 10 unmasked; masked, the two targets that their history
    holds are misses and the two others still in the top 10."""
    log = _log(tmp_path / "events.csv")
    plain, _ = _run(log, tmp_path / "a", capsys=capsys)
    masked, _ = _run(log, tmp_path / "b", "--exclude-seen", capsys=capsys)
    seen = np.mean([np.isinf(masked_rank) for _, _, masked_rank in SEQUENCES])
    assert plain["top_10"] == 1.0
    assert masked["top_10"] == pytest.approx(1.0 - seen)


def test_a_time_target_refuses_exclude_seen(tmp_path, capsys):
    log = _log(tmp_path / "events.csv")
    code = main(
        [
            "evaluate",
            str(log),
            *COLUMNS,
            "--time-col",
            "timestamp",
            "--target",
            "time_to_next",
            "--exclude-seen",
            "-o",
            str(tmp_path / "out"),
        ]
    )
    assert code == 2
    assert "--exclude-seen" in capsys.readouterr().err


def test_the_flag_is_off_by_default():
    parser = add_evaluate_arguments(argparse.ArgumentParser())
    assert parser.parse_args(["events.csv", *COLUMNS]).exclude_seen is False
    assert parser.parse_args(["events.csv", *COLUMNS, "--exclude-seen"]).exclude_seen is True


@pytest.mark.parametrize("masked", [False, True])
def test_top_k_is_trivial_only_when_seen_items_are_not_masked(
    last_event_first, tmp_path, capsys, masked
):
    """Five events: unmasked, top-5 is 1 by construction and a warning says so; masked,
    a target that its history holds is a miss at any k, and the warning would be false."""
    log = _log(tmp_path / "events.csv")
    options = ["--exclude-seen"] if masked else []
    code = main(
        ["evaluate", str(log), *COLUMNS, "--models", "popularity", "--no-progress"]
        + ["-o", str(tmp_path / "out"), *options]
    )
    assert code == 0
    err = capsys.readouterr().err
    assert ("by construction" in err) is not masked


@pytest.mark.parametrize("masked", [False, True])
def test_the_comparison_says_which_ranking_it_compares(masked):
    from sklearn_seqlstm.cli._evaluate_report import _comparison, seen_label

    results = pd.DataFrame(
        {
            "split": "test",
            "model": ["LSTM", "Popularity"],
            **{metric: [0.5, 0.25] for metric in ("top_1", "top_5", "top_10", "mrr_10")},
            "fit_seconds": 0.0,
        }
    )
    models = {"LSTM": ("lstm", None), "Popularity": ("popularity", None)}
    text = _comparison(results, "leave-last-out", models, exclude_seen=masked)
    assert text.splitlines()[0].endswith(f", {seen_label(masked)}:")
