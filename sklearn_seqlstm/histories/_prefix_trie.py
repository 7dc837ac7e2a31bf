"""Number every distinct history once: a trie of event sequences.

Asking "was this exact history seen before?" for every prefix of long sequences by
hashing each prefix as a tuple costs O(L²) per sequence. A trie walks each sequence
once: a node stands for one distinct history (the path of events from the root), and
the histories of a run of prefixes are read off one walk. Histories compare by their
events only, whatever attributes they carry.
"""

import numpy as np

from ._histories import history_runs
from ._prefixes import PrefixHistories

__all__ = ["PrefixTrie", "whole_sequences"]


class PrefixTrie:
    """A trie of event sequences: node 0 is the empty history.

    ``add`` grows the trie; ``nodes`` reads the node of each history without
    growing it (-1 for a history no added sequence begins with).
    """

    def __init__(self):
        self._children = {}
        self.n_nodes = 1

    def walk(self, sequence, *, grow):
        """The nodes along ``sequence``: ``path[t]`` is the node of ``sequence[:t]``.

        Without ``grow`` the path stops where the trie does, so it may be shorter
        than ``len(sequence) + 1``.
        """
        children = self._children
        node = 0
        path = [0]
        for event in sequence:
            child = children.get((node, event))
            if child is None:
                if not grow:
                    break
                child = children[(node, event)] = self.n_nodes
                self.n_nodes += 1
            node = child
            path.append(node)
        return path

    def add(self, sequences):
        """Add sequences; return the node of each whole sequence (an int array)."""
        return np.array(
            [self.walk(sequence, grow=True)[-1] for sequence in sequences], dtype=np.int64
        )

    def find(self, sequences):
        """The node of each whole sequence, -1 where the trie does not hold it all."""
        nodes = np.full(len(sequences), -1, dtype=np.int64)
        for i, sequence in enumerate(sequences):
            path = self.walk(sequence, grow=False)
            if len(path) == len(sequence) + 1:
                nodes[i] = path[-1]
        return nodes

    def nodes(self, histories, *, grow=False):
        """The node of each history (checked histories: a list of tuples or PrefixHistories).

        Each run of histories that are prefixes of one another is walked once,
        along its longest history. Without ``grow``, a history the trie does not
        hold gets -1.
        """
        run, lengths, longest = _runs(histories)
        paths = [self.walk(sequence, grow=grow) for sequence in longest]
        sizes = np.fromiter(map(len, paths), dtype=np.int64, count=len(paths))
        flat = np.fromiter(
            (node for path in paths for node in path), dtype=np.int64, count=int(sizes.sum())
        )
        offsets = np.cumsum(sizes) - sizes
        found = lengths < sizes[run]
        nodes = np.full(len(lengths), -1, dtype=np.int64)
        nodes[found] = flat[offsets[run[found]] + lengths[found]]
        return nodes


def _runs(histories, groups=None):
    """Group histories into runs of prefixes of one sequence.

    With ``groups`` (lists only), a run also ends where the group changes.
    Returns ``run`` (the run of each history), ``lengths`` (each history's length)
    and ``longest`` (per run, a sequence that every history of the run begins).
    """
    if isinstance(histories, PrefixHistories):
        used, run = np.unique(histories.sequence_index, return_inverse=True)
        lengths = histories.lengths
        longest_length = np.zeros(len(used), dtype=np.int64)
        np.maximum.at(longest_length, run, lengths)
        longest = [
            histories.sequences[s][:n]
            for s, n in zip(used.tolist(), longest_length.tolist(), strict=True)
        ]
        return run.reshape(-1), lengths, longest
    lengths = np.fromiter(map(len, histories), dtype=np.int64, count=len(histories))
    try:
        ends = ~history_runs(histories)
    except (TypeError, ValueError):  # events whose == is no bool: every history alone
        ends = np.ones(len(histories), dtype=bool)
    if groups is not None:
        ends = ends | np.r_[groups[1:] != groups[:-1], True]
    # A run ends at each history that is no prefix of the next one.
    run = np.cumsum(ends) - ends
    longest = [histories[i] for i in np.flatnonzero(ends).tolist()]
    return run, lengths, longest


def whole_sequences(histories, y=None, groups=None):
    """The sequence of each run of histories, with the next event when it is known.

    A run is a set of histories that are prefixes of one sequence. For a
    :class:`PrefixHistories` it is the histories of one stored sequence, and the
    whole sequence is that sequence cut after the next event of its longest
    history (so a split that keeps later events for the test side does not count
    them as training data). For a list of histories it is a stretch of histories
    each a prefix of the next, and the whole sequence is its longest history
    followed by that history's label in ``y``; without ``y``, the longest history
    alone. A list cannot tell where one sequence ends when its longest history
    is a prefix of the next sequence's first; ``groups`` (the sequence of each
    history, as from :meth:`MarkovMemorySampler.make_dataset`) can: a run then
    also ends where the group changes. ``groups`` is ignored for a
    ``PrefixHistories``, which knows its sequences.

    Returns
    -------
    sequences : list of tuple
        One sequence per run, in the order the runs first appear.
    run : ndarray of int
        The run of each history.
    """
    run, lengths, longest = _runs(histories, groups)
    if isinstance(histories, PrefixHistories):
        used = np.unique(histories.sequence_index)
        sequences = [
            histories.sequences[s][: len(head) + 1]
            for s, head in zip(used.tolist(), longest, strict=True)
        ]
        return sequences, run
    if y is None:
        return [tuple(sequence) for sequence in longest], run
    ends = np.flatnonzero(np.r_[run[1:] != run[:-1], True]).tolist()
    labels = np.asarray(y, dtype=object)
    return [(*histories[i], labels[i]) for i in ends], run
