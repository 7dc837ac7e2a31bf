"""memory_sweep, transition_recovery and the Display objects."""

import math
import sys
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression, Ridge

from sklearn_seqlstm.baselines._markov import MarkovChainClassifier
from sklearn_seqlstm.inspection._plot import (
    KRetrievalCurveDisplay,
    LossCurveDisplay,
    MemorySweepDisplay,
    TransitionMatrixDisplay,
)
from sklearn_seqlstm.inspection._sweep import (
    BAYES_LIMIT,
    SWEEP_COLUMNS,
    _score,
    memory_sweep,
    transition_recovery,
)
from sklearn_seqlstm.metrics._scoring import (
    k_retrieval_curve,
    k_retrieval_curve_from_estimator,
    neg_log_loss_scorer,
    top_k_scorer,
)
from sklearn_seqlstm.neural._classifier import NextEventClassifier
from sklearn_seqlstm.synthetic._sampler import MarkovMemorySampler

GRID = [0.0, 0.5, 1.0]
KS = [1, 3, 5]
# Cheap models, so that a sweep takes a fraction of a second.
CHEAP = {
    "popularity": MarkovChainClassifier(order=0),
    "markov": MarkovChainClassifier(order=1),
}
SMALL = {"n_train_sequences": 60, "n_test_sequences": 60, "length": 12}


@pytest.fixture(scope="module")
def sweep():
    return memory_sweep(CHEAP, memory_influences=GRID, ks=KS, random_state=0, **SMALL)


@pytest.fixture
def pyplot():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


@pytest.fixture(scope="module")
def markov_data():
    """A first-order Markov model fitted at m=0, its training data and sampler."""
    sampler = MarkovMemorySampler(memory_influence=0.0, random_state=0)
    X, y, _ = sampler.make_dataset(n_sequences=1000, length=20)
    return MarkovChainClassifier(order=1).fit(X, y), X, y, sampler


@pytest.fixture(scope="module")
def small_lstm():
    X, y, _ = MarkovMemorySampler(random_state=0).make_dataset(80, 12)
    lstm = NextEventClassifier(
        embedding_dim=4,
        hidden_size=8,
        batch_size=16,
        max_epochs=4,
        early_stopping=True,
        validation_fraction=0.25,
        n_iter_no_change=10,
        random_state=0,
    )
    return lstm.fit(X, y)


# memory_sweep ------------------------------------------------------------------------


def test_memory_sweep_columns_and_one_row_per_m_model_k(sweep):
    assert sweep.columns.tolist() == SWEEP_COLUMNS
    assert len(sweep) == len(GRID) * (len(CHEAP) + 1) * len(KS)
    keys = sweep[["memory_influence", "model", "k"]]
    assert not keys.duplicated().any()
    assert sorted(sweep["memory_influence"].unique()) == GRID
    assert list(pd.unique(sweep["model"])) == [*CHEAP, BAYES_LIMIT]
    assert sorted(sweep["k"].unique()) == KS
    assert sweep["memory_influence"].dtype == float
    assert sweep["k"].dtype == np.int64
    assert sweep[["top_k_accuracy", "log_loss", "fit_seconds"]].dtypes.eq(float).all()
    assert sweep["top_k_accuracy"].between(0, 1).all()
    assert (sweep["log_loss"] >= 0).all() and (sweep["fit_seconds"] >= 0).all()
    # log_loss and fit_seconds belong to the fit, not to k.
    per_fit = sweep.groupby(["memory_influence", "model"])[["log_loss", "fit_seconds"]]
    assert (per_fit.nunique() == 1).all().all()


def test_memory_sweep_oracle_is_perfect_at_full_memory(sweep):
    at_one = sweep[(sweep["memory_influence"] == 1.0) & (sweep["model"] == BAYES_LIMIT)]
    assert at_one.set_index("k")["top_k_accuracy"].to_dict() == {1: 1.0, 3: 1.0, 5: 1.0}
    assert at_one["log_loss"].eq(0).all()


def test_memory_sweep_top_k_is_non_decreasing_in_k(sweep):
    for _, group in sweep.groupby(["memory_influence", "model"]):
        accuracies = group.sort_values("k")["top_k_accuracy"].to_numpy()
        assert np.all(np.diff(accuracies) >= 0)


def test_memory_sweep_oracle_bounds_every_model_in_log_loss(sweep):
    # On the same test chains no model has a lower expected log-loss than the truth;
    # with 660 test pairs the margin covers the noise.
    top1 = sweep[sweep["k"] == 1].pivot(
        index="memory_influence", columns="model", values="log_loss"
    )
    for model in CHEAP:
        assert (top1[model] >= top1[BAYES_LIMIT] - 0.05).all()


def test_memory_sweep_limit_matches_the_design_at_m0():
    # the Bayes limit: about 0.47 top-1 accuracy at m=0 with chains of 20 events.
    results = memory_sweep(
        {"markov": MarkovChainClassifier()},
        memory_influences=[0.0],
        ks=[1],
        n_train_sequences=20,
        n_test_sequences=1000,
        random_state=0,
    )
    limit = results.set_index("model").loc[BAYES_LIMIT, "top_k_accuracy"]
    assert limit == pytest.approx(0.47, abs=0.02)


def test_memory_sweep_clones_custom_estimators_per_m():
    estimator = MarkovChainClassifier(order=2, alpha=0.5)
    results, fitted = memory_sweep(
        {"mine": estimator},
        memory_influences=[0.2, 0.7],
        ks=[2],
        oracle=False,
        return_estimators=True,
        random_state=0,
        **SMALL,
    )
    assert list(results["model"].unique()) == ["mine"]
    assert set(fitted) == {(0.2, "mine"), (0.7, "mine")}
    first, second = fitted[0.2, "mine"], fitted[0.7, "mine"]
    assert first is not estimator and second is not estimator and first is not second
    assert first.get_params() == estimator.get_params()
    assert not hasattr(estimator, "classes_")  # the estimator passed is left unfitted


def test_memory_sweep_builds_the_oracle_of_each_m():
    _, fitted = memory_sweep(
        {"markov": MarkovChainClassifier()},
        memory_influences=[0.0, 0.3],
        ks=[1],
        return_estimators=True,
        random_state=0,
        **SMALL,
    )
    for m in (0.0, 0.3):
        assert fitted[m, BAYES_LIMIT].sampler.memory_influence == m


def test_memory_sweep_default_estimators():
    results = memory_sweep(
        memory_influences=[0.5], ks=[1], n_train_sequences=30, n_test_sequences=20, length=8
    )
    assert list(results["model"]) == [
        "LSTM",
        "Markov (order 1)",
        "Logistic regression",
        BAYES_LIMIT,
    ]


def test_memory_sweep_uses_the_sampler_given_without_changing_it():
    sampler = MarkovMemorySampler(
        events=["x", "y", "z"], transitions={"x": {"y": 1.0}}, memory_influence=0.25
    )
    params = sampler.get_params()
    results = memory_sweep(
        {"markov": MarkovChainClassifier()},
        memory_influences=[0.0, 1.0],
        ks=[1, 2],
        sampler=sampler,
        random_state=0,
        **SMALL,
    )
    assert sampler.get_params() == params
    limit = results[(results["model"] == BAYES_LIMIT) & (results["memory_influence"] == 1.0)]
    assert limit["top_k_accuracy"].eq(1.0).all()


def test_memory_sweep_is_reproducible(sweep):
    again = memory_sweep(CHEAP, memory_influences=GRID, ks=KS, random_state=0, **SMALL)
    columns = ["memory_influence", "model", "k", "top_k_accuracy", "log_loss"]
    pd.testing.assert_frame_equal(sweep[columns], again[columns])


@pytest.mark.parametrize(
    "kwargs, parameter",
    [
        ({"memory_influences": []}, "memory_influences"),
        ({"memory_influences": [0.5, 1.2]}, "memory_influences"),
        ({"memory_influences": [-0.1]}, "memory_influences"),
        ({"memory_influences": [float("nan")]}, "memory_influences"),
        ({"memory_influences": [0.5, 0.5]}, "memory_influences"),
        ({"memory_influences": ["high"]}, "memory_influences"),
        ({"ks": [0]}, "ks"),
        ({"ks": [3, -1]}, "ks"),
        ({"ks": []}, "ks"),
        ({"ks": [1.5]}, "ks"),
        ({"ks": [1, 1]}, "ks"),
        ({"n_train_sequences": 0}, "n_train_sequences"),
        ({"n_test_sequences": 0}, "n_test_sequences"),
        ({"estimators": {}}, "estimators"),
        ({"estimators": {BAYES_LIMIT: MarkovChainClassifier()}}, BAYES_LIMIT),
    ],
)
def test_memory_sweep_rejects_bad_input_naming_the_parameter(kwargs, parameter):
    kwargs = {"estimators": CHEAP, **kwargs}
    with pytest.raises(ValueError, match=parameter):
        memory_sweep(**kwargs)


@pytest.mark.parametrize(
    "estimators", [{"ridge": Ridge()}, {"not an estimator": object()}, {1: MarkovChainClassifier()}]
)
def test_memory_sweep_rejects_estimators_that_cannot_be_scored(estimators):
    with pytest.raises(TypeError, match="estimators"):
        memory_sweep(estimators, **SMALL)


def test_memory_sweep_scores_with_the_public_scorers_unseen_labels_included():
    # Trained at m=1 on 3 chains, the model knows at most 3 events: the others are
    # unseen labels, misses for top-k and probability 1e-15 for the log-loss.
    X_train, y_train, _ = MarkovMemorySampler(memory_influence=1.0, random_state=1).make_dataset(
        3, 5
    )
    model = MarkovChainClassifier(alpha=0.0).fit(X_train, y_train)
    X, y, chains = MarkovMemorySampler(memory_influence=0.3, random_state=2).make_dataset(50, 10)
    assert not set(y) <= set(model.classes_)
    rows = _score(model, X, y, chains, [1, 2, 3], 0.3, "m", 0.0, 0)
    for _, _, k, accuracy, low, high, log_loss, _ in rows:
        assert accuracy == pytest.approx(top_k_scorer(k)(model, X, y))
        assert low <= accuracy <= high
        assert log_loss == pytest.approx(-neg_log_loss_scorer()(model, X, y))
    assert math.isfinite(rows[0][6]) and rows[0][6] > 1


def test_memory_sweep_intervals_are_drawn_as_bands():
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    from sklearn_seqlstm import MemorySweepDisplay

    results = memory_sweep(CHEAP, memory_influences=[0.0, 0.5], ks=[1, 3], **SMALL)
    assert (results["top_k_low"] <= results["top_k_accuracy"]).all()
    assert (results["top_k_accuracy"] <= results["top_k_high"]).all()
    # 60 test chains: the intervals are not points.
    assert (results["top_k_high"] - results["top_k_low"]).max() > 0.01
    display = MemorySweepDisplay.from_sweep(results, k=[1, 3])
    model = next(name for name in display.lines_ if name != "Bayes limit")
    assert len(display.bands_[model]) == 2  # one band per k
    assert display.bands_["Bayes limit"] == []  # the limit is its own band
    plt.close("all")


def test_memory_sweep_progress_bar(capsys):
    pytest.importorskip("tqdm")
    memory_sweep(CHEAP, memory_influences=[0.0], ks=[1], progress=True, **SMALL)
    assert "memory sweep" in capsys.readouterr().err


def test_memory_sweep_without_tqdm_has_no_bar_and_no_error(monkeypatch, capsys):
    # As if tqdm were not installed: importing it, or tqdm.auto, raises ImportError.
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    results = memory_sweep(CHEAP, memory_influences=[0.0], ks=[1], progress=True, **SMALL)
    assert len(results) == len(CHEAP) + 1
    assert "memory sweep" not in capsys.readouterr().err


# transition_recovery -----------------------------------------------------------------


def test_transition_recovery_of_a_markov_chain_at_m0(markov_data):
    markov, X, _, sampler = markov_data
    recovery = transition_recovery(markov, sampler)
    pd.testing.assert_frame_equal(recovery.true, sampler.transition_matrix)
    assert recovery.learned.index.equals(recovery.true.index)
    assert recovery.learned.columns.equals(recovery.true.columns)
    np.testing.assert_allclose(recovery.learned.sum(axis=1), 1.0)

    # Each row of the learned matrix is a smoothed frequency over the n_e samples whose
    # history ends in e. Its error is at most 4.5 binomial standard deviations
    # (sqrt(1/4n) at worst), for 64 entries a chance below 1e-4, plus the bias of
    # Laplace smoothing, below n_events * alpha / n_e.
    n_after = Counter(history[-1] for history in X)
    n_events = len(sampler.event_labels)
    bounds = pd.Series(
        {e: 4.5 * math.sqrt(0.25 / n_after[e]) + n_events * 1.0 / n_after[e] for e in n_after}
    )
    row_error = recovery.difference.abs().max(axis=1)
    assert (row_error <= bounds[row_error.index]).all()
    assert recovery.max_abs_difference == pytest.approx(row_error.max())
    assert recovery.max_abs_difference < bounds.max() < 0.1
    # The seed's check: about 90% of people at D go on to A.
    assert recovery.true.loc["D", "A"] == pytest.approx(0.9)
    assert recovery.learned.loc["D", "A"] == pytest.approx(0.9, abs=bounds["D"])


def test_transition_recovery_with_memory_compares_with_the_one_event_truth():
    sampler = MarkovMemorySampler(memory_influence=0.6, random_state=0)
    X, y, _ = sampler.make_dataset(n_sequences=300, length=10)
    recovery = transition_recovery(MarkovChainClassifier().fit(X, y), sampler)
    identity = np.eye(len(sampler.event_labels))
    expected = 0.6 * identity + 0.4 * sampler.transition_matrix.to_numpy()
    np.testing.assert_allclose(recovery.true.to_numpy(), expected)


def test_transition_recovery_errors(markov_data):
    _, X, y, sampler = markov_data
    with pytest.raises(NotFittedError):
        transition_recovery(MarkovChainClassifier(), sampler)
    other = MarkovMemorySampler(events=["A", "B", "C", "D", "E"])
    with pytest.raises(ValueError, match="not events of the sampler"):
        transition_recovery(markov_data[0], other)


@pytest.mark.slow
def test_transition_recovery_of_the_lstm_at_m0():
    sampler = MarkovMemorySampler(memory_influence=0.0, random_state=0)
    X, y, _ = sampler.make_dataset(n_sequences=1500, length=20)
    lstm = NextEventClassifier(
        hidden_size=32, dropout=0.1, max_epochs=15, early_stopping=True, random_state=0
    )
    recovery = transition_recovery(lstm.fit(X, y), sampler)
    assert recovery.learned.loc["D", "A"] == pytest.approx(0.9, abs=0.05)
    assert recovery.max_abs_difference < 0.15


# Displays ----------------------------------------------------------------------------


def test_k_retrieval_curve_display_from_estimator(pyplot, markov_data):
    markov, X, y, _ = markov_data
    _, ax = pyplot.subplots()
    display = KRetrievalCurveDisplay.from_estimator(markov, X[:500], y[:500], ax=ax, name="M")
    assert isinstance(display, KRetrievalCurveDisplay)
    assert display.ax_ is ax and display.figure_ is ax.figure
    ks, accuracies = k_retrieval_curve_from_estimator(markov, X[:500], y[:500])
    np.testing.assert_array_equal(display.ks, ks)
    np.testing.assert_allclose(display.line_.get_ydata(), accuracies)
    assert display.line_.get_label() == "M"
    assert ax.get_xlabel() == "k" and ax.get_ylabel() == "top-k accuracy"
    # A second curve on the same axes, sklearn style; the default name is the class name.
    second = KRetrievalCurveDisplay.from_estimator(markov, X[:500], y[:500], ax=display.ax_)
    assert second.line_.get_label() == "MarkovChainClassifier"
    assert len(ax.get_lines()) == 2


def test_k_retrieval_curve_display_from_predictions_and_plot(pyplot):
    proba = [[0.5, 0.3, 0.2]] * 4
    y_true = ["a", "b", "c", "z"]
    display = KRetrievalCurveDisplay.from_predictions(
        y_true, proba, classes=["a", "b", "c"], max_k=2
    )
    ks, accuracies = k_retrieval_curve(y_true, proba, classes=["a", "b", "c"], max_k=2)
    np.testing.assert_allclose(display.accuracies, accuracies)
    assert display.figure_ is display.ax_.figure  # axes made by plot

    _, ax = pyplot.subplots()
    again = KRetrievalCurveDisplay(ks=ks, accuracies=accuracies)
    assert again.plot(ax=ax, curve_kwargs={"color": "red"}) is again
    assert again.ax_ is ax and again.figure_ is ax.figure
    assert again.line_.get_color() == "red"


@pytest.mark.parametrize("k", [1, [1, 3, 5]])
def test_memory_sweep_display_top_k(pyplot, sweep, k):
    _, ax = pyplot.subplots()
    display = MemorySweepDisplay.from_sweep(sweep, k=k, ax=ax)
    assert isinstance(display, MemorySweepDisplay)
    assert display.ax_ is ax and display.figure_ is ax.figure
    ks = [k] if np.isscalar(k) else k
    assert list(display.scores) == [*CHEAP, BAYES_LIMIT]
    assert display.ks == ks
    np.testing.assert_allclose(display.memory_influences, GRID)
    for model, lines in display.lines_.items():
        assert len(lines) == len(ks)
        for line, kk in zip(lines, ks, strict=True):
            rows = sweep[(sweep["model"] == model) & (sweep["k"] == kk)]
            expected = rows.sort_values("memory_influence")["top_k_accuracy"].to_numpy()
            np.testing.assert_allclose(line.get_ydata(), expected)
    assert ax.get_ylabel() == ("top-1 accuracy" if k == 1 else "top-k accuracy")
    assert ax.get_legend() is not None


def test_memory_sweep_display_log_loss_and_models(pyplot, sweep):
    _, ax = pyplot.subplots()
    display = MemorySweepDisplay.from_sweep(
        sweep, metric="log_loss", models=["markov", BAYES_LIMIT], ax=ax
    )
    assert display.ks is None and list(display.lines_) == ["markov", BAYES_LIMIT]
    rows = sweep[(sweep["model"] == "markov") & (sweep["k"] == 1)]
    np.testing.assert_allclose(
        display.lines_["markov"][0].get_ydata(),
        rows.sort_values("memory_influence")["log_loss"],
    )
    assert "log-loss" in ax.get_ylabel()


def test_memory_sweep_display_plot_returns_self(pyplot):
    display = MemorySweepDisplay(
        memory_influences=[0.0, 1.0],
        scores={"a": np.array([[0.4], [0.9]]), BAYES_LIMIT: np.array([[0.5], [1.0]])},
        ks=[1],
    )
    _, ax = pyplot.subplots()
    assert display.plot(ax=ax) is display
    assert display.ax_ is ax and display.figure_ is ax.figure
    limit_line = display.lines_[BAYES_LIMIT][0]
    assert limit_line.get_linewidth() > display.lines_["a"][0].get_linewidth()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"k": 2}, "k=\\[2\\]"),
        ({"metric": "auc"}, "metric"),
        ({"models": ["nope"]}, "nope"),
    ],
)
def test_memory_sweep_display_bad_input(pyplot, sweep, kwargs, message):
    with pytest.raises(ValueError, match=message):
        MemorySweepDisplay.from_sweep(sweep, **kwargs)


def test_memory_sweep_display_rejects_a_frame_without_the_columns(pyplot):
    with pytest.raises(ValueError, match="lacks the columns"):
        MemorySweepDisplay.from_sweep(pd.DataFrame({"model": ["a"]}))


def test_transition_matrix_display(pyplot, markov_data):
    markov, _, _, sampler = markov_data
    _, axes = pyplot.subplots(1, 2)
    display = TransitionMatrixDisplay.from_estimator(markov, sampler, ax=axes)
    assert isinstance(display, TransitionMatrixDisplay)
    assert list(display.ax_) == list(axes) and display.figure_ is axes[0].figure
    recovery = transition_recovery(markov, sampler)
    np.testing.assert_allclose(display.images_[0].get_array(), recovery.true.to_numpy())
    np.testing.assert_allclose(display.images_[1].get_array(), recovery.learned.to_numpy())
    assert display.texts_[1][3, 0].get_text() == f"{recovery.learned.loc['D', 'A']:.2f}"
    assert f"{recovery.max_abs_difference:.3f}" in axes[1].get_title()

    again = TransitionMatrixDisplay(true=recovery.true, learned=recovery.learned)
    assert again.plot(include_values=False) is again
    assert again.ax_.shape == (2,) and again.texts_ == [None, None]
    with pytest.raises(ValueError, match="two matplotlib Axes"):
        again.plot(ax=axes[0])


def test_loss_curve_display_from_estimator(pyplot, small_lstm):
    _, ax = pyplot.subplots()
    display = LossCurveDisplay.from_estimator(small_lstm, ax=ax)
    assert isinstance(display, LossCurveDisplay)
    assert display.ax_ is ax and display.figure_ is ax.figure
    history = small_lstm.net_.history
    np.testing.assert_allclose(display.train_line_.get_ydata(), history[:, "train_loss"])
    np.testing.assert_allclose(display.valid_line_.get_ydata(), history[:, "valid_loss"])
    best = history[:, "epoch"][int(np.argmin(history[:, "valid_loss"]))]
    assert display.best_epoch_line_.get_xdata()[0] == best


def test_loss_curve_display_without_validation(pyplot):
    display = LossCurveDisplay(epochs=[1, 2], train_loss=[2.0, 1.0])
    assert display.plot() is display
    assert display.valid_line_ is None and display.best_epoch_line_ is None
    assert display.figure_ is display.ax_.figure


def test_loss_curve_display_needs_a_fitted_net(pyplot):
    with pytest.raises(NotFittedError):
        LossCurveDisplay.from_estimator(NextEventClassifier())
    fitted = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
    with pytest.raises(ValueError, match="no training history"):
        LossCurveDisplay.from_estimator(fitted)


def _display_calls(markov, X, y, sampler, lstm, sweep):
    return {
        "KRetrievalCurveDisplay.plot": lambda: KRetrievalCurveDisplay(
            ks=[1], accuracies=[1.0]
        ).plot(),
        "KRetrievalCurveDisplay.from_estimator": lambda: KRetrievalCurveDisplay.from_estimator(
            markov, X, y
        ),
        "KRetrievalCurveDisplay.from_predictions": (
            lambda: KRetrievalCurveDisplay.from_predictions(["a"], [[1.0]], classes=["a"])
        ),
        "MemorySweepDisplay.from_sweep": lambda: MemorySweepDisplay.from_sweep(sweep),
        "MemorySweepDisplay.plot": lambda: MemorySweepDisplay(
            memory_influences=[0.0], scores={"a": [[0.5]]}, ks=[1]
        ).plot(),
        "TransitionMatrixDisplay.from_estimator": (
            lambda: TransitionMatrixDisplay.from_estimator(markov, sampler)
        ),
        "TransitionMatrixDisplay.plot": lambda: TransitionMatrixDisplay(
            true=[[1.0]], learned=[[1.0]]
        ).plot(),
        "LossCurveDisplay.from_estimator": lambda: LossCurveDisplay.from_estimator(lstm),
        "LossCurveDisplay.plot": lambda: LossCurveDisplay(epochs=[1], train_loss=[1.0]).plot(),
    }


@pytest.mark.parametrize(
    "call",
    [
        "KRetrievalCurveDisplay.plot",
        "KRetrievalCurveDisplay.from_estimator",
        "KRetrievalCurveDisplay.from_predictions",
        "MemorySweepDisplay.from_sweep",
        "MemorySweepDisplay.plot",
        "TransitionMatrixDisplay.from_estimator",
        "TransitionMatrixDisplay.plot",
        "LossCurveDisplay.from_estimator",
        "LossCurveDisplay.plot",
    ],
)
def test_displays_without_matplotlib_say_how_to_install_it(
    monkeypatch, markov_data, small_lstm, sweep, call
):
    markov, X, y, sampler = markov_data
    calls = _display_calls(markov, X[:50], y[:50], sampler, small_lstm, sweep)
    for module in [name for name in sys.modules if name.split(".")[0] == "matplotlib"]:
        monkeypatch.delitem(sys.modules, module)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` now fails
    with pytest.raises(ImportError, match=r'pip install "sklearn-seqlstm\[plot\]"') as info:
        calls[call]()
    assert call in str(info.value)


@pytest.mark.slow
def test_example_plot_memory_sweep_runs(pyplot):
    import runpy
    from pathlib import Path

    example = Path(__file__).parents[1] / "examples" / "plot_memory_sweep.py"
    namespace = runpy.run_path(str(example), run_name="__main__")
    results = namespace["results"]
    assert results.columns.tolist() == SWEEP_COLUMNS
    assert pyplot.get_fignums()  # it drew
