"""KRetrievalCurveDisplay: top-k accuracy against k."""

import numpy as np

from ...metrics._scoring import k_retrieval_curve, k_retrieval_curve_from_estimator
from ._base import _axes, _check_matplotlib, _despine


class KRetrievalCurveDisplay:
    """Top-k accuracy against k: how often the true next event is in the top k.

    It is recommended to use :meth:`from_estimator` or :meth:`from_predictions`
    to create one. All parameters are stored as attributes. To compare models,
    draw each on the same axes: pass ``ax=display.ax_``.

    Parameters
    ----------
    ks : ndarray of shape (n_ks,)
        The values of k, increasing.

    accuracies : ndarray of shape (n_ks,)
        Top-k accuracy for each k.

    name : str, default=None
        Name of the curve in the legend. None shows no legend entry.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The curve.

    ax_ : matplotlib Axes
        Axes with the curve.

    figure_ : matplotlib Figure
        Figure containing the curve.

    See Also
    --------
    k_retrieval_curve : Compute the curve from predicted probabilities.
    MemorySweepDisplay : Top-k accuracy against memory influence.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sklearn_seqlstm import KRetrievalCurveDisplay
    >>> display = KRetrievalCurveDisplay(ks=[1, 2, 3], accuracies=[0.5, 0.8, 1.0], name="model")
    >>> display.plot()
    <...KRetrievalCurveDisplay object at ...>
    >>> plt.close("all")
    """

    def __init__(self, *, ks, accuracies, name=None):
        self.ks = ks
        self.accuracies = accuracies
        self.name = name

    def plot(self, ax=None, *, name=None, curve_kwargs=None, despine=False):
        """Draw the curve.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on. None creates a new figure and axes.

        name : str, default=None
            Name of the curve in the legend; None uses ``self.name``.

        curve_kwargs : dict, default=None
            Keyword arguments for matplotlib's ``plot``, overriding the defaults.

        despine : bool, default=False
            Whether to remove the top and right spines.

        Returns
        -------
        display : KRetrievalCurveDisplay
            The display, with ``line_``, ``ax_`` and ``figure_`` set.
        """
        self.ax_, self.figure_ = _axes(f"{type(self).__name__}.plot", ax)
        ks = np.asarray(self.ks)
        accuracies = np.asarray(self.accuracies, dtype=float)
        if ks.shape != accuracies.shape or ks.ndim != 1:
            raise ValueError(
                f"ks and accuracies must be 1-D of the same length; got shapes {ks.shape} "
                f"and {accuracies.shape}."
            )
        name = self.name if name is None else name
        kwargs = {"marker": "o"}
        if name is not None:
            kwargs["label"] = name
        kwargs.update(curve_kwargs or {})
        (self.line_,) = self.ax_.plot(ks, accuracies, **kwargs)
        self.ax_.set(xlabel="k", ylabel="top-k accuracy", ylim=(0, 1.02))
        self.ax_.set_xticks(ks)
        if despine:
            _despine(self.ax_)
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
        max_k=None,
        sample_weight=None,
        name=None,
        ax=None,
        curve_kwargs=None,
        despine=False,
    ):
        """Compute the curve from a fitted estimator and draw it.

        Parameters
        ----------
        estimator : fitted classifier or pipeline
            Has ``predict_proba`` and ``classes_``.

        X : list of histories or array-like
            Input of ``estimator.predict_proba``.

        y : array-like of shape (n_samples,)
            The true next events. Events the estimator never saw are misses.

        max_k : int, default=None
            Largest k. None means the number of classes.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        name : str, default=None
            Name of the curve in the legend. None uses the estimator's class name.

        ax : matplotlib Axes, default=None
            Axes to draw on. None creates a new figure and axes.

        curve_kwargs : dict, default=None
            Keyword arguments for matplotlib's ``plot``.

        despine : bool, default=False
            Whether to remove the top and right spines.

        Returns
        -------
        display : KRetrievalCurveDisplay
            The drawn display.

        See Also
        --------
        k_retrieval_curve_from_estimator : The values alone.

        Examples
        --------
        >>> import matplotlib.pyplot as plt
        >>> from sklearn_seqlstm import KRetrievalCurveDisplay, MarkovChainClassifier
        >>> from sklearn_seqlstm import MarkovMemorySampler
        >>> X, y, _ = MarkovMemorySampler(random_state=0).make_dataset(200, 20)
        >>> markov = MarkovChainClassifier().fit(X[:2000], y[:2000])
        >>> display = KRetrievalCurveDisplay.from_estimator(markov, X[2000:], y[2000:])
        >>> display.ks
        array([1, 2, 3, 4, 5, 6, 7, 8])
        >>> display.accuracies[[0, -1]].round(2)  # the true event is always in the top 8
        array([0.48, 1.  ])
        >>> plt.close("all")
        """
        _check_matplotlib(f"{cls.__name__}.from_estimator")
        ks, accuracies = k_retrieval_curve_from_estimator(
            estimator, X, y, max_k=max_k, sample_weight=sample_weight
        )
        name = type(estimator).__name__ if name is None else name
        display = cls(ks=ks, accuracies=accuracies, name=name)
        return display.plot(ax=ax, curve_kwargs=curve_kwargs, despine=despine)

    @classmethod
    def from_predictions(
        cls,
        y_true,
        proba,
        *,
        classes,
        max_k=None,
        sample_weight=None,
        name=None,
        ax=None,
        curve_kwargs=None,
        despine=False,
    ):
        """Compute the curve from predicted probabilities and draw it.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            The true next events. Events not in ``classes`` are misses.

        proba : array-like of shape (n_samples, n_classes)
            Predicted probabilities, column ``j`` for ``classes[j]``.

        classes : array-like of shape (n_classes,)
            The event of each column of ``proba``.

        max_k : int, default=None
            Largest k. None means the number of classes.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        name : str, default=None
            Name of the curve in the legend. None shows no legend entry.

        ax : matplotlib Axes, default=None
            Axes to draw on. None creates a new figure and axes.

        curve_kwargs : dict, default=None
            Keyword arguments for matplotlib's ``plot``.

        despine : bool, default=False
            Whether to remove the top and right spines.

        Returns
        -------
        display : KRetrievalCurveDisplay
            The drawn display.

        Examples
        --------
        >>> import matplotlib.pyplot as plt
        >>> from sklearn_seqlstm import KRetrievalCurveDisplay
        >>> proba = [[0.5, 0.3, 0.2]] * 4
        >>> display = KRetrievalCurveDisplay.from_predictions(
        ...     ["a", "b", "c", "z"], proba, classes=["a", "b", "c"]
        ... )
        >>> display.accuracies
        array([0.25, 0.5 , 0.75])
        >>> plt.close("all")
        """
        _check_matplotlib(f"{cls.__name__}.from_predictions")
        ks, accuracies = k_retrieval_curve(
            y_true, proba, classes=classes, max_k=max_k, sample_weight=sample_weight
        )
        display = cls(ks=ks, accuracies=accuracies, name=name)
        return display.plot(ax=ax, curve_kwargs=curve_kwargs, despine=despine)
