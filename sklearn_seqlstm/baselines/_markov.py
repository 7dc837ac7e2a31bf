"""MarkovChainClassifier: the n-gram baseline, next event from the last few events."""

from itertools import chain, repeat

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, _fit_context
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.validation import check_is_fitted

from ..histories._histories import (
    check_fit_input,
    check_histories,
    sorted_labels,
    with_countable_weights,
)
from ..metrics._history_classifier import HistoryClassifierMixin
from ..utils._base import restore_on_failure
from ..utils._docs import SAVE_DOC
from ..utils._validation import integers, reals

__all__ = ["MarkovChainClassifier"]


class MarkovChainClassifier(HistoryClassifierMixin, BaseEstimator):
    """Predict the next event (or any label) from the last ``order`` events of a history.

    An n-gram model: ``fit`` counts, for every context (the last ``k`` events of a
    history, for each ``k`` from 0 to ``order``), the weight of each label that
    followed it. ``predict_proba`` reads the counts of the longest context of the
    history that was seen in fit and smooths them additively::

        P(label | context) = (count(context, label) + alpha)
                             / (count(context) + alpha * n_classes)

    Order 0 is popularity: the empty context is shared by every history, so its
    counts are the class frequencies.

    Parameters
    ----------
    order : int, default=1
        Number of last events that the prediction depends on. 0 predicts the class
        frequencies whatever the history.
    alpha : float, default=1.0
        Additive (Lidstone) smoothing: a pseudo-count added to every label in every
        context. 1 is Laplace smoothing; 0 gives the raw relative frequencies, so a
        label never seen after a context gets probability 0 there.
    backoff : bool, default=True
        What to do with a context that was not seen in fit (an unseen combination
        of events, or an event never seen in a context at all). True backs off to
        the longest suffix of the context that was seen in fit, down to the empty
        context (the class frequencies). False predicts the uniform distribution
        for it. Only unseen contexts back off: a context seen even once is used,
        with ``alpha`` keeping it from being overconfident.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, in the column order of :meth:`predict_proba`.
    contexts_ : list of list of tuple
        ``contexts_[k]`` holds the distinct contexts of length ``k`` seen in fit
        (tuples of the last ``k`` events, oldest first), for ``k`` from 0 to
        ``order``; ``contexts_[0]`` is ``[()]``. They are sorted by their last
        event, then by the event before it, and so on.
    counts_ : list of scipy.sparse.csr_matrix
        ``counts_[k]`` has shape (len(contexts_[k]), n_classes): the summed sample
        weight of the samples whose history ends with context ``contexts_[k][i]``
        and whose label is ``classes_[j]``. ``counts_[0]`` holds the class
        frequencies (weighted).
    n_features_in_ : int
        History width, set only when every history in fit had the same length
        (always so for a 2-D array). A 2-D array passed to ``predict`` must then
        have that many columns; a list of histories may have any lengths.
    feature_names_in_ : ndarray of str
        Column names, set only when ``X`` was a DataFrame with string columns.

    See Also
    --------
    SequenceFeaturizer : Features of histories, for a logistic regression baseline.
    BayesOracleClassifier : The best possible predictions on synthetic chains.
    NextEventClassifier : An LSTM over the whole history.

    Notes
    -----
    ``X`` is a list of histories (each a list, tuple or 1-D array of hashable
    events, any length, empty allowed), a pandas Series of such sequences, or a
    2-D array whose rows are equal-length histories. Of an
    :class:`AttributedHistories` (or its DataFrame form) it reads the events
    only and ignores the times and the event and sequence attributes: it is an
    event-only baseline.

    A history shorter than ``order`` is its own, shorter, context: a history of
    one event is predicted from the order-1 counts, which every sample of fit
    adds to through its last event. Samples of zero weight are treated as
    absent: their labels do not enter ``classes_``.

    Fitting and predicting are vectorised: each history is sliced once (its last
    ``order`` events), the events are coded once, and contexts are numbered and
    counted with :func:`numpy.unique` and a sparse matrix, one pass per order.

    Examples
    --------
    >>> from sklearn_seqlstm import MarkovChainClassifier
    >>> X = [["home", "search"], ["home"], ["search", "item"], ["home", "search", "item"]]
    >>> y = ["item", "search", "cart", "cart"]
    >>> clf = MarkovChainClassifier(order=1, alpha=0.0).fit(X, y)
    >>> clf.classes_.tolist()
    ['cart', 'item', 'search']
    >>> clf.predict([["search"], ["home", "search"], ["unseen"]]).tolist()
    ['item', 'item', 'cart']
    >>> clf.predict_proba([["unseen"]]).round(2).tolist()  # backs off to frequencies
    [[0.5, 0.25, 0.25]]
    """

    _parameter_constraints: dict = {
        "order": [integers(0)],
        "alpha": [reals(0)],
        "backoff": ["boolean"],
    }

    def __init__(self, order=1, *, alpha=1.0, backoff=True):
        self.order = order
        self.alpha = alpha
        self.backoff = backoff

    @restore_on_failure
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Count the labels that follow each context of length 0 to ``order``.

        Parameters
        ----------
        X : list of sequences of events, pandas Series, or 2-D array-like
            The histories (see Notes in the class docstring).
        y : array-like of shape (n_samples,)
            The next event, or any label, of each history.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights: a sample of weight 2 counts as two samples.
            Weights whose sum is beyond float64's range are first divided by
            the power of 2 that brings the largest below 1, so that the counts
            stay finite; ``alpha`` then counts in those units.

        Returns
        -------
        self : MarkovChainClassifier
            The fitted classifier.
        """
        histories, y, sample_weight = check_fit_input(self, X, y, sample_weight)
        # Counts of weights summing beyond float64 would be inf, the probabilities NaN.
        histories, y, sample_weight = with_countable_weights(histories, y, sample_weight)

        encoder = LabelEncoder().fit(y)
        self.classes_ = encoder.classes_
        labels = encoder.transform(y)
        n_samples, n_classes = len(histories), len(self.classes_)

        tails = _tails(histories, self.order)
        events = sorted_labels(set(chain.from_iterable(tails)))
        self._event_codes = {event: code for code, event in enumerate(events)}
        codes, sizes = _encode(tails, self._event_codes)
        ends = np.cumsum(sizes)

        # The contexts form a trie of suffixes: the context of length k of a sample
        # is its context of length k - 1 preceded by the event at position -k. A
        # context of length k is numbered by np.unique over the integer keys
        # (number at length k - 1) * n_events + (code of the event at -k); the
        # sorted keys are kept to find the contexts of new histories with one
        # np.searchsorted per order.
        n_events = len(events)
        self._context_keys = []
        self.contexts_ = [[()]]
        self.counts_ = [_count(np.zeros(n_samples, np.intp), labels, sample_weight, 1, n_classes)]
        context = np.zeros(n_samples, dtype=np.intp)
        active = np.arange(n_samples)
        for k in range(1, self.order + 1):
            active = active[sizes[active] >= k]
            event = codes[ends[active] - k]
            keys, context_k = np.unique(context[active] * n_events + event, return_inverse=True)
            context[active] = context_k
            self._context_keys.append(keys)
            parents = self.contexts_[-1]
            parent_ids, event_codes = np.divmod(keys, max(n_events, 1))
            self.contexts_.append(
                [
                    (events[code], *parents[parent])
                    for parent, code in zip(parent_ids.tolist(), event_codes.tolist(), strict=True)
                ]
            )
            self.counts_.append(
                _count(context_k, labels[active], sample_weight[active], len(keys), n_classes)
            )
        return self

    def predict_proba(self, X):
        """Probability of each class after each history.

        Parameters
        ----------
        X : list of sequences of events, pandas Series, or 2-D array-like
            The histories. Events never seen in fit are allowed: a context that
            holds one is unseen, and backs off (see ``backoff``).

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``; rows sum to 1.
        """
        check_is_fitted(self)
        histories = check_histories(X, estimator=self, reset=False)
        n_samples, n_classes = len(histories), len(self.classes_)
        order = len(self._context_keys)
        tails = _tails(histories, order)
        codes, sizes = _encode(tails, self._event_codes)
        ends = np.cumsum(sizes)
        n_events = len(self._event_codes)

        # Walk down the trie: at length k keep the samples whose context of length
        # k was seen in fit; the deepest length reached is the context used.
        depth = np.zeros(n_samples, dtype=np.intp)
        context = np.zeros(n_samples, dtype=np.intp)
        active = np.arange(n_samples)
        for k, keys in enumerate(self._context_keys, start=1):
            active = active[sizes[active] >= k]
            event = codes[ends[active] - k]
            key = context[active] * n_events + event
            found = np.searchsorted(keys, key)
            seen = (event >= 0) & (found < len(keys))
            seen[seen] = keys[found[seen]] == key[seen]
            active = active[seen]
            context[active] = found[seen]
            depth[active] = k

        proba = np.full((n_samples, n_classes), 1.0 / n_classes)
        if self.backoff:
            usable = np.ones(n_samples, dtype=bool)
        else:  # only the context of full length (or the whole short history) counts
            usable = depth == np.minimum(sizes, order)
        for k, counts in enumerate(self.counts_):
            at = np.flatnonzero(usable & (depth == k))
            if len(at):
                rows = counts[context[at]]
                totals = np.asarray(rows.sum(axis=1))
                proba[at] = (rows.toarray() + self.alpha) / (totals + self.alpha * n_classes)
        return proba

    def save(self, path, *, overwrite=False):
        # serving knows the estimators and their file format; importing it here,
        # when a model is saved, keeps that arrow one-way.
        from ..serving._persistence import save

        save(self, path, overwrite=overwrite)

    save.__doc__ = SAVE_DOC


def _tails(histories, order):
    """The last ``order`` events of each history (all of a shorter one)."""
    if order == 0:
        return [()] * len(histories)
    start = -order
    return [history[start:] for history in histories]


def _encode(histories, event_codes):
    """Codes of all events of all histories, one flat array, and each history's size.

    Events missing from ``event_codes`` get code -1.
    """
    sizes = np.fromiter(map(len, histories), dtype=np.intp, count=len(histories))
    events = chain.from_iterable(histories)
    codes = np.fromiter(map(event_codes.get, events, repeat(-1)), dtype=np.intp, count=sizes.sum())
    return codes, sizes


def _count(rows, labels, weights, n_rows, n_classes):
    """Summed weight of each (row, label) pair, as a CSR matrix."""
    return sparse.csr_matrix((weights, (rows, labels)), shape=(n_rows, n_classes))
