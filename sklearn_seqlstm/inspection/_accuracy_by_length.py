"""AccuracyByPrefixLengthDisplay: where along a case a model is right, with intervals.

A single accuracy hides where it comes from: on process logs the first events of a
case are often routine (and seen verbatim in training), the later ones hard. The
display splits the accuracy by history length, each point with a bootstrap
interval over sequences.
"""

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, column_or_1d

from ..histories._histories import check_histories
from ..histories._prefixes import PrefixHistories
from ..metrics._uncertainty import bootstrap_interval
from ._plot._base import _axes, _check_matplotlib

__all__ = ["AccuracyByPrefixLengthDisplay"]


class AccuracyByPrefixLengthDisplay:
    """Accuracy against history length, each point with a bootstrap interval.

    It is recommended to use :meth:`from_estimator` or :meth:`from_predictions`
    to create one. All parameters are stored as attributes. To compare models,
    draw each on the same axes: pass ``ax=display.ax_``.

    Parameters
    ----------
    lengths : ndarray of shape (n_points,)
        The history lengths, increasing. With ``max_length``, the last point
        pools every history of at least that length.

    accuracies : ndarray of shape (n_points,)
        Accuracy of the histories of each length.

    lows, highs : ndarray of shape (n_points,)
        The ends of the interval of each accuracy.

    counts : ndarray of shape (n_points,)
        The number of histories of each length.

    max_length : int, default=None
        The length from which histories were pooled into the last point; None
        when none were.

    name : str, default=None
        Name of the curve in the legend. None shows no legend entry.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The accuracies.

    band_ : matplotlib PolyCollection
        The intervals, as a band around the line.

    ax_ : matplotlib Axes
        Axes with the curve.

    figure_ : matplotlib Figure
        Figure containing the curve.

    See Also
    --------
    bootstrap_interval : The interval of each point.
    leakage_report : Whether short histories were seen verbatim in training.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sklearn_seqlstm import AccuracyByPrefixLengthDisplay
    >>> display = AccuracyByPrefixLengthDisplay.from_predictions(
    ...     ["a", "b", "a", "b", "a", "c"],
    ...     ["a", "b", "b", "b", "c", "c"],
    ...     history_lengths=[1, 1, 2, 2, 3, 4],
    ...     max_length=3,
    ...     random_state=0,
    ... )
    >>> display.lengths.tolist(), display.accuracies.tolist(), display.counts.tolist()
    ([1, 2, 3], [1.0, 0.5, 0.5], [2, 2, 2])
    >>> plt.close("all")
    """

    def __init__(self, *, lengths, accuracies, lows, highs, counts, max_length=None, name=None):
        self.lengths = lengths
        self.accuracies = accuracies
        self.lows = lows
        self.highs = highs
        self.counts = counts
        self.max_length = max_length
        self.name = name

    def plot(self, ax=None, *, name=None, line_kwargs=None, band_kwargs=None):
        """Draw the accuracies and their intervals.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on. None creates a new figure and axes.

        name : str, default=None
            Name of the curve in the legend; None uses ``self.name``.

        line_kwargs : dict, default=None
            Keyword arguments for matplotlib's ``plot``, overriding the defaults.

        band_kwargs : dict, default=None
            Keyword arguments for matplotlib's ``fill_between``.

        Returns
        -------
        display : AccuracyByPrefixLengthDisplay
            The display, with ``line_``, ``band_``, ``ax_`` and ``figure_`` set.
        """
        self.ax_, self.figure_ = _axes(f"{type(self).__name__}.plot", ax)
        lengths = np.asarray(self.lengths)
        name = self.name if name is None else name
        kwargs = {"marker": "o"}
        if name is not None:
            kwargs["label"] = name
        kwargs.update(line_kwargs or {})
        (self.line_,) = self.ax_.plot(lengths, self.accuracies, **kwargs)
        band = {"alpha": 0.2, "color": self.line_.get_color(), "linewidth": 0}
        band.update(band_kwargs or {})
        self.band_ = self.ax_.fill_between(lengths, self.lows, self.highs, **band)
        self.ax_.set(xlabel="history length", ylabel="accuracy", ylim=(0, 1.02))
        if self.max_length is not None and len(lengths):
            ticks = [int(t) for t in self.ax_.get_xticks() if lengths[0] <= t < self.max_length]
            labels = [str(t) for t in ticks] + [f"≥{self.max_length}"]
            self.ax_.set_xticks([*ticks, self.max_length], labels)
        if self.line_.get_label() and not self.line_.get_label().startswith("_"):
            self.ax_.legend(loc="lower right")
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y,
        *,
        groups=None,
        sample_weight=None,
        max_length=None,
        confidence=0.95,
        n_resamples=1000,
        random_state=None,
        name=None,
        ax=None,
        line_kwargs=None,
    ):
        """Score a fitted estimator's predictions by history length and draw them.

        Parameters
        ----------
        estimator : fitted classifier or pipeline
            Has ``predict``.

        X : list of histories, PrefixHistories or 2-D array-like
            The histories, input of ``estimator.predict``.

        y : array-like of shape (n_samples,)
            The true next events.

        groups : array-like of shape (n_samples,), default=None
            The sequence of each history: the bootstrap resamples whole
            sequences. None treats every history as independent, which makes
            the intervals too narrow for prefixes of shared sequences.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        max_length : int, default=None
            Pool the histories of this length and longer into one point, so that
            a long tail of rare lengths does not draw wild intervals. None keeps
            every length apart.

        confidence : float, default=0.95
            Coverage of the intervals.

        n_resamples : int, default=1000
            Bootstrap resamples per point.

        random_state : int, RandomState instance or None, default=None
            Seeds the bootstrap.

        name : str, default=None
            Name of the curve in the legend. None uses the estimator's class name.

        ax : matplotlib Axes, default=None
            Axes to draw on. None creates a new figure and axes.

        line_kwargs : dict, default=None
            Keyword arguments for matplotlib's ``plot``.

        Returns
        -------
        display : AccuracyByPrefixLengthDisplay
            The drawn display.
        """
        check_is_fitted(estimator)
        _check_matplotlib(f"{cls.__name__}.from_estimator")
        histories = check_histories(X)
        if isinstance(histories, PrefixHistories):
            lengths = histories.lengths
        else:
            lengths = np.fromiter(map(len, histories), dtype=np.int64, count=len(histories))
        y_pred = estimator.predict(X)
        name = type(estimator).__name__ if name is None else name
        return cls.from_predictions(
            y,
            y_pred,
            history_lengths=lengths,
            groups=groups,
            sample_weight=sample_weight,
            max_length=max_length,
            confidence=confidence,
            n_resamples=n_resamples,
            random_state=random_state,
            name=name,
            ax=ax,
            line_kwargs=line_kwargs,
        )

    @classmethod
    def from_predictions(
        cls,
        y_true,
        y_pred,
        *,
        history_lengths,
        groups=None,
        sample_weight=None,
        max_length=None,
        confidence=0.95,
        n_resamples=1000,
        random_state=None,
        name=None,
        ax=None,
        line_kwargs=None,
    ):
        """Score predictions by history length and draw them.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            The true next events.

        y_pred : array-like of shape (n_samples,)
            The predicted next events.

        history_lengths : array-like of int, shape (n_samples,)
            The length of each sample's history.

        groups, sample_weight, max_length, confidence, n_resamples, random_state
            As in :meth:`from_estimator`.

        name : str, default=None
            Name of the curve in the legend. None shows no legend entry.

        ax : matplotlib Axes, default=None
            Axes to draw on. None creates a new figure and axes.

        line_kwargs : dict, default=None
            Keyword arguments for matplotlib's ``plot``.

        Returns
        -------
        display : AccuracyByPrefixLengthDisplay
            The drawn display.
        """
        _check_matplotlib(f"{cls.__name__}.from_predictions")  # before any work
        y_true = column_or_1d(np.asarray(y_true, dtype=object))
        y_pred = column_or_1d(np.asarray(y_pred, dtype=object))
        lengths = column_or_1d(np.asarray(history_lengths))
        if not len(y_true):
            raise ValueError("y_true is empty: there is nothing to score.")
        if not len(y_true) == len(y_pred) == len(lengths):
            raise ValueError(
                f"y_true, y_pred and history_lengths must have the same length; got "
                f"{len(y_true)}, {len(y_pred)} and {len(lengths)}."
            )
        if lengths.dtype.kind not in "iu" or (lengths < 0).any():
            raise ValueError("history_lengths must hold non-negative integers.")
        if max_length is not None:
            if isinstance(max_length, bool) or not isinstance(max_length, int | np.integer):
                raise TypeError(f"max_length must be an integer or None; got {max_length!r}.")
            if max_length < 1:
                raise ValueError(f"max_length must be at least 1; got {max_length}.")
            lengths = np.minimum(lengths, max_length)
            if not (lengths == max_length).any():
                max_length = None  # nothing was pooled
        if groups is not None:
            groups = column_or_1d(groups)
            if len(groups) != len(y_true):
                raise ValueError(
                    f"groups has {len(groups)} values but there are {len(y_true)} samples."
                )
        weights = None if sample_weight is None else column_or_1d(np.asarray(sample_weight))
        hits = np.fromiter(
            map(_same, y_true.tolist(), y_pred.tolist()), dtype=np.float64, count=len(y_true)
        )
        rng = check_random_state(random_state)
        points = []
        for length in np.unique(lengths).tolist():
            at = np.flatnonzero(lengths == length)
            if weights is not None and not weights[at].sum() > 0:
                continue  # no weight at this length: no accuracy to show
            interval = bootstrap_interval(
                hits[at],
                None if groups is None else groups[at],
                sample_weight=None if weights is None else weights[at],
                n_resamples=n_resamples,
                confidence=confidence,
                random_state=rng,
            )
            points.append((length, *interval[:3], len(at)))
        if not points:
            raise ValueError("sample_weight is 0 everywhere: there is no accuracy to show.")
        lengths_, accuracies, lows, highs, counts = (np.array(c) for c in zip(*points, strict=True))
        display = cls(
            lengths=lengths_,
            accuracies=accuracies,
            lows=lows,
            highs=highs,
            counts=counts,
            max_length=max_length,
            name=name,
        )
        return display.plot(ax=ax, line_kwargs=line_kwargs)


def _same(true, pred):
    """A hit: the prediction equals the truth (a label of another type is a miss)."""
    try:
        return bool(true == pred)
    except (TypeError, ValueError):
        return False
