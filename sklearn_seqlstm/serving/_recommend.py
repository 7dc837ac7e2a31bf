"""``recommend``: the k most probable next events, shared by every classifier here.

The ranking is the one of ``predict``: by probability, ties to the class that
comes first in ``classes_`` (``np.argmax``'s rule), so ``recommend(X, 1)[:, 0]``
is ``predict(X)`` exactly, ties included. :func:`top_k_indices` does the ranking
with ``np.argpartition`` (O(n_classes) per row) and sorts only the k kept.
"""

import numbers

import numpy as np
from sklearn.utils.validation import check_is_fitted

__all__ = ["RecommendMixin", "check_k", "seen_mask", "top_k_indices"]

# Scores ranked per block in top_k_indices.
_CHUNK = 1 << 20


def check_k(k, n_classes):
    """Return ``k`` as an int, or raise a clear error for a bad one.

    ``k`` larger than the number of classes is an error, not clipped: a caller
    that asks for 10 next events and silently gets 5 would size its page wrong.
    """
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise TypeError(f"k must be an integer, got {type(k).__name__} ({k!r}).")
    k = int(k)
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}.")
    if k > n_classes:
        raise ValueError(
            f"k={k} exceeds the number of classes ({n_classes}): at most {n_classes} "
            "events can be recommended."
        )
    return k


def top_k_indices(scores, k):
    """Column indices of the k largest scores of each row, best first.

    Ties go to the smaller column index, as with ``np.argmax``. ``-inf`` marks
    a column that must not be chosen; rows with fewer than k other columns get
    ``-1`` in the remaining places.

    Parameters
    ----------
    scores : ndarray of shape (n_samples, n_classes)
    k : int
        At most ``n_classes``.

    Returns
    -------
    indices : ndarray of int64, shape (n_samples, k)
    """
    n_samples, n_classes = scores.shape
    rows = max(1, _CHUNK // max(n_classes, 1))
    if n_samples > rows:
        # In blocks of rows: the temporaries below are a few times the block's size,
        # not a few times the whole matrix (10,000 rows x 10,000 classes is 800 MB).
        return np.concatenate(
            [top_k_indices(scores[i : i + rows], k) for i in range(0, n_samples, rows)]
        )
    if k == 1:
        top = np.argmax(scores, axis=1)[:, None]
    else:
        if k < n_classes:
            top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
            top.sort(axis=1)
            kept = np.take_along_axis(scores, top, axis=1)
            kth = kept.min(axis=1, keepdims=True)
            # argpartition breaks a tie at the k-th value arbitrarily: where a column
            # equal to it was left out, rank the row fully, as argmax would.
            ambiguous = np.flatnonzero((scores == kth).sum(axis=1) > (kept == kth).sum(axis=1))
            if len(ambiguous):
                full = np.argsort(-scores[ambiguous], axis=1, kind="stable")[:, :k]
                top[ambiguous] = np.sort(full, axis=1)
                kept[ambiguous] = np.take_along_axis(scores[ambiguous], top[ambiguous], axis=1)
        else:
            top = np.broadcast_to(np.arange(n_classes), (n_samples, n_classes))
            kept = scores
        # A stable sort of the kept columns (in ascending order) by descending score.
        top = np.take_along_axis(top, np.argsort(-kept, axis=1, kind="stable"), axis=1)
    top = np.asarray(top, dtype=np.int64)
    excluded = np.take_along_axis(scores, top, axis=1) == -np.inf
    if excluded.any():
        top = np.where(excluded, -1, top)
    return top


def seen_mask(histories, classes):
    """Boolean (n_samples, n_classes): whether each class occurs in each history."""
    index = {label: i for i, label in enumerate(np.asarray(classes).tolist())}
    mask = np.zeros((len(histories), len(index)), dtype=bool)
    for row, history in enumerate(histories):
        columns = [index[e] for e in set(history) if e in index]
        mask[row, columns] = True
    return mask


def labels_and_proba(classes, proba, top, return_proba):
    """The labels (and probabilities) at ``top`` from :func:`top_k_indices`.

    Places marked -1 (nothing left to recommend) hold None and probability NaN;
    the label array is then of object dtype.
    """
    missing = top < 0
    labels = classes[np.where(missing, 0, top)]
    if missing.any():
        labels = labels.astype(object)
        labels[missing] = None
    if not return_proba:
        return labels
    probabilities = np.take_along_axis(proba, np.where(missing, 0, top), axis=1)
    probabilities[missing] = np.nan
    return labels, probabilities


class RecommendMixin:
    """``recommend(X, k)``: the k most probable next events, from ``predict_proba``."""

    def recommend(self, X, k=10, *, exclude_seen=False, return_proba=False):
        """The ``k`` most probable next events after each history, best first.

        Parameters
        ----------
        X : list of sequences of events, pandas Series, or 2-D array-like
            The histories, as for :meth:`predict_proba`.
        k : int, default=10
            How many events to recommend per history, from 1 to the number of
            classes. A larger ``k`` is an error (nothing is clipped silently).
        exclude_seen : bool, default=False
            Never recommend an event that the history already holds (films
            already rated, items already bought). A history that holds all but
            fewer than ``k`` classes gets None (probability NaN) in the places
            left over, and the returned labels are then of object dtype.
        return_proba : bool, default=False
            Also return the probability of each recommended event.

        Returns
        -------
        events : ndarray of shape (n_samples, k)
            Labels from ``classes_``, most probable first. Ties are broken as
            :meth:`predict` breaks them (the class first in ``classes_`` wins),
            so ``recommend(X, 1)[:, 0]`` equals ``predict(X)``.
        proba : ndarray of shape (n_samples, k)
            Their probabilities, only with ``return_proba=True``.

        Examples
        --------
        >>> from sklearn_seqlstm import MarkovChainClassifier
        >>> X = [["a", "b"], ["b", "c"], ["a", "b"], ["c", "a"]]
        >>> clf = MarkovChainClassifier(alpha=0.0).fit(X, ["c", "a", "c", "b"])
        >>> clf.recommend([["x", "b"]], k=2).tolist()
        [['c', 'a']]
        >>> clf.recommend([["c", "b"]], k=2, exclude_seen=True).tolist()
        [['a', None]]
        """
        check_is_fitted(self)
        k = check_k(k, len(self.classes_))
        if not isinstance(exclude_seen, (bool, np.bool_)):
            raise TypeError(f"exclude_seen must be True or False, got {exclude_seen!r}.")
        proba = self.predict_proba(X)
        scores = proba
        if exclude_seen:
            from ..histories._histories import (
                check_histories,  # X is valid: predict_proba checked it
            )

            scores = np.where(seen_mask(check_histories(X), self.classes_), -np.inf, proba)
        top = top_k_indices(scores, k)
        return labels_and_proba(self.classes_, proba, top, return_proba)
