"""PrefixHistories: every prefix of many event sequences, stored once.

Holding each prefix of a sequence of length L as its own list costs O(L^2)
memory; a log of 6 million events would need billions of references. Here a
sample is a (sequence, length) pair and the sequences are stored once: O(L).
The object is a read-only sequence of histories, so it goes wherever a list of
histories goes; scikit-learn's splitters index it without copying histories.
"""

import numbers
from collections.abc import Sequence

import numpy as np

__all__ = ["PrefixHistories"]


class PrefixHistories(Sequence):
    """Histories that are prefixes of shared event sequences.

    ``X[i]`` is ``tuple(sequences[sequence_index[i]][:lengths[i]])``. Indexing with
    a slice, an integer array or a boolean mask returns another
    ``PrefixHistories`` over the same sequences, without copying them.

    :class:`NextEventClassifier` recognises it and builds its training chains
    straight from the sequences, in O(number of events); every other estimator
    reads it as the sequence of tuples it is.

    Parameters
    ----------
    sequences : sequence of sequences of events
        The event sequences, each stored once (as a tuple).
    sequence_index : array-like of int, shape (n_samples,)
        The sequence each history is a prefix of.
    lengths : array-like of int, shape (n_samples,)
        The length of each history, from 0 (the empty history) to the length of
        its sequence.

    See Also
    --------
    PrefixHistories.from_sequences : Every prefix and its next event.

    Examples
    --------
    >>> from sklearn_seqlstm import PrefixHistories
    >>> X, y, groups = PrefixHistories.from_sequences([["A", "B", "C"], ["B", "A"]])
    >>> list(X)
    [('A',), ('A', 'B'), ('B',)]
    >>> y.tolist(), groups.tolist()
    (['B', 'C', 'A'], [0, 0, 1])
    >>> X[1:]
    PrefixHistories(n_histories=2, n_sequences=2)
    """

    def __init__(self, sequences, sequence_index, lengths):
        self.sequences = [tuple(sequence) for sequence in sequences]
        self.sequence_index = _integers(sequence_index, "sequence_index")
        self.lengths = _integers(lengths, "lengths")
        if self.sequence_index.shape != self.lengths.shape:
            raise ValueError(
                f"sequence_index and lengths must have the same length; got "
                f"{len(self.sequence_index)} and {len(self.lengths)}."
            )
        if len(self.lengths):
            if self.sequence_index.min() < 0 or self.sequence_index.max() >= len(self.sequences):
                raise ValueError(
                    f"sequence_index must lie in [0, {len(self.sequences)}); got values from "
                    f"{self.sequence_index.min()} to {self.sequence_index.max()}."
                )
            available = np.fromiter(map(len, self.sequences), dtype=np.int64)
            too_long = np.flatnonzero(
                (self.lengths < 0) | (self.lengths > available[self.sequence_index])
            )
            if len(too_long):
                i = too_long[0]
                raise ValueError(
                    f"lengths[{i}] = {self.lengths[i]} does not fit sequence "
                    f"{self.sequence_index[i]} of length {available[self.sequence_index[i]]}."
                )

    @classmethod
    def from_sequences(cls, sequences, *, min_history=1):
        """Every prefix of every sequence, its next event and its sequence.

        Parameters
        ----------
        sequences : sequence of sequences of events
            The event sequences.
        min_history : int, default=1
            The shortest history kept; 0 also keeps the empty history.

        Returns
        -------
        X : PrefixHistories
            The histories ``sequence[:t]`` for ``t = min_history .. len(sequence) - 1``.
        y : ndarray of shape (n_samples,)
            The next event ``sequence[t]`` of each history.
        groups : ndarray of int, shape (n_samples,)
            The sequence of each history, for :class:`~sklearn.model_selection.GroupKFold`.
        """
        if not isinstance(min_history, numbers.Integral) or min_history < 0:
            raise ValueError(f"min_history must be a non-negative integer; got {min_history!r}.")
        sequences = [tuple(sequence) for sequence in sequences]
        sizes = np.fromiter(map(len, sequences), dtype=np.int64, count=len(sequences))
        n_prefixes = np.maximum(sizes - min_history, 0)
        groups = np.repeat(np.arange(len(sequences)), n_prefixes)
        # Position within each run of prefixes, from 0: lengths min_history, min_history + 1, ...
        starts = np.repeat(np.cumsum(n_prefixes) - n_prefixes, n_prefixes)
        lengths = np.arange(len(groups)) - starts + min_history
        y = np.array(
            [sequences[s][t] for s, t in zip(groups.tolist(), lengths.tolist(), strict=True)]
        )
        return cls(sequences, groups, lengths), y, groups

    @property
    def shape(self):
        """``(n_histories,)``: one dimension, as a list of histories has.

        With a ``shape``, scikit-learn's splitters index with ``X[indices, ...]``
        (see ``__getitem__``) rather than copying the histories one by one.
        """
        return (len(self.lengths),)

    def __len__(self):
        return len(self.lengths)

    def __getitem__(self, key):
        if isinstance(key, tuple) and len(key) == 2 and key[1] is Ellipsis:
            key = key[0]  # scikit-learn's _safe_indexing asks for X[indices, ...]
        if isinstance(key, numbers.Integral):
            return self.sequences[self.sequence_index[key]][: self.lengths[key]]
        rows = np.arange(len(self.lengths))[key]
        return self.view(self.sequence_index[rows], self.lengths[rows])

    def view(self, sequence_index, lengths):
        """Other histories over the same sequences, sharing them (nothing is checked)."""
        subset = type(self).__new__(type(self))
        subset.__dict__.update(self.__dict__)
        subset.sequence_index = np.asarray(sequence_index, dtype=np.int64)
        subset.lengths = np.asarray(lengths, dtype=np.int64)
        return subset

    def used_sequences(self):
        """Each sequence cut to its longest prefix in use.

        Returns
        -------
        sequences : list of tuple
            One tuple per sequence, in order; a sequence no history uses is empty.
        """
        longest = np.zeros(len(self.sequences), dtype=np.int64)
        np.maximum.at(longest, self.sequence_index, self.lengths)
        return [sequence[:n] for sequence, n in zip(self.sequences, longest.tolist(), strict=True)]

    def __repr__(self):
        return f"PrefixHistories(n_histories={len(self)}, n_sequences={len(self.sequences)})"


def _integers(values, name):
    """``values`` as a 1-D int64 array; a ValueError on any value that is no integer.

    numpy's cast would truncate 0.5 to 0 and read True as 1: a history of another
    sequence or length, silently.
    """
    array = np.asarray(values)
    if array.dtype.kind in "iu":
        return array.astype(np.int64, copy=False).reshape(-1)
    if array.size == 0:
        return np.zeros(0, dtype=np.int64)
    if array.dtype.kind == "f":
        whole = np.isfinite(array) & (array == np.round(array)) & (np.abs(array) < 2.0**63)
        if whole.all():
            return array.astype(np.int64).reshape(-1)
        bad = array.reshape(-1)[np.flatnonzero(~whole.reshape(-1))[0]]
        raise ValueError(f"{name} must hold integers; got {bad.item()!r}.")
    example = array.reshape(-1)[0]
    raise ValueError(f"{name} must hold integers; got {array.dtype} values such as {example!r}.")
