"""NDCG, the third metric that sequential recommendation papers report beside Hit@k and MRR.

It follows the conventions of :mod:`._scoring`: unseen true events are misses,
ties are broken by column order, and ``exclude_seen`` masks the events of each
history before ranking.
"""

from sklearn.utils._param_validation import validate_params

from ._scoring import _K, _discounted_gains, _mean_of, _NextEventScorer

__all__ = ["ndcg_at_k", "ndcg_scorer"]


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
def ndcg_at_k(
    y_true, proba, *, classes, k=10, sample_weight=None, exclude_seen=False, histories=None
):
    """Normalised discounted cumulative gain of the true next event (NDCG@k).

    Each sample has one relevant event, its true next event, so its NDCG is
    ``1 / log2(1 + rank)`` when the rank is at most ``k`` and 0 beyond, as in
    RecBole and the sequential recommendation papers. A true event not in
    ``classes`` scores 0; ties in probability are broken by column order, as in
    ``predict`` (see the module docstring).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True next events.

    proba : array-like of shape (n_samples, n_classes)
        Predicted probabilities (or any scores where higher means more likely).

    classes : array-like of shape (n_classes,)
        The event of each column of ``proba``, for example an estimator's
        ``classes_``.

    k : int, default=10
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
        Weighted mean NDCG, between 0 and 1; between MRR@k and Hit@k.

    See Also
    --------
    top_k_accuracy : Hit@k, the fraction of true events among the k most probable.
    reciprocal_rank : MRR@k.
    ndcg_scorer : The same metric as a scorer for ``scoring=``.

    Examples
    --------
    >>> from sklearn_seqlstm import ndcg_at_k
    >>> proba = [[0.5, 0.3, 0.2]] * 2
    >>> # ranks 1 and 3: (1 / log2(2) + 1 / log2(4)) / 2
    >>> ndcg_at_k(["a", "c"], proba, classes=["a", "b", "c"], k=10)
    0.75
    >>> ndcg_at_k(["a", "c"], proba, classes=["a", "b", "c"], k=2)
    0.5
    >>> # "a" is in the first history: masked, "c" ranks 2nd.
    >>> score = ndcg_at_k(
    ...     ["b", "c"], proba, classes=["a", "b", "c"], exclude_seen=True, histories=[["a"], ["a"]]
    ... )
    >>> round(score, 3)  # ranks 1 and 2: (1 + 1 / log2(3)) / 2
    0.815
    """
    return _mean_of(
        _discounted_gains, y_true, proba, classes, sample_weight, exclude_seen, histories, k=k
    )


@validate_params({"k": [_K, None], "exclude_seen": ["boolean"]}, prefer_skip_nested_validation=True)
def ndcg_scorer(k=10, *, exclude_seen=False):
    """Scorer of NDCG@k, for ``scoring=`` in model selection.

    Works with any fitted estimator (or pipeline) that has ``predict_proba``
    and ``classes_``. A true event the estimator never saw in training scores
    0. Greater is better.

    Parameters
    ----------
    k : int, default=10
        Ranks beyond ``k`` score 0. None keeps every rank.

    exclude_seen : bool, default=False
        Leave the events of each history in ``X`` out of the ranking first, for
        every model alike (see :func:`top_k_accuracy`). ``X`` must then be
        histories.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y, sample_weight=None)`` returning
        :func:`ndcg_at_k`. Picklable.

    See Also
    --------
    ndcg_at_k : The metric, from predicted probabilities.
    next_event_scorers : A dict of scorers for multi-metric search.

    Examples
    --------
    >>> from sklearn_seqlstm import MarkovChainClassifier, ndcg_scorer
    >>> X = [["a", "b"], ["b", "c"], ["a", "b"], ["c", "a"]]
    >>> y = ["c", "a", "c", "b"]
    >>> clf = MarkovChainClassifier().fit(X, y)
    >>> scorer = ndcg_scorer(k=2, exclude_seen=True)
    >>> scorer
    ndcg_scorer(k=2, exclude_seen=True)
    >>> bool(0 < scorer(clf, X, y) <= 1)
    True
    """
    return _NextEventScorer("ndcg_scorer", _discounted_gains, exclude_seen=exclude_seen, k=k)
