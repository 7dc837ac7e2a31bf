"""Display objects for next-event models, shaped like scikit-learn's ``RocCurveDisplay``.

Each Display stores computed values in ``__init__``; ``plot(ax=None, ...)`` draws
them, keeps ``ax_`` and ``figure_`` and returns the Display; ``from_*``
classmethods compute the values and then plot. matplotlib is an optional
dependency (``pip install "sklearn-seqlstm[plot]"``), imported only when drawing.
"""

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from ..metrics._scoring import k_retrieval_curve, k_retrieval_curve_from_estimator
from ._sweep import BAYES_LIMIT, SWEEP_COLUMNS, transition_recovery

__all__ = [
    "KRetrievalCurveDisplay",
    "LossCurveDisplay",
    "MemorySweepDisplay",
    "TransitionMatrixDisplay",
]

_INSTALL_HINT = 'pip install "sklearn-seqlstm[plot]"'

# One line style and marker per k, in the order of the ks drawn.
_K_STYLES = [("-", "o"), ("--", "s"), (":", "^"), ("-.", "D")]

# How the Bayes limit is drawn: a wide translucent black band below the models' lines.
_LIMIT_STYLE = {"color": "black", "linewidth": 5, "alpha": 0.3, "zorder": 1.5}


def _check_matplotlib(caller):
    """Import matplotlib, or raise an ImportError that says how to install it."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            f"{caller} needs matplotlib, an optional dependency of sklearn-seqlstm. "
            f"Install it with: {_INSTALL_HINT}"
        ) from exc


def _axes(caller, ax):
    """Return ``(ax, figure)``: ``ax`` itself, or new axes on a new pyplot figure."""
    _check_matplotlib(caller)
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    return ax, ax.figure


def _despine(ax):
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


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


class MemorySweepDisplay:
    """A score against memory influence for several models, beside the Bayes limit.

    Draws top-k accuracy (one k or several) or log-loss against
    ``memory_influence``, one colour per model; with several ks, one line style
    per k. The Bayes limit is drawn as a wide grey band under the models: since
    the limit itself dips around ``memory_influence`` 0.4, a dip in the models
    there is not a training failure.

    It is recommended to use :meth:`from_sweep` to create one. All parameters
    are stored as attributes.

    Parameters
    ----------
    memory_influences : ndarray of shape (n_memory_influences,)
        The grid, increasing.

    scores : dict of str to ndarray of shape (n_memory_influences, n_ks)
        For each model, its score at each memory influence (rows) and k
        (columns). For ``metric="log_loss"``, one column.

    ks : list of int or None, default=None
        The k of each column of ``scores`` for ``metric="top_k_accuracy"``;
        None for log-loss.

    metric : {"top_k_accuracy", "log_loss"}, default="top_k_accuracy"
        What ``scores`` hold.

    limit_name : str or None, default="Bayes limit"
        The model of ``scores`` that is the Bayes limit, drawn as a band. None
        draws every model alike.

    intervals : dict of str to tuple of two ndarrays, default=None
        For each model, the low and high ends of a 95% interval of each score,
        shaped as its ``scores``; drawn as a light band around its line.

    Attributes
    ----------
    lines_ : dict of str to list of matplotlib Line2D
        The lines of each model, one per k.

    bands_ : dict of str to list of matplotlib PolyCollection
        The interval bands of each model, one per k (empty without intervals).

    ax_ : matplotlib Axes
        Axes with the lines.

    figure_ : matplotlib Figure
        Figure containing the lines.

    See Also
    --------
    memory_sweep : Compute the results this display draws.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sklearn_seqlstm import MarkovChainClassifier, MemorySweepDisplay, memory_sweep
    >>> results = memory_sweep(
    ...     {"Markov": MarkovChainClassifier()}, memory_influences=[0.0, 0.5, 1.0],
    ...     n_train_sequences=100, n_test_sequences=100, random_state=0,
    ... )
    >>> display = MemorySweepDisplay.from_sweep(results, k=1)
    >>> sorted(display.scores)
    ['Bayes limit', 'Markov']
    >>> display = MemorySweepDisplay.from_sweep(results, k=[1, 3, 5])
    >>> display.scores["Markov"].shape
    (3, 3)
    >>> plt.close("all")
    """

    def __init__(
        self,
        *,
        memory_influences,
        scores,
        ks=None,
        metric="top_k_accuracy",
        limit_name=BAYES_LIMIT,
        intervals=None,
    ):
        self.memory_influences = memory_influences
        self.scores = scores
        self.ks = ks
        self.metric = metric
        self.limit_name = limit_name
        self.intervals = intervals

    def plot(self, ax=None, *, limit_kwargs=None, legend=True, despine=False):
        """Draw the scores against memory influence.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on. None creates a new figure and axes.

        limit_kwargs : dict, default=None
            Keyword arguments for matplotlib's ``plot`` for the Bayes limit's
            lines, overriding the defaults (a wide translucent black band).

        legend : bool, default=True
            Whether to draw a legend.

        despine : bool, default=False
            Whether to remove the top and right spines.

        Returns
        -------
        display : MemorySweepDisplay
            The display, with ``lines_``, ``ax_`` and ``figure_`` set.
        """
        self.ax_, self.figure_ = _axes(f"{type(self).__name__}.plot", ax)
        if self.metric not in ("top_k_accuracy", "log_loss"):
            raise ValueError(f"metric must be 'top_k_accuracy' or 'log_loss', got {self.metric!r}.")
        x = np.asarray(self.memory_influences, dtype=float)
        ks = [None] if self.ks is None else list(self.ks)
        several_ks = len(ks) > 1
        self.lines_, self.bands_ = {}, {}
        colour = 0
        for model, values in self.scores.items():
            values = np.asarray(values, dtype=float).reshape(len(x), len(ks))
            is_limit = model == self.limit_name
            if is_limit:
                # A wide band under the models, so that a model on the limit stays visible.
                style = dict(_LIMIT_STYLE)
                style.update(limit_kwargs or {})
            else:
                style = {"color": f"C{colour}", "linewidth": 1.5}
                colour += 1
            self.lines_[model] = []
            for j, k in enumerate(ks):
                linestyle, marker = _K_STYLES[j % len(_K_STYLES)]
                label = model if not several_ks else f"{model}, k={k}"
                kwargs = {"linestyle": linestyle, "marker": marker, "markersize": 4}
                kwargs.update(label=label, **style)
                (line,) = self.ax_.plot(x, values[:, j], **kwargs)
                self.lines_[model].append(line)
            self.bands_[model] = []
            if self.intervals and model in self.intervals and not is_limit:
                low, high = (
                    np.asarray(end, dtype=float).reshape(len(x), len(ks))
                    for end in self.intervals[model]
                )
                for j in range(len(ks)):
                    band = self.ax_.fill_between(
                        x, low[:, j], high[:, j], color=style["color"], alpha=0.15, linewidth=0
                    )
                    self.bands_[model].append(band)

        if self.metric == "log_loss":
            ylabel = "log-loss (lower is better)"
        elif several_ks:
            ylabel = "top-k accuracy"
        else:
            ylabel = f"top-{ks[0]} accuracy"
        self.ax_.set(xlabel="memory influence m", ylabel=ylabel, xlim=(-0.02, 1.02))
        if self.metric == "top_k_accuracy":
            self.ax_.set_ylim(top=1.02)
        if despine:
            _despine(self.ax_)
        if legend:
            self._legend(several_ks, ks)
        return self

    def _legend(self, several_ks, ks):
        if not several_ks:
            self.ax_.legend(loc="best", fontsize="small")
            return
        # One entry per model (its colour) and one per k (its line style).
        from matplotlib.lines import Line2D

        handles = [
            Line2D(
                [],
                [],
                color=lines[0].get_color(),
                linewidth=lines[0].get_linewidth(),
                alpha=lines[0].get_alpha(),
            )
            for lines in self.lines_.values()
        ]
        labels = list(self.lines_)
        for j, k in enumerate(ks):
            linestyle, marker = _K_STYLES[j % len(_K_STYLES)]
            handles.append(Line2D([], [], color="grey", linestyle=linestyle, marker=marker))
            labels.append(f"k = {k}")
        self.ax_.legend(handles, labels, loc="best", fontsize="small")

    @classmethod
    def from_sweep(
        cls,
        results,
        *,
        k=1,
        metric="top_k_accuracy",
        models=None,
        limit_name=BAYES_LIMIT,
        ax=None,
        limit_kwargs=None,
        legend=True,
        despine=False,
    ):
        """Draw the results of :func:`memory_sweep`.

        Parameters
        ----------
        results : pandas.DataFrame
            The frame returned by :func:`memory_sweep` (or several concatenated:
            rows of the same memory influence, model and k are averaged).

        k : int or list of int, default=1
            The k (or ks) of the top-k accuracy to draw. Ignored for log-loss.

        metric : {"top_k_accuracy", "log_loss"}, default="top_k_accuracy"
            The column to draw.

        models : list of str, default=None
            The models to draw, in this order. None draws all, in the order of
            ``results``.

        limit_name : str or None, default="Bayes limit"
            The model that is the Bayes limit, drawn as a band.

        ax : matplotlib Axes, default=None
            Axes to draw on. None creates a new figure and axes.

        limit_kwargs : dict, default=None
            Keyword arguments for matplotlib's ``plot`` for the Bayes limit.

        legend : bool, default=True
            Whether to draw a legend.

        despine : bool, default=False
            Whether to remove the top and right spines.

        Returns
        -------
        display : MemorySweepDisplay
            The drawn display.
        """
        _check_matplotlib(f"{cls.__name__}.from_sweep")
        if not isinstance(results, pd.DataFrame):
            raise TypeError(f"results must be the DataFrame of memory_sweep, got {results!r}.")
        missing = [c for c in ("memory_influence", "model", "k", metric) if c not in results]
        if metric not in ("top_k_accuracy", "log_loss"):
            raise ValueError(f"metric must be 'top_k_accuracy' or 'log_loss', got {metric!r}.")
        if missing:
            raise ValueError(
                f"results lacks the columns {missing}; memory_sweep returns {SWEEP_COLUMNS}."
            )
        if metric == "log_loss":
            ks = None
            frame = results.drop_duplicates(["memory_influence", "model", "k"])
            frame = frame.groupby(["memory_influence", "model"], sort=False)[metric].mean()
            table = frame.unstack("model")
        else:
            ks = [k] if np.isscalar(k) else list(k)
            if not ks:
                raise ValueError("k must be an integer or a non-empty list of integers.")
            unknown = sorted(set(ks) - set(results["k"].tolist()))
            if unknown:
                raise ValueError(
                    f"k={unknown} is not in the results; they hold k in "
                    f"{sorted(results['k'].unique().tolist())}."
                )
            frame = results[results["k"].isin(ks)]
            grouped = frame.groupby(["memory_influence", "model", "k"], sort=False)
            table = grouped[metric].mean().unstack(["model", "k"])
            # The 95% intervals of memory_sweep, drawn as bands where the results have them.
            bounds = [c for c in ("top_k_low", "top_k_high") if c in results]
            ends = [grouped[c].mean().unstack(["model", "k"]).sort_index() for c in bounds]
        table = table.sort_index()
        all_models = list(pd.unique(results["model"]))
        if models is None:
            models = all_models
        else:
            unknown = [m for m in models if m not in all_models]
            if unknown:
                raise ValueError(f"models {unknown} are not in the results: {all_models}.")
        scores, intervals = {}, {}
        for model in models:
            if ks is None:
                scores[model] = table[model].to_numpy()[:, None]
            else:
                scores[model] = np.column_stack([table[(model, kk)].to_numpy() for kk in ks])
                if len(ends) == 2:
                    intervals[model] = tuple(
                        np.column_stack([end[(model, kk)].to_numpy() for kk in ks]) for end in ends
                    )
        display = cls(
            memory_influences=table.index.to_numpy(dtype=float),
            scores=scores,
            ks=ks,
            metric=metric,
            limit_name=limit_name,
            intervals=intervals or None,
        )
        return display.plot(ax=ax, limit_kwargs=limit_kwargs, legend=legend, despine=despine)


class TransitionMatrixDisplay:
    """The true and the learned next-event probabilities after each event, as heatmaps.

    Two panels: the true distribution of the next event after each one-event
    history (the transition matrix when ``memory_influence=0``) and the
    fitted model's. The learned panel's title gives the largest absolute
    difference.

    It is recommended to use :meth:`from_estimator` to create one. All
    parameters are stored as attributes.

    Parameters
    ----------
    true : pandas.DataFrame of shape (n_events, n_events)
        True probabilities: rows the current event, columns the next event.

    learned : pandas.DataFrame of shape (n_events, n_events)
        The model's probabilities, laid out as ``true``.

    name : str, default=None
        Name of the model, for the learned panel's title.

    Attributes
    ----------
    images_ : list of matplotlib AxesImage
        The two heatmaps, true then learned.

    texts_ : list of ndarray of matplotlib Text or None
        The value written in each cell, per panel; None without values.

    ax_ : ndarray of shape (2,) of matplotlib Axes
        The two axes, true then learned.

    figure_ : matplotlib Figure
        Figure containing the panels.

    See Also
    --------
    transition_recovery : Compute the two matrices and their largest difference.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sklearn_seqlstm import MarkovChainClassifier, MarkovMemorySampler
    >>> from sklearn_seqlstm import TransitionMatrixDisplay
    >>> sampler = MarkovMemorySampler(random_state=0)
    >>> X, y, _ = sampler.make_dataset(n_sequences=500, length=20)
    >>> markov = MarkovChainClassifier().fit(X, y)
    >>> display = TransitionMatrixDisplay.from_estimator(markov, sampler)
    >>> display.ax_.shape
    (2,)
    >>> plt.close("all")
    """

    def __init__(self, *, true, learned, name=None):
        self.true = true
        self.learned = learned
        self.name = name

    def plot(self, ax=None, *, cmap="Blues", include_values=True, values_format=".2f"):
        """Draw both heatmaps.

        Parameters
        ----------
        ax : sequence of two matplotlib Axes, default=None
            Axes for the true and the learned matrix. None creates a new figure
            with two axes side by side.

        cmap : str or matplotlib Colormap, default="Blues"
            Colour map, on the scale 0 to 1 for both panels.

        include_values : bool, default=True
            Whether to write each probability in its cell.

        values_format : str, default=".2f"
            Format of the values written.

        Returns
        -------
        display : TransitionMatrixDisplay
            The display, with ``images_``, ``texts_``, ``ax_`` and ``figure_`` set.
        """
        caller = f"{type(self).__name__}.plot"
        _check_matplotlib(caller)
        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots(1, 2, figsize=(11, 4.8), layout="constrained")
        axes = np.asarray(ax, dtype=object).ravel()
        if axes.shape != (2,):
            raise ValueError(
                f"ax must be two matplotlib Axes (true, learned), got {axes.size} object(s)."
            )
        self.ax_, self.figure_ = axes, axes[0].figure
        true = pd.DataFrame(self.true)
        learned = pd.DataFrame(self.learned)
        if true.shape != learned.shape:
            raise ValueError(
                f"true and learned must have the same shape, got {true.shape} and {learned.shape}."
            )
        max_diff = float(np.abs(learned.to_numpy(float) - true.to_numpy(float)).max())
        name = "model" if self.name is None else self.name
        titles = ["true", f"{name} (max |difference| = {max_diff:.3f})"]
        self.images_, self.texts_ = [], []
        for panel, matrix, title in zip(self.ax_, (true, learned), titles, strict=True):
            values = matrix.to_numpy(float)
            image = panel.imshow(values, cmap=cmap, vmin=0.0, vmax=1.0)
            self.images_.append(image)
            texts = None
            if include_values:
                texts = np.empty(values.shape, dtype=object)
                for (i, j), value in np.ndenumerate(values):
                    colour = "white" if value > 0.5 else "black"
                    texts[i, j] = panel.text(
                        j,
                        i,
                        format(value, values_format),
                        ha="center",
                        va="center",
                        color=colour,
                        fontsize="x-small",
                    )
            self.texts_.append(texts)
            rows = [str(label) for label in matrix.index]
            columns = [str(label) for label in matrix.columns]
            panel.set_xticks(np.arange(len(columns)), labels=columns)
            panel.set_yticks(np.arange(len(rows)), labels=rows)
            panel.set(xlabel="next event", ylabel="last event", title=title)
        self.figure_.colorbar(self.images_[-1], ax=list(self.ax_), shrink=0.8, label="probability")
        return self

    @classmethod
    def from_estimator(
        cls, estimator, sampler, *, name=None, ax=None, cmap="Blues", include_values=True
    ):
        """Ask a fitted model what follows each single event, and draw it beside the truth.

        Parameters
        ----------
        estimator : fitted classifier
            Fitted on histories of the sampler's events; has ``predict_proba``
            and ``classes_``.

        sampler : MarkovMemorySampler
            The process of the training chains.

        name : str, default=None
            Name of the model in the title. None uses its class name.

        ax : sequence of two matplotlib Axes, default=None
            Axes for the true and the learned matrix. None creates them.

        cmap : str or matplotlib Colormap, default="Blues"
            Colour map.

        include_values : bool, default=True
            Whether to write each probability in its cell.

        Returns
        -------
        display : TransitionMatrixDisplay
            The drawn display.
        """
        _check_matplotlib(f"{cls.__name__}.from_estimator")
        recovery = transition_recovery(estimator, sampler)
        name = type(estimator).__name__ if name is None else name
        display = cls(true=recovery.true, learned=recovery.learned, name=name)
        return display.plot(ax=ax, cmap=cmap, include_values=include_values)


class LossCurveDisplay:
    """Training and validation loss per epoch of a :class:`NextEventClassifier`.

    With early stopping, a dotted vertical line marks the epoch of the lowest
    validation loss, whose weights the classifier kept.

    It is recommended to use :meth:`from_estimator` to create one. All
    parameters are stored as attributes.

    Parameters
    ----------
    epochs : ndarray of shape (n_epochs,)
        Epoch numbers, from 1.

    train_loss : ndarray of shape (n_epochs,)
        Mean training loss (cross-entropy) of each epoch.

    valid_loss : ndarray of shape (n_epochs,), default=None
        Validation loss of each epoch; None without early stopping.

    name : str, default=None
        Name of the model, for the title.

    Attributes
    ----------
    train_line_ : matplotlib Line2D
        The training loss.

    valid_line_ : matplotlib Line2D or None
        The validation loss, or None.

    best_epoch_line_ : matplotlib Line2D or None
        The line at the epoch of the lowest validation loss, or None.

    ax_ : matplotlib Axes
        Axes with the curves.

    figure_ : matplotlib Figure
        Figure containing the curves.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sklearn_seqlstm import LossCurveDisplay
    >>> display = LossCurveDisplay(
    ...     epochs=[1, 2, 3], train_loss=[2.0, 1.5, 1.4], valid_loss=[1.8, 1.6, 1.7]
    ... ).plot()
    >>> display.best_epoch_line_.get_xdata()
    [2, 2]
    >>> plt.close("all")
    """

    def __init__(self, *, epochs, train_loss, valid_loss=None, name=None):
        self.epochs = epochs
        self.train_loss = train_loss
        self.valid_loss = valid_loss
        self.name = name

    def plot(self, ax=None, *, despine=False):
        """Draw the loss curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on. None creates a new figure and axes.

        despine : bool, default=False
            Whether to remove the top and right spines.

        Returns
        -------
        display : LossCurveDisplay
            The display, with the lines, ``ax_`` and ``figure_`` set.
        """
        self.ax_, self.figure_ = _axes(f"{type(self).__name__}.plot", ax)
        epochs = np.asarray(self.epochs)
        (self.train_line_,) = self.ax_.plot(
            epochs, np.asarray(self.train_loss, dtype=float), marker="o", label="training"
        )
        self.valid_line_ = self.best_epoch_line_ = None
        if self.valid_loss is not None:
            valid = np.asarray(self.valid_loss, dtype=float)
            (self.valid_line_,) = self.ax_.plot(epochs, valid, marker="s", label="validation")
            best = epochs[int(np.nanargmin(valid))].item()
            self.best_epoch_line_ = self.ax_.axvline(
                best, color="grey", linestyle=":", label=f"lowest validation loss (epoch {best})"
            )
        title = "loss per epoch" if self.name is None else f"{self.name}: loss per epoch"
        self.ax_.set(xlabel="epoch", ylabel="loss (cross-entropy)", title=title)
        if despine:
            _despine(self.ax_)
        self.ax_.legend(loc="upper right")
        return self

    @classmethod
    def from_estimator(cls, estimator, *, name=None, ax=None, despine=False):
        """Read the losses from a fitted classifier's skorch history and draw them.

        Parameters
        ----------
        estimator : fitted NextEventClassifier
            Any fitted estimator whose ``net_.history`` is a skorch history with
            ``train_loss`` (and ``valid_loss``, with early stopping) per epoch.

        name : str, default=None
            Name of the model in the title. None uses its class name.

        ax : matplotlib Axes, default=None
            Axes to draw on. None creates a new figure and axes.

        despine : bool, default=False
            Whether to remove the top and right spines.

        Returns
        -------
        display : LossCurveDisplay
            The drawn display.
        """
        _check_matplotlib(f"{cls.__name__}.from_estimator")
        check_is_fitted(estimator)
        history = getattr(getattr(estimator, "net_", None), "history", None)
        if history is None or len(history) == 0:
            raise ValueError(
                f"{type(estimator).__name__} has no training history: LossCurveDisplay needs a "
                "fitted NextEventClassifier (its net_.history)."
            )
        epochs = np.asarray(history[:, "epoch"])
        train_loss = np.asarray(history[:, "train_loss"], dtype=float)
        valid_loss = None
        if all("valid_loss" in row for row in history):
            valid_loss = np.asarray(history[:, "valid_loss"], dtype=float)
        name = type(estimator).__name__ if name is None else name
        display = cls(epochs=epochs, train_loss=train_loss, valid_loss=valid_loss, name=name)
        return display.plot(ax=ax, despine=despine)
