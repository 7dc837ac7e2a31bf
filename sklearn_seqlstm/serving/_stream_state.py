"""The state read from a saved stream, checked before a stream takes it.

A stream file (``HistoryStream.save``) may have been edited: its model
fingerprint only says which model it belongs to, not that its state is one a
stream of that model can reach. :func:`checked_state` refuses, with a
``ValueError`` naming the file, any state that would give NaN probabilities or
make the next push fail: non-finite or out-of-range LSTM states, counts that
disagree with each other, window tokens that are not token ids of the model,
times that go back.
"""

import numpy as np

__all__ = ["checked_state"]


def checked_state(arrays, metadata, stream, path):
    """The state of ``arrays`` and ``metadata`` as a fresh ``stream`` of the model takes it.

    ``stream`` is a new stream of the model (its state at the empty history),
    whose shapes and limits the saved state must match. Returns a dict of the
    stream's attributes: ``h``, ``c``, ``counts``, ``n_copyable``, ``seen``,
    ``n_events``, ``tokens`` (the window's token ids), ``inputs`` (the window's
    step inputs, None for a plain model, which recomputes them), and ``times``
    (first and previous, None each when unknown; None for a plain model).
    """
    attributed = stream._steps is not None
    expected = {
        "h": ("f", stream._h.shape),
        "c": ("f", stream._c.shape),
        "counts": ("f", stream._counts.shape),
        "n_copyable": ("iu", (1,)),
        "seen": ("ub", stream._seen.shape),
        "window": ("iu", None),
        "history_node": ("i", (1,)),
    }
    if attributed:
        expected["times"] = ("f", (2,))
        expected["window_inputs"] = ("f", None)
    missing = sorted(set(expected) - set(arrays))
    if missing:
        raise ValueError(f"{path}: the stream file lacks {missing}.")
    for key, (kinds, shape) in expected.items():
        array = arrays[key]
        if shape is not None and array.shape != shape:
            raise ValueError(f"{path}: array {key!r} has shape {array.shape}, expected {shape}.")
        if array.dtype.kind not in kinds:
            raise ValueError(f"{path}: array {key!r} has dtype {array.dtype}.")
        if kinds == "f" and key != "times" and not np.isfinite(array).all():
            raise ValueError(f"{path}: array {key!r} holds NaN or infinite values.")
    state = {key: arrays[key].astype(np.float64) for key in ("h", "c", "counts")}
    # h is o * tanh(c), within (-1, 1) at every layer.
    if (np.abs(state["h"]) > 1).any():
        raise ValueError(f"{path}: the LSTM state 'h' is outside [-1, 1].")
    state["n_copyable"] = _count_state(arrays, state["counts"], path)
    seen = arrays["seen"]
    if not np.isin(seen, (0, 1)).all():
        raise ValueError(f"{path}: array 'seen' must hold 0 or 1.")
    state["seen"] = seen.astype(bool)
    if ((state["counts"] > 0) & ~state["seen"]).any():
        raise ValueError(f"{path}: a class counted in the history is not marked as seen.")
    state["history_node"] = _history_node(arrays["history_node"], stream, path)
    state["n_events"] = _n_events(metadata, path)
    state["tokens"] = _window(arrays["window"], state["n_events"], stream, path)
    state["inputs"] = state["times"] = None
    if attributed:
        state["inputs"], state["times"] = _attributed_state(arrays, state["tokens"], stream, path)
    return state


def _count_state(arrays, counts, path):
    """How many events of the window are classes: the sum of the class counts."""
    n_copyable = int(arrays["n_copyable"][0])
    if (counts < 0).any() or (counts != np.round(counts)).any():
        raise ValueError(f"{path}: array 'counts' must hold whole numbers >= 0.")
    if n_copyable != counts.sum():
        raise ValueError(
            f"{path}: n_copyable ({n_copyable}) is not the sum of the class counts "
            f"({counts.sum():g})."
        )
    return n_copyable


def _history_node(array, stream, path):
    """The node of the history among the training histories (-1: none of them)."""
    node = int(array[0])
    counts = stream._history_counts
    n_nodes = 0 if counts is None else counts.n_nodes
    if not -1 <= node < n_nodes:
        raise ValueError(
            f"{path}: history_node {node} is not a node of the model's training histories."
        )
    return node


def _n_events(metadata, path):
    text = metadata.get("n_events", "0")
    if not (isinstance(text, str) and text.isdigit() and len(text) <= 20):
        raise ValueError(f"{path}: n_events {text!r:.40} is not a count of events.")
    return int(text)


def _window(window, n_events, stream, path):
    """The window's token ids: model tokens, as many as the window keeps of n_events."""
    tokens = window.astype(np.int64).tolist() if window.ndim == 1 else None
    n_tokens = len(stream._weights.embedding)
    if tokens is None or any(not 0 <= token < n_tokens for token in tokens):
        raise ValueError(f"{path}: the window holds a token outside the vocabulary.")
    limit = 0 if stream._window is None else stream._window.maxlen
    if len(tokens) != min(n_events, limit):
        raise ValueError(
            f"{path}: the window holds {len(tokens)} events; after {n_events} events a "
            f"stream of this model keeps {min(n_events, limit)}."
        )
    return tokens


def _attributed_state(arrays, tokens, stream, path):
    """The window's step inputs and the first and previous times of an attributed model."""
    inputs = arrays["window_inputs"].astype(np.float64)
    if inputs.shape != (len(tokens), stream._weights.input_size):
        raise ValueError(
            f"{path}: array 'window_inputs' has shape {inputs.shape}, expected "
            f"{(len(tokens), stream._weights.input_size)}."
        )
    times = arrays["times"].astype(np.float64)
    if np.isinf(times).any() or np.isnan(times).any() != np.isnan(times).all():
        raise ValueError(f"{path}: the stream's times must be two finite times, or unknown.")
    first, previous = (None if np.isnan(t) else float(t) for t in times)
    if first is not None and previous < first:
        raise ValueError(f"{path}: the previous event's time is before the first's.")
    return inputs, (first, previous)
