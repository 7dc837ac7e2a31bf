"""TransitionMatrixDisplay: the true and the learned next-event probabilities."""

import numpy as np
import pandas as pd

from .._sweep import transition_recovery
from ._base import _check_matplotlib


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
