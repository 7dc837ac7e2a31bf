"""Issue 9, items 4 to 11: each failure found by trying bad and odd input, pinned.

The CLI's cases (items 1 to 3) are in test_cli.py; the fuzzing that keeps the whole
class of failures fixed is in test_fuzz.py.
"""

import pickle
import time
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import Callback

from sklearn_seqlstm import (
    BayesOracleClassifier,
    MarkovChainClassifier,
    MarkovMemorySampler,
    NextEventClassifier,
    SequenceFeaturizer,
    leave_last_out_split,
    neg_log_loss_scorer,
    reciprocal_rank,
    reciprocal_rank_scorer,
    samples_from_log,
    time_split,
    top_k_accuracy,
    top_k_scorer,
)

FAST = dict(max_epochs=2, hidden_size=8, embedding_dim=4, random_state=0)

X_ABC = [["A"], ["B"], ["C"], ["A", "B"], ["B", "C"], ["C", "A"]] * 3
Y_ABC = ["B", "C", "A", "C", "A", "B"] * 3


class _FailAtEpoch(Callback):
    """Raise at the end of the given epoch: a fit that fails part-way."""

    def __init__(self, epoch=2):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            raise RuntimeError("callback failed")


# Item 4: a fit that raises leaves the estimator as it was.


def test_failed_first_fit_leaves_the_classifier_unfitted():
    clf = NextEventClassifier(**{**FAST, "max_epochs": 5}, callbacks=[_FailAtEpoch()])
    before = dict(vars(clf))
    with pytest.raises(RuntimeError, match="callback failed"):
        clf.fit(X_ABC, Y_ABC)
    with pytest.raises(NotFittedError):
        check_is_fitted(clf)
    assert vars(clf).keys() == before.keys()


def test_failed_refit_keeps_the_previous_model():
    clf = NextEventClassifier(**FAST).fit(X_ABC, Y_ABC)
    proba, n_epochs, net = clf.predict_proba(X_ABC), clf.n_epochs_, clf.net_
    # New data with other classes, and a callback that fails in the second epoch.
    clf.set_params(callbacks=[_FailAtEpoch()], max_epochs=5)
    with pytest.raises(RuntimeError, match="callback failed"):
        clf.fit([["X"], ["Y"], ["Z"]] * 4, ["Y", "Z", "X"] * 4)
    assert clf.classes_.tolist() == ["A", "B", "C"]
    assert clf.n_epochs_ == n_epochs
    assert clf.net_ is net
    np.testing.assert_array_equal(clf.predict_proba(X_ABC), proba)


@pytest.mark.parametrize(
    "estimator",
    [
        NextEventClassifier(**FAST),
        MarkovChainClassifier(order=1),
        SequenceFeaturizer(),
    ],
    ids=lambda e: type(e).__name__,
)
def test_failed_refit_keeps_the_history_width(estimator):
    # A 2-D array fixes n_features_in_; a refit whose y is then found wrong used to
    # drop it, after the input check had reset it for the new X.
    X = np.array([["A", "B"], ["B", "C"], ["C", "A"], ["A", "C"]] * 3)
    y = np.array(["C", "A", "B", "B"] * 3)
    estimator = clone(estimator).fit(X, y)
    assert estimator.n_features_in_ == 2
    before = dict(vars(estimator))
    with pytest.raises(ValueError, match="inconsistent numbers of samples|not a history"):
        if isinstance(estimator, SequenceFeaturizer):
            estimator.fit([["A", "B", "C"], ["A"], None])
        else:
            estimator.fit([["A", "B", "C"], ["A"]], ["B", "C", "A"])
    assert estimator.n_features_in_ == 2
    assert vars(estimator).keys() == before.keys()
    assert all(vars(estimator)[key] is value for key, value in before.items())


def test_ctrl_c_in_training_still_keeps_the_model_trained_so_far():
    class Interrupt(Callback):
        def on_epoch_end(self, net, **kwargs):
            if len(net.history) == 2:
                raise KeyboardInterrupt

    clf = NextEventClassifier(**{**FAST, "max_epochs": 10}, callbacks=[Interrupt()]).fit(
        X_ABC, Y_ABC
    )
    assert clf.n_epochs_ == 2
    assert clf.predict_proba(X_ABC).shape == (len(X_ABC), 3)


# Item 5: numpy integers as parameters, bools refused.


def test_grid_search_over_numpy_integer_sizes():
    search = GridSearchCV(
        NextEventClassifier(max_epochs=1, random_state=0),
        {"hidden_size": np.arange(4, 9, 4), "embedding_dim": np.arange(2, 5, 2)},
        cv=2,
    ).fit(X_ABC, Y_ABC)
    assert isinstance(search.best_params_["hidden_size"], np.integer)
    assert search.best_estimator_.predict_proba(X_ABC).shape == (len(X_ABC), 3)


@pytest.mark.parametrize(
    "name", ["embedding_dim", "hidden_size", "num_layers", "batch_size", "max_epochs"]
)
def test_every_integer_parameter_takes_numpy_integers(name):
    value = np.int64(2) if name != "max_epochs" else np.int32(1)
    clf = NextEventClassifier(**{**FAST, name: value}).fit(X_ABC, Y_ABC)
    assert clf.get_params()[name] is value  # stored untouched
    assert np.isfinite(clf.predict_proba(X_ABC)).all()


@pytest.mark.parametrize(
    "estimator, name",
    [
        (NextEventClassifier(**FAST), "hidden_size"),
        (NextEventClassifier(**FAST), "embedding_dim"),
        (NextEventClassifier(**FAST), "max_epochs"),
        (NextEventClassifier(**FAST), "max_history"),
        (NextEventClassifier(**FAST), "num_threads"),
        (NextEventClassifier(**FAST), "lr"),
        (NextEventClassifier(**FAST), "dropout"),
        (MarkovChainClassifier(), "order"),
        (MarkovChainClassifier(), "alpha"),
        (SequenceFeaturizer(), "n_last"),
    ],
)
@pytest.mark.parametrize("value", [True, False])
def test_bools_are_refused_where_numbers_are_meant(estimator, name, value):
    estimator = clone(estimator).set_params(**{name: value})
    with pytest.raises(ValueError, match=f"'{name}' parameter .* not a bool"):
        estimator.fit(X_ABC, Y_ABC)


@pytest.mark.parametrize("name", ["lr", "dropout", "validation_fraction"])
@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_non_finite_floats_are_refused(name, value):
    with pytest.raises(ValueError, match=f"'{name}' parameter"):
        NextEventClassifier(**{**FAST, name: value}).fit(X_ABC, Y_ABC)


def test_infinite_smoothing_is_refused():
    with pytest.raises(ValueError, match="'alpha' parameter"):
        MarkovChainClassifier(alpha=float("inf")).fit(X_ABC, Y_ABC)


# Item 6: devices and threads.


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message without CUDA")
@pytest.mark.parametrize("device", ["cuda", "cuda:99", torch.device("cuda", 0)])
def test_cuda_without_cuda_is_a_clear_error(device):
    clf = NextEventClassifier(**FAST, device=device)
    with pytest.raises(ValueError, match="CUDA is not available"):
        clf.fit(X_ABC, Y_ABC)
    with pytest.raises(NotFittedError):
        check_is_fitted(clf)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_a_gpu_beyond_those_present_is_a_clear_error():  # pragma: no cover - GPU only
    with pytest.raises(ValueError, match="names GPU 99"):
        NextEventClassifier(**FAST, device="cuda:99").fit(X_ABC, Y_ABC)


@pytest.mark.parametrize("device", ["bogus", "mps:x", 3.5])
def test_a_device_that_is_not_one_is_a_clear_error(device):
    with pytest.raises((ValueError, TypeError), match="device"):
        NextEventClassifier(**FAST, device=device).fit(X_ABC, Y_ABC)


@pytest.mark.parametrize("num_threads", [10**6, 1025, 0, -1])
def test_num_threads_out_of_bounds_is_refused_before_torch_sees_it(num_threads):
    previous = torch.get_num_threads()
    with pytest.raises(ValueError, match="'num_threads' parameter"):
        NextEventClassifier(**FAST, num_threads=num_threads).fit(X_ABC, Y_ABC)
    assert torch.get_num_threads() == previous


# Item 7: huge sample weights.


@pytest.mark.parametrize("scale", [2.0**128, 2.0**1000])
def test_weights_beyond_float32_train_the_same_model(scale):
    rng = np.random.RandomState(0)
    weights = rng.randint(1, 5, size=len(X_ABC)).astype(float)
    # The history counts read weights as numbers of samples, so a history's counts
    # grow with the scale; the network alone is the same to the bit.
    alone = dict(FAST, history_counts=None)
    reference = NextEventClassifier(**alone).fit(X_ABC, Y_ABC, sample_weight=weights)
    huge = NextEventClassifier(**alone).fit(X_ABC, Y_ABC, sample_weight=weights * scale)
    proba = huge.predict_proba(X_ABC)
    assert np.isfinite(proba).all()
    # Powers of 2 scale exactly, so the weighted mean loss is the same to the bit.
    np.testing.assert_array_equal(proba, reference.predict_proba(X_ABC))
    # Counts and their prior weight scaled alike give the same blend, to the bit.
    reference.set_params(history_counts=3.0).fit(X_ABC, Y_ABC, sample_weight=weights)
    huge.set_params(history_counts=3.0 * scale).fit(X_ABC, Y_ABC, sample_weight=weights * scale)
    np.testing.assert_array_equal(huge.predict_proba(X_ABC), reference.predict_proba(X_ABC))


def test_largest_float64_weights_give_a_valid_model():
    weights = np.full(len(X_ABC), np.finfo(np.float64).max)
    proba = (
        NextEventClassifier(**FAST).fit(X_ABC, Y_ABC, sample_weight=weights).predict_proba(X_ABC)
    )
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_unit_weights_are_the_same_as_no_weights():
    no_weights = NextEventClassifier(**FAST).fit(X_ABC, Y_ABC).predict_proba(X_ABC)
    ones = np.ones(len(X_ABC))
    weighted = NextEventClassifier(**FAST).fit(X_ABC, Y_ABC, sample_weight=ones)
    np.testing.assert_array_equal(weighted.predict_proba(X_ABC), no_weights)


# Item 8: every missing-value marker refused alike.

MISSING = [
    None,
    float("nan"),
    np.float32("nan"),
    pd.NA,
    pd.NaT,
    np.datetime64("NaT"),
    np.timedelta64("NaT"),
    Decimal("NaN"),
]
ESTIMATORS = [
    NextEventClassifier(**FAST),
    MarkovChainClassifier(),
    SequenceFeaturizer(),
    BayesOracleClassifier(MarkovMemorySampler(events=["A", "B", "C"], transitions={})),
]


@pytest.mark.parametrize("missing", MISSING, ids=repr)
@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_missing_events_are_refused_in_fit(estimator, missing):
    X = [list(h) for h in X_ABC]
    X[4] = ["A", missing]
    with pytest.raises(ValueError, match=r"X\[4\]\[1\] is a missing value"):
        clone(estimator).fit(X, Y_ABC)


@pytest.mark.parametrize("missing", MISSING, ids=repr)
@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_missing_events_are_refused_at_predict_time(estimator, missing):
    fitted = clone(estimator).fit(X_ABC, Y_ABC)
    method = fitted.transform if isinstance(fitted, SequenceFeaturizer) else fitted.predict_proba
    with pytest.raises(ValueError, match=r"X\[1\]\[0\] is a missing value"):
        method([["A"], [missing, "B"]])


@pytest.mark.parametrize(
    "missing", [m for m in MISSING if m is not pd.NA], ids=repr
)  # pd.NA in an object array is covered by the event tests
def test_missing_labels_are_refused(missing):
    y = np.array(Y_ABC, dtype=object)
    y[3] = missing
    with pytest.raises(ValueError, match="missing labels.*index 3"):
        MarkovChainClassifier().fit(X_ABC, y)


def test_missing_labels_in_a_datetime_array_are_refused():
    y = np.array(["2024-01-01", "2024-01-02", "NaT"] * 6, dtype="datetime64[D]")
    with pytest.raises(ValueError, match="missing labels.*index 2"):
        MarkovChainClassifier().fit(X_ABC, y)


def test_a_signalling_decimal_nan_is_refused_not_crashed_on():
    y = np.array(Y_ABC, dtype=object)
    y[0] = Decimal("sNaN")
    with pytest.raises(ValueError, match="missing labels.*index 0"):
        MarkovChainClassifier().fit(X_ABC, y)
    with pytest.raises(TypeError, match="hashable"):  # a signalling NaN cannot be hashed
        MarkovChainClassifier().fit([["A", Decimal("sNaN")]] + X_ABC[1:], Y_ABC)


@pytest.mark.parametrize("missing", MISSING, ids=repr)
def test_missing_events_in_a_log_are_refused(missing):
    log = pd.DataFrame(
        {"user": [1, 1, 1, 2, 2], "t": [0, 1, 2, 0, 1], "item": ["a", "b", "c", "a", "b"]}
    ).astype({"item": object})
    log.loc[3, "item"] = missing
    frozen = log.copy()
    with pytest.raises(ValueError, match="missing value .* column 'item' at row 3"):
        samples_from_log(log, sequence_col="user", order_col="t", event_col="item")
    pd.testing.assert_frame_equal(log, frozen)


@pytest.mark.parametrize("missing", MISSING, ids=repr)
def test_missing_event_labels_of_the_sampler_are_refused(missing):
    with pytest.raises(ValueError, match=r"events\[1\] is a missing value"):
        MarkovMemorySampler(events=["A", missing, "C"], transitions={}).sample(2, 3)


# Item 9: a column argument that is not a column.

LOG = pd.DataFrame({"user": [1, 1, 1, 2, 2, 2], "t": [0, 1, 2, 0, 1, 2], "item": list("abcabd")})


@pytest.mark.parametrize(
    "split",
    [
        samples_from_log,
        leave_last_out_split,
        lambda log, **kw: time_split(log, cutoff=1, **kw),
    ],
    ids=["samples_from_log", "leave_last_out_split", "time_split"],
)
@pytest.mark.parametrize("role", ["sequence_col", "event_col"])
def test_a_required_column_given_as_none_is_named(split, role):
    columns = {"sequence_col": "user", "order_col": "t", "event_col": "item", role: None}
    with pytest.raises(ValueError, match=f"{role} is required"):
        split(LOG, **columns)


@pytest.mark.parametrize("role", ["sequence_col", "order_col", "event_col"])
def test_a_column_argument_that_is_not_a_column_is_named(role):
    columns = {"sequence_col": "user", "order_col": "t", "event_col": "item", role: "nope"}
    with pytest.raises(ValueError, match=f"no column {role}='nope'"):
        samples_from_log(LOG, **columns)


# Item 10: weights and probabilities of the scorers and metrics.

SCORERS = [top_k_scorer(1), reciprocal_rank_scorer(), neg_log_loss_scorer()]


@pytest.fixture(scope="module")
def markov():
    return MarkovChainClassifier().fit(X_ABC, Y_ABC)


@pytest.mark.parametrize("scorer", SCORERS, ids=repr)
@pytest.mark.parametrize(
    "weights, message",
    [
        ([-1, 0, 0, 2], "Negative values"),
        ([-3, 1, 1, 1], "Negative values"),
        ([np.nan, 1, 1, 1], "NaN"),
        ([np.inf, 1, 1, 1], "infinity"),
        ([0, 0, 0, 0], "non-zero"),
    ],
)
def test_scorers_refuse_invalid_weights(markov, scorer, weights, message):
    with pytest.raises(ValueError, match=message):
        scorer(markov, X_ABC[:4], Y_ABC[:4], sample_weight=weights)


@pytest.mark.parametrize("scorer", SCORERS, ids=repr)
def test_scorers_take_the_largest_weights(markov, scorer):
    huge = np.full(4, np.finfo(np.float64).max)
    assert scorer(markov, X_ABC[:4], Y_ABC[:4], sample_weight=huge) == pytest.approx(
        scorer(markov, X_ABC[:4], Y_ABC[:4])
    )


@pytest.mark.parametrize("metric", [top_k_accuracy, reciprocal_rank])
def test_metrics_refuse_negative_probabilities(metric):
    with pytest.raises(ValueError, match=r"proba\[0, 1\] = -0.5 is negative"):
        metric(["a"], [[1.5, -0.5]], classes=["a", "b"])


# Item 11: the sampler.


@pytest.mark.parametrize(
    "params",
    [
        {"memory_influence": True},
        {"events": ["A", "B"], "transitions": {"A": {"B": True}}},
        {"events": ["A", "B"], "transitions": {}, "start_proba": {"A": True}},
        {"events": ["A", "B"], "transitions": {}, "start_proba": [True, False]},
    ],
)
def test_sampler_refuses_bools_as_probabilities(params):
    with pytest.raises(TypeError, match="number|bool"):
        MarkovMemorySampler(**params).sample(2, 3)


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.sample(10**6, 10**6),
        lambda s: s.make_dataset(10**5, 10**4),
        lambda s: s.sample_frame(10**7, 10**6),
    ],
    ids=["sample", "make_dataset", "sample_frame"],
)
def test_sampler_refuses_sizes_beyond_memory_before_allocating(call):
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"would need about [\d.]+ TiB of memory"):
        call(MarkovMemorySampler(random_state=0))
    assert time.perf_counter() - start < 5  # nothing of that size was allocated


def test_every_history_the_sampler_makes_is_one_the_classifiers_take():
    sampler = MarkovMemorySampler(events=[10, 20, 30], transitions={}, random_state=0)
    X, y, _ = sampler.make_dataset(20, 5)
    assert MarkovChainClassifier().fit(X, y).predict_proba(X).shape[0] == len(X)


def test_fitted_estimators_still_pickle_after_the_guards():
    clf = NextEventClassifier(**FAST).fit(X_ABC, Y_ABC)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(X_ABC), clf.predict_proba(X_ABC))
