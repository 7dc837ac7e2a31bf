"""MemorySweepDisplay: a score against memory influence, beside the Bayes limit."""

import numpy as np
import pandas as pd

from .._sweep import BAYES_LIMIT, SWEEP_COLUMNS
from ._base import _K_STYLES, _LIMIT_STYLE, _axes, _check_matplotlib, _despine


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
