"""One pass per chain: group (history, label) samples into chains that share prefixes.

An LSTM is causal: one pass over a sequence of tokens yields the hidden state
after every prefix. So every sample whose history is a prefix of a longer history
can be served by the pass over that longer history. The chains are the histories
that are a prefix of no other, and a history is served by the first chain, in
lexicographic order, that starts with it. Sorting makes this cheap: a history
that is a prefix of any other is a prefix of its lexicographic successor. And
histories are usually listed prefix after prefix of one sequence, so only the
last of such a run is encoded and sorted; the others are positions in it.

Each sample becomes an *entry* (chain, position, target, weight): the model's
output at ``position`` of the chain is its prediction. Duplicate (history,
target) pairs become one entry whose weight is their summed sample weight, so
the training loss is exactly the weighted sum of per-sample losses; only the
work changes, from O(L^2) to O(L) per chain of length L.
"""

import dataclasses
from dataclasses import dataclass
from itertools import chain as _concat

import numpy as np
import torch

from ..histories._histories import history_runs, prefix_of_next

__all__ = [
    "ChainSet",
    "ChainDataset",
    "ChainLoader",
    "canonical_chains",
    "chains_from_prefixes",
    "group_into_chains",
]


@dataclass(frozen=True)
class ChainSet:
    """Chains of token ids and the sample entries read off them.

    Attributes
    ----------
    tokens : ndarray of int64
        Every chain's tokens, back to back.
    token_offsets : ndarray of int64, shape (n_chains + 1,)
        Chain ``c`` is ``tokens[token_offsets[c]:token_offsets[c + 1]]``.
    entry_position, entry_target, entry_weight : ndarray, shape (n_entries,)
        Output index within the chain, target (a class index, -1 at predict time,
        or a float for regression) and summed sample weight of each entry.
        Entries are grouped by chain.
    entry_offsets : ndarray of int64, shape (n_chains + 1,)
        The entries of chain ``c`` are ``entry_offsets[c]:entry_offsets[c + 1]``.
    sample_entry : ndarray of int64, shape (n_samples,)
        The entry that holds each input sample.
    """

    tokens: np.ndarray
    token_offsets: np.ndarray
    entry_position: np.ndarray
    entry_target: np.ndarray
    entry_weight: np.ndarray
    entry_offsets: np.ndarray
    sample_entry: np.ndarray
    #: For attributed histories, the tokens are rows of this step table (see
    #: :mod:`._steps`), whose event tokens and attributes are looked up per batch.
    steps: object = None

    @property
    def n_chains(self):
        return len(self.token_offsets) - 1

    @property
    def chain_lengths(self):
        return np.diff(self.token_offsets)

    @property
    def n_entries_per_chain(self):
        return np.diff(self.entry_offsets)


def group_into_chains(histories, targets=None, weights=None, encode=None):
    """Group encoded histories into chains.

    Parameters
    ----------
    histories : list of tuple
        Token ids of each sample's history, including its leading marker token,
        so that no history is empty; or, with ``encode``, the histories it encodes.
    targets : array-like of int, default=None
        Class index of each sample; None at predict time.
    weights : array-like of float, default=None
        Sample weights; None means 1. Samples of weight 0 must be removed before.
    encode : callable, default=None
        Maps a list of histories to their token tuples, event by event after the
        marker, so that a prefix of a history encodes to a prefix of its encoding.
        It is called only on the histories that are not a prefix of the next one:
        with histories listed prefix after prefix, a small share of the events.

    Returns
    -------
    ChainSet
    """
    if not isinstance(histories, list):
        histories = list(histories)
    n_events = np.fromiter(map(len, histories), dtype=np.int64, count=len(histories))
    # A run is histories each a prefix of the next; its last history, the top,
    # encodes them all: each sample's tokens are its top's first `sample_length`.
    tops = np.flatnonzero(~history_runs(histories))
    top_tokens = [histories[t] for t in tops.tolist()]
    if encode is not None:
        top_tokens = encode(top_tokens)
    top_length = np.fromiter(map(len, top_tokens), dtype=np.int64, count=len(tops))
    sample_top = np.searchsorted(tops, np.arange(len(histories)))
    sample_length = top_length[sample_top] - n_events[tops[sample_top]] + n_events

    # The chains are the leaves: the tops that are no prefix of their lexicographic
    # successor (nor equal to it). Each top is a prefix of the first leaf after it.
    order = np.array(sorted(range(len(tops)), key=top_tokens.__getitem__), dtype=np.int64)
    ordered = [top_tokens[t] for t in order.tolist()]
    is_leaf = ~prefix_of_next(ordered, top_length[order])
    leaves = [t for t, leaf in zip(ordered, is_leaf.tolist(), strict=True) if leaf]
    top_leaf = np.empty(len(tops), dtype=np.int64)
    top_leaf[order] = len(leaves) - np.cumsum(is_leaf[::-1])[::-1]
    leaf_offsets, node = _prefix_nodes(leaves)

    # A sample's history ends at a token of its top's leaf; `node` moves it to the
    # first leaf that starts with that history, which is the chain that serves it
    # (the tokens of sorted leaves, in order, are the histories in sorted order).
    sample_node = node[leaf_offsets[top_leaf[sample_top]] + sample_length - 1]
    node_leaf = np.repeat(np.arange(len(leaves)), np.diff(leaf_offsets))
    # Number histories in order of first appearance: the entries follow that order,
    # and it is the order of the sums in training and of the rows at predict time.
    nodes, first, sample_history = np.unique(sample_node, return_index=True, return_inverse=True)
    history_node = nodes[np.argsort(first, kind="stable")]
    rank = np.empty(len(nodes), dtype=np.int64)
    rank[np.searchsorted(nodes, history_node)] = np.arange(len(nodes))

    entry_history, entry_target, entry_weight, sample_entry = _entries(
        rank[sample_history], targets, weights
    )
    entry_node = history_node[entry_history]
    entry_leaf = node_leaf[entry_node]
    return _chain_set(
        leaves[::-1],  # chains in descending order of their tokens
        entry_chain=len(leaves) - 1 - entry_leaf,
        # The output after consuming the whole history (marker included).
        entry_position=entry_node - leaf_offsets[entry_leaf],
        entry_target=entry_target,
        entry_weight=entry_weight,
        sample_entry=sample_entry,
    )


def _prefix_nodes(sequences):
    """Offsets of sorted sequences back to back, and the first place of each token's prefix.

    ``node[i]`` is the first token, in order, that ends the same prefix as token
    ``i``. A prefix within the part that a sequence shares with the one before is
    that one's; following those links back gives its first place.
    """
    lengths = np.fromiter(map(len, sequences), dtype=np.int64, count=len(sequences))
    offsets = _offsets(lengths)
    tokens = np.fromiter(_concat.from_iterable(sequences), dtype=np.int64, count=int(offsets[-1]))
    # Compare each sequence with the one before over their shorter length, all at once.
    shorter = np.minimum(lengths[1:], lengths[:-1])
    pair = np.repeat(np.arange(1, len(sequences)), shorter)
    step = np.arange(len(pair)) - np.repeat(_offsets(shorter)[:-1], shorter)
    common = np.zeros(len(sequences), dtype=np.int64)
    common[1:] = shorter
    differs = tokens[offsets[pair] + step] != tokens[offsets[pair - 1] + step]
    np.minimum.at(common, pair[differs], step[differs])
    shared = step < common[pair]
    node = np.arange(len(tokens))
    node[offsets[pair[shared]] + step[shared]] = offsets[pair[shared] - 1] + step[shared]
    # Pointer doubling: each pass halves the length of the links left to follow.
    while not np.array_equal(node[node], node):
        node = node[node]
    return offsets, node


def chains_from_prefixes(sequences, sequence_index, lengths, targets=None, weights=None):
    """Chains straight from prefix histories: one chain per sequence in use.

    The fast path for :class:`PrefixHistories`: no history is built or sorted,
    so the work is O(number of events) however long the sequences are.

    Parameters
    ----------
    sequences : list of tuple of int
        Token ids of each sequence, led by the START marker.
    sequence_index, lengths : ndarray of int, shape (n_samples,)
        Each sample's history is ``sequences[sequence_index][1:lengths + 1]``.
    targets, weights
        As in :func:`group_into_chains`.

    Returns
    -------
    ChainSet
    """
    used, sample_chain = np.unique(sequence_index, return_inverse=True)
    longest = np.zeros(len(used), dtype=np.int64)
    np.maximum.at(longest, sample_chain, lengths)
    # A sample is its (chain, length): same key, same history.
    key = sample_chain * (int(longest.max()) + 1) + lengths
    entry_key, entry_target, entry_weight, sample_entry = _entries(key, targets, weights)
    entry_chain, entry_length = np.divmod(entry_key, int(longest.max()) + 1)
    return _chain_set(
        [sequences[s][: n + 1] for s, n in zip(used.tolist(), longest.tolist(), strict=True)],
        entry_chain=entry_chain,
        # START is token 0, so the output after `length` events is at `length`.
        entry_position=entry_length,
        entry_target=entry_target,
        entry_weight=entry_weight,
        sample_entry=sample_entry,
    )


def canonical_chains(chains, weights=None):
    """The one ChainSet of the same samples, whatever form or order they came in.

    The same samples reach ``fit`` as lists (in any order), as
    :class:`PrefixHistories` (one chain per sequence, duplicates included) or as
    attributed histories (tokens that are rows of a step table, one row per step
    of each sequence). Training must not see the difference: the number of
    chains sets the batch size, and the order of the chains and entries sets the
    batches and the order of every sum. Here every form becomes one layout:

    - steps are identified by their content (event token, codes, numbers), so
      identical histories of different sequences are one history;
    - the chains are the histories that are a prefix of no other, in descending
      order of their tokens, as :func:`group_into_chains` lays them out; a
      history is served by the first chain, in ascending order, that starts
      with it;
    - one entry per (history, target), ordered by chain, position and target,
      whose weight is the sum of its samples' weights taken in ascending order,
      so that the sum is the same to the bit whatever the order of the samples.

    Parameters
    ----------
    chains : ChainSet
        Chains built by :func:`group_into_chains` or :func:`chains_from_prefixes`.
    weights : array-like of float, default=None
        The samples' weights, as given to that function: the entries' weights are
        then summed from them, rather than from ``chains``' entries, whose sums
        depend on how the samples were grouped. None: the weights of ``chains``.

    Returns
    -------
    ChainSet
        With ``sample_entry`` mapping the samples of ``chains`` to the new entries.
    """
    tokens, steps = chains.tokens, chains.steps
    if steps is not None:
        tokens, steps = _canonical_steps(tokens, steps)
    offsets = chains.token_offsets
    sequences = [tuple(tokens[a:b].tolist()) for a, b in zip(offsets, offsets[1:], strict=False)]
    lengths = chains.chain_lengths
    order = np.array(sorted(range(len(sequences)), key=sequences.__getitem__), dtype=np.int64)
    ordered = [sequences[c] for c in order.tolist()]
    is_leaf = ~prefix_of_next(ordered, lengths[order])
    leaves = [c for c, leaf in zip(ordered, is_leaf.tolist(), strict=True) if leaf]
    # Each chain is a prefix of the first leaf at or after it in ascending order.
    chain_leaf = np.empty(len(sequences), dtype=np.int64)
    chain_leaf[order] = len(leaves) - np.cumsum(is_leaf[::-1])[::-1]
    leaf_offsets, node = _prefix_nodes(leaves)
    node_leaf = np.repeat(np.arange(len(leaves)), np.diff(leaf_offsets))

    old_chain = np.repeat(np.arange(chains.n_chains), chains.n_entries_per_chain)
    old_node = node[leaf_offsets[chain_leaf[old_chain]] + chains.entry_position]
    leaf = node_leaf[old_node]
    new_chain = len(leaves) - 1 - leaf  # descending order, as group_into_chains
    position = old_node - leaf_offsets[leaf]
    targets = chains.entry_target
    numeric = targets.dtype.kind == "f"
    # One int64 key per (chain, position, target), in that order: a 1-D unique is much
    # faster than a unique over rows. Numeric targets are ranked by their bits first.
    target_key = (targets.astype(np.float64) + 0.0).view(np.int64) if numeric else targets
    target_values, target_rank = np.unique(target_key, return_inverse=True)
    target_rank = target_rank.reshape(-1)
    n_targets, n_positions = len(target_values), int(position.max(initial=0)) + 1
    if len(leaves) * n_positions * n_targets < 2**62:
        unique_keys, old_to_new = np.unique(
            (new_chain * n_positions + position) * n_targets + target_rank, return_inverse=True
        )
        chain_position, key_target = np.divmod(unique_keys, n_targets)
        keys = np.column_stack([*np.divmod(chain_position, n_positions), key_target])
    else:  # pragma: no cover (the key would overflow int64)
        keys, old_to_new = np.unique(
            np.column_stack([new_chain, position, target_rank]), axis=0, return_inverse=True
        )
    old_to_new = old_to_new.reshape(-1)
    keys[:, 2] = target_values[keys[:, 2]]
    sample_entry = old_to_new[chains.sample_entry]
    if weights is None:
        weights, summed = chains.entry_weight, old_to_new
    else:
        weights, summed = np.asarray(weights, dtype=np.float64), sample_entry
    # Sum each entry's weights in ascending order: the same bits for any sample order.
    by_weight = np.lexsort((weights, summed))
    weight = np.bincount(summed[by_weight], weights=weights[by_weight], minlength=len(keys))
    entry_target = keys[:, 2].copy().view(np.float64) if numeric else keys[:, 2]
    return ChainSet(
        tokens=np.fromiter(
            _concat.from_iterable(leaves[::-1]), dtype=np.int64, count=int(leaf_offsets[-1])
        ),
        token_offsets=_offsets(np.diff(leaf_offsets)[::-1]),
        entry_position=keys[:, 1].astype(np.int64),
        entry_target=entry_target.astype(targets.dtype),
        entry_weight=weight,
        entry_offsets=_offsets(np.bincount(keys[:, 0], minlength=len(leaves))),
        sample_entry=sample_entry,
        steps=steps,
    )


def _canonical_steps(tokens, steps):
    """Step rows numbered by their content, and the table of the distinct rows.

    Two sequences with the same events, attributes and times then have the same
    tokens, whichever sequences they were and wherever their rows stood.
    """
    used = np.unique(tokens)
    inverse = distinct_rows(_content_columns(steps, used))
    first = np.empty(int(inverse.max(initial=-1)) + 1, dtype=np.int64)
    first[inverse[::-1]] = used[::-1]  # a row of each content
    row_of = np.zeros(len(steps.tokens), dtype=np.int64)
    row_of[used] = inverse
    table = dataclasses.replace(
        steps,
        tokens=steps.tokens[first],
        cats=steps.cats[first],
        nums=steps.nums[first],
        # The rows of a sequence no longer follow each other: no sequence starts here.
        first_row=np.empty(0, dtype=np.int64),
    )
    return row_of[tokens], table


def _content_columns(steps, rows):
    """The columns that make a step's content, at ``rows``: token, codes, bits of numbers."""
    # +0.0 makes -0.0 and 0.0 one value; their bits differ.
    nums = (steps.nums[rows].astype(np.float32) + np.float32(0.0)).view(np.int32)
    return [
        steps.tokens[rows],
        *(steps.cats[rows, j] for j in range(steps.cats.shape[1])),
        *(nums[:, j] for j in range(nums.shape[1])),
    ]


def distinct_rows(columns):
    """The rank of each row among the distinct rows, ordered by the columns in turn.

    What ``np.unique(np.column_stack(columns), axis=0, return_inverse=True)[1]``
    gives, without its copies of the whole table: a log of millions of steps with a
    dozen attribute and time columns made four of them, gigabytes, where a sort
    order and one column at a time suffice.
    """
    order = np.lexsort(columns[::-1])
    new = np.zeros(len(order), dtype=bool)
    new[:1] = True
    for column in columns:
        ordered = column[order]
        new[1:] |= ordered[1:] != ordered[:-1]
    inverse = np.empty(len(order), dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    return inverse


def _entries(sample_key, targets, weights):
    """Merge samples with the same history key and target into weighted entries.

    Targets are class indices (int) or numbers (float, for regression); two
    numbers are the same target only when they are equal to the bit.

    Returns ``(entry_key, entry_target, entry_weight, sample_entry)``.
    """
    if targets is None:
        entry_key, sample_entry = np.unique(sample_key, return_inverse=True)
        return entry_key, np.full(len(entry_key), -1, dtype=np.int64), None, sample_entry
    w = np.ones(len(sample_key)) if weights is None else np.asarray(weights, dtype=np.float64)
    targets = np.asarray(targets)
    if targets.dtype.kind == "f":
        # 0.0 and -0.0 are one target; their bits differ.
        bits = (targets.astype(np.float64) + 0.0).view(np.int64)
        pairs, sample_entry = np.unique(
            np.column_stack([sample_key, bits]), axis=0, return_inverse=True
        )
        entry_target = pairs[:, 1].copy().view(np.float64)
        return pairs[:, 0], entry_target, np.bincount(sample_entry, weights=w), sample_entry
    targets = targets.astype(np.int64)
    n_classes = int(targets.max()) + 1
    keys, sample_entry = np.unique(sample_key * n_classes + targets, return_inverse=True)
    entry_key, entry_target = np.divmod(keys, n_classes)
    return entry_key, entry_target, np.bincount(sample_entry, weights=w), sample_entry


def _chain_set(chain_tokens, entry_chain, entry_position, entry_target, entry_weight, sample_entry):
    """A ChainSet from each chain's tokens and entries in any order."""
    if entry_weight is None:
        entry_weight = np.ones(len(entry_chain))
    # Group entries by chain; a stable sort keeps the order reproducible.
    by_chain = np.argsort(entry_chain, kind="stable")
    rank = np.empty_like(by_chain)
    rank[by_chain] = np.arange(len(by_chain))
    chain_lengths = np.fromiter(map(len, chain_tokens), dtype=np.int64, count=len(chain_tokens))
    return ChainSet(
        tokens=np.fromiter(
            _concat.from_iterable(chain_tokens), dtype=np.int64, count=int(chain_lengths.sum())
        ),
        token_offsets=_offsets(chain_lengths),
        entry_position=np.asarray(entry_position, dtype=np.int64)[by_chain],
        entry_target=entry_target[by_chain],
        entry_weight=entry_weight[by_chain],
        entry_offsets=_offsets(np.bincount(entry_chain, minlength=len(chain_tokens))),
        sample_entry=rank[sample_entry],
    )


def _offsets(counts):
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return offsets


class ChainDataset(torch.utils.data.Dataset):
    """A torch Dataset of chains; the items are chain indices.

    :class:`ChainLoader` builds padded batches straight from the flat arrays, which
    is much faster than collating one item at a time.
    """

    def __init__(self, chains):
        self.chains = chains

    def __len__(self):
        return self.chains.n_chains

    def __getitem__(self, index):
        return index


def _resolve(dataset):
    """The ChainSet and chain indices behind a ChainDataset or a Subset of one."""
    if isinstance(dataset, torch.utils.data.Subset):
        base, indices = _resolve(dataset.dataset)
        return base, indices[np.asarray(dataset.indices, dtype=np.int64)]
    return dataset.chains, np.arange(len(dataset))


class ChainLoader:
    """Batches of ``batch_size`` chains, padded to the longest chain in the batch.

    With ``shuffle=True`` (training), chains are shuffled, then sorted by length
    within buckets of ``bucket_batches`` batches, so that a batch holds chains of
    similar lengths (little padding), and the batches are shuffled again. Padding
    needs no mask: the loss and the predictions are read only at entry positions.
    The batches are :func:`collate`'s flat form: the read-out works on the entries
    of each chain only, however many the widest chain of the batch holds.

    A batch's loss is its summed entry losses over the weight that a batch of
    its size holds on average, ``weight_per_chain`` x its number of chains (the
    criterion reads ``y["normaliser"]``), not over its own weight. Chains differ
    in weight by orders of magnitude when identical histories are merged (a path
    that 2,000 cases follow against one that a single case does), and a batch
    that holds only light chains would otherwise move the model as far as one
    that holds the heaviest: the steps would follow a distorted loss, which
    favours rare paths. So every step is an unbiased estimate of the gradient of
    the weighted mean loss over all samples, and the epoch's mean of the batch
    losses, as skorch reports it, is that loss exactly.

    With ``shard=(rank, world_size)`` (data-parallel training), every process
    draws the same batches of ``batch_size`` chains from the same random state
    and keeps its share of each: chains ``rank, rank + world_size, ...`` of the
    batch, which is sorted by length, so the shares are alike. Each share's loss
    is normalised by the whole batch's normaliser over ``world_size``, so that
    the gradients that DistributedDataParallel averages are those of one process
    training on the whole batch. A share left empty (a last batch of fewer
    chains than processes) is one chain of weight 0: every process must take
    part in every step.

    ``weight_per_chain`` is the mean weight of the chains trained on; None
    computes it from the dataset's chains (a loader over one chunk of a larger
    set takes the whole set's).

    The call signature is skorch's ``iterator_train(dataset, **kwargs)``.
    """

    def __init__(
        self,
        dataset,
        batch_size=32,
        shuffle=False,
        random_state=None,
        bucket_batches=50,
        shard=None,
        weight_per_chain=None,
    ):
        self.chains, self.indices = _resolve(dataset)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.random_state = random_state
        self.bucket_batches = bucket_batches
        self.shard = shard
        if weight_per_chain is None:
            weights = chain_weights(self.chains)[self.indices]
            weight_per_chain = weights.sum() / len(weights) if len(weights) else 1.0
        self.weight_per_chain = float(weight_per_chain)

    def __len__(self):
        return -(-len(self.indices) // self.batch_size)

    def batches(self):
        """Lists of chain indices, one per batch."""
        lengths = self.chains.chain_lengths[self.indices]
        if not self.shuffle:
            order = self.indices[np.argsort(lengths, kind="stable")]
            return [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        rng = self.random_state
        perm = rng.permutation(len(self.indices))
        bucket = self.batch_size * self.bucket_batches
        batches = []
        for start in range(0, len(perm), bucket):
            part = perm[start : start + bucket]
            part = part[np.argsort(lengths[part], kind="stable")]
            batches.extend(
                self.indices[part[i : i + self.batch_size]]
                for i in range(0, len(part), self.batch_size)
            )
        return [batches[i] for i in rng.permutation(len(batches))]

    def __iter__(self):
        if self.shard is None:
            for batch in self.batches():
                X, y = collate(self.chains, batch)
                y["normaliser"] = torch.tensor(self.weight_per_chain * len(batch))
                yield X, y
            return
        rank, world_size = self.shard
        for batch in self.batches():
            share = batch[rank::world_size]
            X, y = collate(self.chains, share if len(share) else batch[:1])
            if not len(share):
                y["weight"] = torch.zeros_like(y["weight"])
            y["normaliser"] = torch.tensor(self.weight_per_chain * len(batch) / world_size)
            yield X, y


def chain_weights(chains):
    """The summed weight of each chain's entries, in float64."""
    owner = np.repeat(np.arange(chains.n_chains), chains.n_entries_per_chain)
    return np.bincount(owner, weights=chains.entry_weight, minlength=chains.n_chains)


def _padded_index(offsets, rows):
    """Indices of rows ``offsets[r]:offsets[r + 1]``, right-padded, and where they are valid."""
    starts = offsets[rows]
    counts = offsets[rows + 1] - starts
    width = max(int(counts.max()), 1)
    steps = np.arange(width)
    valid = steps < counts[:, None]
    return np.where(valid, starts[:, None] + steps, 0), valid


def _take_padded(flat, index, valid, fill):
    """``flat`` at a padded index from :func:`_padded_index`, ``fill`` where not valid."""
    out = flat[index] if len(flat) else np.zeros(index.shape, dtype=flat.dtype)
    out[~valid] = fill
    return out


def _padded(flat, offsets, rows, fill):
    """Rows ``offsets[r]:offsets[r + 1]`` of ``flat`` as a right-padded 2-D array."""
    return _take_padded(flat, *_padded_index(offsets, rows), fill)


def collate(chains, batch, flat=True):
    """The model input and loss weights of a batch of chains, as tensors.

    Returns ``(X, y)`` in the shape skorch passes on: ``X`` goes to the module's
    ``forward`` as keyword arguments, ``y`` to the criterion. Class indices go
    with ``X``, so that the module computes the probability of the targets only;
    numeric targets (regression) go with ``y``, to the loss.

    ``X``'s tokens are right-padded chains, its positions and targets (batch,
    n_positions) right-padded entries. With ``flat=True`` (training), ``X`` also
    holds ``n_entries``, each chain's number of entries: the module then reads
    out those entries only, as one flat list, and ``y``'s arrays have shape
    (n_entries,), the entries chain by chain. A chain that serves many histories
    (the first chain of a common prefix) can hold several times as many entries
    as the others of its batch, and the read-out would otherwise work mostly on
    padding. With ``flat=False`` (prediction), ``y``'s arrays are padded too, with
    weight 0. Every array of ``X`` is one row per chain, as skorch counts a batch.
    """
    batch = np.asarray(batch, dtype=np.int64)
    # The three entry arrays share one padded index: build it once.
    index, valid = _padded_index(chains.entry_offsets, batch)
    tokens = _padded(chains.tokens, chains.token_offsets, batch, -1)
    X = {
        "tokens": torch.from_numpy(np.maximum(tokens, 0)),
        "positions": torch.from_numpy(_take_padded(chains.entry_position, index, valid, 0)),
    }
    targets = _take_padded(chains.entry_target, index, valid, 0)
    numeric = targets.dtype.kind == "f"
    if not numeric:
        X["targets"] = torch.from_numpy(targets)
    if flat:
        X["n_entries"] = torch.from_numpy(chains.n_entries_per_chain[batch])
        index = index[valid]  # row by row: the entries chain by chain
        weights, targets = chains.entry_weight[index], chains.entry_target[index]
    else:
        weights = _take_padded(chains.entry_weight, index, valid, 0.0)
    if chains.steps is not None:
        # Padding (-1) reads row 0 and is then zeroed: padded steps are never read out.
        rows, padding = np.maximum(tokens, 0), tokens < 0
        event_tokens = chains.steps.tokens[rows]
        event_tokens[padding] = 0
        cats = chains.steps.cats[rows]
        cats[padding] = 0
        nums = chains.steps.nums[rows]
        nums[padding] = 0.0
        X["tokens"] = torch.from_numpy(event_tokens)
        X["cats"] = torch.from_numpy(cats)
        X["nums"] = torch.from_numpy(nums)
    y = {"weight": torch.from_numpy(weights.astype(np.float32))}
    if numeric:
        y["target"] = torch.from_numpy(targets.astype(np.float32))
    return X, y
