"""Top-k metrics and scorers for next-event prediction.

Two conventions hold for every function in this module.

**Unseen labels are misses.** A true next event that is not in ``classes`` (for
an estimator, not in ``classes_``: the event never occurred in the training
fold) has an infinite rank: it is never in the top k, its reciprocal rank is 0
and the log-loss scorer gives it probability ``eps``. scikit-learn's
``top_k_accuracy_score`` and ``neg_log_loss`` raise instead, which breaks
``GroupKFold`` on real event data, where rare events are often seen in one fold
only.

**Ties are broken by column order, as ``predict`` does.** The rank of the true
event is 1 + the number of classes with a greater probability + the number of
classes with the same probability in an earlier column. This is the position of
the true event in a stable sort by decreasing probability, so top-1 accuracy is
exactly the accuracy of ``classes[argmax(proba)]``, the prediction of every
scikit-learn classifier. It matters for exact distributions such as the Bayes
limit, where ties are common (an event with no transition row spreads equal
probability over all others): counting ties as misses would put the limit below
models whose float noise happens to break the tie.

**Seen events can be masked.** With ``exclude_seen=True`` the events that a
history already holds are left out of the ranking before the true event is
ranked, as a recommender that never shows a film already rated does (RecBole's
full-ranking protocol masks them for every model). A true event that the history
holds is then a miss. The scorers take the same option and mask for every model
alike, so that a model that learned to avoid seen events and one that did not are
compared on the same ranking.

Ranks come from vectorised comparisons of each row with its true-class
probability, not from sorting the rows. The scorers ask the estimator for its
probabilities a block of rows at a time (see :mod:`._blocks`), so that scoring
many histories over a large catalogue is bounded in memory by a block.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, validate_params
from sklearn.utils.validation import _check_sample_weight, check_array, column_or_1d

from ..histories._histories import check_histories, scaled_to_unit
from ._blocks import proba_blocks, seen_mask

_K = Interval(Integral, 1, None, closed="left")


def _true_event_ranks(y_true, proba, classes, exclude=None):
    """Validate the inputs and return the rank of each true event.

    Returns ``(ranks, proba_true)``: float arrays of shape (n_samples,).
    ``ranks`` is ``inf`` and ``proba_true`` is ``nan`` where the true event is
    not in ``classes``. ``exclude``, a boolean array shaped as ``proba``, marks
    classes left out of the ranking: they outrank nothing, and a true event
    among them has an infinite rank.
    """
    proba = check_array(proba, dtype="numeric")
    if (proba < 0).any():
        row, column = np.argwhere(proba < 0)[0]
        raise ValueError(
            f"proba must hold probabilities, but proba[{row}, {column}] = "
            f"{float(proba[row, column])!r} is negative."
        )
    y_true = column_or_1d(y_true)
    classes = np.asarray(classes)
    if classes.ndim != 1:
        raise ValueError(f"classes must be 1-D; got an array of shape {classes.shape}.")
    if proba.shape[1] != len(classes):
        raise ValueError(
            f"proba has {proba.shape[1]} columns but there are {len(classes)} classes; "
            "column j of proba must hold the probability of classes[j]."
        )
    if len(y_true) != proba.shape[0]:
        raise ValueError(f"y_true has {len(y_true)} labels but proba has {proba.shape[0]} rows.")
    # A dict, not np.searchsorted: it accepts labels of any hashable type and
    # reports labels outside `classes` (-1) instead of misplacing them.
    column_of = {label: j for j, label in enumerate(classes.tolist())}
    if len(column_of) != len(classes):
        raise ValueError("classes must not contain duplicates.")
    columns = np.fromiter(
        (column_of.get(label, -1) for label in y_true.tolist()), dtype=np.intp, count=len(y_true)
    )
    known = columns >= 0
    proba_true = np.where(known, proba[np.arange(len(columns)), columns], np.nan)
    higher = proba > proba_true[:, None]
    tied_before = (proba == proba_true[:, None]) & (np.arange(proba.shape[1]) < columns[:, None])
    if exclude is not None:
        higher &= ~exclude
        tied_before &= ~exclude
    ranks = 1.0 + higher.sum(axis=1) + tied_before.sum(axis=1)
    ranks[~known] = np.inf
    if exclude is not None:
        ranks[known & exclude[np.arange(len(columns)), np.where(known, columns, 0)]] = np.inf
    return ranks, proba_true


def _seen_exclusion(exclude_seen, histories, n_samples, classes):
    """The mask of the classes each history holds, with ``exclude_seen=True``; else None."""
    if not exclude_seen:
        if histories is not None:
            raise ValueError(
                "histories is used only with exclude_seen=True, to mask the events each "
                "history holds; pass exclude_seen=True, or leave histories out."
            )
        return None
    if histories is None:
        raise ValueError(
            "exclude_seen=True needs histories=: the history of each sample, whose "
            "events are left out of the ranking."
        )
    histories = check_histories(histories)
    if len(histories) != n_samples:
        raise ValueError(
            f"histories has {len(histories)} histories but there are {n_samples} samples."
        )
    return seen_mask(histories, classes)


def _mean_of(per_sample, y_true, proba, classes, sample_weight, exclude_seen, histories, **kw):
    """Weighted mean over samples of ``per_sample(ranks, proba_true, **kw)``."""
    proba = check_array(proba, dtype="numeric")
    exclude = _seen_exclusion(exclude_seen, histories, proba.shape[0], np.asarray(classes))
    ranks, proba_true = _true_event_ranks(y_true, proba, classes, exclude)
    sample_weight = check_weights(sample_weight, ranks)
    return float(np.average(per_sample(ranks, proba_true, **kw), weights=sample_weight))


def _hits(ranks, proba_true, k):
    return ranks <= k


def _reciprocal_ranks(ranks, proba_true, k):
    if k is not None:
        ranks = np.where(ranks <= k, ranks, np.inf)
    return 1.0 / ranks


def _discounted_gains(ranks, proba_true, k):
    # One relevant event per sample: the ideal DCG is 1, so NDCG is the DCG.
    if k is not None:
        ranks = np.where(ranks <= k, ranks, np.inf)
    return 1.0 / np.log2(ranks + 1.0)


def _neg_log_proba(ranks, proba_true, eps):
    return -np.log(np.clip(np.nan_to_num(proba_true, nan=eps), eps, 1.0))


def check_weights(sample_weight, samples):
    """Weights as floats: finite, non-negative and not all zero, else a ValueError.

    A negative weight has no meaning for a mean score, and weights summing to 0
    made the mean a division by zero. The weights come back scaled exactly
    (:func:`scaled_to_unit`), which leaves every weighted mean as it is but keeps
    weights near float64's maximum from overflowing to inf in the sum.
    """
    sample_weight = _check_sample_weight(sample_weight, samples, ensure_non_negative=True)
    return scaled_to_unit(sample_weight)


@validate_params(
    {
        "y_true": ["array-like"],
        "proba": ["array-like"],
        "classes": ["array-like"],
        "k": [_K],
        "sample_weight": ["array-like", None],
        "exclude_seen": ["boolean"],
        "histories": "no_validation",
    },
    prefer_skip_nested_validation=True,
)
def top_k_accuracy(
    y_true, proba, *, classes, k=1, sample_weight=None, exclude_seen=False, histories=None
):
    """Fraction of samples whose true next event is among the k most probable (Hit@k).

    Recommender papers call it Hit@k or HR@k (hit ratio), and Recall@k when each
    sample has one relevant item. A true event not in ``classes`` counts as a
    miss; ties in probability are broken by column order, as in ``predict`` (see
    the module docstring).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True next events.

    proba : array-like of shape (n_samples, n_classes)
        Predicted probabilities (or any scores where higher means more likely),
        for example the output of ``predict_proba``.

    classes : array-like of shape (n_classes,)
        The event of each column of ``proba``, for example an estimator's
        ``classes_``.

    k : int, default=1
        Number of most probable events that count as a hit.

    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    exclude_seen : bool, default=False
        Leave the events of each history out of the ranking first (see the
        module docstring); a true event that its history holds is then a miss.

    histories : list of sequences of events, default=None
        The history of each sample, required with ``exclude_seen=True``.

    Returns
    -------
    score : float
        Weighted fraction of hits, between 0 and 1.

    See Also
    --------
    reciprocal_rank : Mean reciprocal rank of the true next event.
    k_retrieval_curve : Top-k accuracy for every k.
    top_k_scorer : The same metric as a scorer for ``scoring=``.
    sklearn.metrics.top_k_accuracy_score : Raises on labels not in ``labels``.

    Examples
    --------
    >>> from sklearn_seqlstm import top_k_accuracy
    >>> proba = [[0.5, 0.3, 0.2]] * 4  # the same guess for four samples
    >>> y_true = ["a", "b", "c", "z"]  # ranks 1, 2, 3 and unseen: two in the top 2
    >>> top_k_accuracy(y_true, proba, classes=["a", "b", "c"], k=2)
    0.5
    """
    _warn_if_k_says_nothing(k, len(classes), exclude_seen)
    return _mean_of(_hits, y_true, proba, classes, sample_weight, exclude_seen, histories, k=k)


def _warn_if_k_says_nothing(k, n_classes, exclude_seen):
    if k >= n_classes and not exclude_seen:
        # As scikit-learn's top_k_accuracy_score warns: a perfect score by construction.
        warnings.warn(
            f"k={k} is at least the number of classes ({n_classes}): top-k accuracy "
            "is then 1 for every true event among the classes, and says nothing.",
            UserWarning,
            stacklevel=4,
        )


@validate_params(
    {
        "y_true": ["array-like"],
        "proba": ["array-like"],
        "classes": ["array-like"],
        "k": [_K, None],
        "sample_weight": ["array-like", None],
        "exclude_seen": ["boolean"],
        "histories": "no_validation",
    },
    prefer_skip_nested_validation=True,
)
def reciprocal_rank(
    y_true, proba, *, classes, k=None, sample_weight=None, exclude_seen=False, histories=None
):
    """Mean reciprocal rank (MRR) of the true next event.

    Each sample scores ``1 / rank`` of its true event, where rank 1 is the most
    probable class. With ``k``, ranks beyond ``k`` score 0 (MRR@k). A true
    event not in ``classes`` scores 0; ties in probability are broken by column
    order, as in ``predict`` (see the module docstring).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True next events.

    proba : array-like of shape (n_samples, n_classes)
        Predicted probabilities (or any scores where higher means more likely).

    classes : array-like of shape (n_classes,)
        The event of each column of ``proba``, for example an estimator's
        ``classes_``.

    k : int, default=None
        Ranks beyond ``k`` score 0. None keeps every rank.

    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    exclude_seen : bool, default=False
        Leave the events of each history out of the ranking first (see the
        module docstring); a true event that its history holds is then a miss.

    histories : list of sequences of events, default=None
        The history of each sample, required with ``exclude_seen=True``.

    Returns
    -------
    score : float
        Weighted mean reciprocal rank, between 0 and 1; at least the top-1
        accuracy.

    See Also
    --------
    top_k_accuracy : Fraction of true events among the k most probable.
    reciprocal_rank_scorer : The same metric as a scorer for ``scoring=``.

    Examples
    --------
    >>> from sklearn_seqlstm import reciprocal_rank
    >>> proba = [[0.5, 0.3, 0.2]] * 4  # the same guess for four samples
    >>> y_true = ["a", "b", "b", "z"]  # ranks 1, 2, 2 and unseen: (1 + 1/2 + 1/2 + 0) / 4
    >>> reciprocal_rank(y_true, proba, classes=["a", "b", "c"])
    0.5
    >>> reciprocal_rank(y_true, proba, classes=["a", "b", "c"], k=1)
    0.25
    """
    return _mean_of(
        _reciprocal_ranks, y_true, proba, classes, sample_weight, exclude_seen, histories, k=k
    )


@validate_params(
    {
        "y_true": ["array-like"],
        "proba": ["array-like"],
        "classes": ["array-like"],
        "max_k": [_K, None],
        "sample_weight": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def k_retrieval_curve(y_true, proba, *, classes, max_k=None, sample_weight=None):
    """Top-k accuracy for every k from 1 to ``max_k``.

    The curve is non-decreasing. Where ``max_k`` reaches the number of classes
    it equals the (weighted) fraction of true events that are in ``classes``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True next events.

    proba : array-like of shape (n_samples, n_classes)
        Predicted probabilities (or any scores where higher means more likely).

    classes : array-like of shape (n_classes,)
        The event of each column of ``proba``, for example an estimator's
        ``classes_``.

    max_k : int, default=None
        Largest k. None means the number of classes.

    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    ks : ndarray of shape (max_k,)
        The integers 1, 2, ..., ``max_k``.

    accuracies : ndarray of shape (max_k,)
        ``accuracies[i]`` is ``top_k_accuracy(..., k=ks[i])``.

    See Also
    --------
    k_retrieval_curve_from_estimator : The same curve from a fitted estimator.
    top_k_accuracy : One point of the curve.

    Examples
    --------
    >>> from sklearn_seqlstm import k_retrieval_curve
    >>> proba = [[0.5, 0.3, 0.2]] * 4  # the same guess for four samples
    >>> y_true = ["a", "b", "c", "z"]  # ranks 1, 2, 3 and unseen
    >>> ks, accuracies = k_retrieval_curve(y_true, proba, classes=["a", "b", "c"])
    >>> ks
    array([1, 2, 3])
    >>> accuracies
    array([0.25, 0.5 , 0.75])
    """
    ranks, _ = _true_event_ranks(y_true, proba, classes)
    sample_weight = check_weights(sample_weight, ranks)
    if max_k is None:
        max_k = len(np.asarray(classes))
    in_curve = ranks <= max_k
    hits_at = np.bincount(
        ranks[in_curve].astype(np.intp), weights=sample_weight[in_curve], minlength=max_k + 1
    )
    return np.arange(1, max_k + 1), np.cumsum(hits_at[1:]) / sample_weight.sum()


def _predict_proba(estimator, X, method_only=False):
    """Return ``estimator.predict_proba(X)`` and the matching ``classes_``.

    With ``method_only=True``, return the bound ``predict_proba`` after checking it exists.
    """
    if not hasattr(estimator, "predict_proba"):
        raise TypeError(
            f"{type(estimator).__name__} has no predict_proba: next-event metrics rank "
            "the classes by predicted probability. Use a classifier with predict_proba."
        )
    if method_only:
        return estimator.predict_proba
    proba = estimator.predict_proba(X)
    if not hasattr(estimator, "classes_"):
        raise TypeError(
            f"{type(estimator).__name__} has no classes_ attribute: it is needed to match "
            "the columns of predict_proba to the labels."
        )
    return proba, estimator.classes_


@validate_params(
    {
        "estimator": "no_validation",
        "X": "no_validation",
        "y": ["array-like"],
        "max_k": [_K, None],
        "sample_weight": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def k_retrieval_curve_from_estimator(estimator, X, y, *, max_k=None, sample_weight=None):
    """Top-k accuracy for every k from 1 to ``max_k``, from a fitted estimator.

    Calls ``estimator.predict_proba(X)`` and :func:`k_retrieval_curve` with
    ``classes=estimator.classes_``.

    Parameters
    ----------
    estimator : fitted classifier or pipeline
        Must have ``predict_proba`` and ``classes_``.

    X : array-like or dict
        Input accepted by ``estimator.predict_proba``.

    y : array-like of shape (n_samples,)
        True next events.

    max_k : int, default=None
        Largest k. None means the number of classes.

    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    ks : ndarray of shape (max_k,)
        The integers 1, 2, ..., ``max_k``.

    accuracies : ndarray of shape (max_k,)
        Top-k accuracy for each k in ``ks``.

    See Also
    --------
    k_retrieval_curve : The same curve from predicted probabilities.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_seqlstm import k_retrieval_curve_from_estimator
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = LogisticRegression(max_iter=1000).fit(X, y)
    >>> ks, accuracies = k_retrieval_curve_from_estimator(clf, X, y)
    >>> ks
    array([1, 2, 3])
    >>> float(accuracies[-1])
    1.0
    """
    proba, classes = _predict_proba(estimator, X)
    return k_retrieval_curve(y, proba, classes=classes, max_k=max_k, sample_weight=sample_weight)


def _log_loss(y_true, proba, *, classes, eps, sample_weight=None):
    """Mean of ``-log(max(proba_true, eps))``; an unseen true event has probability eps."""
    return _mean_of(_neg_log_proba, y_true, proba, classes, sample_weight, False, None, eps=eps)


class _NextEventScorer:
    """Scorer ``scorer(estimator, X, y, sample_weight=None)`` from a per-sample score.

    Made by :func:`top_k_scorer`, :func:`reciprocal_rank_scorer`,
    :func:`ndcg_scorer` and :func:`neg_log_loss_scorer`; ``factory`` names the one
    that made it, for the repr. The score is ``sign`` times the weighted mean of
    ``per_sample(ranks, proba_true, **kwargs)``, the metric of the same name. The
    probabilities are asked for a block of rows at a time (:func:`proba_blocks`),
    so that memory is bounded by a block.
    """

    def __init__(self, factory, per_sample, sign=1, exclude_seen=False, **kwargs):
        self._factory = factory
        self._per_sample = per_sample
        self._sign = sign
        self._exclude_seen = exclude_seen
        self._kwargs = kwargs

    def __call__(self, estimator, X, y, sample_weight=None):
        predict_proba = _predict_proba(estimator, None, method_only=True)
        if not hasattr(estimator, "classes_"):
            _predict_proba(estimator, X)  # raises the error that says what is missing
        classes = np.asarray(estimator.classes_)
        if self._per_sample is _hits:
            _warn_if_k_says_nothing(self._kwargs["k"], len(classes), self._exclude_seen)
        y = column_or_1d(y)
        values = np.empty(len(y))
        for rows, part, proba in proba_blocks(predict_proba, X, len(classes)):
            if proba.shape[0] != len(rows) or rows.stop > len(y):
                raise ValueError(f"y has {len(y)} labels but X has more samples.")
            exclude = None
            if self._exclude_seen:
                exclude = seen_mask(check_histories(part), classes)
            ranks, proba_true = _true_event_ranks(
                y[rows.start : rows.stop], proba, classes, exclude
            )
            values[rows.start : rows.stop] = self._per_sample(ranks, proba_true, **self._kwargs)
        if rows.stop != len(y):
            raise ValueError(f"y has {len(y)} labels but X has {rows.stop} samples.")
        sample_weight = check_weights(sample_weight, values)
        return self._sign * float(np.average(values, weights=sample_weight))

    def __repr__(self):
        arguments = [f"{name}={value!r}" for name, value in self._kwargs.items()]
        if self._exclude_seen:
            arguments.append("exclude_seen=True")
        return f"{self._factory}({', '.join(arguments)})"

    def _accept_sample_weight(self):
        # scikit-learn (1.6 to 1.9) asks each scorer of a multi-metric dict this
        # when GridSearchCV.fit gets sample_weight; a plain function would fail.
        return True


@validate_params({"k": [_K], "exclude_seen": ["boolean"]}, prefer_skip_nested_validation=True)
def top_k_scorer(k, *, exclude_seen=False):
    """Scorer of top-k accuracy (Hit@k), for ``scoring=`` in model selection.

    Works with any fitted estimator (or pipeline) that has ``predict_proba``
    and ``classes_``. A true event the estimator never saw in training counts
    as a miss, where ``make_scorer(top_k_accuracy_score, ...)`` raises.
    Greater is better.

    Parameters
    ----------
    k : int
        Number of most probable events that count as a hit.

    exclude_seen : bool, default=False
        Leave the events of each history in ``X`` out of the ranking first, for
        every model alike (see :func:`top_k_accuracy`). ``X`` must then be
        histories.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y, sample_weight=None)`` returning
        :func:`top_k_accuracy`. Picklable.

    See Also
    --------
    top_k_accuracy : The metric, from predicted probabilities.
    next_event_scorers : A dict of scorers for multi-metric search.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import cross_val_score
    >>> from sklearn_seqlstm import top_k_scorer
    >>> X, y = load_iris(return_X_y=True)
    >>> scorer = top_k_scorer(2)
    >>> scorer
    top_k_scorer(k=2)
    >>> scores = cross_val_score(LogisticRegression(max_iter=1000), X, y, scoring=scorer)
    >>> bool(scores.min() > 0.9)
    True
    """
    return _NextEventScorer("top_k_scorer", _hits, exclude_seen=exclude_seen, k=k)


@validate_params({"k": [_K, None], "exclude_seen": ["boolean"]}, prefer_skip_nested_validation=True)
def reciprocal_rank_scorer(k=None, *, exclude_seen=False):
    """Scorer of mean reciprocal rank (MRR@k), for ``scoring=`` in model selection.

    Works with any fitted estimator (or pipeline) that has ``predict_proba``
    and ``classes_``. A true event the estimator never saw in training scores
    0. Greater is better.

    Parameters
    ----------
    k : int, default=None
        Ranks beyond ``k`` score 0. None keeps every rank.

    exclude_seen : bool, default=False
        Leave the events of each history in ``X`` out of the ranking first, for
        every model alike (see :func:`top_k_accuracy`). ``X`` must then be
        histories.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y, sample_weight=None)`` returning
        :func:`reciprocal_rank`. Picklable.

    See Also
    --------
    reciprocal_rank : The metric, from predicted probabilities.
    next_event_scorers : A dict of scorers for multi-metric search.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_seqlstm import reciprocal_rank_scorer
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = LogisticRegression(max_iter=1000).fit(X, y)
    >>> scorer = reciprocal_rank_scorer(k=2)
    >>> scorer
    reciprocal_rank_scorer(k=2)
    >>> bool(scorer(clf, X, y) > 0.9)
    True
    """
    return _NextEventScorer(
        "reciprocal_rank_scorer", _reciprocal_ranks, exclude_seen=exclude_seen, k=k
    )


@validate_params(
    {"eps": [Interval(Real, 0, 1, closed="neither")]}, prefer_skip_nested_validation=True
)
def neg_log_loss_scorer(eps=1e-15):
    """Scorer of negated log loss that tolerates unseen true events.

    The probability of the true event is clipped below at ``eps``. A true event
    the estimator never saw in training (not in ``classes_``) gets probability
    ``eps``: it costs ``-log(eps)`` (34.5 for the default), like a known event
    predicted with probability 0. scikit-learn's ``"neg_log_loss"`` raises on
    such labels. Where every label is known and no probability is below
    ``eps``, the value equals ``"neg_log_loss"``. Greater is better.

    Parameters
    ----------
    eps : float, default=1e-15
        Smallest probability, in (0, 1). A larger ``eps`` (say ``1e-6``)
        weighs unseen events less against the rest.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y, sample_weight=None)`` returning minus the
        mean log loss. Picklable.

    See Also
    --------
    next_event_scorers : A dict of scorers for multi-metric search.
    sklearn.metrics.log_loss : Raises on labels not in ``labels``.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_seqlstm import neg_log_loss_scorer
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = LogisticRegression(max_iter=1000).fit(X[y < 2], y[y < 2])
    >>> scorer = neg_log_loss_scorer(eps=1e-6)
    >>> scorer
    neg_log_loss_scorer(eps=1e-06)
    >>> # The 50 samples of class 2 are unseen: each costs -log(1e-6) = 13.8.
    >>> round(scorer(clf, X, y), 1)
    -4.6
    """
    return _NextEventScorer("neg_log_loss_scorer", _neg_log_proba, sign=-1, eps=eps)


@validate_params(
    {
        "ks": ["array-like"],
        "mrr": ["boolean"],
        "log_loss": ["boolean"],
        "ndcg": ["boolean"],
        "exclude_seen": ["boolean"],
    },
    prefer_skip_nested_validation=False,  # top_k_scorer checks each k
)
def next_event_scorers(ks=(1, 3, 5), mrr=True, log_loss=True, *, ndcg=False, exclude_seen=False):
    """Dict of next-event scorers for multi-metric ``scoring=``.

    All the scorers tolerate true events unseen in training (see
    :func:`top_k_scorer`, :func:`reciprocal_rank_scorer` and
    :func:`neg_log_loss_scorer`). Pass the dict as ``scoring=`` to
    ``GridSearchCV``, ``cross_validate``, ... and name one key as ``refit=``.

    Parameters
    ----------
    ks : sequence of int, default=(1, 3, 5)
        One ``"top_{k}"`` scorer per k.

    mrr : bool, default=True
        Whether to add ``"mrr"``, the mean reciprocal rank.

    log_loss : bool, default=True
        Whether to add ``"neg_log_loss"`` (with the default ``eps``).

    ndcg : bool, default=False
        Whether to add one ``"ndcg_{k}"`` scorer (NDCG@k) per k.

    exclude_seen : bool, default=False
        Leave the events of each history out of the ranking in the top-k, MRR
        and NDCG scorers (see :func:`top_k_accuracy`); the log loss is left as
        it is.

    Returns
    -------
    scorers : dict of str to callable
        For the defaults: ``"top_1"``, ``"top_3"``, ``"top_5"``, ``"mrr"`` and
        ``"neg_log_loss"``. Greater is better for all.

    See Also
    --------
    top_k_scorer, reciprocal_rank_scorer, neg_log_loss_scorer

    Notes
    -----
    Each scorer calls ``predict_proba`` itself: with the defaults a search
    predicts each test fold five times.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklearn_seqlstm import next_event_scorers
    >>> X, y = load_iris(return_X_y=True)
    >>> scoring = next_event_scorers(ks=(1, 2))
    >>> list(scoring)
    ['top_1', 'top_2', 'mrr', 'neg_log_loss']
    >>> search = GridSearchCV(
    ...     LogisticRegression(max_iter=1000), {"C": [0.1, 1.0]}, scoring=scoring, refit="top_2"
    ... ).fit(X, y)
    >>> sorted(search.best_params_)
    ['C']
    """
    scorers = {f"top_{k}": top_k_scorer(k, exclude_seen=exclude_seen) for k in ks}
    if mrr:
        scorers["mrr"] = reciprocal_rank_scorer(exclude_seen=exclude_seen)
    if ndcg:
        for k in ks:
            # ndcg_scorer's scorer, built here: its module imports this one.
            scorers[f"ndcg_{k}"] = _NextEventScorer(
                "ndcg_scorer", _discounted_gains, exclude_seen=exclude_seen, k=int(k)
            )
    if log_loss:
        scorers["neg_log_loss"] = neg_log_loss_scorer()
    if not scorers:
        raise ValueError("next_event_scorers needs at least one k, mrr=True or log_loss=True.")
    return scorers
