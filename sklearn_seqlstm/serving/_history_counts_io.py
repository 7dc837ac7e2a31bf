"""A classifier's training-history counts in a saved model, and their checks on load.

The counts are a trie of token ids and a sparse table of next-event weights (see
:mod:`sklearn_seqlstm.neural._history_counts`). A saved model is untrusted: every
array is checked to be a tree whose edges lead to later nodes, and a table whose
rows are distinct nodes with positive, finite weights on distinct classes,
before a prediction reads them. Each check is linear in the arrays' length,
which the file's size already bounds.
"""

import math

import numpy as np

__all__ = ["dump_history_counts", "restore_history_counts", "PREFIX"]

PREFIX = "history_counts."
_ARRAYS = ("edge_key", "edge_child", "count_node", "count_offsets", "count_class", "count_weight")


def dump_history_counts(estimator):
    """``(attributes, arrays)`` of the counts of a NextEventClassifier (empty otherwise)."""
    if not hasattr(estimator, "history_counts_weight_"):
        return {}, {}
    weight = estimator.history_counts_weight_
    attributes = {"history_counts_weight_": None if weight is None else repr(float(weight))}
    counts = estimator._history_counts
    if counts is None:
        return attributes, {}
    attributes["history_counts_scale_exponent"] = counts.scale_exponent
    arrays = {PREFIX + name: np.ascontiguousarray(getattr(counts, name)) for name in _ARRAYS}
    return attributes, arrays


def restore_history_counts(estimator, attributes, arrays, what):
    """Set the counts of ``estimator`` from a saved document; pops their arrays.

    The classes and the vocabulary of the estimator are restored already.
    """
    from ..neural._classifier import NextEventClassifier
    from ..neural._history_counts import HistoryCounts
    from ..neural._module import N_RESERVED

    names = [name for name in arrays if name.startswith(PREFIX)]
    saved = {name[len(PREFIX) :]: arrays.pop(name) for name in names}
    if not isinstance(estimator, NextEventClassifier):
        if saved:
            raise ValueError(f"{what}: a {type(estimator).__name__} holds no history counts.")
        return
    # A file of a version without the counts predicts with the network alone.
    weight = _weight(attributes.get("history_counts_weight_"), what)
    estimator.history_counts_weight_ = weight
    estimator._history_counts = None
    if weight is None or math.isinf(weight):
        if saved:
            raise ValueError(f"{what}: history counts are saved, but their weight is {weight}.")
        return
    missing = sorted(set(_ARRAYS) - set(saved))
    extra = sorted(set(saved) - set(_ARRAYS))
    if missing or extra:
        raise ValueError(
            f"{what}: the history counts lack {missing} or hold unknown arrays {extra}."
        )
    exponent = attributes.get("history_counts_scale_exponent")
    if not (isinstance(exponent, int) and not isinstance(exponent, bool)) or abs(exponent) > 1100:
        raise ValueError(f"{what}: history_counts_scale_exponent must be an integer.")
    counts = HistoryCounts(N_RESERVED + len(estimator.events_), len(estimator.classes_), exponent)
    counts.prior_weight = weight
    for name in _ARRAYS:
        array = saved[name]
        kind = "f" if name == "count_weight" else "i"
        if array.ndim != 1 or array.dtype.kind != kind:
            raise ValueError(f"{what}: history counts array {name!r} must be 1-D of kind {kind!r}.")
        setattr(counts, name, array.astype(np.float64 if kind == "f" else np.int64))
    _check_trie(counts, what)
    _check_table(counts, what)
    estimator._history_counts = counts


def _weight(text, what):
    if text is None:
        return None
    try:
        weight = float(text) if isinstance(text, str) else None
    except ValueError:
        weight = None
    if weight is None or not weight >= 0:
        raise ValueError(f"{what}: history_counts_weight_ must be a number >= 0, got {text!r:.40}.")
    return weight


def _check_trie(counts, what):
    """Edge keys strictly increasing; each node but the root the child of one edge, from
    an earlier node, so the edges form one tree."""
    key, child = counts.edge_key, counts.edge_child
    n_nodes = len(key) + 1
    if len(child) != len(key):
        raise ValueError(f"{what}: the history trie has {len(key)} keys and {len(child)} nodes.")
    if len(key) and (key[0] < 0 or (np.diff(key) <= 0).any()):
        raise ValueError(f"{what}: the history trie's edges are not sorted distinct keys.")
    parent = key // counts.n_tokens
    if not np.array_equal(np.sort(child), np.arange(1, n_nodes)) or (parent >= child).any():
        raise ValueError(f"{what}: the history trie's edges do not form a tree.")


def _check_table(counts, what):
    """Rows of distinct nodes, each non-empty, over distinct classes, weights positive."""
    node, offsets = counts.count_node, counts.count_offsets
    classes, weights = counts.count_class, counts.count_weight
    if (
        len(offsets) != len(node) + 1
        or offsets[0] != 0
        or offsets[-1] != len(classes)
        or len(weights) != len(classes)
        or (np.diff(offsets) <= 0).any()
    ):
        raise ValueError(f"{what}: the history counts' rows are malformed.")
    if len(node) and (node[0] < 0 or node[-1] >= counts.n_nodes or (np.diff(node) <= 0).any()):
        raise ValueError(f"{what}: the history counts' rows are not distinct trie nodes.")
    if ((classes < 0) | (classes >= counts.n_classes)).any():
        raise ValueError(f"{what}: the history counts name a class the model lacks.")
    row_start = np.zeros(len(classes), dtype=bool)
    row_start[offsets[:-1]] = True
    if ((np.diff(classes) <= 0) & ~row_start[1:]).any():
        raise ValueError(f"{what}: a row of the history counts repeats or disorders a class.")
    if not (np.isfinite(weights) & (weights > 0)).all():
        raise ValueError(f"{what}: the history counts hold a weight that is not positive.")
    with np.errstate(over="ignore"):
        if not np.isfinite(counts.totals()).all():
            raise ValueError(f"{what}: a history's counts sum to infinity.")
