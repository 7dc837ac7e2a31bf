"""Numeric attributes of few integers, also read as categories by the regressor.

An employee number stored as an integer is a code as much as a quantity.
NextValueRegressor reads a numeric attribute whose values in fit are at most
sqrt(n) distinct integers both ways (standardised, and as a category);
NextEventClassifier reads it as a number only.
"""

import numpy as np
import pandas as pd
import pytest
from _model_files import edit_document
from hypothesis import given
from hypothesis import strategies as st

from sklearn_seqlstm import AttributedHistories, NextEventClassifier, NextValueRegressor, load
from sklearn_seqlstm.neural._steps import N_CAT_RESERVED, StepEncoder, few_integers
from sklearn_seqlstm.serving._onnx import _step_encoding

FAST = dict(max_epochs=2, hidden_size=8, embedding_dim=8, random_state=0)
STAFF = [101, 202, 303]


def _frame(n=60, seed=0, staff=STAFF):
    rng = np.random.RandomState(seed)
    return pd.DataFrame(
        {
            "events": [list(rng.choice(list("AB"), 4)) for _ in range(n)],
            "who": [list(rng.choice(staff, 4)) for _ in range(n)],  # few integers
            "amount": rng.randint(0, 10**6, n),  # many integers: a quantity
            "score": [list(rng.normal(size=4)) for _ in range(n)],  # not integers
        }
    )


def _encoder(min_frequency):
    """The regressor's step encoder, attributes only."""
    return StepEncoder(
        time_features=False,
        attributes=True,
        sequence_context="every_step",
        min_frequency=min_frequency,
        codes_for_integers=True,
    )


@pytest.fixture(scope="module")
def regressor():
    frame = _frame()
    X = AttributedHistories.from_frame(frame)
    y = np.array([who[-1] for who in frame["who"]], dtype=float)
    return NextValueRegressor(**FAST).fit(X, y), X


# The rule --------------------------------------------------------------------------


@given(st.integers(1, 30), st.integers(1, 200), st.integers(-(10**9), 10**9))
def test_few_integers_is_at_most_sqrt_n_distinct_integers(n_distinct, n, offset):
    values = (offset + np.arange(n) % n_distinct).astype(np.float64)
    assert few_integers(values) == (min(n_distinct, n) ** 2 <= n)


@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=50))
def test_a_fraction_makes_a_column_no_integers(values):
    values = np.array(values + [0.5] * len(values))  # at least half not integers
    assert not few_integers(values)


def test_no_values_are_no_integers():
    assert not few_integers(np.zeros(0))


# What the regressor and the classifier make of it --------------------------------------


def test_the_regressor_codes_few_integers_only(regressor):
    encodings = regressor[0]._steps.encodings
    assert encodings["who"]["kind"] == "numeric"  # still read as a number too
    assert encodings["who"]["categories"] == [101.0, 202.0, 303.0]
    assert "categories" not in encodings["amount"]  # 60 values, 60 distinct
    assert "categories" not in encodings["score"]
    assert regressor[0]._steps.cat_cardinalities == [N_CAT_RESERVED + 3]


def test_the_classifier_reads_integers_as_numbers():
    frame = _frame()
    X = AttributedHistories.from_frame(frame)
    model = NextEventClassifier(**FAST).fit(X, [events[-1] for events in frame["events"]])
    assert "categories" not in model._steps.encodings["who"]
    assert model._steps.cat_cardinalities == []


def test_codes_follow_the_values_not_their_type():
    # Integers in fit, floats with a missing value (NaN makes floats) when predicting.
    steps = _encoder(min_frequency=1)
    fitted = AttributedHistories.from_frame(_frame())
    steps.fit(fitted)
    later = AttributedHistories.from_frame(
        pd.DataFrame(
            {"events": [["A", "B", "A"]], "who": [[202.0, np.nan, 404]], "amount": [5]}
        ).assign(score=[[0.0, 1.0, 2.0]])
    )
    table, _ = steps.transform(later, {"A": 1, "B": 2})
    # START, TRUNCATED, then 202 (index 1), missing (code 2), 404 (never seen: code 1).
    np.testing.assert_array_equal(table.cats[:, 0], [0, 0, N_CAT_RESERVED + 1, 2, 1])
    # One step on its own is encoded as transform encodes it (the streams' path).
    cats, nums = steps.encode_step(context={"amount": 5}, attributes={"who": 202, "score": 0.0})
    np.testing.assert_array_equal(cats, table.cats[2])
    np.testing.assert_allclose(nums, table.nums[2])


def test_a_rare_value_shares_the_rare_code():
    steps = _encoder(min_frequency=2)
    frame = _frame(staff=[7, 8])
    frame.loc[0, "who"] = [9, 7, 7, 7]  # 9 is seen once
    steps.fit(AttributedHistories.from_frame(frame))
    assert steps.encodings["who"]["categories"] == [7.0, 8.0]


def test_the_codes_reach_the_predictions():
    # The target turns on who handled the last event, and not in the order of the
    # numbers: 202 is the slow one. Read as categories, the employees are told apart.
    frame = _frame(n=300, seed=1)
    last = np.array([who[-1] for who in frame["who"]])
    y = np.where(last == 202, 10.0, 1.0)
    X = AttributedHistories.from_frame(frame[["events", "who"]])
    model = NextValueRegressor(
        loss="absolute_error", max_epochs=10, hidden_size=8, embedding_dim=8, random_state=0
    )
    predicted = model.fit(X, y).predict(X)
    assert model._steps.cat_cardinalities == [N_CAT_RESERVED + 3]
    # With the codes, every prediction is right (MAE 0); read as a number only, the
    # same fit is wrong on 30% of them (MAE 2.7).
    assert np.abs(predicted - y).mean() < 1.0


# Saving, ONNX and tampered files --------------------------------------------------------


def test_saved_codes_load_to_the_same_predictions(regressor, tmp_path):
    model, X = regressor
    model.save(tmp_path / "model")
    loaded = load(tmp_path / "model")
    assert loaded._steps.encodings["who"]["categories"] == [101.0, 202.0, 303.0]
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_onnx_step_encoding_names_every_categorical_column(regressor):
    steps = regressor[0]._steps
    columns = _step_encoding(steps)["cats_columns"]
    assert columns == ["who (as a category)"]
    assert len(columns) == len(steps.cat_cardinalities)


def _edit_who(path, edit):
    def edit_steps(document):
        encodings = document["attributes"]["steps"]["encodings"]
        (coded,) = [e for e in encodings if e["kind"] == "numeric" and "categories" in e]
        edit(coded)

    edit_document(path, edit_steps)


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda e: e.update(categories="101,202"), "finite numbers"),
        (lambda e: e.update(categories=[101.0, "202"]), "finite numbers"),
        (lambda e: e.update(categories=[101.0, None]), "finite numbers"),
        (lambda e: e.update(categories=[101.5, 202.0, 303.0]), "distinct integers"),
        (lambda e: e.update(categories=[101.0, 101.0, 303.0]), "distinct integers"),
        # More codes than the weights were trained for: refused against the weights.
        (lambda e: e["categories"].append(404.0), "size|weight|shape"),
        # Codes taken away: the categorical column the weights expect is gone.
        (lambda e: e.pop("categories"), "size|weight|shape|categor"),
    ],
)
def test_tampered_codes_are_refused(regressor, tmp_path, edit, match):
    path = tmp_path / "model"
    regressor[0].save(path)
    _edit_who(path, edit)
    with pytest.raises(ValueError, match=match):
        load(path)
