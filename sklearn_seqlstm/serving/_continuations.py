"""Continuations: the rest of a history, drawn or decoded one event at a time.

An LSTM trained to predict the next event is a generative model of sequences:
feed it its own prediction and it predicts the one after. Both functions here
walk a :class:`HistoryStream` (one LSTM step per event, whatever the length of
the history) from the end of each history:

- :func:`sample_continuations` draws each next event from the model's
  distribution (sharpened or flattened by a temperature): possible futures, in
  proportion to how likely the model finds them;
- :func:`predict_suffix` decodes the most likely rest: greedily (the most
  probable event at each step) or by beam search (the most probable whole
  continuation among ``beam_width`` kept at each step).

A continuation is made of classes fed back as events, so the model's classes
must be events of its vocabulary (next-event prediction). A class that never
occurred in a training history (an end-of-case token, say) is fed back as the
unknown event, as ``predict_proba`` would read it.

What future steps assume, for a model fitted with times or attributes: each
generated event takes place one *last gap* after the previous event (the time
between the history's last two events; no gap after a single event), its event
attributes are missing (as a missing value in ``predict_proba``), and the
sequence attributes stay those of the history.
"""

import numbers

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ..histories._histories import check_histories
from ._stream import HistoryStream

__all__ = ["predict_suffix", "sample_continuations"]


def sample_continuations(
    estimator, X, n_steps, n_samples=1, *, stop_event=None, temperature=1.0, random_state=None
):
    """Draw ``n_samples`` continuations of ``n_steps`` events after each history.

    See :meth:`NextEventClassifier.sample_continuations`.
    """
    n_steps = _check_count(n_steps, "n_steps")
    n_samples = _check_count(n_samples, "n_samples")
    temperature = _check_positive(temperature, "temperature")
    starts = _start_streams(estimator, X)
    classes = estimator.classes_.tolist()
    stop = _stop_class(estimator, stop_event)
    rng = check_random_state(random_state)
    result = []
    for start in starts:
        drawn = []
        for _ in range(n_samples):
            walk, events = start.copy(), []
            for step in range(n_steps):
                proba = _tempered(walk.stream.predict_proba(), temperature)
                # Inverse-CDF draw: one uniform number per step, so a seed gives the
                # same continuations whatever numpy's choice() does internally.
                drawn_at = np.searchsorted(np.cumsum(proba), rng.random_sample(), "right")
                cls = min(int(drawn_at), len(proba) - 1)
                events.append(classes[cls])
                if cls == stop:
                    break
                if step + 1 < n_steps:
                    walk.push(classes[cls])
            drawn.append(events)
        result.append(drawn)
    return result


def predict_suffix(estimator, X, max_steps, *, stop_event=None, method="greedy", beam_width=5):
    """The most likely rest of each history, at most ``max_steps`` events.

    See :meth:`NextEventClassifier.predict_suffix`.
    """
    max_steps = _check_count(max_steps, "max_steps")
    if method not in ("greedy", "beam"):
        raise ValueError(f"method must be 'greedy' or 'beam'; got {method!r}.")
    beam_width = _check_count(beam_width, "beam_width")
    starts = _start_streams(estimator, X)
    stop = _stop_class(estimator, stop_event)
    width = 1 if method == "greedy" else beam_width
    classes = estimator.classes_.tolist()
    return [
        [classes[c] for c in _beam_search(start, max_steps, stop, width, classes)]
        for start in starts
    ]


def _beam_search(start, max_steps, stop, width, classes):
    """Class indices of the most probable continuation found keeping ``width`` beams.

    With ``width=1`` this is greedy decoding: the most probable class at each
    step (ties to the first class, as ``predict``).
    """
    beams = [(0.0, [], start)]  # (log-probability, classes so far, walk)
    finished = []
    for step in range(max_steps):
        candidates = []
        for score, path, walk in beams:
            with np.errstate(divide="ignore"):
                log_proba = np.log(walk.stream.predict_proba())
            # The `width` best classes of this beam, ties to the first class.
            best = np.argsort(-log_proba, kind="stable")[:width]
            candidates.extend((score + log_proba[c], path + [int(c)], walk) for c in best)
        # A stable sort keeps the earlier beam and class first among equal scores.
        candidates.sort(key=lambda candidate: -candidate[0])
        beams = []
        for score, path, walk in candidates:
            if path[-1] == stop:
                finished.append((score, path))
            elif len(beams) < width:
                if step + 1 < max_steps:
                    walk = walk.copy()
                    walk.push(classes[path[-1]])
                beams.append((score, path, walk))
        # A finished continuation beats every live beam once it is more probable
        # than the best of them: log-probabilities only fall as a beam grows.
        if not beams or (finished and max(f[0] for f in finished) >= beams[0][0]):
            break
    finished.extend((score, path) for score, path, _ in beams)
    return max(finished, key=lambda item: item[0])[1]


class _Walk:
    """A stream and what it needs to push generated events (times, attributes)."""

    def __init__(self, stream, last_time=None, gap=None, attributes=None):
        self.stream = stream
        self.last_time = last_time
        self.gap = gap
        self.attributes = attributes

    def copy(self):
        return _Walk(self.stream.copy(), self.last_time, self.gap, self.attributes)

    def push(self, event):
        if self.last_time is None:
            self.stream.push(event)
            return
        self.last_time = self.last_time + self.gap
        self.stream.push(event, time=self.last_time, attributes=self.attributes)


def _start_streams(estimator, X):
    """One walk per history of ``X``, at the end of that history."""
    check_is_fitted(estimator)
    classes = estimator.classes_.tolist()
    if not any(label in estimator._event_ids for label in classes):
        raise ValueError(
            "Continuations feed the model's predictions back as events, but none of its "
            "classes is an event of its histories: it predicts labels, not next events."
        )
    histories = check_histories(X, estimator=estimator, reset=False)
    estimator._check_same_input(histories)
    steps = estimator._steps
    if steps is None:
        return [_Walk(HistoryStream(estimator, history)) for history in histories]
    return [_attributed_walk(estimator, histories, i) for i in range(len(histories))]


def _attributed_walk(estimator, histories, i):
    """The walk of history ``i`` of attributed histories, pushed event by event."""
    steps = estimator._steps
    s, n = int(histories.sequence_index[i]), int(histories.lengths[i])
    context = {name: histories.sequence_attributes[name][s] for name in steps.sequence_attributes}
    stream = HistoryStream(estimator, context=context)
    times = None
    if steps.time_kind is not None:
        times = [_as_time(seconds, steps.time_kind) for seconds in histories.times[s][:n]]
    for j, event in enumerate(histories.sequences[s][:n]):
        attributes = {
            name: histories.event_attributes[name][s][j] for name in steps.event_attributes
        }
        stream.push(event, time=None if times is None else times[j], attributes=attributes)
    if times is None:
        return _Walk(_NoTimeStream(stream, steps.event_attributes))
    if not times:
        raise ValueError(
            f"History {i} is empty, and this model reads times: a continuation of an "
            "empty history has no time to start from."
        )
    gap = times[-1] - times[-2] if len(times) > 1 else times[-1] - times[-1]
    missing = dict.fromkeys(steps.event_attributes)
    return _Walk(stream, times[-1], gap, missing)


class _NoTimeStream:
    """A stream of a model with event attributes but no time: pushes them missing."""

    def __init__(self, stream, names):
        self._stream = stream
        self._missing = dict.fromkeys(names) if names else None

    def copy(self):
        return _NoTimeStream(self._stream.copy(), self._missing)

    def push(self, event):
        self._stream.push(event, attributes=self._missing)
        return self

    def predict_proba(self):
        return self._stream.predict_proba()


def _as_time(seconds, kind):
    import pandas as pd

    return pd.Timestamp(float(seconds), unit="s", tz="UTC") if kind == "datetime" else seconds


def _stop_class(estimator, stop_event):
    """Index of ``stop_event`` among the classes, or -1 (never stop) for None."""
    if stop_event is None:
        return -1
    matches = [i for i, label in enumerate(estimator.classes_.tolist()) if label == stop_event]
    if not matches:
        raise ValueError(
            f"stop_event={stop_event!r} is not a class of the model; its classes are "
            f"{estimator.classes_.tolist()[:10]}" + (" ..." if len(estimator.classes_) > 10 else "")
        )
    return int(matches[0])


def _tempered(proba, temperature):
    """``proba ** (1 / temperature)``, renormalised (in log space, so no underflow)."""
    if temperature == 1.0:
        return proba / proba.sum()
    with np.errstate(divide="ignore"):
        logits = np.log(proba) / temperature
    logits -= logits.max()
    weights = np.exp(logits)
    return weights / weights.sum()


def _check_count(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer; got {type(value).__name__} ({value!r}).")
    if value < 1:
        raise ValueError(f"{name} must be at least 1; got {value}.")
    return int(value)


def _check_positive(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number; got {type(value).__name__} ({value!r}).")
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number; got {value!r}.")
    return float(value)
