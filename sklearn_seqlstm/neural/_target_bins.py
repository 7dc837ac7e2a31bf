"""A numeric target as a distribution over its quantile bins: cut, learned, read back.

:class:`~sklearn_seqlstm.NextValueRegressor` can learn the distribution of ``y``
rather than one number. ``fit`` cuts ``y`` at its weighted quantiles; the network
learns the probability of each bin with the log loss, as the classifier learns
classes; :meth:`predict` reads the median (or the mean) off that distribution.

Why: durations in event logs are mixtures (a ticket is closed within the day, or
after 15, 30 or 45 days) with point masses (the remaining time after a case's last
event is exactly 0). Trained on the absolute error itself, the network receives
only the sign of each error, and the median of such a mixture sits in a gap
between its modes, where that signal is weakest; with dropout before the read-out
it is noise. The log loss learns the whole shape, and the median follows from it.

The within-bin distribution is kept as ``N_LEVELS + 1`` weighted quantiles of the
training targets that fell in the bin, so that a bin of one value (all zeros)
gives back exactly that value, and the table stays small whatever the data.
"""

import numpy as np

__all__ = [
    "N_LEVELS",
    "bin_labels",
    "cut_at_quantiles",
    "distribution_mean",
    "distribution_median",
    "largest_point_mass",
]

# Quantiles kept per bin (at 0, 1/N_LEVELS, ..., 1).
N_LEVELS = 32


def _weighted_quantiles(sorted_values, cumulative, levels):
    """The inverted-CDF quantiles: the first value whose cumulative weight reaches each level.

    ``cumulative`` holds the running sum of the weights of ``sorted_values``,
    divided by their total.
    """
    index = np.searchsorted(cumulative, levels, side="left")
    return sorted_values[np.minimum(index, len(sorted_values) - 1)]


def cut_at_quantiles(y, weights, n_bins):
    """Edges, per-bin quantile table and per-bin means of ``y`` cut into at most ``n_bins``.

    Parameters
    ----------
    y : ndarray of float64, shape (n_samples,)
    weights : ndarray of float64, shape (n_samples,)
        Non-negative, some positive. Samples of weight 0 take no part: weight k
        and k copies give the same bins.
    n_bins : int
        At most this many bins: the edges are the weighted quantiles at
        1/n_bins, ..., (n_bins - 1)/n_bins, duplicates merged, so a value that
        holds more than one bin's share of the weight (many zeros) is a bin of
        its own.

    Returns
    -------
    edges : ndarray of shape (n_used - 1,)
        Strictly increasing; bin ``b`` holds the values in ``(edges[b - 1],
        edges[b]]``, the first everything up to ``edges[0]``, the last
        everything above ``edges[-1]``. Every bin holds a training value.
    table : ndarray of shape (n_used, N_LEVELS + 1)
        The weighted quantiles, at 0, 1/N_LEVELS, ..., 1, of the values in each bin.
    means : ndarray of shape (n_used,)
        The weighted mean of the values in each bin.
    """
    used = weights > 0
    values, kept = y[used], weights[used]
    order = np.argsort(values, kind="stable")
    values, kept = values[order], kept[order]
    cumulative = np.cumsum(kept) / kept.sum()
    edges = np.unique(_weighted_quantiles(values, cumulative, np.arange(1, n_bins) / n_bins))
    # An edge at the largest value would leave the last bin empty.
    edges = edges[edges < values[-1]]
    labels = bin_labels(values, edges)
    n_used = len(edges) + 1
    table = np.empty((n_used, N_LEVELS + 1))
    means = np.empty(n_used)
    starts = np.searchsorted(labels, np.arange(n_used + 1))
    levels = np.linspace(0.0, 1.0, N_LEVELS + 1)
    for b in range(n_used):
        part, part_weights = values[starts[b] : starts[b + 1]], kept[starts[b] : starts[b + 1]]
        table[b] = _weighted_quantiles(part, np.cumsum(part_weights) / part_weights.sum(), levels)
        # Summed in units of the bin's own largest magnitude: values near float64's
        # largest would overflow the weighted sum.
        scale = max(np.abs(part).max(), np.finfo(np.float64).tiny)
        means[b] = np.average(part / scale, weights=part_weights) * scale
    return edges, table, means


def largest_point_mass(y, weights):
    """The largest share of the total weight that one value of ``y`` holds."""
    _, value = np.unique(y, return_inverse=True)
    held = np.bincount(value.reshape(-1), weights=weights)
    return float(held.max() / held.sum())


def bin_labels(y, edges):
    """The bin of each value: the number of edges below it."""
    return np.searchsorted(edges, y, side="left").astype(np.int64)


def distribution_median(proba, table):
    """The median of each row's distribution over the bins, within a bin by its table.

    The bin where the cumulative probability reaches 1/2 is found; the share of
    that bin's probability that lies below 1/2 is read, as a level in ``[0, 1]``,
    off the bin's quantiles (linear between them).
    """
    cumulative = np.cumsum(proba, axis=1)
    rows = np.arange(len(proba))
    column = np.minimum((cumulative < 0.5).sum(axis=1), proba.shape[1] - 1)
    below = np.where(column > 0, cumulative[rows, column - 1], 0.0)
    inside = proba[rows, column]
    with np.errstate(divide="ignore", invalid="ignore"):
        level = np.where(inside > 0, (0.5 - below) / inside, 0.5)
    position = np.clip(level, 0.0, 1.0) * (table.shape[1] - 1)
    # position is in [0, N_LEVELS]: the last level reads the last pair of quantiles.
    low = np.minimum(np.floor(position).astype(np.int64), table.shape[1] - 2)
    share = position - low
    left, right = table[column, low], table[column, low + 1]
    # Equal neighbours (a bin of one value) give that value exactly; weighted, not
    # left + share * (right - left), which overflows between values of ±1e308.
    return np.where(left == right, left, (1.0 - share) * left + share * right)


def distribution_mean(proba, means):
    """The mean of each row's distribution over the bins: sum of probability times bin mean."""
    return proba @ means
