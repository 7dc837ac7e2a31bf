"""PrefixLookupClassifier: the next event that followed the same history in training."""

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, _fit_context
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.validation import check_is_fitted

from ..histories._histories import check_fit_input, check_histories, with_countable_weights
from ..histories._prefix_trie import PrefixTrie
from ..metrics._history_classifier import HistoryClassifierMixin
from ..utils._base import restore_on_failure
from ..utils._validation import integers, reals
from ._markov import MarkovChainClassifier

__all__ = ["PrefixLookupClassifier"]


class PrefixLookupClassifier(HistoryClassifierMixin, BaseEstimator):
    """Predict the label that most often followed the identical history in training.

    The trivial method that tells whether a benchmark is fair: where test
    histories are verbatim copies of training ones, looking them up scores close
    to a deep model (see :func:`leakage_report`). A history never seen in fit, as
    a whole, backs off to a :class:`MarkovChainClassifier` of order
    ``backoff_order`` fitted on the same data.

    After a history seen in fit, the probabilities are the labels' counts there
    with the back-off's prediction added as ``alpha`` pseudo-counts::

        P(label | history) = (count(history, label) + alpha * P_markov(label | history))
                             / (count(history) + alpha)

    With ``alpha < 1`` a label that followed the history more often than another
    always has the higher probability, so :meth:`predict` gives the most frequent
    label after the history, the back-off breaking ties.

    Parameters
    ----------
    backoff_order : int, default=1
        Order of the Markov chain used for histories not seen in fit (and as the
        prior of seen ones).
    alpha : float, default=0.5
        Weight, in samples, of the back-off's prediction after a seen history.
        0 gives the raw relative frequencies of the labels that followed it.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, in the column order of :meth:`predict_proba`.
    backoff_ : MarkovChainClassifier
        The fitted back-off model.
    n_histories_ : int
        The number of distinct histories seen in fit.
    n_features_in_ : int
        History width, set only when every history in fit had the same length
        (always so for a 2-D array).
    feature_names_in_ : ndarray of str
        Column names, set only when ``X`` was a DataFrame with string columns.

    See Also
    --------
    leakage_report : How many test histories were seen in training.
    MarkovChainClassifier : The n-gram model it backs off to.

    Notes
    -----
    Histories compare by their events only: of an :class:`AttributedHistories`
    the times and attributes are ignored. The histories are numbered with a trie,
    each run of prefixes of one sequence walked once, so fit and predict cost
    O(events) on :class:`PrefixHistories` rather than O(L²) per sequence.

    Examples
    --------
    >>> from sklearn_seqlstm import PrefixLookupClassifier
    >>> X = [["a"], ["a"], ["a"], ["b", "a"], ["c"]]
    >>> y = ["x", "x", "y", "y", "x"]
    >>> clf = PrefixLookupClassifier().fit(X, y)
    >>> clf.predict([["a"], ["b", "a"], ["d", "a"]]).tolist()
    ['x', 'y', 'x']
    >>> clf.predict_proba([["b", "a"]]).round(3).tolist()
    [[0.167, 0.833]]
    """

    _parameter_constraints: dict = {
        "backoff_order": [integers(0)],
        "alpha": [reals(0)],
    }

    def __init__(self, backoff_order=1, *, alpha=0.5):
        self.backoff_order = backoff_order
        self.alpha = alpha

    @restore_on_failure
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Count the labels that follow each distinct history, and fit the back-off.

        Parameters
        ----------
        X : list of sequences of events, PrefixHistories, pandas Series, or 2-D array-like
            The histories.
        y : array-like of shape (n_samples,)
            The next event, or any label, of each history.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights: a sample of weight 2 counts as two samples.

        Returns
        -------
        self : PrefixLookupClassifier
            The fitted classifier.
        """
        histories, y, sample_weight = check_fit_input(self, X, y, sample_weight)
        # Counts of weights summing beyond float64 would be inf, the probabilities NaN.
        histories, y, sample_weight = with_countable_weights(histories, y, sample_weight)
        backoff = MarkovChainClassifier(order=self.backoff_order)
        backoff.fit(histories, y, sample_weight=sample_weight)

        encoder = LabelEncoder().fit(y)
        self.classes_ = encoder.classes_
        self._trie = PrefixTrie()
        nodes = self._trie.nodes(histories, grow=True)
        # Only the nodes that are histories get a row; the others are inner nodes.
        self._rows, row = np.unique(nodes, return_inverse=True)
        self._counts = sparse.csr_matrix(
            (sample_weight, (row.reshape(-1), encoder.transform(y))),
            shape=(len(self._rows), len(self.classes_)),
        )
        self.backoff_ = backoff
        self.n_histories_ = len(self._rows)
        return self

    def predict_proba(self, X):
        """Probability of each class after each history.

        Parameters
        ----------
        X : list of sequences of events, PrefixHistories, pandas Series, or 2-D array-like
            The histories. Events never seen in fit are allowed.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``; rows sum to 1.
        """
        check_is_fitted(self)
        histories = check_histories(X, estimator=self, reset=False)
        proba = self.backoff_.predict_proba(histories)
        nodes = self._trie.nodes(histories)
        at = np.searchsorted(self._rows, nodes)
        at = np.minimum(at, len(self._rows) - 1)
        seen = np.flatnonzero((nodes >= 0) & (self._rows[at] == nodes))
        if len(seen):
            counts = self._counts[at[seen]].toarray()
            totals = counts.sum(axis=1, keepdims=True)
            proba[seen] = (counts + self.alpha * proba[seen]) / (totals + self.alpha)
        return proba
