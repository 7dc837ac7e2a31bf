"""Follow a live history one event at a time: O(1) work per event.

Re-running the LSTM over a whole history for each new event costs O(L) per
event. A :class:`HistoryStream` keeps what the network needs to go on instead:
the LSTM state (h, c) after the events so far, and, for the copy-from-history
read-out, how often each class occurs in the history. ``push`` runs one LSTM
step; ``predict_proba`` applies the read-out of :class:`LSTMNextEventModule` to
that state, with the same operations as its ``forward``, so both agree to
float rounding.

With ``max_history`` set, the model conditions on the last ``max_history``
events behind a TRUNCATED marker, a window whose LSTM state cannot be updated
one event at a time (the oldest event drops out). Once the history is longer
than the window, the stream re-runs the window: O(max_history) per event, a
constant that does not grow with the history, and exact.
"""

import hashlib
from collections import deque
from pathlib import Path

import numpy as np
import torch

from ._histories import _hashable, _is_missing
from ._module import START, TRUNCATED, UNKNOWN
from ._recommend import check_k, labels_and_proba, top_k_indices

__all__ = ["HistoryStream", "StreamMixin", "read_out"]

_STREAM_FORMAT = 1


def read_out(module, hidden, counts, n_copyable):
    """Log-probabilities from the top LSTM output, as ``LSTMNextEventModule.forward``.

    Parameters
    ----------
    module : LSTMNextEventModule
        In eval mode (dropout is the identity).
    hidden : tensor of shape (batch, hidden_size)
    counts : tensor of shape (batch, n_classes)
        How often each class occurs in the history (float, module dtype).
    n_copyable : tensor of int64, shape (batch,)
        Number of events of the history that are classes.

    Returns
    -------
    log_proba : tensor of shape (batch, n_classes)
    """
    logits = module.output(hidden)
    if not module.copies:
        return torch.log_softmax(logits, dim=-1)
    seen = (counts > 0).to(logits.dtype)
    logits = logits + module.repeat_shift(hidden) * seen
    log_proba = torch.log_softmax(logits, dim=-1)
    gate = torch.sigmoid(module.gate(hidden)).squeeze(-1) * (n_copyable > 0)
    gate, n_copyable = gate.unsqueeze(-1), n_copyable.unsqueeze(-1)
    proba = gate * counts / n_copyable.clamp_min(1) + (1 - gate) * log_proba.exp()
    return torch.log(proba.clamp_min(torch.finfo(proba.dtype).tiny))


def check_event(event):
    """Raise for an event that no history may hold (unhashable or missing)."""
    if not _hashable(event):
        raise TypeError(
            f"An event must be a hashable label (a string, a number, ...); got a "
            f"{type(event).__name__} ({event!r})."
        )
    if _is_missing(event) or (
        isinstance(event, (np.datetime64, np.timedelta64)) and np.isnat(event)
    ):
        raise ValueError(
            f"An event must not be a missing value; got {event!r}. Drop it or encode it as "
            "an event of its own."
        )


class HistoryStream:
    """The state of a fitted :class:`NextEventClassifier` after a growing history.

    Made by :meth:`NextEventClassifier.stream`; not built directly. Each
    :meth:`push` costs one LSTM step, whatever the length of the history, and
    :meth:`predict_proba` gives what ``clf.predict_proba([history])[0]`` gives
    for the events pushed so far (to float rounding, within 1e-6).

    A stream pickles (with its model) and :meth:`save` writes its state alone
    to a small file that :meth:`NextEventClassifier.load_stream` reads back, for
    sessions that span requests.

    Attributes
    ----------
    n_events : int
        Number of events pushed since the start (or the last :meth:`reset`).
    """

    def __init__(self, estimator, history=()):
        self._estimator = estimator
        module = estimator.net_.module_
        self._module = module
        self._device = next(module.parameters()).device
        self._event_ids = estimator._event_ids
        n_classes = len(estimator.classes_)
        # The class of each token (-1: none) even when the copy is off, for
        # recommend(exclude_seen=True).
        class_index = {label: i for i, label in enumerate(estimator.classes_.tolist())}
        self._token_class = {
            token: class_index[event]
            for event, token in self._event_ids.items()
            if event in class_index
        }
        self._n_classes = n_classes
        self.reset()
        for event in history:
            self.push(event)

    # State ------------------------------------------------------------------------------

    def reset(self):
        """Go back to the empty history; returns the stream."""
        self.n_events = 0
        self._counts = torch.zeros(1, self._n_classes, device=self._device)
        self._n_copyable = torch.zeros(1, dtype=torch.int64, device=self._device)
        self._seen = np.zeros(self._n_classes, dtype=bool)
        limit = self._estimator.max_history
        self._window = deque(maxlen=limit) if limit is not None else None
        self._state = None
        self._hidden = None
        self._proba = None
        self._step(START)
        return self

    def copy(self):
        """An independent stream at the same point of the same history."""
        other = object.__new__(type(self))
        other.__dict__.update(self.__dict__)
        other._counts = self._counts.clone()
        other._n_copyable = self._n_copyable.clone()
        other._seen = self._seen.copy()
        if self._window is not None:
            other._window = deque(self._window, maxlen=self._window.maxlen)
        return other

    def push(self, event):
        """Append one event to the history; returns the stream.

        Parameters
        ----------
        event : hashable
            Any event; one never seen in fit is the shared unknown event, as in
            ``predict``. None, NaN and unhashable values are refused.
        """
        check_event(event)
        token = self._event_ids.get(event, UNKNOWN)
        self.n_events += 1
        cls = self._token_class.get(token)
        if cls is not None:
            self._seen[cls] = True
        if self._window is None:
            self._step(token)
            return self
        self._window.append(token)
        if self.n_events <= self._window.maxlen:
            self._step(token)
        else:
            self._rerun_window()
        return self

    def _step(self, token):
        """One LSTM step over ``token`` and the counts of the history it joins."""
        with torch.inference_mode():
            embedded = self._module.embedding(torch.tensor([[token]], device=self._device))
            output, self._state = self._module.lstm(embedded, self._state)
        self._hidden = output[:, -1]
        self._count(token, 1)
        self._proba = None

    def _count(self, token, sign):
        cls = self._token_class.get(token)
        if cls is not None:
            self._counts[0, cls] += sign
            self._n_copyable += sign

    def _rerun_window(self):
        """The model's input is now (TRUNCATED, last max_history events): run it again."""
        tokens = torch.tensor([[TRUNCATED, *self._window]], device=self._device)
        with torch.inference_mode():
            output, self._state = self._module.lstm(self._module.embedding(tokens))
        self._hidden = output[:, -1]
        self._counts.zero_()
        self._n_copyable.zero_()
        for token in self._window:
            self._count(token, 1)
        self._proba = None

    # Predictions ------------------------------------------------------------------------

    def predict_proba(self):
        """Probability of each class after the history so far.

        Returns
        -------
        proba : ndarray of shape (n_classes,)
            Columns in the order of ``classes_``.
        """
        if self._proba is None:
            with torch.inference_mode():
                log_proba = read_out(self._module, self._hidden, self._counts, self._n_copyable)
                proba = torch.softmax(log_proba[0].double(), dim=-1)
            self._proba = proba.cpu().numpy()
        return self._proba.copy()

    def predict(self):
        """The most probable next event (ties to the first class, as ``predict``)."""
        return self._estimator.classes_[int(np.argmax(self.predict_proba()))]

    def recommend(self, k=10, *, exclude_seen=False, return_proba=False):
        """The ``k`` most probable next events, as :meth:`NextEventClassifier.recommend`.

        Returns a 1-D array of ``k`` labels (and their probabilities with
        ``return_proba=True``).
        """
        k = check_k(k, self._n_classes)
        proba = self.predict_proba()[None, :]
        scores = proba
        if exclude_seen:
            scores = np.where(self.seen_classes()[None, :], -np.inf, proba)
        result = labels_and_proba(
            self._estimator.classes_, proba, top_k_indices(scores, k), return_proba
        )
        return tuple(part[0] for part in result) if return_proba else result[0]

    def seen_classes(self):
        """Boolean (n_classes,): whether each class occurs in the history so far.

        The whole history counts, also beyond ``max_history``, as in
        ``recommend(X, exclude_seen=True)``.
        """
        return self._seen.copy()

    # Saving -----------------------------------------------------------------------------

    def save(self, path, *, overwrite=False):
        """Write the stream's state (not the model) to ``path`` (safetensors).

        Read it back with :meth:`NextEventClassifier.load_stream` on the same
        model; a different model is refused.
        """
        from safetensors.torch import save_file

        from ._persistence import check_target, write_atomically

        path = check_target(path, overwrite)
        h, c = self._state
        tensors = {
            "h": h.detach().cpu().contiguous(),
            "c": c.detach().cpu().contiguous(),
            "hidden": self._hidden.detach().cpu().contiguous(),
            "counts": self._counts.cpu().contiguous(),
            "n_copyable": self._n_copyable.cpu().contiguous(),
            "window": torch.tensor(list(self._window or []), dtype=torch.int64),
            "seen": torch.from_numpy(self._seen.astype(np.uint8)),
        }
        metadata = {
            "format": "sklearn-seqlstm-stream",
            "format_version": str(_STREAM_FORMAT),
            "model": model_fingerprint(self._module),
            "n_events": str(self.n_events),
        }
        write_atomically(path, lambda tmp: save_file(tensors, str(tmp), metadata=metadata))

    def __repr__(self):
        return f"HistoryStream(n_events={self.n_events})"


def model_fingerprint(module):
    """A digest of the module's weights, to tell whether a saved stream belongs to it."""
    digest = hashlib.sha256()
    for name, tensor in sorted(module.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def load_stream(estimator, path):
    """A :class:`HistoryStream` of ``estimator`` from a file written by ``stream.save``."""
    from safetensors import SafetensorError, safe_open

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such stream file.")
    try:
        with safe_open(str(path), framework="pt", device="cpu") as file:
            metadata = file.metadata() or {}
            tensors = {key: file.get_tensor(key) for key in file.keys()}  # noqa: SIM118
    except (SafetensorError, OSError, ValueError) as exc:
        raise ValueError(f"{path}: not a saved stream ({exc}).") from None
    if metadata.get("format") != "sklearn-seqlstm-stream":
        raise ValueError(f"{path}: not a saved stream of sklearn-seqlstm.")
    if metadata.get("format_version") != str(_STREAM_FORMAT):
        raise ValueError(
            f"{path}: stream format version {metadata.get('format_version')!r}; this "
            f"version of sklearn-seqlstm reads version {_STREAM_FORMAT}."
        )
    stream = HistoryStream(estimator)
    if metadata.get("model") != model_fingerprint(stream._module):
        raise ValueError(f"{path}: this stream was saved with another model.")
    missing = {"h", "c", "hidden", "counts", "n_copyable", "window", "seen"} - set(tensors)
    if missing:
        raise ValueError(f"{path}: the stream file lacks {sorted(missing)}.")
    expected = {
        "h": stream._state[0].shape,
        "c": stream._state[1].shape,
        "hidden": stream._hidden.shape,
        "counts": stream._counts.shape,
        "n_copyable": stream._n_copyable.shape,
        "seen": stream._seen.shape,
    }
    for key, shape in expected.items():
        if tensors[key].shape != shape:
            raise ValueError(
                f"{path}: tensor {key!r} has shape {tuple(tensors[key].shape)}, expected "
                f"{tuple(shape)}."
            )
    device = stream._device
    stream._state = (tensors["h"].to(device), tensors["c"].to(device))
    stream._hidden = tensors["hidden"].to(device)
    stream._counts = tensors["counts"].to(device)
    stream._n_copyable = tensors["n_copyable"].to(device)
    stream._seen = tensors["seen"].numpy().astype(bool)
    stream.n_events = int(metadata.get("n_events", 0))
    if stream._window is not None:
        stream._window.extend(tensors["window"].tolist())
    return stream


class StreamMixin:
    """``stream()`` and ``load_stream(path)`` for :class:`NextEventClassifier`."""

    def stream(self, history=()):
        """A :class:`HistoryStream` that follows a growing history in O(1) per event.

        Parameters
        ----------
        history : sequence of events, default=()
            Events to start from (pushed one by one).

        Returns
        -------
        stream : HistoryStream
            ``push(event)`` appends an event, ``predict_proba()`` and
            ``recommend(k)`` read the model's prediction after the history so
            far, ``copy()``, ``reset()`` and ``save(path)`` manage the state.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_seqlstm import NextEventClassifier
        >>> X = [["home"], ["home", "search"], ["search"], ["home", "search", "item"]]
        >>> y = ["search", "item", "item", "cart"]
        >>> clf = NextEventClassifier(max_epochs=5, random_state=0).fit(X, y)
        >>> stream = clf.stream()
        >>> stream.push("home").push("search")
        HistoryStream(n_events=2)
        >>> bool(np.allclose(stream.predict_proba(), clf.predict_proba([["home", "search"]])[0]))
        True
        >>> stream.recommend(k=2).shape
        (2,)
        """
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        if isinstance(history, (str, bytes)):
            raise TypeError("history must be a sequence of events, not a string.")
        module = self.net_.module_
        if module.training:
            module.eval()
        return HistoryStream(self, history)

    def load_stream(self, path):
        """A stream saved with :meth:`HistoryStream.save`, on this same model.

        Parameters
        ----------
        path : str or pathlib.Path

        Returns
        -------
        stream : HistoryStream
        """
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        return load_stream(self, path)
