"""SeasonalNaiveRegressor: the value one season ago, checked against plain numpy."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import NotFittedError

from sklearn_seqlstm import AttributedHistories, PrefixHistories, SeasonalNaiveRegressor


def _series(n=60, season=12, seed=0):
    """A seasonal series with a trend and noise, and the month of each step."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    values = 0.1 * t + 3 * np.sin(2 * np.pi * t / season) + rng.normal(size=n)
    months = np.array(["JFMAMJJASOND"[i % 12] + str(i % 12) for i in t])
    return values, months


def _expected(values, ends, season, fallback):
    """Independently of the estimator: values[end - season], or fallback before the season."""
    out = np.full(len(ends), fallback)
    for i, end in enumerate(ends):
        if end - season >= 0:
            out[i] = values[end - season]
    return out


def _every_prefix(values, months):
    """Every non-empty prefix of one series as AttributedHistories, and the next values."""
    n = len(values)
    X = AttributedHistories(
        [list(months)],
        np.zeros(n - 1, dtype=np.int64),
        np.arange(1, n),
        event_attributes={"value": [values], "month": [months]},
    )
    return X, values[1:]


@pytest.mark.parametrize("season", [1, 3, 12])
def test_every_form_of_x_gives_the_value_one_season_ago(season):
    values, months = _series()
    X, y = _every_prefix(values, months)
    ends = X.lengths
    expected = _expected(values, ends, season, y.mean())

    attributed = SeasonalNaiveRegressor(season=season).fit(X, y)
    assert attributed.attribute_ == "value"
    assert attributed.fallback_ == pytest.approx(y.mean())
    assert_allclose(attributed.predict(X), expected)

    plain = [values[:end].tolist() for end in ends]
    assert_allclose(SeasonalNaiveRegressor(season=season).fit(plain, y).predict(plain), expected)

    prefixes = PrefixHistories([values.tolist()], np.zeros(len(ends), dtype=np.int64), ends)
    model = SeasonalNaiveRegressor(season=season).fit(prefixes, y)
    assert_allclose(model.predict(prefixes), expected)

    # Numeric steps, windows of 12 steps and 2 features: the value is column 1.
    windows = np.stack([values[i : i + 12] for i in range(len(values) - 12)])
    steps = np.stack([np.zeros_like(windows), windows], axis=2)
    targets = values[12:]
    model = SeasonalNaiveRegressor(season=season, attribute=1).fit(steps, targets)
    assert model.attribute_ == "x1"
    assert_allclose(model.predict(steps), windows[:, 12 - season])
    assert model.n_features_in_ == 12


@given(
    histories=st.lists(
        st.lists(st.floats(-1e6, 1e6, allow_nan=False), max_size=6), min_size=1, max_size=8
    ),
    season=st.integers(1, 7),
    data=st.data(),
)
def test_property_plain_histories(histories, season, data):
    y = data.draw(st.lists(st.floats(-1e3, 1e3), min_size=len(histories), max_size=len(histories)))
    weights = data.draw(
        st.lists(st.integers(1, 5), min_size=len(histories), max_size=len(histories))
    )
    model = SeasonalNaiveRegressor(season=season).fit(histories, y, sample_weight=weights)
    fallback = np.dot(weights, y) / np.sum(weights)
    assert model.fallback_ == pytest.approx(fallback, rel=1e-9, abs=1e-9)
    expected = [h[-season] if len(h) >= season else model.fallback_ for h in histories]
    assert_array_equal(model.predict(histories), expected)


def test_missing_value_falls_back_to_the_weighted_mean():
    values = np.array([1.0, np.nan, 3.0, 4.0])
    X = AttributedHistories([["a"] * 4], [0, 0, 0], [1, 2, 3], event_attributes={"value": [values]})
    y = np.array([10.0, 20.0, 40.0])
    model = SeasonalNaiveRegressor().fit(X, y, sample_weight=[1, 1, 2])
    assert model.fallback_ == pytest.approx(27.5)
    # The second history ends on the missing value.
    assert_allclose(model.predict(X), [1.0, 27.5, 3.0])
    assert_allclose(SeasonalNaiveRegressor(season=2).fit(X, y).predict(X), [70 / 3, 1.0, 70 / 3])


@pytest.mark.parametrize(
    "y, match",
    [
        ([1.0, np.nan], r"y must be finite; it holds nan at index 1"),
        ([1.0, np.inf], r"y must be finite; it holds inf at index 1"),
        (["a", "b"], "y must hold numbers"),
        ([1.0], "inconsistent numbers of samples"),
        (None, "requires y to be passed"),
        ([1 + 1j, 2.0], "Complex data not supported"),
    ],
)
def test_bad_y_is_refused(y, match):
    with pytest.raises(ValueError, match=match):
        SeasonalNaiveRegressor().fit([[1.0], [2.0]], y)


def _two_attributes(value_kind="numeric"):
    other = [np.array([5.0, 6.0])] if value_kind == "numeric" else [np.array(["u", "v"])]
    return AttributedHistories(
        [["a", "b"]],
        [0],
        [2],
        event_attributes={"value": [np.array([1.0, 2.0])], "other": other},
    )


@pytest.mark.parametrize(
    "X, attribute, match",
    [
        (_two_attributes(), None, r"has several: \['value', 'other'\]"),
        (_two_attributes("categorical"), "other", "'other' is categorical"),
        (_two_attributes(), "price", "no event attribute 'price'"),
        (_two_attributes(), 2, "out of range"),
        (AttributedHistories([["a"]], [0], [1]), None, "has none"),
        ([[1.0, 2.0]], "value", "plain histories, whose events are the values"),
        ([[1.0, "x"]], None, r"X\[0\] holds 'x' at position 1"),
        ([[1.0], [True]], None, r"X\[1\] holds True at position 0"),
    ],
)
def test_what_cannot_be_read_is_refused(X, attribute, match):
    with pytest.raises(ValueError, match=match):
        SeasonalNaiveRegressor(attribute=attribute).fit(X, [1.0] * len(X))


def test_the_attribute_can_be_named_or_numbered():
    X = _two_attributes("categorical")
    assert SeasonalNaiveRegressor().fit(X, [0.0]).predict(X).tolist() == [2.0]
    assert SeasonalNaiveRegressor(attribute=0).fit(X, [0.0]).attribute_ == "value"
    numeric = _two_attributes()
    assert SeasonalNaiveRegressor(attribute="other").fit(numeric, [0.0]).predict(numeric) == 6.0


def test_predict_needs_x_of_the_kind_seen_in_fit():
    X = _two_attributes()
    model = SeasonalNaiveRegressor(attribute="value").fit(X, [0.0])
    with pytest.raises(ValueError, match="got plain histories"):
        model.predict([[1.0, 2.0]])
    with pytest.raises(ValueError, match="no event attribute 'value'"):
        model.predict(AttributedHistories([["a"]], [0], [1], event_attributes={"v": [[1.0]]}))
    plain = SeasonalNaiveRegressor().fit([[1.0, 2.0]], [0.0])
    with pytest.raises(ValueError, match="fitted on plain histories"):
        plain.predict(X)
    with pytest.raises(NotFittedError):
        SeasonalNaiveRegressor().predict([[1.0]])


def test_a_failed_fit_leaves_the_fitted_model_as_it_was():
    model = SeasonalNaiveRegressor().fit([[1.0]], [5.0])
    with pytest.raises(ValueError):
        model.fit([[1.0]], [np.nan])
    assert model.fallback_ == 5.0
