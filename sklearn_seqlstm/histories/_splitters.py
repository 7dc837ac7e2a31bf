"""A cross-validation splitter for the leave-last-out protocol of sequential recommendation."""

import numpy as np
from sklearn.model_selection import BaseCrossValidator

# What lets GridSearchCV route groups to the splitter, as to LeaveOneGroupOut.
from sklearn.model_selection._split import GroupsConsumerMixin
from sklearn.utils.validation import _num_samples, column_or_1d

__all__ = ["LeaveLastOut"]


class LeaveLastOut(GroupsConsumerMixin, BaseCrossValidator):
    """Test on the last sample of each sequence, train on all the others.

    The protocol of sequential recommendation (RecBole, SASRec, BERT4Rec) as a
    scikit-learn splitter, for ``GridSearchCV`` and ``cross_validate``: each
    sequence (a group) gives its last sample to the test fold, and its earlier
    samples, whose histories are prefixes of the test history, to training. One
    split, so a search fits each candidate once and scores each sequence once.

    ``GroupKFold`` holds whole sequences out instead, and scores every prefix of
    them: its score weighs long sequences by their length, and scoring costs
    about as much as fitting.

    The last sample of a sequence is its last in the order of ``X``:
    :func:`samples_from_log` and :class:`MarkovMemorySampler` list the samples
    of each sequence in order, and the training part of
    :func:`leave_last_out_split` does too, so that a search on it tests each
    sequence's validation event.

    Examples
    --------
    >>> from sklearn_seqlstm import LeaveLastOut
    >>> X = [["a"], ["a", "b"], ["a", "b", "c"], ["x"], ["x", "y"]]
    >>> groups = [0, 0, 0, 1, 1]
    >>> for train, test in LeaveLastOut().split(X, groups=groups):
    ...     print(train.tolist(), test.tolist())
    [0, 1, 3] [2, 4]
    >>> LeaveLastOut().get_n_splits()
    1
    """

    def split(self, X, y=None, groups=None):
        """Indices of the training and test samples of the one split.

        Parameters
        ----------
        X : sequence of histories or array-like of shape (n_samples, ...)
            The samples; only their number is read.
        y : array-like of shape (n_samples,), default=None
            Ignored.
        groups : array-like of shape (n_samples,)
            The sequence (user, session, case) of each sample; required.

        Yields
        ------
        train : ndarray of int
            Every sample but the last of its sequence.
        test : ndarray of int
            The last sample of each sequence, in the order of ``X``.
        """
        return super().split(X, y, groups)

    def _iter_test_masks(self, X=None, y=None, groups=None):
        if groups is None:
            raise ValueError(
                "LeaveLastOut needs groups: the sequence of each sample, as samples_from_log "
                "returns it (pass groups= to split, or to GridSearchCV's fit)."
            )
        groups = column_or_1d(groups)
        n_samples = _num_samples(X)
        if len(groups) != n_samples:
            raise ValueError(f"groups has {len(groups)} values but X has {n_samples} samples.")
        # The last occurrence of each group: the first one in the reversed order.
        _, first_from_end = np.unique(groups[::-1], return_index=True)
        test = np.zeros(n_samples, dtype=bool)
        test[n_samples - 1 - first_from_end] = True
        yield test

    def get_n_splits(self, X=None, y=None, groups=None):
        """Number of splits: 1.

        Parameters
        ----------
        X, y, groups : object
            Ignored; present for the splitter API.

        Returns
        -------
        n_splits : int
            Always 1.
        """
        return 1
