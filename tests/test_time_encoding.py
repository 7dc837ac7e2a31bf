"""How the times' log gaps enter the network: standardised, or piecewise linear.

Both estimators read each log gap as its piecewise-linear encoding over quantile
pieces of fit's gaps; files saved by models that read them standardised still load.
"""

import numpy as np
import pandas as pd
import pytest
from _model_files import edit_document
from hypothesis import given
from hypothesis import strategies as st

from sklearn_seqlstm import AttributedHistories, NextEventClassifier, NextValueRegressor, load
from sklearn_seqlstm.neural._steps import TIME_PIECES, piecewise_linear
from sklearn_seqlstm.serving._onnx import _step_encoding

FAST = dict(max_epochs=2, hidden_size=8, embedding_dim=8, random_state=0)


def _timed(n=40, length=5, seed=0):
    rng = np.random.RandomState(seed)
    events = [list(rng.choice(list("ABC"), length)) for _ in range(n)]
    times = [
        pd.to_datetime(1.6e9 + np.cumsum(rng.exponential(3600, length)), unit="s") for _ in range(n)
    ]
    X = AttributedHistories.from_frame(pd.DataFrame({"events": events, "time": times}))
    return X, rng.exponential(1000.0, n)


@pytest.fixture(scope="module")
def regressor():
    X, y = _timed()
    return NextValueRegressor(**FAST).fit(X, y), X


# The encoding itself ----------------------------------------------------------------


finite = st.floats(-1e6, 1e6, allow_nan=False)


@given(st.lists(finite, min_size=2, max_size=8, unique=True), st.lists(finite, max_size=20))
def test_pieces_lie_in_0_1_and_grow_with_the_value(edges, values):
    edges = np.sort(np.array(edges))
    values = np.sort(np.array(values, dtype=np.float64))
    encoded = piecewise_linear(values, edges)
    assert encoded.shape == (len(values), len(edges) - 1)
    assert np.all((encoded >= 0) & (encoded <= 1))
    assert np.all(np.diff(encoded, axis=0) >= 0)  # order kept, column by column
    # A piece is full only once every earlier one is: the encoding is a staircase.
    assert np.all(np.diff(encoded, axis=1) <= 0)


def test_a_value_at_an_edge_fills_the_pieces_below_it_exactly():
    edges = np.array([0.0, 1.0, 3.0, 7.0])
    encoded = piecewise_linear(np.array([-5.0, 0.0, 1.0, 2.0, 7.0, 99.0]), edges)
    np.testing.assert_array_equal(
        encoded,
        [[0, 0, 0], [0, 0, 0], [1, 0, 0], [1, 0.5, 0], [1, 1, 1], [1, 1, 1]],
    )


def test_one_edge_gives_one_column_of_zeros():
    assert np.array_equal(piecewise_linear(np.array([1.0, 5.0]), np.array([3.0])), [[0], [0]])


# The estimators --------------------------------------------------------------------


def test_both_estimators_read_gaps_piecewise(regressor):
    model, X = regressor
    steps = model._steps
    assert steps.time_encoding == "piecewise"
    assert len(steps.time_edges) == 2
    for edges in steps.time_edges:
        assert 2 <= len(edges) <= TIME_PIECES + 1 and np.all(np.diff(edges) > 0)
    pieces = sum(len(edges) - 1 for edges in steps.time_edges)
    assert steps.n_numeric == pieces + 4  # and hour, weekday as (sin, cos) pairs
    assert model.predict(X).shape == (len(X),)

    labels = [history[-1] if len(history) else "A" for history in X.sequences]
    classifier = NextEventClassifier(**FAST).fit(X, labels)
    assert classifier._steps.time_encoding == "piecewise"
    for ours, theirs in zip(classifier._steps.time_edges, steps.time_edges, strict=True):
        np.testing.assert_array_equal(ours, theirs)  # the same gaps, the same cuts
    assert classifier._steps.n_numeric == pieces + 4


def test_every_gap_at_one_value_still_fits_and_predicts():
    # Numeric times one second apart: every gap since the previous event is 1 second
    # but the first (0), so the edges are few; and one event per history.
    X = AttributedHistories.from_frame(
        pd.DataFrame({"events": [["A"]] * 6 + [["B"]] * 6, "time": [[5.0]] * 12})
    )
    model = NextValueRegressor(**FAST).fit(X, np.arange(12.0))
    assert [len(edges) for edges in model._steps.time_edges] == [1, 1]
    assert model._steps.n_numeric == 2
    assert np.all(np.isfinite(model.predict(X)))


def test_saved_edges_load_to_the_same_predictions(regressor, tmp_path):
    model, X = regressor
    model.save(tmp_path / "model")
    loaded = load(tmp_path / "model")
    for saved, restored in zip(model._steps.time_edges, loaded._steps.time_edges, strict=True):
        np.testing.assert_array_equal(saved, restored)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_onnx_step_encoding_names_every_numeric_column(regressor):
    steps = regressor[0]._steps
    columns = _step_encoding(steps)["nums_columns"]
    assert len(columns) == steps.n_numeric
    assert "piece 0 of time_edges[0]" in columns[0]


# Hostile files ---------------------------------------------------------------------


def _edit_steps(path, edit):
    edit_document(path, lambda document: edit(document["attributes"]["steps"]))


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda s: s.update(time_encoding="quantiles"), "unknown time_encoding"),
        (lambda s: s.pop("time_edges"), "time_edges"),
        (lambda s: s.update(time_edges=[[0.0, 1.0]]), "time_edges"),
        (lambda s: s.update(time_edges="0,1"), "time_edges"),
        (lambda s: s.update(time_edges=[[], [0.0, 1.0]]), "time_edges"),
        (lambda s: s.update(time_edges=[list(range(10_000)), [0.0, 1.0]]), "time_edges"),
        (lambda s: s["time_edges"][0].reverse(), "increasing order"),
        (lambda s: s["time_edges"][1].__setitem__(0, "0"), "finite numbers"),
        (lambda s: s["time_edges"][1].__setitem__(0, True), "finite numbers"),
        # More edges than the weights were trained for: refused against the weights.
        (lambda s: s["time_edges"][0].append(1e9), "input|size|weight"),
    ],
)
def test_tampered_edges_are_refused(regressor, tmp_path, edit, match):
    path = tmp_path / "model"
    regressor[0].save(path)
    _edit_steps(path, edit)
    with pytest.raises(ValueError, match=match):
        load(path)


def _standardised_classifier(X, labels):
    """A classifier that reads the gaps standardised, as every one did at first."""
    model = NextEventClassifier(**FAST)
    model._time_encoding = "standardised"
    return model.fit(X, labels)


def test_a_file_of_standardised_gaps_loads_to_the_same_predictions(tmp_path):
    X, y = _timed(seed=1)
    labels = [history[-1] if len(history) else "A" for history in X.sequences]
    model = _standardised_classifier(X, labels)
    assert model._steps.n_numeric == 2 + 4
    model.save(tmp_path / "model")
    loaded = load(tmp_path / "model")
    assert loaded._steps.time_encoding == "standardised"
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_a_file_without_time_encoding_reads_gaps_standardised(tmp_path):
    # Files written before the choice existed hold time_mean and time_std only.
    X, y = _timed(seed=1)
    labels = [history[-1] if len(history) else "A" for history in X.sequences]
    model = _standardised_classifier(X, labels)
    path = tmp_path / "model"
    model.save(path)
    _edit_steps(path, lambda steps: steps.pop("time_encoding"))
    loaded = load(path)
    assert loaded._steps.time_encoding == "standardised"
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


# Numeric attributes stay standardised ----------------------------------------------


def test_numeric_attributes_stay_standardised_in_the_regressor():
    # Read piecewise, they lowered the MAE on the process logs but raised it on the
    # series of the next-value benchmark: only the gaps are read piecewise.
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(
        {
            "events": [list(rng.choice(list("AB"), 4)) for _ in range(30)],
            "amount": [list(rng.exponential(100.0, 4)) for _ in range(30)],
        }
    )
    X = AttributedHistories.from_frame(frame)
    model = NextValueRegressor(**FAST).fit(X, rng.exponential(10.0, 30))
    assert set(model._steps.encodings["amount"]) == {"kind", "mean", "std"}
    assert model._steps.n_numeric == 2
    assert len(_step_encoding(model._steps)["nums_columns"]) == 2
