"""The next events seen after each distinct training history, blended into the network's.

A history that recurs in training, as the prefixes of a repetitive process log
do, comes with the events that followed it: its counts. The network smooths
over similar histories and, trained for a budget, does not reproduce those
frequencies exactly. Their Dirichlet posterior mean, with the network's
prediction as a prior worth ``k`` samples::

    P(class | history) = (count(history, class) + k * P_network(class | history))
                         / (count(history) + k)

leans on the counts where a history was seen often and on the network where it
was seen rarely, and leaves a history never seen to the network alone. ``k`` is
chosen by leave-one-out on the training samples: each sample is predicted from
the other samples of its history and the network, and the ``k`` of a grid (or
none, the network alone) of highest weighted log-likelihood wins. On data whose
histories rarely repeat, or whose network is already as good as the counts,
that is the network alone.

The histories are the nodes of a trie of token ids (the marker first), kept as
a sorted array of edges: a batch of chains walks it level by level with numpy,
a stream moves down one edge per event, and a saved model holds plain arrays.
"""

import numpy as np

__all__ = ["MAX_HISTORIES", "PRIOR_WEIGHT_GRID", "HistoryCounts", "choose_prior_weight"]

#: The weights ``k`` that leave-one-out chooses among, beside infinity (the network
#: alone): from half a sample to a prior that outweighs all but the most frequent
#: histories.
PRIOR_WEIGHT_GRID = 2.0 ** np.arange(-1, 13)

#: The most distinct histories counted, the empty one included: what a log of unique
#: sequences costs is bounded by it (about 1 GB while counting), not by the log's
#: length. Past it, histories first met later, in the order of the chains, are not
#: counted and keep the network's prediction.
MAX_HISTORIES = 2**24


class HistoryCounts:
    """A trie of the training histories and the weighted next-event counts of each.

    Parameters
    ----------
    n_tokens : int
        Token ids are below it; an edge's key is ``parent * n_tokens + token``.
    n_classes : int
        Class indices are below it.
    scale_exponent : int
        The counts are stored divided by ``2 ** scale_exponent`` (the sample
        weights as the loss sees them, scaled by a power of two so that their
        sums stay finite); ``prior_weight`` is in samples, and is scaled alike.
    max_nodes : int
        The most nodes the trie grows to (see :data:`MAX_HISTORIES`).
    """

    def __init__(self, n_tokens, n_classes, scale_exponent=0, max_nodes=None):
        self.max_nodes = MAX_HISTORIES if max_nodes is None else int(max_nodes)
        self.n_tokens = int(n_tokens)
        self.n_classes = int(n_classes)
        self.scale_exponent = int(scale_exponent)
        self.prior_weight = np.inf
        self.edge_key = np.empty(0, dtype=np.int64)
        self.edge_child = np.empty(0, dtype=np.int64)
        self.count_node = np.empty(0, dtype=np.int64)
        self.count_offsets = np.zeros(1, dtype=np.int64)
        self.count_class = np.empty(0, dtype=np.int64)
        self.count_weight = np.empty(0, dtype=np.float64)
        self._pending = []  # (node, class, weight) arrays of chain sets not yet merged
        self._totals = None

    @property
    def n_nodes(self):
        """Nodes of the trie, the root (the empty token sequence) included."""
        return len(self.edge_key) + 1

    @property
    def n_histories(self):
        """Distinct histories with counts."""
        return len(self.count_node)

    # Building ---------------------------------------------------------------------------

    def add(self, chains):
        """Add the histories and weighted targets of the entries of a ChainSet."""
        nodes = self.entry_nodes(chains, grow=True)
        # Beyond max_nodes a history is not counted; nor is a weight that scaling
        # took to 0 (below 2**-1074 of the largest), absent as in training.
        counted = (nodes >= 0) & (chains.entry_weight > 0)
        self._pending.append(
            (
                nodes[counted],
                np.asarray(chains.entry_target, dtype=np.int64)[counted],
                chains.entry_weight[counted],
            )
        )
        return self

    def finish(self):
        """Merge the counts of every chain set added, by (node, class); returns self."""
        parts = zip(*self._pending, strict=True)
        nodes, classes, weights = (np.concatenate(part) for part in parts)
        self._pending = []
        keys, inverse = np.unique(nodes * self.n_classes + classes, return_inverse=True)
        # One entry per (history, class) in each chain set; a history in several chunks
        # of a log sums its weights, counts of whole samples, exact in any order.
        self.count_weight = np.bincount(inverse.reshape(-1), weights=weights)
        node, self.count_class = np.divmod(keys, self.n_classes)
        self.count_node, first = np.unique(node, return_index=True)
        self.count_offsets = np.append(first, len(keys)).astype(np.int64)
        self._totals = None
        return self

    def entry_nodes(self, chains, grow=False):
        """The node of each entry's history of a ChainSet (-1: none; see :meth:`walk`)."""
        node_of = self.walk(chains.tokens, chains.token_offsets, grow=grow)
        entry_chain = np.repeat(np.arange(chains.n_chains), chains.n_entries_per_chain)
        return node_of[chains.token_offsets[entry_chain] + chains.entry_position]

    def walk(self, tokens, offsets, grow=False):
        """The node of every token of chains laid back to back: its chain's prefix so far.

        ``tokens[offsets[c]:offsets[c + 1]]`` is chain ``c``. Without ``grow`` a
        prefix the trie lacks is -1, and so is every longer one.
        """
        lengths = np.diff(offsets)
        if grow and self.max_nodes * self.n_tokens >= 2**63:
            raise ValueError(
                f"{self.max_nodes:,} histories of {self.n_tokens:,} tokens are more than "
                "the counts of training histories can number; fit with history_counts=None."
            )
        node_of = np.full(len(tokens), -1, dtype=np.int64)
        node = np.zeros(len(lengths), dtype=np.int64)
        new_keys, new_children = [], []
        for depth in range(int(lengths.max(initial=0))):
            alive = np.flatnonzero((lengths > depth) & (node >= 0))
            if not len(alive):
                break
            at = offsets[alive] + depth
            key = node[alive] * self.n_tokens + tokens[at]
            child = self._child(key)
            missing = child < 0
            if grow and missing.any():
                # A parent made at the depth before has no edge yet: its keys are new.
                keys, inverse = np.unique(key[missing], return_inverse=True)
                first = self.n_nodes + sum(map(len, new_keys))
                room = max(self.max_nodes - first, 0)
                ids = first + np.arange(len(keys))
                ids[room:] = -1  # no room: these histories are not counted
                child[missing] = ids[inverse.reshape(-1)]
                new_keys.append(keys[:room])
                new_children.append(ids[:room])
            node[alive] = child
            node_of[at] = child
        if new_keys:
            # Sorted insertion, linear in the edges: a log in many chunks grows the
            # trie chunk by chunk, and sorting it all again each time would not be.
            keys = np.concatenate(new_keys)
            children = np.concatenate(new_children)
            order = np.argsort(keys, kind="stable")
            at = np.searchsorted(self.edge_key, keys[order])
            self.edge_key = np.insert(self.edge_key, at, keys[order])
            self.edge_child = np.insert(self.edge_child, at, children[order])
        return node_of

    def _child(self, key):
        """The child of each edge key, -1 where the trie has no such edge."""
        if not len(self.edge_key):
            return np.full(len(key), -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.edge_key, key), len(self.edge_key) - 1)
        return np.where(self.edge_key[at] == key, self.edge_child[at], -1)

    def child(self, node, token):
        """The node one token below ``node`` (-1 for none, or when ``node`` is -1).

        Scalar work only: a stream takes this step at every event.
        """
        if node < 0:
            return -1
        key = node * self.n_tokens + int(token)
        at = int(self.edge_key.searchsorted(key))
        if at < len(self.edge_key) and self.edge_key[at] == key:
            return int(self.edge_child[at])
        return -1

    def node(self, tokens):
        """The node of one token sequence (-1: no training history)."""
        node = 0
        for token in tokens:
            node = self.child(node, token)
            if node < 0:
                break
        return node

    # Predicting -------------------------------------------------------------------------

    def _rows(self, nodes):
        """The count row of each node, -1 for a node with no counts (or -1)."""
        if not len(self.count_node):
            return np.full(len(nodes), -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.count_node, nodes), len(self.count_node) - 1)
        return np.where((nodes >= 0) & (self.count_node[at] == nodes), at, -1)

    def totals(self):
        """The summed count weight of each row (stored scale)."""
        if self._totals is None:
            # reduceat of no rows would still give one element.
            rows = self.count_offsets[:-1]
            self._totals = np.add.reduceat(self.count_weight, rows) if len(rows) else np.empty(0)
        return self._totals

    def blend_one(self, proba, node):
        """:meth:`blend` of one row (1-D) after one node, with scalar work only."""
        if node < 0 or not len(self.count_node):
            return proba
        row = int(self.count_node.searchsorted(node))
        if row == len(self.count_node) or self.count_node[row] != node:
            return proba
        total = self.totals()[row]
        share = network_share(total, self.prior_weight, self.scale_exponent)
        start, end = self.count_offsets[row], self.count_offsets[row + 1]
        out = proba * share
        # The shares of the counts first: c / n is at most 1 whatever the weights' scale.
        out[self.count_class[start:end]] += (self.count_weight[start:end] / total) * (1 - share)
        return out

    def blend(self, proba, nodes):
        """``proba`` (float64 rows) with the counts of each row's node blended in."""
        rows = self._rows(np.asarray(nodes, dtype=np.int64))
        seen = np.flatnonzero(rows >= 0)
        if not len(seen):
            return proba
        rows = rows[seen]
        totals = self.totals()[rows]
        share = network_share(totals, self.prior_weight, self.scale_exponent)
        out = np.array(proba, dtype=np.float64)
        out[seen] *= share[:, None]
        starts = self.count_offsets[rows]
        sizes = self.count_offsets[rows + 1] - starts
        at = np.repeat(starts - np.cumsum(sizes) + sizes, sizes) + np.arange(sizes.sum())
        # The shares of the counts first: c / n is at most 1 whatever the weights' scale.
        out[np.repeat(seen, sizes), self.count_class[at]] += (
            self.count_weight[at] / np.repeat(totals, sizes)
        ) * np.repeat(1 - share, sizes)
        return out

    # Choosing k -------------------------------------------------------------------------

    def repeated(self):
        """The (node, class, count, total) of the counts that leave-one-out can score.

        Leaving one sample out of a history seen once leaves nothing to predict
        it from: only histories of more than one sample's weight say anything of
        ``k``. One sample is a weight of 1, or the whole count where it is less.
        """
        unit = np.ldexp(1.0, -self.scale_exponent)
        sizes = np.diff(self.count_offsets)
        totals = np.repeat(self.totals(), sizes)
        left_out = np.minimum(unit, self.count_weight)
        scored = np.flatnonzero(totals - left_out > 0)
        nodes = np.repeat(self.count_node, sizes)[scored]
        return nodes, self.count_class[scored], self.count_weight[scored], totals[scored]

    def prefix_layout(self, nodes):
        """The nodes as prefixes of a few token sequences, each sequence built once.

        Returns ``(sequences, sequence_index, lengths)`` as
        :func:`~._chains.chains_from_prefixes` takes them: node ``i`` is
        ``sequences[sequence_index[i]][:lengths[i] + 1]`` (the marker, then
        ``lengths[i]`` events). A node that is an ancestor of another is read off
        that one's sequence, so the work is that of the deepest nodes' paths, not
        of every node's.
        """
        parent = np.zeros(self.n_nodes, dtype=np.int64)
        token = np.zeros(self.n_nodes, dtype=np.int64)
        parent[self.edge_child], token[self.edge_child] = np.divmod(self.edge_key, self.n_tokens)
        depth = self.depths(parent)
        nodes = np.asarray(nodes, dtype=np.int64)
        wanted = dict.fromkeys(nodes.tolist(), -1)
        parent_list, token_list = parent.tolist(), token.tolist()
        sequences = []
        for node in nodes[np.argsort(-depth[nodes], kind="stable")].tolist():
            if wanted[node] >= 0:
                continue
            path, up = [], node
            while up:
                path.append(token_list[up])
                if wanted.get(up) == -1:
                    wanted[up] = len(sequences)
                up = parent_list[up]
            sequences.append(tuple(reversed(path)))
        sequence_index = np.array([wanted[n] for n in nodes.tolist()], dtype=np.int64)
        return sequences, sequence_index, depth[nodes] - 1

    def depths(self, parent):
        """The depth of every node (the root's 0), by pointer doubling over ``parent``."""
        depth = np.ones(self.n_nodes, dtype=np.int64)
        depth[0] = 0
        up = parent.copy()
        while up.any():
            depth += np.where(up > 0, depth[up], 0)
            up = up[up]
        return depth


def choose_prior_weight(counts, totals, proba, scale_exponent, grid=PRIOR_WEIGHT_GRID):
    """The ``k`` of ``grid`` (or inf) that best predicts each sample from its history's others.

    Parameters
    ----------
    counts, totals : ndarray of float
        For each scored (history, class): its count and its history's total, in
        the stored scale.
    proba : ndarray of float
        The network's probability of the class after the history.
    scale_exponent : int
        The counts' scale: one sample is ``2 ** -scale_exponent``.

    Returns
    -------
    float
        The weight, in samples; inf (the network alone) when nothing is scored,
        or when no ``k`` of the grid does better than the network, ties going to
        the larger ``k``.
    """
    if not len(counts):
        return np.inf
    left_out = np.minimum(np.ldexp(1.0, -scale_exponent), counts)
    others, of_class = totals - left_out, counts - left_out
    with np.errstate(divide="ignore"):
        scores = [float(np.sum(counts * np.log(proba)))]  # k = inf
        for k in np.asarray(grid, dtype=np.float64)[::-1]:
            share = network_share(others, k, scale_exponent)
            loo = share * proba + (1 - share) * (of_class / others)
            scores.append(float(np.sum(counts * np.log(loo))))
    candidates = [np.inf, *np.asarray(grid, dtype=np.float64)[::-1].tolist()]
    # The first of the best: the network alone, then the largest k.
    return candidates[int(np.argmax(scores))]


def network_share(totals, prior_weight, scale_exponent):
    """``k / (n + k)``, the network's share of the blend, for totals n in the stored scale.

    Written as ``1 / (1 + n / k)``, it is exact at both ends whatever the scale:
    1 for k = inf (or a k too large for the scale), 0 for k = 0.
    """
    k = np.ldexp(float(prior_weight), -scale_exponent)
    with np.errstate(divide="ignore", over="ignore"):
        return 1.0 / (1.0 + np.asarray(totals, dtype=np.float64) / k)
