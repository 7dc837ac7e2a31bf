"""What the Displays share: matplotlib, imported only when drawing, and their styles."""

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
