"""``seqlstm evaluate``'s protocols for process logs (``--protocol time``, ``--test-file``),
the warning on test targets unlike the training ones, and the report's readability:
the elapsed time, the chart's title, the MAE's unit, the loss curve's ticks."""

import re
import time

import numpy as np
import pandas as pd
import pytest
from test_evaluate import COLUMNS, run

from sklearn_seqlstm import (
    MarkovChainClassifier,
    reciprocal_rank,
    samples_from_log,
    top_k_accuracy,
)
from sklearn_seqlstm.cli import _cli

KEYS = {"sequence_col": "user", "order_col": "timestamp", "event_col": "page"}
ACTIVITIES = ["register", "check", "approve", "reject", "ask", "wait"]


def process_log(n_sequences=60, seed=0, start=0):
    """A process log: every case ends with "closed", an activity found nowhere else.

    The cases start in an order unlike that of their keys (``c<random>``), so that a
    split by key and a split by start differ.
    """
    rng = np.random.RandomState(seed)
    keys = rng.permutation(n_sequences) + start
    rows = []
    for case, key in enumerate(keys):
        timestamp = 1_700_000_000 + 3600 * (start + case) + int(rng.randint(0, 60))
        length = int(rng.randint(3, 8))
        pages = [*rng.choice(ACTIVITIES, size=length - 1), "closed"]
        for position, page in enumerate(pages):
            rows.append({"user": f"c{key}", "timestamp": timestamp + 60 * position, "page": page})
    return pd.DataFrame(rows).sample(frac=1, random_state=seed)


@pytest.fixture
def process_csv(tmp_path):
    path = tmp_path / "process.csv"
    process_log().to_csv(path, index=False)
    return path


def evaluate(*argv, capsys):
    """Run the command without a progress bar; (status, stdout, stderr)."""
    status = run(*argv, "--no-progress")
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def markov_scores(train_frame, test_frame):
    """Markov order 1's scores on every sample of ``test_frame``, computed here in one
    call of predict_proba and the public metrics: {results.csv column: score}."""
    train = samples_from_log(train_frame, **KEYS)
    test = samples_from_log(test_frame, **KEYS)
    model = MarkovChainClassifier(order=1).fit(train.X, train.y)
    proba, classes = model.predict_proba(test.X), model.classes_
    scores = {f"top_{k}": top_k_accuracy(test.y, proba, classes=classes, k=k) for k in (1, 5)}
    return {**scores, "mrr_10": reciprocal_rank(test.y, proba, classes=classes, k=10)}


def markov_top_1(train_frame, test_frame):
    return markov_scores(train_frame, test_frame)["top_1"]


# --protocol time ----------------------------------------------------------------------


@pytest.mark.parametrize("test_size", [0.2, 0.5])
def test_time_protocol_tests_every_event_of_the_latest_sequences_by_start(
    process_csv, tmp_path, capsys, test_size
):
    argv = [process_csv, *COLUMNS, "--protocol", "time", "--test-size", test_size]
    status, out, _ = evaluate(*argv, "--models", "markov1", "-o", tmp_path / "out", capsys=capsys)
    assert status == 0

    # The split made here: cases ranked by their first event's time, not by their key.
    frame = pd.read_csv(process_csv)
    starts = frame.groupby("user")["timestamp"].min().sort_values()
    n_test = round(test_size * len(starts))
    latest = set(starts.index[-n_test:])
    tested = frame[frame["user"].isin(latest)]
    trained = frame[~frame["user"].isin(latest)]
    assert sorted(latest) != sorted(starts.index)[-n_test:]  # keys and starts disagree

    results = pd.read_csv(tmp_path / "out" / "results.csv")
    (row,) = results.to_dict("records")
    assert row["split"] == "test"
    # Every event but each case's first is a target (--min-history 1).
    assert row["n_test"] == len(tested) - len(latest)
    assert row["n_train"] == len(trained) - (len(starts) - len(latest))
    assert row["top_1"] == pytest.approx(markov_top_1(trained, tested))
    assert "every event of the latest sequences by start" in out
    assert f"from {n_test:,} sequences, the latest {test_size:.0%} by start" in out


def test_time_protocol_trains_on_the_last_activity_that_leave_last_out_hides(
    process_csv, tmp_path, capsys
):
    # "closed" ends every case: leave-last-out tests it and never trains on it.
    base = [process_csv, *COLUMNS, "--models", "markov1"]
    status, _, err = evaluate(*base, "-o", tmp_path / "llo", capsys=capsys)
    assert status == 0
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    (unlike,) = [line for line in warnings if "absent from the training targets" in line]
    assert "100% of the test targets" in unlike and "'closed'" in unlike
    assert "--protocol time" in unlike
    llo = pd.read_csv(tmp_path / "llo" / "results.csv").query("split == 'test'")
    assert (llo["top_1"] == 0).all()  # the model never saw "closed" as a next event

    status, _, err = evaluate(*base, "--protocol", "time", "-o", tmp_path / "time", capsys=capsys)
    assert status == 0
    assert "absent from the training targets" not in err
    assert pd.read_csv(tmp_path / "time" / "results.csv")["top_1"].item() > 0


def test_no_warning_when_test_targets_are_like_the_training_ones(tmp_path, capsys):
    # Leave-last-out on a chain whose last event is like any other: no warning.
    from test_evaluate import event_log

    path = tmp_path / "log.csv"
    event_log(n_sequences=200).to_csv(path, index=False)
    status, _, err = evaluate(path, *COLUMNS, "--models", "markov1", "-o", tmp_path, capsys=capsys)
    assert status == 0
    assert "absent from the training targets" not in err


@pytest.mark.parametrize("test_size", ["0", "1", "1.5", "-0.2", "nan", "a"])
def test_test_size_outside_zero_and_one_is_a_usage_error(process_csv, tmp_path, capsys, test_size):
    argv = [process_csv, *COLUMNS, "--protocol", "time", "--test-size", test_size]
    status, _, err = evaluate(*argv, "-o", tmp_path, capsys=capsys)
    assert status == 2
    assert "--test-size" in err and "Traceback" not in err


def test_time_protocol_with_too_few_sequences_is_one_clear_error(tmp_path, capsys):
    path = tmp_path / "two.csv"
    process_log(n_sequences=2).to_csv(path, index=False)
    argv = [path, *COLUMNS, "--protocol", "time", "--test-size", "0.1"]
    status, _, err = evaluate(*argv, "--models", "markov1", "-o", tmp_path / "out", capsys=capsys)
    assert status == 1
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert "no test sequence" in err and "2 sequences" in err
    assert not (tmp_path / "out" / "results.csv").exists()


# --test-file --------------------------------------------------------------------------


def test_test_file_trains_on_the_main_log_and_tests_every_event_of_the_other(tmp_path, capsys):
    train_frame, test_frame = process_log(60, seed=1), process_log(20, seed=2, start=1000)
    train_path, test_path = tmp_path / "train.csv", tmp_path / "test.csv"
    train_frame.to_csv(train_path, index=False)
    test_frame.to_csv(test_path, index=False)
    argv = [train_path, *COLUMNS, "--test-file", test_path, "--models", "markov1", "popularity"]
    status, out, err = evaluate(*argv, "-o", tmp_path / "out", capsys=capsys)
    assert status == 0, err

    results = pd.read_csv(tmp_path / "out" / "results.csv").set_index("model")
    assert (results["split"] == "test").all()
    n_cases = train_frame["user"].nunique(), test_frame["user"].nunique()
    assert (results["n_train"] == len(train_frame) - n_cases[0]).all()
    assert (results["n_test"] == len(test_frame) - n_cases[1]).all()
    # Scored in chunks of the shortest histories first: the same as in one call.
    for column, expected in markov_scores(train_frame, test_frame).items():
        assert results.loc["Markov (order 1)", column] == pytest.approx(expected)
    assert "those of --test-file test.csv" in out
    assert "every event of the --test-file sequences" in out


def test_test_file_and_protocol_together_are_refused_before_any_work(process_csv, tmp_path, capsys):
    argv = [process_csv, *COLUMNS, "--test-file", process_csv, "--protocol", "time"]
    status, out, err = evaluate(*argv, "-o", tmp_path / "out", capsys=capsys)
    assert status == 2
    assert err.startswith("error: --test-file") and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_a_bad_test_file_is_named_in_the_error(process_csv, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"user": ["a"], "timestamp": [1], "other": ["x"]}).to_csv(bad, index=False)
    argv = [process_csv, *COLUMNS, "--test-file", bad, "--models", "markov1"]
    status, _, err = evaluate(*argv, "-o", tmp_path / "out", capsys=capsys)
    # Found from the header, before any work: a usage error.
    assert status == 2
    assert "bad.csv" in err and "'page'" in err and len(err.strip().splitlines()) == 1
    assert "--test-file --event-col" in err

    missing = tmp_path / "missing.csv"
    argv = [process_csv, *COLUMNS, "--test-file", missing, "--models", "markov1"]
    status, _, err = evaluate(*argv, "-o", tmp_path / "out", capsys=capsys)
    assert status == 2 and "missing.csv" in err


def test_the_test_file_is_never_written_over(process_csv, tmp_path, capsys):
    output = tmp_path / "out"
    output.mkdir()
    test_path = output / "results.csv"
    process_log(10, seed=3).to_csv(test_path, index=False)
    before = test_path.read_bytes()
    argv = [process_csv, *COLUMNS, "--test-file", test_path, "--models", "markov1"]
    status, _, err = evaluate(*argv, "-o", output, "--overwrite", capsys=capsys)
    assert status == 2 and "Traceback" not in err
    assert test_path.read_bytes() == before


# The report: elapsed time, chart title, MAE unit, loss-curve ticks -------------------


def test_total_elapsed_counts_from_the_start_of_main(process_csv, tmp_path, capsys, monkeypatch):
    # Time spent before the command runs (parsing imports torch) and after the models
    # are fitted (the report's bootstrap intervals) is part of the wall time.
    pause = 0.4
    build_parser = _cli.build_parser

    def slow_build_parser():
        time.sleep(pause)
        return build_parser()

    from sklearn_seqlstm.cli import _evaluate

    intervals = _evaluate._intervals

    def slow_intervals(*args, **kwargs):
        time.sleep(pause)
        return intervals(*args, **kwargs)

    monkeypatch.setattr(_cli, "build_parser", slow_build_parser)
    monkeypatch.setattr(_evaluate, "_intervals", slow_intervals)
    begin = time.perf_counter()
    status, out, _ = evaluate(
        process_csv, *COLUMNS, "--models", "markov1", "-o", tmp_path, capsys=capsys
    )
    wall = time.perf_counter() - begin
    assert status == 0
    elapsed = float(re.search(r"Total elapsed: ([\d.]+) s", out).group(1))
    assert 2 * pause <= elapsed <= wall + 0.05


def _title_extent(figure):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    (ax,) = figure.axes
    return ax.title.get_window_extent(canvas.get_renderer()), figure.bbox


@pytest.mark.parametrize("protocol", [[], ["--protocol", "time"], ["--test-file", "TEST"]])
def test_the_chart_title_fits_in_the_figure_whatever_the_file_name(
    tmp_path, capsys, monkeypatch, protocol
):
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    path = tmp_path / ("BPI_Challenge_2013_closed_problems_train_with_a_longer_name" + ".csv")
    process_log().to_csv(path, index=False)
    protocol = [str(path) if word == "TEST" else word for word in protocol]
    saved = []
    savefig = Figure.savefig

    def keep(figure, *args, **kwargs):
        saved.append(figure)
        return savefig(figure, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", keep)
    argv = [path, *COLUMNS, *protocol, "--models", "markov1", "-o", tmp_path / "out"]
    status, _, err = evaluate(*argv, capsys=capsys)
    assert status == 0, err
    # The k-retrieval chart and the transition graph: every title fits.
    assert len(saved) == 2
    for figure in saved:
        title, page = _title_extent(figure)
        assert page.x0 <= title.x0 and title.x1 <= page.x1
        assert path.name[:20] in figure.axes[0].get_title()


def gappy_log(n_sequences=60, seed=0):
    """Most events a second after the one before, one in four some days after: the
    median gap is a second while the mean absolute error is most of a day."""
    rng = np.random.RandomState(seed)
    rows = []
    for user in range(n_sequences):
        moment = pd.Timestamp("2024-03-01") + pd.Timedelta(hours=int(rng.randint(0, 500)))
        for _ in range(int(rng.randint(4, 9))):
            rows.append({"user": f"u{user}", "timestamp": moment.isoformat(), "page": "A"})
            days = rng.uniform(2, 4) if rng.uniform() < 0.25 else 0
            moment += pd.Timedelta(seconds=1) + pd.Timedelta(days=days)
    return pd.DataFrame(rows)


def test_the_mae_is_reported_in_a_unit_that_reads_well(tmp_path, capsys):
    path = tmp_path / "log.csv"
    gappy_log().to_csv(path, index=False)
    argv = [path, *COLUMNS, "--time-col", "timestamp", "--target", "time_to_next"]
    status, out, err = evaluate(*argv, "--models", "mean", "median", "-o", tmp_path, capsys=capsys)
    assert status == 0, err
    results = pd.read_csv(tmp_path / "results.csv").query("split == 'test'").set_index("model")
    (unit,) = set(results["unit"])
    assert unit != "seconds" and f"MAE ({unit})" in out
    seconds = {"minutes": 60.0, "hours": 3600.0, "days": 86400.0}[unit]

    # The training median, computed here in seconds, is the same error in that unit.
    frame = pd.read_csv(path)
    from sklearn_seqlstm import leave_last_out_split

    train, _, test = leave_last_out_split(
        frame, **KEYS, time_col="timestamp", target="time_to_next"
    )
    expected = np.abs(test.y - np.median(train.y)).mean()
    assert expected > 3600  # in seconds, a number of five or six digits
    assert results.loc["Training median", "mae"] * seconds == pytest.approx(expected, rel=1e-6)
    assert 0.1 <= results["mae"].median() < 1000


def test_loss_curve_ticks_are_whole_epochs():
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    from sklearn_seqlstm import LossCurveDisplay

    for n_epochs in (2, 3, 7, 40):
        ax = Figure().subplots()
        epochs = np.arange(1, n_epochs + 1)
        LossCurveDisplay(epochs=epochs, train_loss=1 / epochs).plot(ax=ax)
        low, high = ax.get_xlim()
        ticks = [tick for tick in ax.get_xticks() if low <= tick <= high]
        assert len(ticks) >= 2
        assert all(float(tick).is_integer() for tick in ticks), ticks


# Every model finishes: bounds on the baselines, progress with a time estimate -------


@pytest.fixture
def chain_csv(tmp_path):
    from test_evaluate import event_log

    path = tmp_path / "chains.csv"
    event_log(n_sequences=40).to_csv(path, index=False)
    return path


def _leave_last_out_train(path):
    from sklearn_seqlstm import leave_last_out_split

    train, _, _ = leave_last_out_split(pd.read_csv(path), **KEYS)
    return train


def test_a_logistic_regression_too_large_to_fit_is_skipped_with_its_reason(
    chain_csv, tmp_path, capsys, monkeypatch
):
    from sklearn_seqlstm import SequenceFeaturizer
    from sklearn_seqlstm.cli import _evaluate_budget

    train = _leave_last_out_train(chain_csv)
    n_classes = len(set(train.y))
    n_features = len(SequenceFeaturizer().fit(train.X).get_feature_names_out())
    monkeypatch.setattr(_evaluate_budget, "MAX_COEFFICIENTS", n_classes * n_features - 1)
    argv = [chain_csv, *COLUMNS, "--models", "logistic", "markov1"]
    status, out, err = evaluate(*argv, "-o", tmp_path / "out", capsys=capsys)
    assert status == 0, err
    (line,) = [line for line in out.splitlines() if line.startswith("Skipped Logistic")]
    assert f"{n_classes:,} classes x {n_features:,} features" in line
    results = pd.read_csv(tmp_path / "out" / "results.csv")
    assert set(results["model"]) == {"Markov (order 1)"}

    # One coefficient more in the budget, and it is fitted on every sample.
    monkeypatch.setattr(_evaluate_budget, "MAX_COEFFICIENTS", n_classes * n_features)
    status, out, _ = evaluate(*argv, "-o", tmp_path / "out", "--overwrite", capsys=capsys)
    assert status == 0 and "Skipped" not in out
    results = pd.read_csv(tmp_path / "out" / "results.csv").set_index("model")
    assert (results.loc["Logistic regression", "n_train"] == len(train.y)).all()


def test_when_every_model_is_skipped_the_error_says_why(chain_csv, tmp_path, capsys, monkeypatch):
    from sklearn_seqlstm.cli import _evaluate_budget

    monkeypatch.setattr(_evaluate_budget, "MAX_COEFFICIENTS", 1)
    argv = [chain_csv, *COLUMNS, "--models", "logistic"]
    status, _, err = evaluate(*argv, "-o", tmp_path / "out", capsys=capsys)
    assert status == 1
    assert err.startswith("error: Skipped Logistic regression") and len(err.splitlines()) == 1
    assert not (tmp_path / "out" / "results.csv").exists()


def test_a_logistic_regression_with_too_many_scores_is_fitted_on_a_sample(
    chain_csv, tmp_path, capsys, monkeypatch
):
    from sklearn_seqlstm.cli import _evaluate_budget

    train = _leave_last_out_train(chain_csv)
    n_classes = len(set(train.y))
    largest = len(train.y) // 3
    monkeypatch.setattr(_evaluate_budget, "MAX_SCORES", largest * n_classes)
    argv = [chain_csv, *COLUMNS, "--models", "logistic", "markov1", "-o", tmp_path / "out"]
    status, out, err = evaluate(*argv, capsys=capsys)
    assert status == 0, err
    assert f"a random sample of {largest:,} of the {len(train.y):,} training samples" in out
    results = pd.read_csv(tmp_path / "out" / "results.csv").set_index("model")
    assert (results.loc["Logistic regression", "n_train"] == largest).all()
    assert (results.loc["Markov (order 1)", "n_train"] == len(train.y)).all()
    first = results.loc["Logistic regression", "top_1"].to_numpy()

    # The sample is drawn from --random-state: the same seed, the same scores.
    status, again, _ = evaluate(*argv, "--overwrite", capsys=capsys)
    assert status == 0
    results = pd.read_csv(tmp_path / "out" / "results.csv").set_index("model")
    np.testing.assert_array_equal(results.loc["Logistic regression", "top_1"].to_numpy(), first)


def test_trees_on_too_many_dense_features_are_fitted_on_a_sample(tmp_path, capsys, monkeypatch):
    from test_evaluate import time_log

    from sklearn_seqlstm import SequenceFeaturizer, leave_last_out_split
    from sklearn_seqlstm.cli import _evaluate_budget

    path = tmp_path / "log.csv"
    time_log().to_csv(path, index=False)
    train, _, _ = leave_last_out_split(
        pd.read_csv(path), **KEYS, time_col="timestamp", target="time_to_next"
    )
    featurizer = SequenceFeaturizer(time_features=True, sparse_output=False).fit(train.X)
    n_features = len(featurizer.get_feature_names_out())
    largest = len(train.y) // 2
    monkeypatch.setattr(_evaluate_budget, "MAX_DENSE_CELLS", largest * n_features)
    argv = [path, *COLUMNS, "--time-col", "timestamp", "--target", "time_to_next"]
    status, out, err = evaluate(*argv, "--models", "trees", "median", "-o", tmp_path, capsys=capsys)
    assert status == 0, err
    assert f"{n_features:,} dense features" in out
    results = pd.read_csv(tmp_path / "results.csv").set_index("model")
    assert (results.loc["Gradient-boosted trees", "n_train"] == largest).all()
    assert (results.loc["Training median", "n_train"] == len(train.y)).all()


def test_duration_reads_as_people_read_it():
    from sklearn_seqlstm.cli._evaluate_budget import duration

    assert duration(4.2) == "4 s"
    assert duration(89) == "89 s"
    assert duration(150) == "2.5 min"
    assert duration(2 * 3600) == "2.0 h"


class RecordingBar:
    """A stand-in for the progress bar that keeps what the command shows."""

    def __init__(self):
        self.shown = []

    def update(self, n=1):
        pass

    def set_description(self, desc=None, refresh=True):
        self.shown.append(("stage", desc))

    def set_postfix_str(self, s="", refresh=True):
        self.shown.append(("detail", s))

    def close(self):
        pass


def test_the_lstm_shows_its_epochs_and_the_time_left(chain_csv, tmp_path, capsys, monkeypatch):
    from test_evaluate import TINY_LSTM

    from sklearn_seqlstm.cli import _evaluate

    bar = RecordingBar()
    monkeypatch.setattr(_evaluate, "progress_bar", lambda total, **kwargs: bar)
    argv = [chain_csv, *COLUMNS, *TINY_LSTM, "--early-stopping", "off", "--models", "lstm"]
    assert run(*argv, "-o", tmp_path / "out", "--save-model", tmp_path / "model.zip") == 0
    details = [text for kind, text in bar.shown if kind == "detail" and text]
    assert [text.split(",")[0] for text in details] == ["epoch 1/2", "epoch 2/2"]
    assert re.fullmatch(r"epoch 2/2, at most 0 s left", details[-1])
    assert ("stage", "fitting LSTM") in bar.shown

    # The saved model holds no callback of the command's.
    from sklearn_seqlstm import load

    assert load(tmp_path / "model.zip").callbacks is None


def test_predictions_are_made_in_bounded_chunks(process_csv, tmp_path, capsys, monkeypatch):
    from sklearn_seqlstm.cli import _evaluate_fit

    sizes = []
    predict_proba = MarkovChainClassifier.predict_proba

    def recording(self, X):
        sizes.append(len(X))
        return predict_proba(self, X)

    monkeypatch.setattr(MarkovChainClassifier, "predict_proba", recording)
    monkeypatch.setattr(_evaluate_fit, "_PREDICT_CHUNK", 7)
    argv = [process_csv, *COLUMNS, "--protocol", "time", "--models", "markov1"]
    status, _, _ = evaluate(*argv, "-o", tmp_path, capsys=capsys)
    assert status == 0
    n_test = pd.read_csv(tmp_path / "results.csv")["n_test"].item()
    assert n_test > 7 and max(sizes) == 7 and sum(sizes) == n_test


def test_time_protocol_saves_the_lstm_it_scored(process_csv, tmp_path, capsys):
    from test_evaluate import TINY_LSTM

    from sklearn_seqlstm import load

    argv = [process_csv, *COLUMNS, *TINY_LSTM, "--protocol", "time", "--models", "lstm"]
    model = tmp_path / "model.zip"
    status, _, err = evaluate(*argv, "-o", tmp_path / "out", "--save-model", model, capsys=capsys)
    assert status == 0, err
    assert "closed" in set(load(model).classes_)  # trained on the cases' last activity


def test_a_sequence_too_short_for_a_sample_is_counted_in_good_english(tmp_path, capsys):
    frame = process_log(30)
    single = pd.DataFrame({"user": ["lonely"], "timestamp": [1_600_000_000], "page": ["ask"]})
    path = tmp_path / "log.csv"
    pd.concat([frame, single]).to_csv(path, index=False)
    argv = [path, *COLUMNS, "--protocol", "time", "--models", "markov1", "-o", tmp_path / "out"]
    status, out, _ = evaluate(*argv, capsys=capsys)
    assert status == 0
    assert "Skipped 1 of 31 sequences: at most 1 event, too short for a sample." in out
