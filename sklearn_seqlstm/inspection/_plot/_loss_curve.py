"""LossCurveDisplay: training and validation loss per epoch."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._base import _axes, _check_matplotlib, _despine


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
        from matplotlib.ticker import MaxNLocator

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
        # Epochs are whole numbers: the default locator put ticks at 2.5 on short runs.
        self.ax_.xaxis.set_major_locator(MaxNLocator(integer=True))
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
