"""NextValueRegressor: the classifier's LSTM with a numeric target."""

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, GroupKFold

from sklearn_seqlstm import (
    AttributedHistories,
    NextEventClassifier,
    NextValueRegressor,
    load,
)
from sklearn_seqlstm.neural._chains import ChainDataset, ChainLoader, collate, group_into_chains
from sklearn_seqlstm.neural._estimator import HistoryLSTM
from sklearn_seqlstm.neural._module import (
    START,
    LSTMHistoryEncoder,
    LSTMNextValueModule,
    WeightedRegressionLoss,
)

FAST = dict(max_epochs=3, hidden_size=8, embedding_dim=4, random_state=0)
LOSSES = ["squared_error", "absolute_error", "huber"]


def _per_entry(loss, prediction, target, delta=1.0):
    """The loss of one sample, written out as the textbook defines it."""
    residual = prediction - target
    if loss == "squared_error":
        return residual**2
    if loss == "absolute_error":
        return residual.abs()
    small = residual.abs() <= delta
    return torch.where(small, 0.5 * residual**2, delta * (residual.abs() - 0.5 * delta))


def _per_sample_loss_sum(module, histories, targets, weights, loss):
    """Each history run on its own: O(L^2) per sequence, the reference."""
    total = torch.zeros(())
    for history, target, weight in zip(histories, targets, weights, strict=True):
        prediction = module(torch.tensor([history]), torch.tensor([[len(history) - 1]]))[0, 0]
        total = total + weight * _per_entry(loss, prediction, torch.tensor(float(target)))
    return total


def _prefix_samples(rng, n_sequences=20):
    histories, targets = [], []
    for _ in range(n_sequences):
        sequence = tuple(rng.randint(4, 9, size=rng.randint(2, 10)))
        for t in range(len(sequence)):
            histories.append((START, *sequence[:t]))
            targets.append(float(rng.normal()))
    # Duplicate histories with their own targets, and exact duplicates.
    histories += histories[:6] + histories[:3]
    targets += [float(rng.normal()) for _ in range(6)] + targets[:3]
    return histories, np.asarray(targets), rng.uniform(0.5, 2.0, size=len(histories))


@pytest.mark.parametrize("loss", LOSSES)
def test_chain_loss_and_gradients_equal_per_sample_training(loss):
    histories, targets, weights = _prefix_samples(np.random.RandomState(0))
    torch.manual_seed(0)
    module = LSTMNextValueModule(9, 4, 6, num_layers=2, dropout=0.0)
    chains = group_into_chains(histories, targets, weights)
    assert chains.n_chains < len(histories)  # the grouping shares work here
    criterion = WeightedRegressionLoss(loss)

    chain_total = torch.zeros(())
    for batch in ChainLoader(ChainDataset(chains), batch_size=5).batches():
        X, y = collate(chains, batch)
        assert "targets" not in X  # numbers go to the loss, not the module
        chain_total = chain_total + criterion(module(**X), y) * y["weight"].sum()
    chain_total.backward()
    chain_grads = [p.grad.clone() for p in module.parameters()]

    module.zero_grad()
    expected = _per_sample_loss_sum(module, histories, targets, weights, loss)
    expected.backward()
    torch.testing.assert_close(chain_total, expected.float(), rtol=1e-5, atol=1e-4)
    for got, param in zip(chain_grads, module.parameters(), strict=True):
        torch.testing.assert_close(got, param.grad, rtol=1e-4, atol=1e-5)


def test_equal_numbers_merge_into_one_entry_and_different_ones_do_not():
    histories = [(START, 4)] * 4
    chains = group_into_chains(histories, [1.5, 1.5, -0.0, 0.0], [1.0, 2.0, 1.0, 1.0])
    assert sorted(zip(chains.entry_target.tolist(), chains.entry_weight.tolist(), strict=True)) == [
        (0.0, 2.0),
        (1.5, 3.0),
    ]


def test_both_estimators_share_one_encoder_and_one_training_core():
    assert issubclass(NextValueRegressor, HistoryLSTM)
    assert issubclass(NextEventClassifier, HistoryLSTM)
    # The regressor's read-out follows its fit: one number, or a distribution over bins.
    for target_bins in (None, 4):
        fitted = NextValueRegressor(target_bins=target_bins, max_epochs=1).fit(
            [["a"], ["a", "b"], ["b"]], [0.0, 1.0, 2.0]
        )
        assert isinstance(fitted.net_.module_, LSTMHistoryEncoder)
    assert issubclass(NextEventClassifier._module, LSTMHistoryEncoder)


def test_default_budget_is_the_classifiers():
    # A repetitive log: 400 samples on one chain of two histories, one step per
    # epoch. 20 epochs would be 20 steps; the classifier's default budget takes
    # min(1000, 400 / 4) = 100 steps, and the regressor's must take as many.
    X = [["a"], ["a", "b"]] * 200
    small = dict(hidden_size=4, embedding_dim=4, random_state=0)
    reg = NextValueRegressor(**small).fit(X, [1.0, 2.0] * 200)
    clf = NextEventClassifier(**small).fit(X, ["b", "c"] * 200)
    assert reg.n_steps_ == clf.n_steps_ == 100
    assert reg.n_epochs_ == clf.n_epochs_ == 100


def test_absolute_error_predicts_the_median_and_squared_error_the_mean():
    # One history, skewed targets: median 0, mean 2.5.
    X, y = [["a"]] * 40, [0.0, 0.0, 0.0, 10.0] * 10
    fits = {
        loss: NextValueRegressor(loss=loss, max_epochs=300, lr=0.02, random_state=0).fit(X, y)
        for loss in ("squared_error", "absolute_error")
    }
    assert fits["squared_error"].predict([["a"]])[0] == pytest.approx(2.5, abs=0.25)
    assert abs(fits["absolute_error"].predict([["a"]])[0]) < 0.5


def test_targets_are_standardised_so_units_do_not_matter():
    rng = np.random.RandomState(1)
    X = [list(rng.choice(list("abc"), size=rng.randint(1, 5))) for _ in range(60)]
    y = np.array([h.count("a") + 0.5 * len(h) for h in X], dtype=float)
    small = NextValueRegressor(**FAST).fit(X, y)
    large = NextValueRegressor(**FAST).fit(X, y * 3600.0 + 1e6)
    assert large.target_mean_ == pytest.approx(y.mean() * 3600.0 + 1e6)
    assert large.target_scale_ == pytest.approx(y.std() * 3600.0)
    np.testing.assert_allclose(
        (large.predict(X) - 1e6) / 3600.0, small.predict(X), rtol=1e-4, atol=1e-4
    )


def test_constant_target_is_predicted_exactly():
    # The read-out starts at the mean, and a constant target never moves it.
    reg = NextValueRegressor(**FAST).fit([["a"], ["b"], ["a", "b"]], [7.0, 7.0, 7.0])
    assert reg.target_scale_ == 1.0
    np.testing.assert_array_equal(reg.predict([["a"], ["c"]]), 7.0)


def test_times_of_attributed_histories_are_used():
    # The target is the gap before the last event: only the times tell it (from the
    # second event on; the first event has no gap before it).
    rng = np.random.RandomState(0)
    frames = []
    for _ in range(150):
        n = rng.randint(2, 6)
        gaps = rng.choice([60.0, 3600.0, 86400.0], size=n)
        frames.append({"events": ["x"] * n, "time": np.cumsum(gaps), "gap": gaps[-1]})
    frame = pd.DataFrame(frames)
    X = AttributedHistories.from_frame(frame[["events", "time"]])
    y = np.log10(frame["gap"].to_numpy())
    params = dict(max_epochs=60, hidden_size=16, random_state=0)
    with_times = NextValueRegressor(**params).fit(X, y)
    without = NextValueRegressor(**params, time_features=False).fit(X, y)
    assert with_times.time_kind_ == "numeric"
    assert with_times.score(X, y) > 0.9
    assert without.score(X, y) < 0.1


def test_numeric_step_histories_predict_the_next_value_of_a_series():
    t = np.arange(400)
    series = np.sin(2 * np.pi * t / 12)
    window = 12
    X = np.stack([series[i : i + window, None] for i in range(len(series) - window)])
    y = series[window:]
    reg = NextValueRegressor(max_epochs=30, hidden_size=16, random_state=0).fit(X[:300], y[:300])
    assert reg.score(X[300:], y[300:]) > 0.95


@pytest.mark.parametrize(
    "y, message",
    [
        (["a", "b", "c"], "y must hold numbers"),
        ([1.0, np.nan, 2.0], "finite.*index 1"),
        ([1.0, np.inf, 2.0], "finite"),
        ([1 + 1j, 2.0, 3.0], "Complex data not supported"),
        (np.array(["1.5", "2", "3"]), "y must hold numbers"),
        ([1.0, 2.0], "inconsistent numbers of samples"),
        (None, "requires y"),
    ],
)
def test_bad_targets_are_refused_with_a_clear_error(y, message):
    reg = NextValueRegressor(**FAST)
    with pytest.raises(ValueError, match=message):
        reg.fit([["a"], ["b"], ["a", "b"]], y)
    assert not hasattr(reg, "net_")


def test_failed_fit_leaves_the_fitted_model_as_it_was():
    X, y = [["a"], ["b"], ["a", "b"]], [1.0, 2.0, 3.0]
    reg = NextValueRegressor(**FAST).fit(X, y)
    before = reg.predict(X)
    with pytest.raises(ValueError):
        reg.fit(X, [1.0, np.nan, 3.0])
    np.testing.assert_array_equal(reg.predict(X), before)


def test_random_state_reproduces_and_validation_set_stops_early():
    rng = np.random.RandomState(2)
    X = [list(rng.choice(list("abcd"), size=rng.randint(1, 6))) for _ in range(80)]
    y = np.array([len(h) + h.count("a") for h in X], dtype=float)
    one = NextValueRegressor(**FAST).fit(X, y)
    two = NextValueRegressor(**FAST).fit(X, y)
    np.testing.assert_array_equal(one.predict(X), two.predict(X))

    reg = NextValueRegressor(
        max_epochs=200, n_iter_no_change=2, early_stopping="auto", random_state=0
    )
    reg.fit(X[:60], y[:60], X_val=X[60:], y_val=y[60:])
    assert reg.early_stopping_
    assert reg.n_epochs_ < 200
    valid = [row["valid_loss"] for row in reg.net_.history]
    # The validation loss is the standardised squared error on X_val.
    prediction = reg.predict(X[60:])
    standardised = np.mean(((prediction - y[60:]) / reg.target_scale_) ** 2)
    assert min(valid) == pytest.approx(standardised, rel=1e-4)


def test_grid_search_with_group_kfold_and_mae():
    rng = np.random.RandomState(3)
    X = [list(rng.choice(list("ab"), size=rng.randint(1, 5))) for _ in range(60)]
    y = np.array([h.count("b") for h in X], dtype=float)
    groups = np.arange(60) // 5
    search = GridSearchCV(
        NextValueRegressor(**FAST),
        {"loss": ["squared_error", "absolute_error"]},
        scoring="neg_mean_absolute_error",
        cv=GroupKFold(n_splits=3),
    ).fit(X, y, groups=groups)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_params_["loss"] in ("squared_error", "absolute_error")


@settings(max_examples=10, deadline=None)
@given(scale=st.floats(1e-3, 1e6), shift=st.floats(-1e6, 1e6))
def test_predictions_are_in_the_units_of_y(scale, shift):
    X, y = [["a"], ["b"], ["a", "b"], ["b", "b"]], np.array([0.0, 1.0, 2.0, 3.0])
    reg = NextValueRegressor(**FAST).fit(X, y * scale + shift)
    low, high = shift - 2 * scale, shift + 5 * scale
    assert np.all((reg.predict(X) > low) & (reg.predict(X) < high))


def test_save_and_load_round_trip(tmp_path):
    X = [["a"], ["b"], ["a", "b"], ["b", "b", "a"]] * 3
    y = np.arange(12, dtype=float)
    reg = NextValueRegressor(**FAST, loss="huber").fit(X, y)
    reg.save(tmp_path / "model")
    loaded = load(tmp_path / "model")
    assert isinstance(loaded, NextValueRegressor)
    assert loaded.get_params() == clone(reg).get_params() | {"callbacks": None}
    np.testing.assert_array_equal(loaded.predict(X), reg.predict(X))


def test_the_regressor_trains_on_all_the_data_by_default(monkeypatch):
    # Unlike the classifier's "auto", the default holds nothing out however many
    # chains there are; a validation set is scored, and the last epoch is kept.
    from sklearn_seqlstm.neural import _estimator

    monkeypatch.setattr(_estimator, "AUTO_EARLY_STOPPING_MIN_SEQUENCES", 2)
    X = [["a", "b"], ["b", "a"], ["a"], ["b"]] * 20
    y = np.arange(len(X), dtype=float) % 3
    params = dict(max_epochs=3, hidden_size=4, embedding_dim=2, random_state=0)
    assert NextValueRegressor().get_params()["early_stopping"] is False
    reg = NextValueRegressor(**params).fit(X, y, X_val=X[:8], y_val=y[:8])
    assert not reg.early_stopping_ and reg.n_epochs_ == 3
    assert all("valid_loss" in row for row in reg.net_.history)
    assert NextValueRegressor(**params, early_stopping="auto").fit(X, y).early_stopping_
