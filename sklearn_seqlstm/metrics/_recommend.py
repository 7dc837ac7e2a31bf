"""``recommend``: the k most probable next events, shared by every classifier here.

The ranking is the one of ``predict``: by probability, ties to the class that
comes first in ``classes_`` (``np.argmax``'s rule), so ``recommend(X, 1)[:, 0]``
is ``predict(X)`` exactly, ties included. :func:`top_k_indices` does the ranking
with ``np.argpartition`` (O(n_classes) per row) and sorts only the k kept.
"""

import numbers

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ..histories._histories import check_histories
from ._blocks import proba_blocks, seen_mask

__all__ = [
    "CandidateRule",
    "RecommendMixin",
    "check_flag",
    "check_k",
    "rank_block",
    "recommend_one",
    "seen_mask",
    "top_k_indices",
]

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


def check_flag(value, name):
    """``value`` as a bool, or a TypeError naming the flag: "no" is not False."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}.")
    return bool(value)


class CandidateRule:
    """Which classes may be recommended: an allow-list (or a callable) and a deny-list.

    Parameters
    ----------
    classes : ndarray of shape (n_classes,)
    candidates : None, array-like of labels, or callable
        None allows every class. Labels allow those classes only, for every row;
        labels that are no class are ignored (they cannot be recommended). A
        callable is called with the row indices of a block of ``X`` (an integer
        array; ``[0]`` for a stream) and returns a boolean array of shape
        (len(rows), n_classes), True where the class may be recommended: rules
        per row (the user's region) without an n_samples x n_classes array.
    exclude : None or array-like of labels
        Classes never recommended, for every row.
    """

    def __init__(self, classes, candidates=None, exclude=None):
        self.n_classes = len(classes)
        self.allowed = np.ones(self.n_classes, dtype=bool)
        self.callable = None
        if callable(candidates):
            self.callable = candidates
        elif candidates is not None:
            self.allowed = _label_mask(classes, candidates, "candidates")
        if exclude is not None:
            self.allowed &= ~_label_mask(classes, exclude, "exclude")
        self.everything = self.callable is None and bool(self.allowed.all())

    def mask(self, rows):
        """Boolean (len(rows), n_classes) of the classes allowed in ``rows``, or None: all."""
        if self.everything:
            return None
        if self.callable is None:
            return np.broadcast_to(self.allowed, (len(rows), self.n_classes))
        allowed = self.callable(np.asarray(rows, dtype=np.int64))
        if not isinstance(allowed, np.ndarray) or allowed.dtype != bool:
            raise TypeError(
                "candidates(rows) must return a boolean numpy array of shape (len(rows), "
                f"n_classes); got {type(allowed).__name__} of dtype "
                f"{getattr(allowed, 'dtype', type(allowed).__name__)}."
            )
        if allowed.shape != (len(rows), self.n_classes):
            raise ValueError(
                "candidates(rows) must return a boolean array of shape (len(rows), n_classes) "
                f"= {(len(rows), self.n_classes)}; got {allowed.shape}."
            )
        return allowed & self.allowed


def _label_mask(classes, labels, name):
    """Boolean (n_classes,): which classes are among ``labels``."""
    if isinstance(labels, (str, bytes)) or not np.iterable(labels):
        raise TypeError(
            f"{name} must be a list of labels (or None"
            f"{', or a callable' if name == 'candidates' else ''}); got "
            f"{type(labels).__name__} ({labels!r})."
        )
    wanted = set(np.asarray(list(labels), dtype=object).tolist())
    return np.fromiter((label in wanted for label in classes.tolist()), bool, len(classes))


def rank_block(proba, k, keep, renormalize):
    """Top-k column indices of a block of rows and the probabilities to report.

    ``keep`` (boolean, shaped as ``proba``, or None for all) marks the classes
    that may be recommended. With ``renormalize``, the probabilities are divided
    by the total of the kept classes of their row: they are then the model's
    probabilities given that the next event is one of them.
    """
    if keep is None:
        return top_k_indices(proba, k), proba
    top = top_k_indices(np.where(keep, proba, -np.inf), k)
    if renormalize:
        total = np.where(keep, proba, 0.0).sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            proba = proba / total  # a row with nothing kept has only -1 places: NaN
    return top, proba


def recommend_one(stream, k, exclude_seen, candidates, exclude, renormalize, return_proba):
    """``HistoryStream.recommend``: the options of ``recommend`` for the stream's one row."""
    classes = stream._estimator.classes_
    k = check_k(k, len(classes))
    exclude_seen = check_flag(exclude_seen, "exclude_seen")
    renormalize = check_flag(renormalize, "renormalize")
    return_proba = check_flag(return_proba, "return_proba")
    keep = CandidateRule(classes, candidates, exclude).mask([0])
    if exclude_seen:
        unseen = ~stream.seen_classes()[None, :]
        keep = unseen if keep is None else keep & unseen
    top, proba = rank_block(stream.predict_proba()[None, :], k, keep, renormalize)
    result = labels_and_proba(classes, proba, top, return_proba)
    return tuple(part[0] for part in result) if return_proba else result[0]


class RecommendMixin:
    """``recommend(X, k)``: the k most probable next events, from ``predict_proba``."""

    def recommend(
        self,
        X,
        k=10,
        *,
        exclude_seen=False,
        candidates=None,
        exclude=None,
        renormalize=False,
        return_proba=False,
    ):
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
            already rated, items already bought).
        candidates : None, list of labels, or callable, default=None
            Recommend only these classes (an allow-list: in stock, in the
            user's region). A list applies to every history; labels that are no
            class are ignored. A callable is called with the row indices of a
            block of ``X`` (an integer array) and returns a boolean array of
            shape (len(rows), n_classes), True where the class of ``classes_``
            may be recommended to that row.
        exclude : None or list of labels, default=None
            Never recommend these classes (a deny-list), for every history.
        renormalize : bool, default=False
            With ``exclude_seen``, ``candidates`` or ``exclude``, divide the
            returned probabilities by the total probability of the classes that
            could be recommended to the row, so that they are the model's
            probabilities given that the next event is one of them. By default
            they are the model's own, as in :meth:`predict_proba`, and do not
            sum to 1 over what is left.
        return_proba : bool, default=False
            Also return the probability of each recommended event.

        Returns
        -------
        events : ndarray of shape (n_samples, k)
            Labels from ``classes_``, most probable first. Ties are broken as
            :meth:`predict` breaks them (the class first in ``classes_`` wins),
            so ``recommend(X, 1)[:, 0]`` equals ``predict(X)``. Where fewer than
            ``k`` classes may be recommended, the places left over hold None
            (probability NaN), and the labels are then of object dtype.
        proba : ndarray of shape (n_samples, k)
            Their probabilities, only with ``return_proba=True``.

        Notes
        -----
        The probabilities are computed a block of histories at a time and
        ranked at once, so memory is bounded by a block, not by the number of
        histories times the number of classes.

        Examples
        --------
        >>> from sklearn_seqlstm import MarkovChainClassifier
        >>> X = [["a", "b"], ["b", "c"], ["a", "b"], ["c", "a"]]
        >>> clf = MarkovChainClassifier(alpha=0.0).fit(X, ["c", "a", "c", "b"])
        >>> clf.recommend([["x", "b"]], k=2).tolist()
        [['c', 'a']]
        >>> clf.recommend([["c", "b"]], k=2, exclude_seen=True).tolist()
        [['a', None]]
        >>> clf.recommend([["x", "b"]], k=2, exclude=["c"]).tolist()
        [['a', 'b']]
        """
        check_is_fitted(self)
        classes = self.classes_
        k = check_k(k, len(classes))
        exclude_seen = check_flag(exclude_seen, "exclude_seen")
        renormalize = check_flag(renormalize, "renormalize")
        return_proba = check_flag(return_proba, "return_proba")
        rule = CandidateRule(classes, candidates, exclude)
        histories, predict_proba = self._recommend_input(X)
        labels, probabilities = [], []
        for rows, part, proba in proba_blocks(predict_proba, histories, len(classes)):
            keep = rule.mask(rows)
            if exclude_seen:
                unseen = ~seen_mask(part, classes)
                keep = unseen if keep is None else keep & unseen
            top, proba = rank_block(proba, k, keep, renormalize)
            block_labels, block_proba = labels_and_proba(classes, proba, top, True)
            labels.append(block_labels)
            probabilities.append(block_proba)
        labels = labels[0] if len(labels) == 1 else np.concatenate(labels)
        if not return_proba:
            return labels
        return labels, (
            probabilities[0] if len(probabilities) == 1 else np.concatenate(probabilities)
        )

    def _recommend_input(self, X):
        """The checked histories of ``X``, and the function that gives their probabilities."""
        return check_histories(X, estimator=self, reset=False), self.predict_proba
