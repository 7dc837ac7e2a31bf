"""NextValueRegressor: the LSTM over event histories, with a numeric target."""

from numbers import Integral

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.metrics import r2_score
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ..histories._histories import check_histories, check_values, scaled_to_unit
from ..metrics._scoring import check_weights
from ..utils._base import restore_on_failure
from ..utils._validation import reals
from ._estimator import HistoryLSTM, fill_shared_docs
from ._module import (
    LSTMNextEventModule,
    LSTMNextValueModule,
    WeightedEntryLoss,
    WeightedRegressionLoss,
)
from ._steps import _unit_exponent
from ._target_bins import (
    bin_labels,
    cut_at_quantiles,
    distribution_mean,
    distribution_median,
    largest_point_mass,
)

__all__ = ["NextValueRegressor"]

# The widest standardised training target: its square (the squared error) and the
# loss's sums stay far within float32 (and float16) range. Plain data reach it only
# with about 10**8 samples, where the standard deviation bounds every target to
# sqrt(n_samples) of them.
_MAX_STANDARDISED = 1e4
_MAX_VALIDATION = 1e15
_FLOAT64_MAX = np.finfo(np.float64).max
# The statistic of the learned distribution that each loss asks for; "huber" has none
# to read off bins, and trains on its loss directly.
_BIN_STATISTIC = {"absolute_error": "median", "squared_error": "mean"}
# target_bins="auto": this many bins for "absolute_error" when one value of y holds at
# least a bin's share of the weight (a point mass, such as the zeros at the end of
# every case), none otherwise. On the four open process logs (all with such a mass)
# the bins lowered the MAE of the time to the next event and of the remaining time in
# 7 of 8, significantly in 3, and raised none significantly (3 seeds, paired with one
# number trained on the loss). On a smooth series (the weather example:
# no value holds 1/32 of it, about 1,100 samples) they raised it by 0.04 to 0.08 °C
# in each of 3 seeds. With the squared error, the mean of the bins only tied the
# network trained on it (Helpdesk), so "auto" leaves that loss as it was.
AUTO_TARGET_BINS = 32


def _unit(values):
    """``values`` divided by the power of 2 that brings the largest magnitude into [0.5, 1)."""
    exponent = _unit_exponent(values)
    return np.ldexp(values, -exponent), exponent


def _number(prediction):
    """The read-out of one number per history, as float64."""
    return prediction.double().cpu().numpy()


def _probabilities(log_proba):
    """The read-out of the distribution over bins: probabilities, as float64."""
    return log_proba.double().softmax(dim=-1).cpu().numpy()


@fill_shared_docs
class NextValueRegressor(RegressorMixin, HistoryLSTM):
    """Predict a number from a history of events with an LSTM: when, how long, how much.

    The time until the next event, the time left until a case ends, the next
    value of a series, a customer's spend next month: any number that follows
    a history. It is :class:`NextEventClassifier`'s network and training (the
    same embedding, LSTM, one pass per chain, early stopping, threads, device
    and random state), with one of two read-outs:

    - the distribution of the number over quantile bins of ``y``, learned with
      the log loss as the classifier learns classes; :meth:`predict` returns its
      median (by default with ``loss="absolute_error"`` when ``y`` has a point
      mass) or its mean. Durations are often mixtures with point masses (a
      ticket closed the same day or after 15, 30 or 45 days; exactly 0 after a
      case's last event), whose median a network trained on the absolute error
      finds poorly: that loss tells it only the sign of each error.
    - one number, trained on the loss itself (otherwise, or with
      ``target_bins=None``). Targets are standardised in ``fit`` (weighted mean
      0, standard deviation 1) and mapped back by :meth:`predict`, so one
      learning rate suits seconds and millions alike.

    A numeric attribute whose values in ``fit`` are integers, with at most
    sqrt(n) distinct values among its n, is read both as a number and as a
    category. Such a column is often a code (an employee number, a product id):
    as a category, each value gets its own vector, where a standardised number
    puts employee 10913 next to 10914. An amount, with many distinct values, stays
    a number only. The classifier reads numbers as numbers.

    Parameters
    ----------
    loss : {"squared_error", "absolute_error", "huber"}, default="squared_error"
        The loss that training minimises, named as in scikit-learn's
        :class:`~sklearn.ensemble.HistGradientBoostingRegressor`:
        "squared_error" predicts the conditional mean, "absolute_error" the
        conditional median (the better choice for skewed durations, scored by
        their mean absolute error). "huber" is squared within ``huber_delta``
        standard deviations of the target and linear beyond, robust to outliers.
    huber_delta : float, default=1.0
        Where the Huber loss turns linear, in standard deviations of ``y``.
        Ignored for the other losses.
    target_bins : int, "auto" or None, default="auto"
        Learn the distribution of ``y`` over at most this many bins, cut at
        its weighted quantiles (a value that holds more than one bin's share,
        such as many zeros, is a bin of its own), and predict its median
        ("absolute_error") or mean ("squared_error"); within a bin, values are
        read off the quantiles of the training targets that fell in it, so a
        bin of one value gives that value exactly. "auto" is 32 bins for
        "absolute_error" when one value of ``y`` holds at least 1/32 of the
        sample weight (a point mass: the zeros of finished cases, the customers
        who spend nothing), and None otherwise: on a smooth target, one number
        trained on the loss did better. None reads out one number trained on
        the loss itself, as "huber" always does. The bins are ``bin_edges_``.
    %(network_and_training)s
    max_epochs : int or None, default=None
        Number of passes over the training data (fewer only when
        ``n_iter_no_change`` stops early). None trains at least 20 epochs and
        at least min(1000, n / 4) optimizer steps for n samples (the total
        sample weight), min(3000, n / 4) under early stopping, which keeps the
        best epoch's weights: the budget of :class:`NextEventClassifier`'s
        default. A log whose cases share a few distinct histories has few
        chains, and 20 passes over them would be a few dozen steps. The epochs
        run are ``n_iter_``, the steps ``n_steps_``.
    early_stopping : "auto" or bool, default=False
        Hold out ``validation_fraction`` of the chains, score the validation
        loss after every epoch and keep the weights of the best epoch (stopping
        early only when ``n_iter_no_change`` is set). Off by default: the
        validation loss is that of the bins or of the loss, a poor guide to the
        error of the prediction, and on four process logs training on all the
        data for the whole budget did as well or better (by 0.03 to 0.05 days
        on Helpdesk). "auto" turns it on from 2,000 chains, or when a
        validation set (``X_val``, ``y_val``) is passed to ``fit``, as in
        :class:`NextEventClassifier`. With False, a validation set passed to
        ``fit`` is scored after every epoch (``net_.history``) and the last
        epoch's weights are kept.
    %(validation_and_history)s
    %(inputs_and_runtime)s

    Attributes
    ----------
    target_mean_ : float
        The weighted mean of ``y`` in fit, subtracted before training.
    target_scale_ : float
        The weighted standard deviation of ``y`` in fit (1 when ``y`` is
        constant), by which targets are divided before training.
    bin_edges_ : ndarray of shape (n_bins - 1,) or None
        The increasing edges of the bins of ``y`` (see ``target_bins``): bin
        ``b`` holds the values in ``(bin_edges_[b - 1], bin_edges_[b]]``. None
        when the network reads out one number.
    bin_quantiles_ : ndarray of shape (n_bins, 33) or None
        The weighted quantiles at 0, 1/32, ..., 1 of the training targets in
        each bin, from which :meth:`predict` reads values within a bin.
    bin_means_ : ndarray of shape (n_bins,) or None
        The weighted mean of the training targets in each bin.
    %(fitted_core)s

    See Also
    --------
    NextEventClassifier : The same network, predicting which event comes next.
    SeasonalNaiveRegressor : The last value, or the value one season ago.
    samples_from_log : Histories with ``target="time_to_next"``,
        ``"remaining_time"`` or ``"next_value"``.

    Notes
    -----
    ``X`` takes every form :class:`NextEventClassifier` takes: plain histories,
    :class:`AttributedHistories` with times and attributes, and histories of
    numeric steps (a 3-D array or a list of 2-D float arrays). ``fit`` trains in
    one pass per chain: the loss is the weighted mean over samples of the
    per-sample loss, exactly as if each history were run on its own. The
    losses printed with ``verbose=1`` and kept in ``net_.history`` are in
    standardised units, or the log loss of the bins when the network learns a
    distribution.

    Examples
    --------
    >>> from sklearn_seqlstm import NextValueRegressor
    >>> X = [["open"], ["open", "wait"], ["open", "wait", "wait"], ["open", "call"]] * 5
    >>> y = [1.0, 2.0, 3.0, 0.5] * 5  # e.g. hours until the next event
    >>> reg = NextValueRegressor(max_epochs=100, random_state=0).fit(X, y)
    >>> reg.predict([["open", "wait"]]).round().tolist()
    [2.0]

    With the absolute error, the median of a distribution over bins of ``y``;
    a value the training targets hold is read back exactly:

    >>> med = NextValueRegressor(loss="absolute_error", max_epochs=100, random_state=0)
    >>> med.fit(X, y).predict([["open", "wait"], ["open", "call"]]).tolist()
    [2.0, 0.5]
    """

    _parameter_constraints: dict = {
        **HistoryLSTM._shared_constraints,
        "loss": [StrOptions({"squared_error", "absolute_error", "huber"})],
        "huber_delta": [reals(0, None, closed="neither")],
        "target_bins": [Interval(Integral, 2, None, closed="left"), StrOptions({"auto"}), None],
    }
    _unusable_validation = "have no usable target"
    # The log gaps are read piecewise, as by the classifier (HistoryLSTM). Numeric
    # attributes stay standardised: piecewise, they helped the process logs and the
    # weather example but lost on all three series of bench_next_value.py.
    # BPI 2012 stores its employee numbers as integers, which the trees of
    # bench_process_times.py single out and a standardised number hides. Also read as
    # categories, they lowered the MAE of BPI12 A by 0.010 days (time to the next
    # event) and 0.009 (remaining time), and of BPI12 O by 0.021 (time to the next
    # event), 3 seeds; BPI12 O's remaining time moved by +0.003, less than its seeds
    # differ. The amount requested (hundreds of values, a few cases each) stays a
    # number. The other open logs and the series hold no such column. For the next
    # event, the classifier did not gain from the employee numbers read both ways
    # (-0.002 and -0.0004 accuracy on BPI12 O and A, 2 seeds): it reads numbers as
    # numbers.
    _codes_for_integers = True

    def __init__(
        self,
        *,
        loss="squared_error",
        huber_delta=1.0,
        target_bins="auto",
        embedding_dim="auto",
        hidden_size=64,
        num_layers=1,
        dropout=0.5,
        lr=0.01,
        lr_schedule="cosine",
        batch_size="auto",
        max_epochs=None,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=None,
        max_history=None,
        time_features=True,
        attributes=True,
        sequence_context="every_step",
        min_frequency=10,
        device="auto",
        distributed=False,
        num_threads=1,
        precision="float32",
        callbacks=None,
        random_state=None,
        verbose=0,
    ):
        self.loss = loss
        self.huber_delta = huber_delta
        self.target_bins = target_bins
        self.embedding_dim = embedding_dim
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.dropout = dropout
        self.lr = lr
        self.lr_schedule = lr_schedule
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.max_history = max_history
        self.time_features = time_features
        self.attributes = attributes
        self.sequence_context = sequence_context
        self.min_frequency = min_frequency
        self.device = device
        self.distributed = distributed
        self.num_threads = num_threads
        self.precision = precision
        self.callbacks = callbacks
        self.random_state = random_state
        self.verbose = verbose

    @restore_on_failure
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None, sample_weight_val=None):
        """Train the LSTM on histories ``X`` and the number ``y`` that follows each.

        Parameters
        ----------
        X : list of sequences of events, pandas Series, 2-D or 3-D array-like
            The histories (see Notes).
        y : array-like of shape (n_samples,)
            The number to predict after each history; finite.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; the loss is the weighted mean over samples.
        X_val : histories, default=None
            Validation histories, in any form ``X`` takes. When given, early
            stopping monitors the loss on them instead of holding out
            ``validation_fraction`` of ``X``, and ``early_stopping="auto"`` turns
            it on; with the default ``early_stopping=False`` their loss is only
            recorded in ``net_.history``.
        y_val : array-like of shape (n_val_samples,), default=None
            The targets of ``X_val``; required with ``X_val``.
        sample_weight_val : array-like of shape (n_val_samples,), default=None
            Weights of the validation samples.

        Returns
        -------
        self : NextValueRegressor
            The fitted regressor.
        """
        return self._fit_core(
            X, y, sample_weight, X_val, y_val, sample_weight_val, check_y=check_values
        )

    def _fit_targets(self, y, sample_weight):
        """The training targets: bin indices, or standardised numbers.

        Sets ``target_mean_`` and ``target_scale_`` either way, and the bins
        (``bin_edges_``, ``bin_quantiles_``, ``bin_means_``; None without bins).
        """
        weights = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight)
        standardised = self._standardised_targets(y, weights)
        y = np.asarray(y, dtype=np.float64)
        n_bins = self.target_bins
        if n_bins == "auto":
            lumpy = largest_point_mass(y, weights) >= 1 / AUTO_TARGET_BINS
            n_bins = AUTO_TARGET_BINS if self.loss == "absolute_error" and lumpy else None
        self._bin_statistic = None if n_bins is None else _BIN_STATISTIC.get(self.loss)
        if self._bin_statistic is None:
            self.bin_edges_ = self.bin_quantiles_ = self.bin_means_ = None
            return standardised
        self.bin_edges_, self.bin_quantiles_, self.bin_means_ = cut_at_quantiles(
            y, weights, int(n_bins)
        )
        return bin_labels(y, self.bin_edges_)

    @property
    def _module(self):
        return LSTMNextValueModule if self._point_read_out() else LSTMNextEventModule

    @property
    def _criterion(self):
        return WeightedRegressionLoss if self._point_read_out() else WeightedEntryLoss

    def _point_read_out(self):
        """Whether the network reads out the number itself (no bins were fitted)."""
        return getattr(self, "bin_edges_", None) is None

    def _standardised_targets(self, y, weights):
        """Standardised targets; sets ``target_mean_`` and ``target_scale_``.

        Any finite ``y`` and weights give finite targets within
        ``±_MAX_STANDARDISED``: the loss is computed in float32, where a target
        beyond 3.4e38 is inf and trains the model to NaN.
        """
        # Targets and weights divided by powers of 2 (exact) first: sums of targets
        # near float64's maximum (1e308), or of their squares (1e160), overflow.
        y_unit, y_exponent = _unit(y)
        w_unit = scaled_to_unit(weights) if len(weights) and weights.max() > 0 else weights
        mean_unit = np.average(y_unit, weights=w_unit)
        # Centred before squaring: targets such as epoch seconds (1e9) would lose
        # every digit of their spread otherwise.
        centred = y_unit - mean_unit
        std_unit = np.sqrt(np.average(centred**2, weights=w_unit))
        # A spread that the weights hide (one weight of 1e300 beside weights of 1)
        # would put the other targets at 1e149 standard deviations; the scale is
        # widened so that every target stays within _MAX_STANDARDISED.
        scale_unit = max(std_unit, np.abs(centred).max() / _MAX_STANDARDISED)
        self.target_mean_ = float(np.ldexp(mean_unit, y_exponent))
        scale = float(np.ldexp(scale_unit, y_exponent))
        self.target_scale_ = scale if scale > 0 and np.isfinite(scale) else 1.0
        return self._standardise(y)

    def _standardise(self, y):
        mean, scale = self.target_mean_, self.target_scale_
        with np.errstate(over="ignore", invalid="ignore"):
            z = (y - mean) / scale
        # y - mean overflows for targets of ±1e308: divided first, there.
        overflow = ~np.isfinite(z)
        z[overflow] = y[overflow] / scale - mean / scale
        # Fit's targets lie within ±_MAX_STANDARDISED; validation targets far beyond
        # them are cut where float32's squares stay finite.
        return np.clip(z, -_MAX_VALIDATION, _MAX_VALIDATION)

    def _validation_targets(self, y_val, n_samples):
        y_val = check_values(y_val, n_samples)
        usable = np.ones(n_samples, dtype=bool)
        if self._point_read_out():
            return self._standardise(y_val), usable
        return bin_labels(y_val, self.bin_edges_), usable

    def _read_out_kwargs(self):
        return {} if self._point_read_out() else {"n_classes": len(self.bin_means_)}

    def _criterion_kwargs(self):
        if not self._point_read_out():
            return {}
        return {"loss": self.loss, "huber_delta": float(self.huber_delta)}

    def predict(self, X):
        """The predicted number after each history.

        Parameters
        ----------
        X : list of sequences of events, pandas Series, 2-D or 3-D array-like
            The histories, in the form of fit's. Events never seen in fit are
            allowed.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predictions in the units of ``y``, as float64: with bins (see
            ``target_bins``), the median or the mean of the learned distribution.
        """
        check_is_fitted(self)
        histories = check_histories(X, estimator=self, reset=False)
        self._check_same_input(histories)
        point = self._point_read_out()
        output = self._predict_entries(histories, _number if point else _probabilities)
        if not np.isfinite(output).all():
            raise ValueError(
                "The network's predictions are not finite (NaN or inf): its weights are. "
                "Refit the model, with a smaller lr or on finite, unscaled inputs."
            )
        if not point and self._bin_statistic == "median":
            return distribution_median(output, self.bin_quantiles_)
        with np.errstate(over="ignore"):
            if point:
                y_pred = output * self.target_scale_ + self.target_mean_
            else:
                y_pred = distribution_mean(output, self.bin_means_)
        # Beyond float64's range only by the network's own error: the nearest finite value.
        return np.clip(y_pred, -_FLOAT64_MAX, _FLOAT64_MAX)

    def score(self, X, y, sample_weight=None):
        """The coefficient of determination R² of :meth:`predict` on ``X`` against ``y``.

        Parameters
        ----------
        X : histories
            As for :meth:`predict`.
        y : array-like of shape (n_samples,)
            The true numbers.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples.

        Returns
        -------
        score : float
            R², as :meth:`sklearn.base.RegressorMixin.score` computes it.
        """
        if sample_weight is not None:
            sample_weight = check_weights(sample_weight, y)
        return r2_score(y, self.predict(X), sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Events are categories, whatever their type.
        tags.input_tags.categorical = True
        return tags
