"""Training from an :class:`EventLogFiles`: chains streamed chunk by chunk to skorch.

``fit`` on histories in memory builds every chain at once (:mod:`._chains`).
Here the log is read in chunks of whole sequences, three times over:

1. one pass (before training) finds the vocabulary, the classes and the number
   of chains and samples, and which sequences are held out for early stopping;
2. in every epoch, the training pass encodes each chunk into a
   :class:`~._chains.ChainSet` and trains on its chains, shuffled within the
   chunk as :class:`~._chains.ChainLoader` shuffles them in memory;
3. with early stopping, a validation pass reads the held-out sequences.

Only one chunk is in memory at a time. Each chunk's chains are laid out by
:func:`~._chains.canonical_chains`, as ``fit`` lays out the same samples in memory
(identical histories within the chunk merged); with one chunk the chains, the
batch size, the batches and so the model are the same too.

Held-out sequences are chosen by a hash of the sequence key mixed with the
seed: the same sequences at every pass and whatever the chunking, without
keeping a list of keys.
"""

import warnings

import numpy as np
import torch
from sklearn.base import is_classifier
from sklearn.utils import check_random_state
from skorch.helper import predefined_split

from ..histories._histories import _reset_width, check_labels, sorted_labels
from ..histories._streamed import import_pyarrow
from ._chains import (
    ChainDataset,
    ChainLoader,
    ChainSet,
    _offsets,
    canonical_chains,
    chain_weights,
)
from ._early_stopping import AUTO_EARLY_STOPPING_MIN_SEQUENCES
from ._module import N_RESERVED, START, UNKNOWN
from ._torch import autocast, check_device

__all__ = ["fit_from_files", "held_out"]

# The chains of every usable sequence; of those not held out; of the held-out ones.
_PARTS = ("all", "train", "valid")


def held_out(keys, seed, fraction):
    """Whether each sequence key is held out for validation: a hash of the key and seed.

    Parameters
    ----------
    keys : array-like or pyarrow.Array
        Sequence keys (numbers, strings or anything pyarrow casts to a string).
    seed : int
        The seed of the fit.
    fraction : float
        The share of sequences held out, in expectation.

    Returns
    -------
    ndarray of bool
    """
    import pandas as pd

    pa, pc, _, _ = import_pyarrow()
    if not isinstance(keys, (pa.Array, pa.ChunkedArray)):
        keys = pa.array(np.asarray(keys).tolist())
    text = pc.cast(keys, pa.string()).to_numpy(zero_copy_only=False)
    # pandas' hash is SipHash with a fixed key: the same in every process, unlike hash().
    h = pd.util.hash_array(text.astype(object), categorize=False)
    # splitmix64's finaliser over the hash and the seed.
    with np.errstate(over="ignore"):
        z = h ^ (np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15))
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) / 2.0**53 < fraction


class _Scan:
    """What one pass over the log finds: vocabulary, labels, counts per chunk."""

    def __init__(self, log, seed, fraction):
        pa, pc, _, _ = import_pyarrow()
        events = labels = None
        self.chains = {part: [] for part in _PARTS}
        self.n_samples = self.n_sequences = self.n_short = self.n_events = 0
        self.n_valid_samples = 0
        self.longest_history = -1
        for chunk in log._chunks():
            if not chunk.n_rows:
                continue
            history = pc.unique(chunk.events.filter(pa.array(chunk.history_rows())))
            target = pc.unique(chunk.events.filter(pa.array(chunk.target_rows())))
            events = history if events is None else pc.unique(pa.concat_arrays([events, history]))
            labels = target if labels is None else pc.unique(pa.concat_arrays([labels, target]))
            valid = held_out(chunk.keys, seed, fraction) & chunk.used
            n_samples = np.where(chunk.used, chunk.longest - chunk.min_history + 1, 0)
            self.chains["all"].append(int(np.count_nonzero(chunk.used)))
            self.chains["valid"].append(int(np.count_nonzero(valid)))
            self.chains["train"].append(self.chains["all"][-1] - self.chains["valid"][-1])
            self.n_samples += int(n_samples.sum())
            self.n_valid_samples += int(n_samples[valid].sum())
            self.n_sequences += len(chunk.starts)
            self.n_short += int(np.count_nonzero(~chunk.used))
            self.n_events += chunk.n_rows
            if chunk.used.any():
                self.longest_history = max(self.longest_history, int(chunk.longest.max()))
        if self.n_events == 0:
            raise ValueError(f"The event log {log!r} is empty: its files have no rows.")
        if self.n_samples == 0:
            raise ValueError(
                f"No sample: every one of the {self.n_sequences} sequences of {log!r} is too "
                f"short for min_history={log.min_history}."
            )
        self.events = sorted_labels(events.to_pylist())
        label_values = labels.to_numpy(zero_copy_only=False) if len(labels) else np.array([])
        if log.end_event is not None:
            label_values = np.asarray([*label_values.tolist(), log.end_event])
        with warnings.catch_warnings():
            # Each label once: more than half the "samples" are classes, by construction.
            warnings.filterwarnings("ignore", message="The number of unique classes")
            self.labels = check_labels(label_values, len(label_values))
        # The history lengths run from min_history to the longest: one width, or several.
        self.widths = {log.min_history, self.longest_history}


class _ChunkEncoder:
    """Turns a chunk of the log into the chains of one part: all, training or validation."""

    def __init__(self, events, classes, seed, fraction):
        self.events = events
        self.classes = classes
        self.seed = seed
        self.fraction = fraction
        self._pa_events = self._pa_classes = None

    def chain_set(self, chunk, part):
        pa, pc, _, _ = import_pyarrow()
        if self._pa_events is None or self._pa_events.type != chunk.events.type:
            self._pa_events = pa.array(self.events, type=chunk.events.type)
            self._pa_classes = pa.array(self.classes.tolist(), type=chunk.events.type)
        selected = chunk.used
        if part != "all":
            valid = held_out(chunk.keys, self.seed, self.fraction)
            selected = selected & (valid if part == "valid" else ~valid)
        chosen = np.flatnonzero(selected)
        starts, lengths = chunk.starts[chosen], chunk.lengths[chosen]
        longest = chunk.longest[chosen]
        tokens_of_rows = _indices(pc.index_in(chunk.events, value_set=self._pa_events))
        tokens_of_rows = np.where(tokens_of_rows >= 0, tokens_of_rows + N_RESERVED, UNKNOWN)
        classes_of_rows = _indices(pc.index_in(chunk.events, value_set=self._pa_classes))

        # Tokens: START, then the events of the longest history, per chain.
        chain_lengths = longest + 1
        token_offsets = _offsets(chain_lengths)
        step = np.arange(token_offsets[-1]) - np.repeat(token_offsets[:-1], chain_lengths)
        rows = np.repeat(starts, chain_lengths) + step - 1
        tokens = np.where(step == 0, START, tokens_of_rows[np.maximum(rows, 0)])

        # Entries: histories of lengths min_history .. longest, in order, per chain.
        n_entries = longest - chunk.min_history + 1
        entry_offsets = _offsets(n_entries)
        length = (
            np.arange(entry_offsets[-1])
            - np.repeat(entry_offsets[:-1], n_entries)
            + chunk.min_history
        )
        ends = np.repeat(lengths, n_entries)
        target_rows = np.repeat(starts, n_entries) + np.minimum(length, ends - 1)
        targets = classes_of_rows[target_rows]
        if chunk.end_event is not None:
            end_class = int(np.searchsorted(self.classes, chunk.end_event))
            targets = np.where(length == ends, end_class, targets)
        if (targets < 0).any():  # only in a log other than fit's (a validation log)
            raise AssertionError("a target is not a class")  # pragma: no cover
        return ChainSet(
            tokens=tokens.astype(np.int64),
            token_offsets=token_offsets,
            entry_position=length.astype(np.int64),
            entry_target=targets.astype(np.int64),
            # What scaled_to_unit makes of weights 1, as in memory.
            entry_weight=np.full(len(length), 0.5),
            entry_offsets=entry_offsets,
            sample_entry=np.arange(len(length), dtype=np.int64),
        )


def _indices(array):
    """pyarrow.compute.index_in's result as int64, -1 where not found."""
    return np.asarray(array.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)


class StreamedChains(torch.utils.data.Dataset):
    """The chains of one part of an :class:`EventLogFiles`, read chunk by chunk.

    A torch Dataset only in name (skorch passes datasets to the iterator): its
    chains come from :meth:`chain_sets`, read from the files on each call,
    and are iterated by :class:`StreamedChainLoader`.
    """

    def __init__(self, log, encoder, part, chains_per_chunk, canonical=False):
        self.log = log
        self.encoder = encoder
        self.part = part
        self.chains_per_chunk = list(chains_per_chunk)
        # The mean weight of the part's chains, when known; else each chunk's own.
        self.weight_per_chain = None
        # With canonical=True each chunk's chains are laid out as fit lays out
        # chains in memory (canonical_chains), and chains_per_chunk counts those.
        self.canonical = canonical

    def __len__(self):
        return sum(self.chains_per_chunk)

    def __getitem__(self, index):
        raise TypeError("StreamedChains is read chunk by chunk, with StreamedChainLoader.")

    def chain_sets(self):
        """The ChainSet of each chunk that holds chains of this part, in file order."""
        n_chunks = 0
        for chunk, expected in zip(self.log._chunks(), self.chains_per_chunk, strict=False):
            n_chunks += 1
            if expected:
                chains = self.encoder.chain_set(chunk, self.part)
                if self.canonical:
                    chains = canonical_chains(chains)
                if chains.n_chains != expected:
                    raise RuntimeError(_CHANGED.format(log=self.log))
                yield chains
        if n_chunks != len(self.chains_per_chunk):
            raise RuntimeError(_CHANGED.format(log=self.log))  # pragma: no cover


_CHANGED = "The files of {log!r} changed during fit: a pass read other chunks than the first."


class StreamedChainLoader:
    """Batches of a :class:`StreamedChains`: a :class:`ChainLoader` over each chunk in turn.

    Same call signature and batches as :class:`ChainLoader`, chunk by chunk; the
    ``random_state`` is shared by the chunks, so with one chunk the batches are
    those of :class:`ChainLoader` over the whole log.
    """

    def __init__(
        self,
        dataset,
        batch_size=32,
        shuffle=False,
        random_state=None,
        bucket_batches=50,
        shard=None,
    ):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.random_state = random_state
        self.bucket_batches = bucket_batches
        self.shard = shard  # None: fit_from_files refuses data-parallel training

    def __len__(self):
        return sum(-(-n // self.batch_size) for n in self.dataset.chains_per_chunk)

    def __iter__(self):
        for chains in self.dataset.chain_sets():
            yield from ChainLoader(
                ChainDataset(chains),
                batch_size=self.batch_size,
                shuffle=self.shuffle,
                random_state=self.random_state,
                bucket_batches=self.bucket_batches,
                shard=self.shard,
                weight_per_chain=self.dataset.weight_per_chain,
            )


def fit_from_files(estimator, log, y, sample_weight, X_val, y_val, sample_weight_val):
    """``fit`` of an LSTM classifier on an :class:`EventLogFiles` (see ``HistoryLSTM._fit_core``).

    The steps mirror ``_fit_core``: device, seed, vocabulary and classes,
    chains, net; only the chains are read from the files, chunk by chunk.
    """
    name = type(estimator).__name__
    if not is_classifier(estimator):
        raise TypeError(
            f"{name} cannot train on an EventLogFiles: its samples are (history, next "
            "event) pairs, the targets of a classifier. Use NextEventClassifier, or cut "
            "the log with samples_from_log(..., target=...)."
        )
    for given, what in [
        (y, "y"),
        (sample_weight, "sample_weight"),
        (X_val, "X_val"),
        (y_val, "y_val"),
        (sample_weight_val, "sample_weight_val"),
    ]:
        if given is not None:
            raise ValueError(
                f"With an EventLogFiles, {what} must be None: the next events come from "
                "the log, every sample weighs the same, and early stopping holds out "
                "validation_fraction of the sequences (by a hash of their key)."
            )
    if estimator.max_history is not None:
        raise ValueError(
            f"max_history={estimator.max_history} is not supported with an EventLogFiles: "
            "training from files reads whole histories. Leave max_history=None, or cut "
            "the log with samples_from_log(..., max_history=...)."
        )
    if estimator.distributed:
        raise ValueError(
            "distributed=True is not supported with an EventLogFiles yet: each process "
            "would read every chunk. Train data-parallel on in-memory samples, or set "
            "distributed=False."
        )
    device = check_device(estimator.device)
    mixed_precision = autocast(device, estimator.precision)
    estimator._check_callbacks()
    seed = check_random_state(estimator.random_state).randint(np.iinfo(np.int32).max)
    fraction = float(estimator.validation_fraction)

    scan = _Scan(log, seed, fraction)
    _warn_short(scan, log)
    _reset_width(estimator, scan.widths)
    estimator._fit_targets(scan.labels, None)  # sets classes_
    estimator.events_ = scan.events
    estimator._event_ids = {event: N_RESERVED + i for i, event in enumerate(scan.events)}
    estimator._steps = None
    estimator._input_columns = []
    estimator.event_attributes_ = []
    estimator.sequence_attributes_ = []
    estimator.time_kind_ = None
    encoder = _ChunkEncoder(scan.events, estimator.classes_, seed, fraction)
    everything = train = _canonical_part(log, encoder, "all", scan.chains["all"])
    valid = None
    # Sized, as in memory, by the chains that identical histories make.
    n_chains = sum(train.chains_per_chunk)
    estimator._resolve_sizes(n_chains)
    estimator.early_stopping_ = (
        n_chains >= AUTO_EARLY_STOPPING_MIN_SEQUENCES
        if estimator.early_stopping == "auto"
        else bool(estimator.early_stopping)
    )
    if estimator.early_stopping_:
        n_valid, n_train = sum(scan.chains["valid"]), sum(scan.chains["train"])
        if not n_valid or not n_train:
            raise ValueError(
                f"Early stopping holds out validation_fraction={fraction} of the sequences "
                f"of the log, chosen by a hash of their key; of its {sum(scan.chains['all'])} "
                f"usable sequences, that held out {n_valid} and left {n_train} to train on. "
                "Change validation_fraction or random_state, or set early_stopping=False."
            )
        train = _canonical_part(log, encoder, "train", scan.chains["train"])
        valid = _canonical_part(log, encoder, "valid", scan.chains["valid"])

    estimator._resolve_epochs(train.chains_per_chunk, scan.n_samples)
    net = estimator._build_net(device, seed)
    net.set_params(
        iterator_train=StreamedChainLoader,
        iterator_valid=StreamedChainLoader,
        train_split=None if valid is None else predefined_split(valid),
    )
    estimator.net_ = net
    estimator._train(train, device, seed, mixed_precision)
    # Every sample, held out or not, read once more. A log carries no weights: each
    # sample weighs 0.5 in the chains, what scaled_to_unit makes of weights of 1.
    estimator._fit_history_counts(everything.chain_sets(), int(np.frexp(1.0)[1]))
    return estimator


def _canonical_part(log, encoder, part, sequences_per_chunk):
    """The chains of one part, each chunk's laid out as fit lays them out in memory.

    Identical histories within a chunk become one chain, as in memory, so with one
    chunk the chains, the batch size and the model are those of the same samples in
    memory. Counting them takes one more pass over the files.
    """
    counts, total_weight = [], 0.0
    for chunk, n_sequences in zip(log._chunks(), sequences_per_chunk, strict=False):
        if not n_sequences:
            counts.append(0)
            continue
        chains = canonical_chains(encoder.chain_set(chunk, part))
        counts.append(chains.n_chains)
        total_weight += chain_weights(chains).sum()
    streamed = StreamedChains(log, encoder, part, counts, canonical=True)
    # Every chunk's batches are normalised by the whole part's weight per chain, as
    # the batches of the same chains in memory are (see ChainLoader).
    streamed.weight_per_chain = total_weight / sum(counts) if sum(counts) else 1.0
    return streamed


def _warn_short(scan, log):
    if scan.n_short:
        warnings.warn(
            f"{scan.n_short} of {scan.n_sequences} sequences of the log are too short for "
            f"min_history={log.min_history} and give no sample.",
            UserWarning,
            stacklevel=7,  # fit's caller: past fit_from_files, _fit_core, fit, two decorators
        )
