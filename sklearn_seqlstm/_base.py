"""What every classifier of histories here shares."""

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from ._recommend import RecommendMixin

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

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Events are categories, whatever their type.
        tags.input_tags.categorical = True
        return tags
