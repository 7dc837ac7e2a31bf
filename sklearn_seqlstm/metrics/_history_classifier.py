"""What every classifier of histories here shares: predict, score, recommend, tags."""

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.metrics import accuracy_score
from sklearn.utils.validation import check_is_fitted

from ._recommend import RecommendMixin
from ._scoring import check_weights

__all__ = ["HistoryClassifierMixin"]


class HistoryClassifierMixin(RecommendMixin, ClassifierMixin):
    """``predict`` as the most probable class, ``recommend``, and the tags of history input."""

    def predict(self, X):
        """The most probable class after each history.

        Parameters
        ----------
        X : list of sequences of events, pandas Series, or 2-D array-like
            The histories.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels, taken from ``classes_``; ties go to the first class.
        """
        check_is_fitted(self)
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def score(self, X, y, sample_weight=None):
        """Accuracy of :meth:`predict` on ``X`` against ``y``.

        As :meth:`sklearn.base.ClassifierMixin.score`, with weights checked as the
        scorers here check them: finite, non-negative, not all zero, and usable
        up to float64's largest (scikit-learn's mean overflows to NaN there).

        Parameters
        ----------
        X : list of sequences of events, pandas Series, or 2-D array-like
            The histories.
        y : array-like of shape (n_samples,)
            The true next event (or label) of each history.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples.

        Returns
        -------
        score : float
            The weighted fraction of histories whose next event is predicted.
        """
        if sample_weight is not None:
            sample_weight = check_weights(sample_weight, y)
        return accuracy_score(y, self.predict(X), sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Events are categories, whatever their type.
        tags.input_tags.categorical = True
        return tags
