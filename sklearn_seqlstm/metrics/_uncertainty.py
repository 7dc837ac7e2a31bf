"""The uncertainty of a score: a bootstrap over sequences.

Samples cut from one sequence share their history and are not independent: an
accuracy over every prefix of 900 cases is closer to 900 observations than to
the 4,000 samples it counts. :func:`bootstrap_interval` therefore resamples
whole groups (sequences) with replacement and recomputes the weighted mean of a
per-sample score, which gives a standard error and a percentile interval.
Passing the per-sample difference of two models' scores gives the interval of
the paired difference, which is much narrower than the two intervals apart:
both models meet the same hard and easy sequences in each resample.
"""

from typing import NamedTuple

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import _check_sample_weight, column_or_1d

from ..histories._histories import scaled_to_unit

__all__ = ["ScoreInterval", "bootstrap_interval"]


class ScoreInterval(NamedTuple):
    """A score with its uncertainty.

    Attributes
    ----------
    estimate : float
        The weighted mean of the per-sample scores.
    low, high : float
        The percentile bootstrap interval at the given confidence.
    std_error : float
        The standard deviation of the bootstrap means.
    """

    estimate: float
    low: float
    high: float
    std_error: float

    def __str__(self):
        return f"{self.estimate:.4f} [{self.low:.4f}, {self.high:.4f}]"


def bootstrap_interval(
    scores, groups=None, *, sample_weight=None, n_resamples=1000, confidence=0.95, random_state=None
):
    """Mean of per-sample scores with a bootstrap interval, resampling whole groups.

    Parameters
    ----------
    scores : array-like of shape (n_samples,)
        A finite score per sample: 1/0 for a hit, a reciprocal rank, a
        log-loss, or the difference of two models' scores on the same sample.
    groups : array-like of shape (n_samples,), default=None
        The sequence of each sample; all samples of a group are resampled
        together. None treats every sample as its own group.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights of the samples.
    n_resamples : int, default=1000
        Number of bootstrap resamples.
    confidence : float, default=0.95
        Coverage of the interval, in (0, 1).
    random_state : int, RandomState instance or None, default=None
        Seeds the resampling.

    Returns
    -------
    interval : ScoreInterval
        ``(estimate, low, high, std_error)``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_seqlstm import bootstrap_interval
    >>> hits = np.array([1, 1, 0, 1, 0, 0, 1, 1])
    >>> cases = np.array([0, 0, 1, 1, 2, 2, 3, 3])
    >>> interval = bootstrap_interval(hits, cases, random_state=0)
    >>> interval.estimate
    0.625
    >>> bool(interval.low <= 0.625 <= interval.high)
    True
    """
    scores = column_or_1d(np.asarray(scores, dtype=np.float64))
    if not np.isfinite(scores).all():
        raise ValueError("scores must be finite; got NaN or infinite values.")
    if len(scores) == 0:
        raise ValueError("scores is empty: there is nothing to average.")
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, int | np.integer):
        raise TypeError(f"n_resamples must be an integer; got {n_resamples!r}.")
    if n_resamples < 2:
        raise ValueError(f"n_resamples must be at least 2; got {n_resamples}.")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1); got {confidence!r}.")
    weights = _check_sample_weight(sample_weight, scores, ensure_non_negative=True)
    weights = scaled_to_unit(weights)  # sums stay finite
    if groups is None:
        codes = np.arange(len(scores))
    else:
        groups = column_or_1d(groups)
        if len(groups) != len(scores):
            raise ValueError(f"groups has {len(groups)} values but there are {len(scores)} scores.")
        _, codes = np.unique(groups, return_inverse=True)
    n_groups = int(codes.max()) + 1
    group_sum = np.bincount(codes, weights=weights * scores, minlength=n_groups)
    group_weight = np.bincount(codes, weights=weights, minlength=n_groups)
    estimate = float(group_sum.sum() / group_weight.sum())

    rng = check_random_state(random_state)
    means = np.empty(n_resamples)
    # In blocks, so that the counts matrix stays small for many groups.
    block = max(1, 2_000_000 // n_groups)
    for start in range(0, n_resamples, block):
        size = min(block, n_resamples - start)
        counts = rng.multinomial(n_groups, np.full(n_groups, 1.0 / n_groups), size=size)
        total_weight = counts @ group_weight
        # A resample of groups that all have weight 0 has no mean; it is drawn again
        # in effect by taking the overall estimate (it is vanishingly rare).
        with np.errstate(invalid="ignore", divide="ignore"):
            means[start : start + size] = np.where(
                total_weight > 0, (counts @ group_sum) / total_weight, estimate
            )
    tail = (1 - confidence) / 2
    low, high = np.quantile(means, [tail, 1 - tail])
    return ScoreInterval(estimate, float(low), float(high), float(means.std(ddof=1)))
