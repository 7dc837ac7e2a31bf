"""Predicted probabilities in blocks of rows, and the classes each history holds.

``predict_proba`` on n histories returns n x n_classes numbers: 400 MB in float64
for 1,000 histories over a catalogue of 50,000 items. Ranking needs one row at a
time, so the scorers and ``recommend`` ask for the probabilities a block of rows
at a time (:func:`proba_blocks`), and memory is bounded by a block, whatever the
number of histories.
"""

import numpy as np
from sklearn.utils import _safe_indexing
from sklearn.utils.validation import _num_samples

from ..histories._prefixes import PrefixHistories

__all__ = ["PROBA_BLOCK", "proba_blocks", "row_blocks", "seen_mask", "take_rows"]

# Probabilities per block: 2**22 float64 numbers are 32 MB (2,500 histories over
# 1,682 films, 84 over 50,000 items); ranking a block needs a few arrays that size.
PROBA_BLOCK = 1 << 22


def seen_mask(histories, classes):
    """Boolean (n_samples, n_classes): whether each class occurs in each history."""
    index = {label: i for i, label in enumerate(np.asarray(classes).tolist())}
    mask = np.zeros((len(histories), len(index)), dtype=bool)
    for row, history in enumerate(histories):
        columns = [index[e] for e in set(history) if e in index]
        mask[row, columns] = True
    return mask


def take_rows(X, rows):
    """Rows ``rows`` of any input that ``predict_proba`` takes, in the same form."""
    rows = np.asarray(rows, dtype=np.int64)
    if isinstance(X, PrefixHistories):
        return X[rows]  # a view: no prefix is copied
    return _safe_indexing(X, rows)


def row_blocks(n_samples, n_classes, budget=None):
    """Consecutive row ranges of at most ``budget // n_classes`` rows (one at least)."""
    rows = max(1, (PROBA_BLOCK if budget is None else budget) // max(n_classes, 1))
    return [range(start, min(start + rows, n_samples)) for start in range(0, n_samples, rows)]


def proba_blocks(predict_proba, X, n_classes):
    """Yield ``(rows, part, proba)``: each block of rows of ``X`` and its ``predict_proba``.

    Consecutive rows keep the prefixes of one sequence (listed one after the
    other) in one block, where one LSTM pass serves them all. When one block
    holds every row, ``X`` is passed as it is.
    """
    n_samples = _num_samples(X)
    blocks = row_blocks(n_samples, n_classes)
    if len(blocks) <= 1:  # no rows at all: predict_proba says what is wrong with X
        blocks = blocks or [range(0)]
        yield blocks[0], X, predict_proba(X)
        return
    for rows in blocks:
        part = take_rows(X, rows)
        yield rows, part, predict_proba(part)
