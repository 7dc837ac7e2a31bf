"""BayesOracleClassifier: the true next-event distribution of a sampler, as a classifier.

Wrapping the Bayes limit in the classifier interface lets diagnostics score it with
the same scorers, cross-validation splits and plots as any model, so that every
accuracy is read beside the best one possible.
"""

from itertools import chain

import numpy as np
from sklearn.base import BaseEstimator, _fit_context, clone
from sklearn.utils._param_validation import HasMethods
from sklearn.utils.validation import _check_sample_weight, check_is_fitted

from ..histories._histories import check_histories, check_labels, sorted_labels
from ..metrics._history_classifier import HistoryClassifierMixin
from ..utils._base import restore_on_failure

__all__ = ["BayesOracleClassifier"]


class BayesOracleClassifier(HistoryClassifierMixin, BaseEstimator):
    """The best possible next-event classifier for chains drawn from a known sampler.

    ``predict_proba`` returns the true distribution of the next event after each
    history, given by ``sampler.next_event_proba``; ``predict`` its most probable
    event. No model can do better on average on the sampler's chains: this is the
    Bayes limit, here with the interface of a fitted classifier, so that it goes
    through the same scorers, ``cross_validate`` and ``GridSearchCV`` as the models
    it is compared with.

    ``fit`` learns nothing from the data. It checks it, and that every event of
    the histories and every label is an event of the sampler: data from another
    process has no true distribution here, so it raises a ``ValueError`` rather
    than returning numbers that mean nothing.

    Parameters
    ----------
    sampler : MarkovMemorySampler
        The process the histories come from. Any object with the same
        ``event_labels`` and ``next_event_proba(histories)`` will do. Its
        parameters are reachable as nested parameters, for example
        ``set_params(sampler__memory_influence=0.5)``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The sampler's events, sorted (as scikit-learn sorts class labels), in the
        column order of :meth:`predict_proba`.
    n_features_in_ : int
        History width, set only when every history in fit had the same length
        (always so for a 2-D array).
    feature_names_in_ : ndarray of str
        Column names, set only when ``X`` was a DataFrame with string columns.
    sampler_ : MarkovMemorySampler
        A copy of ``sampler`` taken by ``fit`` (:func:`~sklearn.base.clone`), which
        :meth:`predict_proba` asks. As with any parameter, a later change to the
        sampler passed needs a refit to take effect.

    See Also
    --------
    MarkovMemorySampler : The synthetic process and its true distribution.
    MarkovChainClassifier : The n-gram baseline, the limit when memory is off.

    Notes
    -----
    Its tags say ``poor_score``: it ignores its training data, so scikit-learn's
    checks, which fit random data, cannot expect a good score from it.

    Examples
    --------
    >>> from sklearn_seqlstm import BayesOracleClassifier
    >>> from sklearn_seqlstm import MarkovMemorySampler
    >>> sampler = MarkovMemorySampler(memory_influence=0.5, random_state=0)
    >>> X, y, groups = sampler.make_dataset(n_sequences=200, length=10)
    >>> oracle = BayesOracleClassifier(sampler).fit(X, y)
    >>> oracle.classes_.tolist()
    ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H']
    >>> oracle.predict_proba([["A", "D", "A"]]).round(3)
    array([[0.333, 0.25 , 0.05 , 0.367, 0.   , 0.   , 0.   , 0.   ]])
    >>> oracle.predict([["C", "D"], ["C", "E", "E"]]).tolist()
    ['A', 'E']
    >>> accuracy = oracle.score(X, y)  # the best top-1 accuracy possible, about 0.4
    >>> bool(0.3 < accuracy < 0.55)
    True
    """

    _parameter_constraints: dict = {
        "sampler": [HasMethods(["next_event_proba"])],
    }

    def __init__(self, sampler):
        self.sampler = sampler

    @restore_on_failure
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Check the data against the sampler and set ``classes_``; nothing is learnt.

        Parameters
        ----------
        X : list of sequences of events, pandas Series, or 2-D array-like
            Histories whose events are all events of the sampler.
        y : array-like of shape (n_samples,)
            The next event of each history, each an event of the sampler.
        sample_weight : array-like of shape (n_samples,), default=None
            Checked and ignored: there is nothing to weigh.

        Returns
        -------
        self : BayesOracleClassifier
            The fitted classifier.
        """
        histories = check_histories(X, estimator=self, reset=True)
        y = check_labels(y, len(histories))
        _check_sample_weight(sample_weight, histories, ensure_non_negative=True)
        sampler = clone(self.sampler, safe=False)
        # Ask for one distribution now, so that a sampler with a bad transition map or
        # start distribution fails here, in fit, rather than at the first prediction.
        sampler.next_event_proba([()])
        events = list(sampler.event_labels)
        if not events:
            raise ValueError("The sampler has no events.")
        known = set(events)
        _check_known_events(histories, known)
        unknown_labels = set(y.tolist()) - known
        if unknown_labels:
            raise ValueError(
                f"y holds labels that the sampler never emits: "
                f"{sorted_labels(unknown_labels)[:5]}; the sampler's events are {events}."
            )
        classes = sorted_labels(events)
        self.classes_ = _label_array(classes)
        # The sampler's columns, reordered to follow classes_.
        position = {event: j for j, event in enumerate(events)}
        self._columns = np.array([position[event] for event in classes], dtype=np.intp)
        self.sampler_ = sampler
        return self

    def predict_proba(self, X):
        """The true probability of each next event after each history.

        Parameters
        ----------
        X : list of sequences of events, pandas Series, or 2-D array-like
            Histories whose events are all events of the sampler.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``; rows sum to 1.
        """
        check_is_fitted(self)
        histories = check_histories(X, estimator=self, reset=False)
        _check_known_events(histories, set(self.classes_.tolist()))
        return self.sampler_.next_event_proba(histories)[:, self._columns]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # It learns nothing from the data, so it cannot fit the random data of
        # scikit-learn's checks well; this is the tag's meaning.
        tags.classifier_tags.poor_score = True
        return tags


def _check_known_events(histories, known):
    """Raise a ValueError naming the first event that the sampler never emits."""
    if known.issuperset(chain.from_iterable(histories)):
        return
    for i, history in enumerate(histories):
        if not known.issuperset(history):
            event = next(e for e in history if e not in known)
            raise ValueError(
                f"X[{i}] holds the event {event!r}, which the sampler never emits: the "
                "true next-event distribution is only defined for histories of the "
                f"sampler's events {sorted_labels(known)}."
            )


def _label_array(labels):
    """Labels as an array of their natural dtype (str or int) or of objects.

    Element by element for objects, so that tuple labels do not unpack.
    """
    if all(isinstance(e, str) for e in labels) or all(
        isinstance(e, (int, np.integer)) and not isinstance(e, bool) for e in labels
    ):
        array = np.asarray(labels)
        if array.dtype != object:
            return array
    array = np.empty(len(labels), dtype=object)
    for i, label in enumerate(labels):
        array[i] = label
    return array
