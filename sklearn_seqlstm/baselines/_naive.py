"""SeasonalNaiveRegressor: the next value is the value one season ago.

The forecasts every regressor of histories is first held against: the last value
(``season=1``) and the value one season before the next step (``season=12`` for
monthly data, ``7`` for daily data with a weekly rhythm). Their errors are also the
yardstick of the mean absolute scaled error (MASE).
"""

import numbers
from itertools import chain

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.utils.validation import _check_sample_weight, check_is_fitted

from ..histories._attributed import AttributedHistories
from ..histories._histories import check_histories, check_values, scaled_to_unit
from ..histories._prefixes import PrefixHistories
from ..utils._base import restore_on_failure
from ..utils._validation import integers

__all__ = ["SeasonalNaiveRegressor"]


class SeasonalNaiveRegressor(RegressorMixin, BaseEstimator):
    """Predict the next value of a history as its value ``season`` steps before.

    The seasonal naive forecast: after a history of ``n`` steps with values
    ``v[0], ..., v[n - 1]``, the next value ``v[n]`` is predicted as
    ``v[n - season]``. ``season=1`` is the naive (last value) forecast, the best
    forecast of a random walk; ``season=12`` repeats the value of the same month
    a year before, ``season=7`` that of the same weekday a week before.

    A history shorter than ``season``, or whose value ``season`` steps back is
    missing (NaN in a numeric attribute), has no such value: it is predicted as
    the (weighted) mean of ``y`` in fit, kept as ``fallback_``. This is the only
    thing that ``fit`` learns.

    Parameters
    ----------
    season : int, default=1
        How many steps before the next one the value is read: 1 reads the last
        step of the history.
    attribute : str, int or None, default=None
        Where the values are, for histories whose events carry attributes
        (:class:`AttributedHistories`, its DataFrame form, or numeric-step
        histories: a 3-D array or a list of 2-D arrays, steps x features). A
        string names a numeric event attribute; an integer is a position in the
        event attributes, which for numeric steps is the feature column (their
        attributes are ``"x0"``, ``"x1"``, ...). None takes the only numeric
        event attribute and raises a ``ValueError`` if there are several or
        none. Must be None for plain histories, whose events are the values.

    Attributes
    ----------
    fallback_ : float
        The weighted mean of ``y`` in fit: the prediction for a history that
        has no value ``season`` steps back.
    attribute_ : str or None
        The event attribute read (its name), or None when the histories in fit
        were plain histories of numbers. ``predict`` needs ``X`` of the same kind.
    n_features_in_ : int
        History width, set only when every history in fit had the same length
        (always so for a 2-D array or a 3-D array of numeric steps).
    feature_names_in_ : ndarray of str
        Column names, set only when ``X`` was a DataFrame with string columns.

    See Also
    --------
    NextValueRegressor : An LSTM over the whole history.
    sklearn.dummy.DummyRegressor : The mean of ``y``, whatever the history.

    Notes
    -----
    ``X`` is one of:

    - plain histories of numbers: a list of histories (each a list, tuple or
      1-D array of real numbers, any length, empty allowed), a pandas Series
      of them, or a 2-D array whose rows are equal-length histories. The events
      themselves are the values; an event that is not a real number (a string,
      a bool) raises a ``ValueError``, and a missing one (NaN) too, as for
      every estimator here;
    - histories with attributes (see ``attribute``), whose values may be
      missing (NaN): they fall back to ``fallback_`` when read.

    Every event is checked, but only one value is read per history, so
    ``predict`` takes time linear in the number of histories once ``X`` is
    checked. A :class:`PrefixHistories` or :class:`AttributedHistories` is read
    without copying its prefixes.

    Examples
    --------
    >>> from sklearn_seqlstm import SeasonalNaiveRegressor
    >>> X = [[1.0, 2.0, 3.0], [5.0, 7.0], [4.0], []]
    >>> y = [4.0, 6.0, 5.0, 1.0]
    >>> SeasonalNaiveRegressor().fit(X, y).predict(X).tolist()  # the last value
    [3.0, 7.0, 4.0, 4.0]
    >>> model = SeasonalNaiveRegressor(season=2).fit(X, y)
    >>> model.fallback_  # the mean of y, for histories shorter than the season
    4.0
    >>> model.predict(X).tolist()
    [2.0, 5.0, 4.0, 4.0]

    Numeric steps (a 3-D array: histories x steps x features) read one column:

    >>> import numpy as np
    >>> steps = np.array([[[0.0, 10.0], [1.0, 11.0], [2.0, 12.0]]])
    >>> SeasonalNaiveRegressor(season=2, attribute=1).fit(steps, [13.0]).predict(steps)
    array([11.])
    """

    _parameter_constraints: dict = {
        "season": [integers(1)],
        "attribute": [str, integers(0), None],
    }

    def __init__(self, season=1, *, attribute=None):
        self.season = season
        self.attribute = attribute

    @restore_on_failure
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Check the histories, find the values to read, and keep the mean of ``y``.

        Parameters
        ----------
        X : list of sequences of numbers, 2-D array, AttributedHistories or numeric steps
            The histories (see Notes in the class docstring).
        y : array-like of shape (n_samples,)
            The next value after each history: finite real numbers.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights, not all zero: they weight the mean of ``y``
            that is ``fallback_``.

        Returns
        -------
        self : SeasonalNaiveRegressor
            The fitted regressor.
        """
        histories = check_histories(X, estimator=self, reset=True)
        y = check_values(y, len(histories))
        sample_weight = _check_sample_weight(sample_weight, histories, ensure_non_negative=True)
        if isinstance(histories, AttributedHistories):
            self.attribute_ = _resolve_attribute(histories, self.attribute)
        else:
            if self.attribute is not None:
                raise ValueError(
                    f"attribute={self.attribute!r} names an event attribute, but X holds "
                    "plain histories, whose events are the values: leave attribute=None, "
                    "or pass histories with attributes (AttributedHistories, numeric steps)."
                )
            _plain_values(histories)  # every event must be a real number
            self.attribute_ = None
        weights = scaled_to_unit(sample_weight)  # the sums stay finite
        self.fallback_ = float(np.sum(weights * y) / np.sum(weights))
        return self

    def predict(self, X):
        """The value ``season`` steps before the next one, or ``fallback_``.

        Parameters
        ----------
        X : list of sequences of numbers, 2-D array, AttributedHistories or numeric steps
            The histories, of the same kind as in fit: plain histories of
            numbers, or histories with the attribute ``attribute_``.

        Returns
        -------
        y_pred : ndarray of float64, shape (n_samples,)
            The predicted next value of each history.
        """
        check_is_fitted(self)
        histories = check_histories(X, estimator=self, reset=False)
        attributed = isinstance(histories, AttributedHistories)
        if self.attribute_ is None and attributed:
            raise ValueError(
                "This SeasonalNaiveRegressor was fitted on plain histories of numbers; got "
                "histories with attributes. Pass X in the same form as in fit."
            )
        if self.attribute_ is not None and not attributed:
            raise ValueError(
                f"This SeasonalNaiveRegressor was fitted on histories with the attribute "
                f"{self.attribute_!r}; got plain histories. Pass X in the same form as in fit."
            )
        if attributed:
            if self.attribute_ not in histories.event_attributes:
                raise ValueError(
                    f"X has no event attribute {self.attribute_!r}, which this "
                    f"SeasonalNaiveRegressor reads; it has {histories.event_attribute_names}."
                )
            arrays = histories.event_attributes[self.attribute_]
            if not _is_numeric(arrays):
                raise ValueError(
                    f"The event attribute {self.attribute_!r} of X is categorical; "
                    "SeasonalNaiveRegressor reads a numeric one."
                )
            flat, offsets = _flatten(arrays)
            sequence_index, lengths = histories.sequence_index, histories.lengths
        else:
            flat, offsets, sequence_index, lengths = _plain_values(histories)
        y_pred = _lagged(flat, offsets, sequence_index, lengths, self.season)
        y_pred[np.isnan(y_pred)] = self.fallback_
        return y_pred

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # It reads one value of the history and learns only a mean: it cannot fit
        # the random data of scikit-learn's checks well, which is this tag's meaning.
        tags.regressor_tags.poor_score = True
        return tags


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _resolve_attribute(histories, attribute):
    """The name of the numeric event attribute to read, else a ValueError."""
    names = histories.event_attribute_names
    numeric = [name for name in names if _is_numeric(histories.event_attributes[name])]
    if attribute is None:
        if len(numeric) != 1:
            found = f"several: {numeric}" if numeric else "none"
            raise ValueError(
                "attribute=None reads the only numeric event attribute of X, but X has "
                f"{found}. Name the one to read with attribute=."
            )
        return numeric[0]
    if isinstance(attribute, str):
        if attribute not in names:
            raise ValueError(f"X has no event attribute {attribute!r}; it has {names}.")
        name = attribute
    else:
        if attribute >= len(names):
            raise ValueError(
                f"attribute={attribute} is out of range: X has {len(names)} event "
                f"attribute(s) ({names})."
            )
        name = names[attribute]
    if name not in numeric:
        raise ValueError(
            f"The event attribute {name!r} is categorical; SeasonalNaiveRegressor reads "
            f"a numeric one{f' (X has {numeric})' if numeric else ''}."
        )
    return name


def _is_numeric(arrays):
    # AttributedHistories stores a numeric attribute as float64 arrays, and a
    # categorical one as arrays of another kind (objects, strings, bools).
    return all(array.dtype.kind == "f" for array in arrays)


def _flatten(arrays):
    """The arrays one after the other, and where each starts."""
    sizes = np.fromiter(map(len, arrays), dtype=np.int64, count=len(arrays))
    offsets = np.cumsum(sizes) - sizes
    flat = np.concatenate(arrays) if arrays else np.empty(0)
    return np.asarray(flat, dtype=np.float64), offsets


def _plain_values(histories):
    """(values, offsets, sequence_index, lengths) of plain histories whose events are numbers.

    A :class:`PrefixHistories` is read through its sequences (each cut to its
    longest prefix in use); a list of histories is one sequence per history.
    """
    if isinstance(histories, PrefixHistories):
        sequences = histories.used_sequences()
        sequence_index, lengths = histories.sequence_index, histories.lengths
    else:
        sequences = histories
        sequence_index = np.arange(len(histories))
        lengths = np.fromiter(map(len, histories), dtype=np.int64, count=len(histories))
    sizes = np.fromiter(map(len, sequences), dtype=np.int64, count=len(sequences))
    starts = np.cumsum(sizes) - sizes
    events = list(chain.from_iterable(sequences))
    # Type by type rather than by numpy's conversion, which takes True and "1.5" for numbers.
    position = next((k for k, event in enumerate(events) if not _is_real(event)), None)
    if position is not None:
        s = int(np.searchsorted(starts + sizes, position, side="right"))
        j = position - int(starts[s])
        where = f"sequence {s}" if isinstance(histories, PrefixHistories) else f"X[{s}]"
        raise ValueError(
            "The events of plain histories are the values, and must be real numbers; "
            f"{where} holds {events[position]!r} at position {j}. For events that carry a "
            "numeric attribute, pass AttributedHistories and name it with attribute=."
        )
    return np.asarray(events, dtype=np.float64), starts, sequence_index, lengths


def _lagged(values, offsets, sequence_index, lengths, season):
    """Per history, the value ``season`` steps before its end (NaN where there is none)."""
    out = np.full(len(lengths), np.nan)
    position = lengths - season
    has = position >= 0
    out[has] = values[offsets[sequence_index[has]] + position[has]]
    return out
