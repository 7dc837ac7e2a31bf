"""Follow a live history one event at a time: O(1) work per event.

Re-running the LSTM over a whole history for each new event costs O(L) per
event. A :class:`HistoryStream` keeps what the network needs to go on instead:
the LSTM state (h, c) after the events so far, and, for the copy-from-history
read-out, how often each class occurs in the history. ``push`` runs one LSTM
step; ``predict_proba`` applies the read-out of :class:`LSTMNextEventModule` to
that state. Both run in numpy, in float64, on a copy of the weights
(``neural/_numpy_step.py``): a torch call on one event costs about 0.1 ms of fixed
overhead (measured: ``nn.LSTM`` took 121 us for one step against 28 us for the
numpy step), most of the budget of a live request. The results agree with the
float32 torch forward to within 1e-6 (tested at every step of long histories).

With ``max_history`` set, the model conditions on the last ``max_history``
events behind a TRUNCATED marker, a window whose LSTM state cannot be updated
one event at a time (the oldest event drops out). Once the history is longer
than the window, the stream re-runs the window: O(max_history) per event, a
constant that does not grow with the history, and exact.

A model fitted with times or attributes (:class:`AttributedHistories`) reads
more than the event at each step. Its stream is given the sequence's context
once (``clf.stream(context={...})``) and each event's time and attributes with
the event (``push(event, time=..., attributes={...})``); one step is encoded by
``StepEncoder.encode_step``, the code of ``fit`` and ``predict_proba`` laid out
for one row, and the stream keeps the first and previous times for the gap
features.
"""

import datetime
import hashlib
import json
import sys
from collections import deque
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ..histories._attributed import _seconds, out_of_range
from ..histories._histories import _hashable
from ..metrics._recommend import recommend_one
from ..neural._module import START, TRUNCATED, UNKNOWN
from ..neural._numpy_step import step_weights
from ..utils._missing import is_missing
from ._stream_state import checked_state

__all__ = ["HistoryStream", "load_stream"]

_STREAM_FORMAT = 2


def check_event(event):
    """Raise for an event that no history may hold (unhashable or missing)."""
    if not _hashable(event):
        raise TypeError(
            f"An event must be a hashable label (a string, a number, ...); got a "
            f"{type(event).__name__} ({event!r})."
        )
    if is_missing(event):  # the one rule of every estimator (NaT, Decimal NaN too)
        raise ValueError(
            f"An event must not be a missing value; got {event!r}. Drop it or encode it as "
            "an event of its own."
        )


class HistoryStream:
    """The state of a fitted :class:`NextEventClassifier` after a growing history.

    Made by :meth:`NextEventClassifier.stream`; not built directly. Each
    :meth:`push` costs one LSTM step, whatever the length of the history, and
    :meth:`predict_proba` gives what ``clf.predict_proba`` gives on the whole
    history of the events pushed so far, to within 1e-6 (the stream computes in
    float64 numpy, the classifier in float32 torch).

    For a model fitted with times or attributes (:class:`AttributedHistories`),
    the stream holds the sequence's context (its sequence attributes, given to
    :meth:`NextEventClassifier.stream`), and each event is pushed with its time
    and event attributes: ``push(event, time=..., attributes={...})``.

    With ``max_history`` set, a history longer than the window re-runs the
    window at each event: O(max_history) work, exact, and still independent of
    the length of the history.

    A stream pickles (with its model) and :meth:`save` writes its state alone
    to a small file that :meth:`NextEventClassifier.load_stream` reads back, for
    sessions that span requests.

    Attributes
    ----------
    n_events : int
        Number of events pushed since the start (or the last :meth:`reset`).
    """

    def __init__(self, estimator, history=None, context=None):
        self._estimator = estimator
        # The net and classes the stream's weights come from (see _check_model); the
        # net rather than its module, which skorch pickles apart from the net.
        self._fitted = (estimator.net_, estimator.classes_)
        self._weights = step_weights(estimator)
        self._event_ids = estimator._event_ids
        self._n_classes = self._weights.n_classes
        self._steps = estimator._steps  # None: a plain model, events only
        # The training histories' next events, followed down their trie event by event.
        self._history_counts = getattr(estimator, "_history_counts", None)
        self._context = _check_context(self._steps, context)
        history = [] if history is None else history
        if isinstance(history, (str, bytes)):
            raise TypeError("history must be a sequence of events, not a string.")
        history = list(history)
        steps = self._steps
        if history and steps is not None and (steps.time_kind or steps.event_attributes):
            raise ValueError(
                "This model reads each event's time or attributes, which a history of "
                "events alone lacks: start from stream(context=...) and push each event "
                "with push(event, time=..., attributes={...})."
            )
        # The marker rows carry the context (see StepEncoder.transform).
        marker_row = () if steps is None else steps.encode_step(context=self._context)
        self._markers = {m: self._weights.input(m, *marker_row) for m in (START, TRUNCATED)}
        self.reset()
        for event in history:
            self.push(event)

    @property
    def context(self):
        """The sequence attributes of the stream (a copy; empty for a model without)."""
        return dict(self._context)

    # State ------------------------------------------------------------------------------

    def reset(self):
        """Go back to the empty history (same context); returns the stream."""
        self.n_events = 0
        limit = self._estimator.max_history
        # deque's maxlen must fit a C ssize_t; a longer limit is one that no stream
        # reaches, so it truncates nothing and no window is kept, as with None.
        truncates = limit is not None and limit < sys.maxsize
        self._window = deque(maxlen=limit) if truncates else None
        self._seen = np.zeros(self._n_classes, dtype=bool)
        self._first_time = self._previous_time = None
        self._restart(START)
        return self

    def _restart(self, marker):
        shape = (len(self._weights.layers), self._weights.hidden_size)
        self._h, self._c = np.zeros(shape), np.zeros(shape)
        self._counts = np.zeros(self._n_classes)
        self._n_copyable = 0
        # The trie's root, the empty token sequence (-1: no training histories kept).
        self._node = -1 if self._history_counts is None else 0
        self._step(marker, self._markers[marker])

    def copy(self):
        """An independent stream at the same point of the same history."""
        other = object.__new__(type(self))
        other.__dict__.update(self.__dict__)
        other._counts = self._counts.copy()
        other._seen = self._seen.copy()
        if self._window is not None:
            other._window = deque(self._window, maxlen=self._window.maxlen)
        # h, c and the step inputs are replaced, never changed in place: shared safely.
        return other

    def push(self, event, *, time=None, attributes=None):
        """Append one event to the history; returns the stream.

        Parameters
        ----------
        event : hashable
            Any event; one never seen in fit is the shared unknown event, as in
            ``predict``. None, NaN and unhashable values are refused.
        time : datetime-like or number, default=None
            The event's time, required when the model uses time (and refused
            otherwise): a datetime (a ``pandas.Timestamp``, ``datetime``,
            ``numpy.datetime64`` or a parseable string) or a number, as the
            times of fit. Times must not go back.
        attributes : dict, default=None
            The value of every event attribute of the model
            (``clf.event_attributes_``), by name; required when the model has
            any. A missing value (None, NaN) is encoded as missing and a
            category that is not one of the model's (rare or never seen in fit)
            as rare, as in ``predict_proba``.

        Nothing changes when the event, its time or its attributes are refused.
        """
        self._check_model()
        check_event(event)
        token = self._event_ids.get(event, UNKNOWN)
        if self._steps is None:
            _refuse_extras(time, attributes)
            x = self._weights.input(token)
            now = None
        else:
            now = self._check_time(time)
            attributes = _check_names(
                attributes, self._steps.event_attributes, "attributes", "event attribute"
            )
            times = None
            if now is not None:
                first = now if self._first_time is None else self._first_time
                previous = now if self._previous_time is None else self._previous_time
                times = (now, previous, first)
            cats, nums = self._steps.encode_step(
                context=self._context, attributes=attributes, times=times
            )
            x = self._weights.input(token, cats, nums)
        # Checked and encoded: only now does the state change.
        if now is not None:
            if self._first_time is None:
                self._first_time = now
            self._previous_time = now
        self.n_events += 1
        cls = self._weights.token_class[token]
        if cls >= 0:
            self._seen[cls] = True
        if self._window is None:
            self._step(token, x)
            return self
        self._window.append((token, x))
        if self.n_events <= self._window.maxlen:
            self._step(token, x)
        else:
            # The model's input is now (TRUNCATED, last max_history events).
            self._restart(TRUNCATED)
            for windowed in self._window:
                self._step(*windowed)
        return self

    def _check_model(self):
        """Refuse to go on once the model was refit: its classes are no longer ours."""
        net, classes = self._fitted
        estimator = self._estimator
        if getattr(estimator, "net_", None) is not net or estimator.classes_ is not classes:
            raise ValueError(
                "The model of this stream was refit after the stream was made: the stream "
                "holds the old network's weights, which do not go with the new classes_. "
                "Start a new stream with clf.stream()."
            )

    def _check_time(self, time):
        """The event's time in seconds (None for a model without time), checked."""
        kind = self._steps.time_kind
        if kind is None:
            if time is not None:
                raise ValueError(
                    "This model does not use time (it was fitted without times or with "
                    "time_features=False); push the event without time=."
                )
            return None
        if is_missing(time):
            raise ValueError(
                f"This model uses the events' times ({kind}): push(event, time=...) needs "
                "the event's time."
            )
        values = [time]
        if isinstance(time, (datetime.datetime, np.datetime64, str)):
            # The same DatetimeIndex that _seconds makes: read here, a time beyond
            # pandas' nanosecond range can be named as such before _seconds reads it.
            try:
                values = pd.DatetimeIndex(
                    values if not isinstance(time, str) else pd.to_datetime(values, utc=True)
                )
            except (TypeError, ValueError, OverflowError):
                values = [time]
        try:
            if isinstance(values, pd.DatetimeIndex) and out_of_range(values).any():
                raise pd.errors.OutOfBoundsDatetime
            seconds, given = _seconds(values, 0)
        except pd.errors.OutOfBoundsDatetime:
            raise ValueError(
                f"time={time!r} is out of the supported datetime range ({pd.Timestamp.min} "
                f"to {pd.Timestamp.max}, pandas' nanosecond timestamps)."
            ) from None
        except (TypeError, ValueError, OverflowError):
            given = None
        if given != kind:
            expected = "a datetime" if kind == "datetime" else "a number"
            raise ValueError(
                f"time={time!r} is not {expected}; this model was fitted with {kind} times."
            )
        now = float(seconds[0])
        if self._previous_time is not None and now < self._previous_time:
            raise ValueError(
                f"time={time!r} is before the previous event's time; times must not go "
                "back within a history."
            )
        return now

    def _step(self, token, x):
        """One LSTM step over input ``x`` of ``token``, and the counts of the history."""
        self._h, self._c = self._weights.step(x, self._h, self._c)
        if self._history_counts is not None:
            self._node = self._history_counts.child(self._node, token)
        cls = self._weights.token_class[token]
        if cls >= 0:
            self._counts[cls] += 1
            self._n_copyable += 1
        self._proba = None

    # Predictions ------------------------------------------------------------------------

    def predict_proba(self):
        """Probability of each class after the history so far.

        Returns
        -------
        proba : ndarray of shape (n_classes,)
            Columns in the order of ``classes_``.
        """
        self._check_model()
        if self._proba is None:
            proba = self._weights.proba(self._h[-1], self._counts, self._n_copyable)
            if self._history_counts is not None:
                proba = self._history_counts.blend_one(proba, self._node)
            self._proba = proba
        return self._proba.copy()

    def predict(self):
        """The most probable next event (ties to the first class, as ``predict``)."""
        return self._estimator.classes_[int(np.argmax(self.predict_proba()))]

    def recommend(
        self,
        k=10,
        *,
        exclude_seen=False,
        candidates=None,
        exclude=None,
        renormalize=False,
        return_proba=False,
    ):
        """The ``k`` most probable next events, as :meth:`NextEventClassifier.recommend`.

        With the same options (a ``candidates`` callable gets ``[0]``); a 1-D array.
        """
        return recommend_one(self, k, exclude_seen, candidates, exclude, renormalize, return_proba)

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
        model; a different model is refused. The state of a model fitted with
        times or attributes includes the context, and the first and previous
        times; a context value is saved with its type, so it must be a str,
        int, float or bool (Python or numpy) or missing.
        """
        from safetensors.numpy import save_file

        from ._codec import check_target, write_atomically

        path = check_target(path, overwrite)
        window = list(self._window or [])
        arrays = {
            "h": self._h,
            "c": self._c,
            "counts": self._counts,
            "n_copyable": np.array([self._n_copyable], dtype=np.int64),
            "window": np.array([token for token, _ in window], dtype=np.int64),
            "seen": self._seen.astype(np.uint8),
            "history_node": np.array([self._node], dtype=np.int64),
        }
        metadata = {
            "format": _STREAM_FORMAT_NAME,
            "format_version": str(_STREAM_FORMAT),
            "model": model_fingerprint(self._estimator),
            "n_events": str(self.n_events),
        }
        if self._steps is not None:
            times = [self._first_time, self._previous_time]
            arrays["times"] = np.array([np.nan if t is None else t for t in times])
            arrays["window_inputs"] = np.array([x for _, x in window], dtype=np.float64).reshape(
                len(window), self._weights.input_size
            )
            metadata["context"] = json.dumps(_encode_context(self._context))
        write_atomically(path, lambda tmp: save_file(arrays, str(tmp), metadata=metadata))

    def __repr__(self):
        return f"HistoryStream(n_events={self.n_events})"


def _check_names(values, names, argument, what):
    """``values`` as a dict holding exactly ``names``; a clear error otherwise."""
    if values is None:
        values = {}
    if not isinstance(values, Mapping):
        raise TypeError(
            f"{argument} must be a dict of {what}s by name; got a {type(values).__name__}."
        )
    missing = [name for name in names if name not in values]
    if missing:
        raise ValueError(
            f"{argument} lacks the {what}(s) {', '.join(map(repr, missing))} of this model "
            f"(it reads {', '.join(map(repr, names))}); pass None for a missing value."
        )
    unexpected = [name for name in values if name not in names]
    if unexpected:
        reads = f"it reads {', '.join(map(repr, names))}" if names else f"it reads no {what}"
        raise ValueError(
            f"{argument} holds {', '.join(map(repr, unexpected))}, which this model does "
            f"not use as {what}s ({reads})."
        )
    return {name: values[name] for name in names}


def _check_context(steps, context):
    """The context of a stream: the value of every sequence attribute of the model."""
    names = [] if steps is None else steps.sequence_attributes
    return _check_names(context, names, "context", "sequence attribute")


def _refuse_extras(time, attributes):
    """A plain model reads events only: a time or attributes would be silently lost."""
    if time is not None:
        raise ValueError(
            "This model does not use time (it was fitted on events only); push the event "
            "without time=."
        )
    _check_names(attributes, [], "attributes", "event attribute")


def _encode_context(context):
    """The context as JSON-able typed values; a missing value is None."""
    from ._codec import encode_values

    return {
        name: None if is_missing(value) else encode_values([value], f"context value {name!r}")[0]
        for name, value in context.items()
    }


def _decode_context(document, path):
    from ._codec import decode_values

    try:
        context = json.loads(document)
        if not isinstance(context, dict):
            raise ValueError("not a mapping")
        return {
            name: None if value is None else decode_values([value], "context")[0]
            for name, value in context.items()
        }
    except ValueError as exc:
        raise ValueError(f"{path}: the stream's context is unreadable ({exc}).") from None


_STREAM_FORMAT_NAME = "sklearn-seqlstm-stream"


def model_fingerprint(estimator):
    """A digest of the model's weights (and step encoder), to tell whether a saved stream
    belongs to it."""
    digest = hashlib.sha256()
    for name, tensor in sorted(estimator.net_.module_.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    steps = getattr(estimator, "_steps", None)
    if steps is not None:  # plain models keep the digest of their weights alone
        digest.update(_steps_document(steps).encode())
    counts = getattr(estimator, "_history_counts", None)
    if counts is not None:  # a stream's place in the trie is a place in these counts
        digest.update(repr(counts.prior_weight).encode())
        for array in (counts.edge_key, counts.edge_child, counts.count_weight):
            digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def _steps_document(steps):
    """The step encoder as saved with the model, or its repr when its values cannot be."""
    from ._serializers import _dump_steps

    try:
        return json.dumps(_dump_steps(steps), sort_keys=True)
    except ValueError:
        return repr(
            (
                steps.sequence_context,
                steps.time_kind,
                [(name, sorted(map(repr, e.items()))) for name, e in steps.encodings.items()],
            )
        )


def load_stream(estimator, path):
    """A :class:`HistoryStream` of ``estimator`` from a file written by ``stream.save``."""
    from safetensors import SafetensorError, safe_open

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such stream file.")
    try:
        with safe_open(str(path), framework="numpy") as file:
            metadata = file.metadata() or {}
            arrays = {key: file.get_tensor(key) for key in file.keys()}  # noqa: SIM118
    except (SafetensorError, OSError, ValueError) as exc:
        raise ValueError(f"{path}: not a saved stream ({exc}).") from None
    if metadata.get("format") != _STREAM_FORMAT_NAME:
        raise ValueError(f"{path}: not a saved stream of sklearn-seqlstm.")
    if metadata.get("format_version") != str(_STREAM_FORMAT):
        raise ValueError(
            f"{path}: stream format version {metadata.get('format_version')!r}; this "
            f"version of sklearn-seqlstm reads version {_STREAM_FORMAT}."
        )
    if metadata.get("model") != model_fingerprint(estimator):
        raise ValueError(f"{path}: this stream was saved with another model.")
    attributed = estimator._steps is not None
    context = None
    if attributed:
        if "context" not in metadata:
            raise ValueError(f"{path}: the stream file lacks its context.")
        context = _decode_context(metadata["context"], path)
    stream = HistoryStream(estimator, context=context)
    state = checked_state(arrays, metadata, stream, path)
    tokens, inputs = state["tokens"], state["inputs"]
    if inputs is None:
        inputs = [stream._weights.input(token) for token in tokens]
    else:
        stream._first_time, stream._previous_time = state["times"]
    stream._h, stream._c, stream._counts = state["h"], state["c"], state["counts"]
    stream._n_copyable, stream._seen = state["n_copyable"], state["seen"]
    stream._node = state["history_node"]
    stream.n_events = state["n_events"]
    if stream._window is not None:
        stream._window.extend(zip(tokens, inputs, strict=True))
    return stream
