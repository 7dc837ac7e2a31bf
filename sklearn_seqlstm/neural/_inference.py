"""Predict-time batches of chains: sorted by length, bounded by a budget of elements.

Training batches hold a fixed number of chains, which is right for the gradient
but not for memory at predict time: one batch of 512 of the longest histories
of MovieLens-100k (737 events) over its 1,678 classes took 4.7 GB when every
position was read out. Here a batch takes chains in order of length, as many as
keep its largest tensors within a budget of elements:

- the LSTM's: chains x padded length x (input size + 5 x hidden size), its input,
  its gates and its outputs at every step;
- the read-out's: chains x positions read x outputs, the distributions, and the
  counts of the copy from the history (chains x positions x length, or chains x
  length x outputs with more positions than outputs).

Sorting by length keeps the padding small; the results go back to the order of
the samples, so the batching changes no prediction.

:func:`warn_unknown_events` says when most events given were never seen in fit.
"""

import numbers
import warnings

import numpy as np

from ..histories._histories import _run_ends
from ..histories._prefixes import PrefixHistories

__all__ = ["PREDICT_BUDGET", "predict_batches", "step_width", "warn_unknown_events"]

# Elements of a batch's largest tensors: 2**22 float32 numbers are 16 MB, and the
# read-out holds a handful of tensors of that size at once. On MovieLens-100k's 943
# full histories (benchmarks/bench_movielens.py), a larger budget saved no time and
# a smaller one added batches whose fixed costs showed.
PREDICT_BUDGET = 1 << 22

# Chains considered for one batch at a time: bounds the work of choosing a batch.
_WINDOW = 8192


def step_width(module):
    """Elements that the LSTM keeps per step of a chain: its input, gates and output."""
    lstm = module.lstm
    return lstm.input_size + 5 * lstm.hidden_size * lstm.num_layers


def predict_batches(chains, n_outputs, width, budget=None):
    """Chain indices in batches of chains of similar length, each within ``budget``.

    Parameters
    ----------
    chains : ChainSet
    n_outputs : int
        Numbers read out per position (classes, or 1 for a regression).
    width : int
        Elements per step of a chain in the LSTM (see :func:`step_width`).
    budget : int, default=None
        Largest number of elements of a batch's tensor; a chain that alone
        exceeds it is a batch of its own. None is ``PREDICT_BUDGET``.

    Returns
    -------
    batches : list of ndarray of int64
        Every chain once, shortest chains first.
    """
    if budget is None:
        budget = PREDICT_BUDGET
    lengths = chains.chain_lengths
    positions = chains.n_entries_per_chain
    order = np.argsort(lengths, kind="stable")
    batches = []
    start = 0
    while start < len(order):
        window = order[start : start + _WINDOW]
        length = lengths[window]  # non-decreasing: the padded length of a batch ending here
        most = np.maximum.accumulate(positions[window])
        count = np.arange(1, len(window) + 1)
        # The counts of the copy from the history: per position, or running (as the
        # module chooses, see LSTMNextEventModule._counts).
        counts = np.where(most <= n_outputs + 1, most * length, length * (n_outputs + 1))
        read_out = most * n_outputs + counts
        cost = count * np.maximum(length * width, read_out)  # non-decreasing
        size = max(1, int(np.count_nonzero(cost <= budget)))
        batches.append(window[:size])
        start += size
    return batches


# From this share of unknown events on, predicting warns: the recommendations are
# then mostly the model's prior, whatever the histories say.
UNKNOWN_SHARE_WARNING = 0.5


def warn_unknown_events(estimator, histories):
    """Warn (once, a UserWarning) when most events of ``histories`` were never seen in fit.

    A model loaded from a file and given integers where it was fitted on strings
    (``65`` against ``"65"``) otherwise answers every history with its prior,
    confidently and in silence. The share counts the events of each run of
    histories once (the longest of prefixes listed one after the other).
    """
    if isinstance(histories, PrefixHistories):
        sequences = histories.used_sequences()
    else:
        sequences = _run_ends(histories)
    known = estimator._event_ids
    n_events = n_unknown = 0
    unknown_types = {}
    for sequence in sequences:
        n_events += len(sequence)
        for event in sequence:
            if event not in known:
                n_unknown += 1
                unknown_types.setdefault(_type_name(event), event)
    if not n_events or n_unknown / n_events < UNKNOWN_SHARE_WARNING:
        return
    message = (
        f"{n_unknown} of the {n_events} events of X ({n_unknown / n_events:.0%}) were never "
        "seen in fit; the model reads them all as one unknown event, so its predictions "
        "say little about these histories."
    )
    model_types = {_type_name(event) for event in estimator.events_}
    if model_types and not model_types & set(unknown_types):
        example = next(iter(unknown_types.values()))
        message += (
            f" The model's events are of type {' / '.join(sorted(model_types))} and X's "
            f"unknown ones of type {' / '.join(sorted(unknown_types))} (for example "
            f"{example!r}): convert X's events to the type of fit."
        )
    warnings.warn(message, UserWarning, stacklevel=4)


def _type_name(event):
    """The Python type an event stands for: numpy's int64 and int are one type here."""
    if isinstance(event, (bool, np.bool_)):
        return "bool"
    if isinstance(event, numbers.Integral):
        return "int"
    if isinstance(event, numbers.Real):
        return "float"
    if isinstance(event, (str, np.str_)):
        return "str"
    return type(event).__name__
