"""NextValueRegressor over quantile bins of y: the cut, the statistics, the fitted model."""

import numpy as np
import pytest
from _model_files import edit_document
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn_seqlstm import NextValueRegressor, load
from sklearn_seqlstm.neural._module import LSTMNextEventModule, LSTMNextValueModule
from sklearn_seqlstm.neural._target_bins import (
    N_LEVELS,
    bin_labels,
    cut_at_quantiles,
    distribution_mean,
    distribution_median,
)

# Two distinct histories make one chain: an epoch is one step.
FAST = dict(hidden_size=8, embedding_dim=4, max_epochs=300, random_state=0)

# Targets with repeats (point masses), spread and huge magnitudes.
targets = st.lists(
    st.one_of(
        st.sampled_from([0.0, 1.0, 1.0, 2.5]),
        st.floats(-1e6, 1e6, allow_nan=False),
        st.floats(-1e300, 1e300, allow_nan=False),
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=80, deadline=None)
@given(y=targets, n_bins=st.integers(2, 12), data=st.data())
def test_every_bin_holds_a_training_value_and_the_table_describes_it(y, n_bins, data):
    y = np.array(y)
    weights = np.array(data.draw(st.lists(st.integers(1, 4), min_size=len(y), max_size=len(y))))
    edges, table, means = cut_at_quantiles(y, weights.astype(float), n_bins)
    labels = bin_labels(y, edges)
    assert len(edges) + 1 == len(table) == len(means) <= n_bins
    assert np.all(np.diff(edges) > 0)
    assert np.array_equal(np.unique(labels), np.arange(len(table)))  # none empty
    assert table.shape[1] == N_LEVELS + 1 and np.all(np.diff(table, axis=1) >= 0)
    for b in range(len(table)):
        inside = y[labels == b]
        assert table[b, 0] == inside.min() and table[b, -1] == inside.max()
        assert inside.min() <= means[b] <= inside.max()
    # Weight k is k copies; weight 0 is no sample at all.
    repeated = cut_at_quantiles(np.repeat(y, weights), np.ones(weights.sum()), n_bins)
    extra = np.append(y, [7.0, -3.0])
    with_zeros = cut_at_quantiles(extra, np.append(weights, [0.0, 0.0]).astype(float), n_bins)
    for a, b, c in zip((edges, table, means), repeated, with_zeros, strict=True):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_a_value_that_holds_more_than_a_bin_is_a_bin_of_its_own():
    y = np.array([0.0] * 50 + list(np.linspace(1, 10, 50)))
    edges, table, _ = cut_at_quantiles(y, np.ones(len(y)), 8)
    assert edges[0] == 0.0
    assert np.all(table[0] == 0.0)  # read back exactly


def test_the_median_and_mean_of_a_distribution_over_bins():
    y = np.arange(100.0)
    edges, table, means = cut_at_quantiles(y, np.ones(100), 4)
    assert edges.tolist() == [24.0, 49.0, 74.0]
    # The training distribution itself: its median is y's (inverted CDF), its mean y's.
    frequencies = np.full((1, 4), 0.25)
    assert distribution_median(frequencies, table).tolist() == [49.0]
    assert distribution_mean(frequencies, means) == pytest.approx([49.5])
    # All mass on one bin: the median of that bin's values, read off its table.
    one_hot = np.eye(4)
    assert distribution_median(one_hot, table).tolist() == [12.0, 37.0, 62.0, 87.0]
    # Half below a bin: the median is the bin's own start.
    assert distribution_median(np.array([[0.5, 0.5, 0, 0]]), table).tolist() == [24.0]


def _zeros_and_durations(n=240, seed=0):
    """After "close" the target is exactly 0; after "open" a skewed duration."""
    rng = np.random.RandomState(seed)
    X, y = [], []
    for _ in range(n):
        X.append(["open"])
        y.append(rng.choice([1.0, 2.0, 30.0], p=[0.3, 0.4, 0.3]))
        X.append(["open", "close"])
        y.append(0.0)
    return X, np.array(y)


def test_absolute_error_predicts_medians_and_point_masses_exactly():
    X, y = _zeros_and_durations()
    reg = NextValueRegressor(loss="absolute_error", **FAST).fit(X, y)
    assert isinstance(reg.net_.module_, LSTMNextEventModule)
    closed, opened = reg.predict([["open", "close"], ["open"]])
    assert closed == 0.0  # a point mass, read back to the bit
    assert opened == 2.0  # the median of 1, 2 or 30 days at odds of 0.3, 0.4 and 0.3
    point = NextValueRegressor(loss="absolute_error", target_bins=None, **FAST).fit(X, y)
    assert isinstance(point.net_.module_, LSTMNextValueModule)
    assert point.bin_edges_ is None
    assert point.predict([["open", "close"]])[0] != 0.0


def test_auto_learns_bins_for_the_absolute_error_of_a_target_with_a_point_mass():
    rng = np.random.RandomState(0)
    X = [["a"] * int(n) for n in rng.randint(1, 5, size=64)]
    smooth = rng.normal(size=64)
    fit = dict(hidden_size=4, embedding_dim=4, max_epochs=1, random_state=0)
    assert NextValueRegressor(loss="absolute_error", **fit).fit(X, smooth).bin_edges_ is None
    # One value holding 1/32 of the weight is a point mass: 2 samples of 64, or 1 of
    # weight 2.
    lumpy = smooth.copy()
    lumpy[:2] = 0.0
    assert NextValueRegressor(loss="absolute_error", **fit).fit(X, lumpy).bin_edges_ is not None
    weights = np.ones(64)
    weights[0] = 2.0
    reg = NextValueRegressor(loss="absolute_error", **fit)
    assert reg.fit(X, smooth, sample_weight=weights).bin_edges_ is None  # 2 of 65
    lumpy[1] = smooth[1]
    weights[0] = 2.1
    assert reg.fit(X, lumpy, sample_weight=weights).bin_edges_ is not None  # 2.1 of 65.1
    # The other losses keep one number; an explicit number of bins is always obeyed.
    assert NextValueRegressor(**fit).fit(X, lumpy).bin_edges_ is None
    assert NextValueRegressor(target_bins=4, **fit).fit(X, smooth).bin_edges_.size == 3


def test_squared_error_predicts_the_mean_of_the_distribution():
    X, y = _zeros_and_durations()
    reg = NextValueRegressor(loss="squared_error", target_bins=8, **FAST).fit(X, y)
    mean_after_open = y[::2].mean()
    assert reg.predict([["open"]])[0] == pytest.approx(mean_after_open, rel=0.05)


def test_huber_trains_on_its_loss_whatever_target_bins():
    X, y = _zeros_and_durations(60)
    reg = NextValueRegressor(loss="huber", target_bins=8, **FAST).fit(X, y)
    assert reg.bin_edges_ is None and isinstance(reg.net_.module_, LSTMNextValueModule)


def test_a_refit_without_bins_forgets_them():
    X, y = _zeros_and_durations(60)
    reg = NextValueRegressor(loss="absolute_error", **FAST).fit(X, y)
    reg.set_params(target_bins=None).fit(X, y)
    assert reg.bin_edges_ is None and reg.bin_quantiles_ is None and reg.bin_means_ is None
    assert isinstance(reg.net_.module_, LSTMNextValueModule)


def test_the_validation_loss_is_the_log_loss_of_the_bins():
    X, y = _zeros_and_durations(120)
    X_val, y_val = _zeros_and_durations(40, seed=1)
    reg = NextValueRegressor(loss="absolute_error", **{**FAST, "max_epochs": 20})
    reg.fit(X, y, X_val=X_val, y_val=y_val)
    valid = [row["valid_loss"] for row in reg.net_.history]
    # The kept (best) epoch's loss is the mean negative log-probability of the val bins.
    from sklearn_seqlstm.histories._histories import check_histories

    histories = check_histories(X_val, estimator=reg, reset=False)
    proba = reg._predict_entries(histories, lambda lp: lp.double().softmax(-1).numpy())
    labels = bin_labels(y_val, reg.bin_edges_)
    log_loss = -np.mean(np.log(proba[np.arange(len(labels)), labels]))
    assert min(valid) == pytest.approx(log_loss, rel=1e-4)


def test_a_constant_target_is_one_bin_and_predicted_exactly():
    X = [["a"], ["a", "b"], ["b"]] * 10
    reg = NextValueRegressor(loss="absolute_error", **FAST).fit(X, [4.25] * 30)
    assert reg.bin_edges_.size == 0
    assert reg.predict([["a"], ["zzz"]]).tolist() == [4.25, 4.25]


def test_bins_survive_save_and_load(tmp_path):
    X, y = _zeros_and_durations(60)
    for loss in ("absolute_error", "squared_error"):
        reg = NextValueRegressor(loss=loss, target_bins=16, **FAST).fit(X, y)
        reg.save(tmp_path / loss)
        loaded = load(tmp_path / loss)
        np.testing.assert_array_equal(loaded.predict(X), reg.predict(X))
        np.testing.assert_array_equal(loaded.bin_quantiles_, reg.bin_quantiles_)


@pytest.fixture(scope="module")
def saved_binned(tmp_path_factory):
    """The bytes of a saved regressor over bins, fitted once for the tampering tests."""
    X, y = _zeros_and_durations(60)
    path = tmp_path_factory.mktemp("binned") / "model"
    NextValueRegressor(loss="absolute_error", target_bins=8, **FAST).fit(X, y).save(path)
    return path.read_bytes()


def _edit_bins(path, edit):
    edit_document(path, lambda document: edit(document["attributes"]["bins"]))


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda b: b.update(statistic="mode"), "statistic"),
        (lambda b: b["edges"].reverse(), "increasing order"),
        (lambda b: b["quantiles"][-1].__setitem__(0, 1e9), "increasing order"),
        (lambda b: b["means"].__setitem__(0, float("inf")), "Infinity"),
        (lambda b: b["means"].__setitem__(0, "1"), "finite numbers"),
        (lambda b: b["quantiles"].pop(), "shape"),
        (lambda b: b["edges"].append(1e9), "shape"),
        (lambda b: b.update(means=[1.0, 2.0], edges=[1.5], quantiles=[[1.0] * 33] * 2), "bins"),
        (lambda b: b.update(edges="1,2"), "finite numbers"),
    ],
)
def test_tampered_bins_are_refused(saved_binned, tmp_path, edit, match):
    (tmp_path / "model").write_bytes(saved_binned)
    _edit_bins(tmp_path / "model", edit)
    with pytest.raises(ValueError, match=match):
        load(tmp_path / "model")
