"""From an event log (one row per event) to next-event samples: ``X``, ``y`` and ``groups``.

Real data start as a long table: one row per event, with a *sequence key* (user,
session, bidder), an *order key* (timestamp or position) and the *event* (page,
item, make and model). The estimators of this package learn from samples: a
history (the events of one sequence up to some point) and its next event. The
functions here turn the one into the other:

- :func:`samples_from_log`: every (history, next event) pair of every sequence,
  for cross-validation with :class:`~sklearn.model_selection.GroupKFold`;
- :func:`leave_last_out_split`: per sequence, the last event is the test target,
  the second-to-last the validation target and the rest training targets (the
  standard protocol of sequential recommendation);
- :func:`time_split`: events before a cut-off are training targets, the others
  test targets.

All three return samples as :class:`NextEventSamples` named tuples ``(X, y,
groups)``: ``groups`` holds the sequence key of each sample, since samples cut
from one sequence share their events and must stay on one side of a split
(DESIGN.md, section 3).

The log is sorted once (by sequence key, then order key, both stable, so that
rows with equal keys keep their order in the table) and the sequence boundaries
come from numpy. The only Python-level loop builds the history lists.
"""

import warnings
from collections.abc import Hashable
from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import StrOptions, validate_params

from ..utils._docs import shared_docs
from ..utils._missing import is_missing, missing_mask
from ..utils._validation import integers
from ._attributed import AttributedHistories
from ._prefixes import PrefixHistories

__all__ = ["NextEventSamples", "leave_last_out_split", "samples_from_log", "time_split"]


class NextEventSamples(NamedTuple):
    """(history, next event) samples cut from an event log, with their sequence keys.

    A named tuple: unpack it (``X, y, groups = samples``) or read its fields.

    Attributes
    ----------
    X : PrefixHistories or list of list
        The histories, oldest event first: the input of ``fit`` and ``predict``.
        Without ``max_history`` they are prefixes of the log's sequences, held as
        a :class:`PrefixHistories` (each sequence stored once, each history a
        tuple); with ``max_history``, lists of the last events.
    y : ndarray of shape (n_samples,)
        The target of each history: its next event (``target="next_event"``),
        or a float64 regression target (seconds to the next event or to the
        sequence's end, or the next event's value; see :func:`samples_from_log`).
    groups : ndarray of shape (n_samples,)
        The sequence key of each sample, for
        :class:`~sklearn.model_selection.GroupKFold` and friends.
    """

    X: PrefixHistories | list
    y: np.ndarray
    groups: np.ndarray


_COLUMNS = {
    "frame": [pd.DataFrame],
    "sequence_col": [Hashable],
    "order_col": [Hashable, None],
    "event_col": [Hashable],
    "min_history": [integers(0)],
    "max_history": [integers(1), None],
    "time_col": [Hashable, None],
    "event_attributes": [list, tuple, None],
    "sequence_attributes": [list, tuple, None],
    "target": [StrOptions({"next_event", "time_to_next", "remaining_time", "next_value"})],
    "value_col": [Hashable, None],
}
_TIME_TARGETS = ("time_to_next", "remaining_time")
_SAMPLES_FROM_LOG = {**_COLUMNS, "end_event": [Hashable, None]}

# The parameter texts shared by the docstrings below (see utils.shared_docs).
_DOCS = {
    "columns": """\
    max_history : int, default=None
        Truncate each history to its last ``max_history`` events. None keeps
        whole histories.
    time_col : hashable, default=None
        Column of each event's time (datetimes, parseable strings or numbers),
        often the same as ``order_col``. With it, ``X`` carries the times, from
        which :class:`NextEventClassifier` makes the gap since the previous
        event and since the sequence's start, and the hour and weekday.
    event_attributes : list of hashable, default=None
        Columns of per-event attributes (who did it, a category, a price):
        numbers are numeric attributes, anything else categories. Missing
        values are allowed (the model imputes them).
    sequence_attributes : list of hashable, default=None
        Columns of per-sequence attributes (the context: a segment, a case
        type); each must be constant within a sequence.""",
    "split_target": """\
    target : {"next_event", "time_to_next", "remaining_time", "next_value"}, \
            default="next_event"
        What ``y`` holds: the next event, or a float64 regression target, as in
        :func:`samples_from_log`. The samples are the same for every target.
    value_col : hashable, default=None
        With ``target="next_value"``, the numeric column whose value at the next
        event is the target, as in :func:`samples_from_log`.""",
}
fill_docs = shared_docs(_DOCS)


@fill_docs
@validate_params(_SAMPLES_FROM_LOG, prefer_skip_nested_validation=True)
def samples_from_log(
    frame,
    *,
    sequence_col,
    order_col,
    event_col,
    min_history=1,
    max_history=None,
    time_col=None,
    event_attributes=None,
    sequence_attributes=None,
    end_event=None,
    target="next_event",
    value_col=None,
):
    """Every (history, next event) sample of every sequence of an event log.

    Each sequence (the rows sharing a value of ``sequence_col``) is ordered by
    ``order_col``; every event that has at least ``min_history`` events before
    it in its sequence is the next event of one sample, whose history is the
    events before it. The target ``y`` is that next event, or (``target``) a
    number about it: the time until it, the time until the sequence's end, or
    its value in a numeric column.

    Parameters
    ----------
    frame : pandas.DataFrame
        The event log, one row per event, in any row order.
    sequence_col : hashable
        Column of the sequence key (user, session, ...). Any values that pandas
        can group; samples come out sorted by this key.
    order_col : hashable or None
        Column of the order key within a sequence: timestamps, positions or any
        mutually comparable values. Rows with equal order keys in one sequence
        keep their order in ``frame`` (the sort is stable). None keeps the row
        order of ``frame``.
    event_col : hashable
        Column of the events.
    min_history : int, default=1
        Shortest history kept. 0 also keeps the empty history, whose next event
        is the first event of a sequence.
    %(columns)s
    end_event : hashable, default=None
        When given, each sequence also gives a sample whose history is the whole
        sequence and whose next event is ``end_event``: the end of the case, as
        process-mining benchmarks predict it. With a time target, that sample's
        target is 0.0 (see ``target``).
    target : {"next_event", "time_to_next", "remaining_time", "next_value"}, \
            default="next_event"
        What ``y`` holds for each history:

        - ``"next_event"``: the next event;
        - ``"time_to_next"``: the time from the history's last event to the next
          event, in float seconds. Needs ``time_col``;
        - ``"remaining_time"``: the time from the history's last event to the
          last event of its sequence (the end of the case), in float seconds.
          Needs ``time_col``;
        - ``"next_value"``: the value of column ``value_col`` at the next event,
          as a float.

        Every target gives the same samples, in the same order, for the same
        other arguments: ``X`` and ``groups`` are those of ``"next_event"``, so
        classification and regression targets pair up sample by sample. In
        particular the whole sequence is a history only with ``end_event``, and
        then its ``"time_to_next"`` and ``"remaining_time"`` are 0.0: the end has
        come with the last event. Without ``end_event`` the whole sequence gives
        no sample (its last event is a target, never the end of a history), as
        for ``"next_event"``. Times are read from ``time_col`` as for ``X``:
        datetimes give seconds; numbers give differences in their own unit
        (days, if the column holds days). The time targets are measured from the
        history's last event, so they need ``min_history >= 1``.
    value_col : hashable, default=None
        With ``target="next_value"`` (and only then), the numeric column whose
        value at the next event is the target: a series of temperatures, of
        amounts. It must be finite at every event that is a target; other rows
        may be missing. It is not added to the histories: to let the model see
        the past values, name the same column in ``event_attributes`` too (see
        the Examples). ``end_event`` has no value, so it is refused here.

    Returns
    -------
    samples : NextEventSamples
        Named tuple ``(X, y, groups)``: the histories (oldest event first; a
        :class:`PrefixHistories` of tuples, or lists with ``max_history``), the
        targets (the next events, or a float64 array for the numeric targets)
        and the sequence key of each sample. Samples are ordered by sequence
        key, then by position in the sequence.

    Warns
    -----
    UserWarning
        When some sequences have at most ``min_history`` events and so give no
        sample; their number is in the message.

    Raises
    ------
    ValueError
        When a column is missing, a key or event is missing (None or NaN), the
        order key cannot be ordered, or no sequence gives a sample; when
        ``target`` is unknown, a time target lacks ``time_col`` (or has
        ``min_history=0``), ``"next_value"`` lacks ``value_col``, or the value
        column is not numeric or not finite at a target.

    See Also
    --------
    leave_last_out_split : Train, validation and test samples, per sequence.
    time_split : Train and test samples around a cut-off of the order key.
    MarkovMemorySampler.sample_frame : A synthetic event log.

    Notes
    -----
    A sequence of ``n`` events gives ``n - min_history`` samples whose histories
    hold ``O(n^2)`` events in total. :class:`NextEventClassifier` still trains
    on them in ``O(n)``, as the histories are prefixes of one another; pass
    ``max_history`` to bound the memory on very long sequences.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_seqlstm import samples_from_log
    >>> log = pd.DataFrame(
    ...     {
    ...         "user": ["u2", "u1", "u1", "u2", "u1"],
    ...         "time": [5, 3, 1, 4, 2],
    ...         "page": ["cart", "item", "home", "home", "search"],
    ...     }
    ... )
    >>> X, y, groups = samples_from_log(
    ...     log, sequence_col="user", order_col="time", event_col="page"
    ... )
    >>> list(X)
    [('home',), ('home', 'search'), ('home',)]
    >>> y.tolist(), groups.tolist()
    (['search', 'item', 'cart'], ['u1', 'u1', 'u2'])

    The same samples with regression targets: the time to the next event, and
    the time left until the sequence's last event (here in the column's units).

    >>> columns = dict(sequence_col="user", order_col="time", event_col="page")
    >>> samples_from_log(log, **columns, time_col="time", target="time_to_next").y
    array([1., 1., 1.])
    >>> samples_from_log(log, **columns, time_col="time", target="remaining_time").y
    array([2., 1., 1.])

    A numeric series is a log of one sequence (a constant key), one event per
    date (a constant event, or a category such as the month). Each prefix is a
    history, its target the next value; naming the value column in
    ``event_attributes`` too puts the past values into the histories.

    >>> series = pd.DataFrame(
    ...     {
    ...         "date": pd.date_range("2024-01-01", periods=5, freq="D"),
    ...         "temperature": [3.0, 4.5, 2.0, 5.5, 6.0],
    ...     }
    ... ).assign(station="s1", step="day")
    >>> X, y, groups = samples_from_log(
    ...     series, sequence_col="station", order_col="date", event_col="step",
    ...     event_attributes=["temperature"], target="next_value", value_col="temperature",
    ... )
    >>> y
    array([4.5, 2. , 5.5, 6. ])
    >>> X.to_frame()["temperature"][2].tolist()
    [3.0, 4.5, 2.0]
    """
    _check_target(target, time_col, value_col, min_history)
    if target == "next_value" and end_event is not None:
        raise ValueError(
            f"target='next_value' cannot be combined with end_event={end_event!r}: the end "
            "of a sequence has no value. Leave end_event=None."
        )
    log = _SortedLog(
        frame,
        sequence_col,
        order_col,
        event_col,
        time_col,
        event_attributes,
        sequence_attributes,
        target=target,
        value_col=value_col,
    )
    samples, n_short = _all_samples(log, min_history, max_history)
    if end_event is not None:
        samples = _with_end_event(log, samples, end_event, min_history, max_history)
    _warn_short(
        n_short,
        log.n_sequences,
        f"have at most min_history={min_history} events and give no sample",
    )
    return samples


def _all_samples(log, min_history, max_history):
    """Every sample of a sorted log, and the number of sequences that give none."""
    targets = log.position >= min_history
    if not targets.any():
        raise ValueError(
            f"No sample: every one of the {log.n_sequences} sequences has at most "
            f"min_history={min_history} events, so no event has {min_history} before it."
        )
    n_short = int(np.count_nonzero(log.lengths <= min_history))
    return log.samples(np.flatnonzero(targets), max_history), n_short


def _with_end_event(log, samples, end_event, min_history, max_history):
    """``samples`` and, per sequence of at least ``min_history`` events, the whole
    sequence followed by ``end_event``; in order of sequence, then length."""
    if is_missing(end_event):
        raise ValueError(f"end_event must be an event, not a missing value ({end_event!r}).")
    whole = np.flatnonzero(log.lengths >= min_history)
    X, y, groups = samples
    if isinstance(X, PrefixHistories):
        sequence_index = np.concatenate([X.sequence_index, whole])
        lengths = np.concatenate([X.lengths, log.lengths[whole]])
    else:  # lists of the last max_history events
        ends = (log.starts + log.lengths)[whole]
        X = X + log.last_events(log.starts[whole], ends, max_history)
        sequence_index = np.concatenate(
            [
                np.repeat(np.arange(log.n_sequences), log.lengths)[_sample_rows(log, min_history)],
                whole,
            ]
        )
        lengths = np.concatenate([log.position[_sample_rows(log, min_history)], log.lengths[whole]])
    order = np.lexsort((lengths, sequence_index))
    if log.target == "next_event":
        labels = np.empty(len(order), dtype=object)
        labels[: len(y)] = y
        labels[len(y) :] = [end_event] * len(whole)
        labels = np.asarray(labels[order].tolist())
    else:  # a time target: the end has come with the last event
        labels = np.concatenate([y, np.zeros(len(whole))])[order]
    groups = np.concatenate([groups, log.keys[log.starts[whole]]])[order]
    if isinstance(X, PrefixHistories):
        return NextEventSamples(X.view(sequence_index[order], lengths[order]), labels, groups)
    return NextEventSamples([X[i] for i in order.tolist()], labels, groups)


def _check_target(target, time_col, value_col, min_history):
    """The arguments that ``target`` needs are there, and no other."""
    if target in _TIME_TARGETS and time_col is None:
        raise ValueError(
            f"target={target!r} needs time_col: the column of each event's time, from "
            "which the target's seconds are measured; got time_col=None."
        )
    if target in _TIME_TARGETS and min_history < 1:
        raise ValueError(
            f"target={target!r} needs min_history >= 1: it is measured from the last event "
            f"of the history, and the empty history has none; got min_history={min_history}."
        )
    if target == "next_value" and value_col is None:
        raise ValueError(
            "target='next_value' needs value_col: the numeric column whose value at the "
            "next event is the target; got value_col=None."
        )
    if target != "next_value" and value_col is not None:
        raise ValueError(
            f"value_col={value_col!r} is only used with target='next_value'; got target={target!r}."
        )


def _sample_rows(log, min_history):
    return np.flatnonzero(log.position >= min_history)


@fill_docs
@validate_params(_COLUMNS, prefer_skip_nested_validation=True)
def leave_last_out_split(
    frame,
    *,
    sequence_col,
    order_col,
    event_col,
    min_history=1,
    max_history=None,
    time_col=None,
    event_attributes=None,
    sequence_attributes=None,
    target="next_event",
    value_col=None,
):
    """Split an event log per sequence: last event for test, the one before for validation.

    The standard protocol of sequential recommendation (used by RecBole, SASRec,
    BERT4Rec, ...). In each sequence ordered by ``order_col``:

    - the last event is the test target, its history every event before it
      (the validation target included);
    - the second-to-last event is the validation target, its history every
      event before it;
    - every earlier event with at least ``min_history`` events before it is a
      training target, with its history.

    No training history or target holds a validation or test target, and no
    validation history holds the test target.

    Parameters
    ----------
    frame : pandas.DataFrame
        The event log, one row per event, in any row order.
    sequence_col : hashable
        Column of the sequence key (user, session, ...).
    order_col : hashable or None
        Column of the order key within a sequence. Rows with equal order keys in
        one sequence keep their order in ``frame`` (the sort is stable). None
        keeps the row order of ``frame``.
    event_col : hashable
        Column of the events.
    min_history : int, default=1
        Shortest history of any sample. A sequence needs ``min_history + 2``
        events to give a validation and a test sample; shorter sequences are
        left out whole.
    %(columns)s
    %(split_target)s

    Returns
    -------
    train, valid, test : NextEventSamples
        Named tuples ``(X, y, groups)``. ``valid`` and ``test`` hold one sample
        per sequence kept, in the same order (by sequence key); ``train`` holds
        the rest, by sequence key and position.

    Warns
    -----
    UserWarning
        When sequences of fewer than ``min_history + 2`` events are left out;
        their number is in the message.

    Raises
    ------
    ValueError
        On bad input as in :func:`samples_from_log`, when no sequence is long
        enough, or when no training sample is left.

    See Also
    --------
    samples_from_log : Every sample of every sequence.
    time_split : Train and test samples around a cut-off of the order key.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_seqlstm import leave_last_out_split
    >>> log = pd.DataFrame(
    ...     {
    ...         "user": [1, 1, 1, 1, 2, 2, 2],
    ...         "time": [1, 2, 3, 4, 1, 2, 3],
    ...         "item": ["a", "b", "c", "d", "x", "y", "z"],
    ...     }
    ... )
    >>> train, valid, test = leave_last_out_split(
    ...     log, sequence_col="user", order_col="time", event_col="item"
    ... )
    >>> list(train.X), train.y.tolist()
    ([('a',)], ['b'])
    >>> list(valid.X), valid.y.tolist()
    ([('a', 'b'), ('x',)], ['c', 'y'])
    >>> list(test.X), test.y.tolist(), test.groups.tolist()
    ([('a', 'b', 'c'), ('x', 'y')], ['d', 'z'], [1, 2])
    """
    _check_target(target, time_col, value_col, min_history)
    log = _SortedLog(
        frame,
        sequence_col,
        order_col,
        event_col,
        time_col,
        event_attributes,
        sequence_attributes,
        target=target,
        value_col=value_col,
    )
    train, valid, test, n_short = _leave_last_out(log, min_history, max_history)
    _warn_short(
        n_short,
        log.n_sequences,
        f"have fewer than min_history + 2 = {min_history + 2} events and are left out "
        "of the leave-last-out split",
    )
    return train, valid, test


def _leave_last_out(log, min_history, max_history):
    """The leave-last-out split of a sorted log, and the number of sequences left out."""
    kept = log.lengths >= min_history + 2
    n_short = int(np.count_nonzero(~kept))
    if not kept.any():
        raise ValueError(
            f"No sequence is long enough for a leave-last-out split: each of the "
            f"{log.n_sequences} sequences has fewer than min_history + 2 = {min_history + 2} "
            "events (a test target, a validation target and min_history events before them)."
        )
    length = np.repeat(log.lengths, log.lengths)
    train = (
        (log.position >= min_history) & (log.position < length - 2) & (length >= 2 + min_history)
    )
    if not train.any():
        raise ValueError(
            "The leave-last-out split leaves no training sample: a sequence needs "
            f"min_history + 3 = {min_history + 3} events to give one, after its test and "
            "validation targets."
        )
    ends = log.starts[kept] + log.lengths[kept]
    return (
        log.samples(np.flatnonzero(train), max_history),
        log.samples(ends - 2, max_history),
        log.samples(ends - 1, max_history),
        n_short,
    )


@fill_docs
@validate_params(
    {**_COLUMNS, "cutoff": "no_validation"},
    prefer_skip_nested_validation=True,
)
def time_split(
    frame,
    *,
    sequence_col,
    order_col,
    event_col,
    cutoff,
    min_history=1,
    max_history=None,
    time_col=None,
    event_attributes=None,
    sequence_attributes=None,
    target="next_event",
    value_col=None,
):
    """Split an event log at a cut-off of the order key: earlier targets train, later test.

    Every event whose order key is below ``cutoff`` is a training target, every
    other event a test target (with at least ``min_history`` events before it in
    its sequence, in both cases). A history always holds every earlier event of
    its sequence, whichever side of the cut-off they fall on, as a deployed
    model would see them. A sequence may thus give samples to both sides.

    Parameters
    ----------
    frame : pandas.DataFrame
        The event log, one row per event, in any row order.
    sequence_col : hashable
        Column of the sequence key (user, session, ...).
    order_col : hashable
        Column of the order key, compared with ``cutoff``. Rows with equal order
        keys in one sequence keep their order in ``frame`` (the sort is stable).
    event_col : hashable
        Column of the events.
    cutoff : scalar
        Events with ``order < cutoff`` are training targets, those with
        ``order >= cutoff`` test targets. Anything that pandas compares with the
        column: a number, a :class:`pandas.Timestamp`, or a date string for a
        datetime column.
    min_history : int, default=1
        Shortest history kept.
    %(columns)s
    %(split_target)s

    Returns
    -------
    train, test : NextEventSamples
        Named tuples ``(X, y, groups)``, each ordered by sequence key, then by
        position.

    Warns
    -----
    UserWarning
        When some sequences have at most ``min_history`` events and so give no
        sample; their number is in the message.

    Raises
    ------
    ValueError
        On bad input as in :func:`samples_from_log`, when ``cutoff`` cannot be
        compared with the order key, or when either side is empty.

    See Also
    --------
    leave_last_out_split : Train, validation and test samples, per sequence.

    Notes
    -----
    For a validation split too, split the training part again: the events
    before the test cut-off, ``frame[frame[order_col] < cutoff]``, split at an
    earlier cut-off give the training and validation samples.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_seqlstm import time_split
    >>> log = pd.DataFrame(
    ...     {
    ...         "session": ["s1", "s1", "s1", "s2", "s2"],
    ...         "time": pd.to_datetime(
    ...             ["2024-01-01", "2024-01-02", "2024-01-05", "2024-01-03", "2024-01-06"]
    ...         ),
    ...         "page": ["home", "search", "cart", "home", "item"],
    ...     }
    ... )
    >>> train, test = time_split(
    ...     log, sequence_col="session", order_col="time", event_col="page",
    ...     cutoff="2024-01-04",
    ... )
    >>> list(train.X), train.y.tolist()
    ([('home',)], ['search'])
    >>> list(test.X), test.y.tolist(), test.groups.tolist()
    ([('home', 'search'), ('home',)], ['cart', 'item'], ['s1', 's2'])
    """
    if order_col is None:
        raise ValueError("time_split needs an order column, compared with cutoff; got None.")
    _check_target(target, time_col, value_col, min_history)
    log = _SortedLog(
        frame,
        sequence_col,
        order_col,
        event_col,
        time_col,
        event_attributes,
        sequence_attributes,
        target=target,
        value_col=value_col,
    )
    column = frame[order_col]
    try:
        before = np.asarray(column < cutoff, dtype=bool)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"cutoff={cutoff!r} cannot be compared with the order column {order_col!r} "
            f"(dtype {column.dtype}): {exc}"
        ) from None
    before = before[log.rows]
    targets = log.position >= min_history
    train, test = targets & before, targets & ~before
    for name, side, words in [("training", train, "below"), ("test", test, "at or above")]:
        if not side.any():
            raise ValueError(
                f"time_split leaves no {name} sample: no event with at least "
                f"min_history={min_history} events before it has an order key {words} "
                f"cutoff={cutoff!r} (column {order_col!r} runs from {_plain(column.min())!r} "
                f"to {_plain(column.max())!r})."
            )
    _warn_short(
        int(np.count_nonzero(log.lengths <= min_history)),
        log.n_sequences,
        f"have at most min_history={min_history} events and give no sample",
    )
    return (
        log.samples(np.flatnonzero(train), max_history),
        log.samples(np.flatnonzero(test), max_history),
    )


class _SortedLog:
    """An event log checked and sorted by sequence key, then order key (both stable).

    Attributes
    ----------
    rows : ndarray of int
        Positions in ``frame`` of the sorted rows.
    events : ndarray
        The events, sorted; ``event_list`` holds them as Python objects.
    keys : ndarray
        The sequence key of each sorted row.
    starts, lengths : ndarray of int, shape (n_sequences,)
        Where each sequence starts among the sorted rows, and its length.
    position : ndarray of int
        Position of each sorted row within its sequence, from 0.
    target : str
        What :meth:`samples` gives as ``y`` (see :func:`samples_from_log`).
    """

    def __init__(
        self,
        frame,
        sequence_col,
        order_col,
        event_col,
        time_col=None,
        event_attributes=None,
        sequence_attributes=None,
        *,
        target="next_event",
        value_col=None,
    ):
        _check_columns(frame, sequence_col, order_col, event_col)
        event_attributes = list(event_attributes or [])
        sequence_attributes = list(sequence_attributes or [])
        _check_attribute_columns(
            frame,
            {"sequence_col": sequence_col, "order_col": order_col, "event_col": event_col},
            time_col,
            event_attributes,
            sequence_attributes,
        )
        if len(frame) == 0:
            raise ValueError("The event log is empty: it has no rows.")
        _check_missing(frame, [sequence_col, order_col, event_col, time_col])

        codes, uniques = pd.factorize(frame[sequence_col], sort=True)
        if order_col is None:
            rows = np.argsort(codes, kind="stable")
        else:
            by_order = _argsort_order(frame[order_col], order_col)
            rows = by_order[np.argsort(codes[by_order], kind="stable")]
        codes = codes[rows]
        new_sequence = np.empty(len(codes), dtype=bool)
        new_sequence[0] = True
        np.not_equal(codes[1:], codes[:-1], out=new_sequence[1:])

        self.rows = rows
        self.starts = np.flatnonzero(new_sequence)
        self.lengths = np.diff(np.append(self.starts, len(codes)))
        self.position = np.arange(len(codes)) - np.repeat(self.starts, self.lengths)
        self.order_col = order_col
        self.events = frame[event_col].to_numpy()[rows]
        self.event_list = self.events.tolist()
        self.keys = np.asarray(uniques)[codes]
        self._sequences = None
        self.frame = frame
        self.time_col = time_col
        self.event_attribute_cols = event_attributes
        self.sequence_attribute_cols = sequence_attributes
        self.seconds = None if time_col is None else self._sorted_seconds(frame[time_col])
        for name in sequence_attributes:
            self._check_constant(name)
        self.target = target
        self.value_col = value_col
        self.values = None if value_col is None else self._sorted_values(value_col)

    @property
    def attributed(self):
        return bool(
            self.time_col is not None or self.event_attribute_cols or self.sequence_attribute_cols
        )

    def _sorted_seconds(self, column):
        """The times of the sorted rows, as float seconds; a ValueError naming the row."""
        name = self.time_col
        values = column.to_numpy()[self.rows]
        if values.dtype.kind in "iuf":
            seconds, kind = values.astype(np.float64), "numeric"
            bad = np.flatnonzero(~np.isfinite(seconds))
        else:
            try:
                stamps = _parse_times(values)
            except (TypeError, ValueError) as exc:
                raise ValueError(
                    f"The time column {name!r} cannot be read as times: {exc}"
                ) from None
            bad = np.flatnonzero(stamps.isna())
            self._nanoseconds = stamps.as_unit("ns").asi8  # exact differences for targets
            seconds, kind = self._nanoseconds / 1e9, "datetime"
        if len(bad):
            raise ValueError(
                f"The time column {name!r} has a value that is not a time at "
                f"{self._where(bad[0])}: {values[bad[0]]!r}."
            )
        backwards = np.flatnonzero((np.diff(seconds) < 0) & (self.position[1:] > 0)) + 1
        if len(backwards):
            i = backwards[0]
            along = "the rows" if self.order_col is None else f"the order column {self.order_col!r}"
            raise ValueError(
                f"The time column {name!r} goes back in time within sequence "
                f"{_plain(self.keys[i])!r} at {self._where(i)}: times must not decrease "
                f"along {along}."
            )
        self.time_kind = kind
        return seconds

    def _sorted_values(self, name):
        """The value column of the sorted rows, as floats (NaN where missing)."""
        if name not in self.frame.columns:
            available = ", ".join(map(repr, self.frame.columns.tolist())) or "none"
            raise ValueError(
                f"The event log has no column value_col={name!r}. Available columns: {available}."
            )
        column = self.frame[name]
        if isinstance(column, pd.DataFrame):
            raise ValueError(
                f"value_col={name!r} names {column.shape[1]} columns of the event log; "
                "column names must be unique."
            )
        if not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            raise ValueError(
                f"The value column value_col={name!r} must be numeric (integers or floats) "
                f"for target='next_value'; it has dtype {column.dtype}. Convert it first, "
                "e.g. with pandas.to_numeric."
            )
        return column.to_numpy(dtype=np.float64, na_value=np.nan)[self.rows]

    def target_values(self, rows):
        """The targets ``y`` of the samples whose next events are the sorted ``rows``."""
        if self.target == "next_event":
            return self.events[rows]
        if self.target == "next_value":
            values = self.values[rows]
            bad = np.flatnonzero(~np.isfinite(values))
            if len(bad):
                i = rows[bad[0]]
                raise ValueError(
                    f"The value column value_col={self.value_col!r} has a value that is not "
                    f"finite ({_plain(values[bad[0]])!r}) at {self._where(i)}, the next event "
                    "of a sample: target='next_value' needs a finite value at every event "
                    "that is a target. Drop or fill such rows."
                )
            return values
        # A time target, from the history's last event (rows have position >= 1).
        if self.target == "time_to_next":
            later = rows
        else:  # remaining_time: to the sequence's last event
            ends = self.starts + self.lengths - 1
            later = ends[np.repeat(np.arange(self.n_sequences), self.lengths)[rows]]
        if self.time_kind == "datetime":
            return (self._nanoseconds[later] - self._nanoseconds[rows - 1]) / 1e9
        return self.seconds[later] - self.seconds[rows - 1]

    def _check_constant(self, name):
        values = self.frame[name].to_numpy()[self.rows]
        first = values[np.repeat(self.starts, self.lengths)]
        with np.errstate(invalid="ignore"):
            differs = ~((values == first) | (missing_mask(values) & missing_mask(first)))
        if differs.any():
            i = int(np.flatnonzero(differs)[0])
            raise ValueError(
                f"The sequence attribute {name!r} varies within sequence "
                f"{_plain(self.keys[i])!r}: {_plain(first[i])!r}, then {_plain(values[i])!r} "
                f"at {self._where(i)}. A sequence attribute must be constant within a "
                "sequence; pass it as an event attribute instead."
            )

    def _where(self, sorted_row):
        """The frame's label of a sorted row, for messages."""
        position = int(self.rows[sorted_row])
        label = self.frame.index[position]
        where = f"{self.frame.index.name} {label!r}" if self.frame.index.name else f"row {label!r}"
        return where if label == position else f"{where} (position {position})"

    @property
    def n_sequences(self):
        return len(self.starts)

    def samples(self, targets, max_history):
        """The samples whose next events are the sorted rows ``targets``.

        Without ``max_history``, every history is a prefix of its sequence, so ``X``
        is a :class:`PrefixHistories`: the sequences are stored once, whatever the
        number of prefixes, and NextEventClassifier trains on them in O(events).
        """
        y, groups = self.target_values(targets), self.keys[targets]
        if self.attributed:
            return NextEventSamples(self._attributed(targets, max_history), y, groups)
        if max_history is None:
            sequence_index = np.repeat(np.arange(self.n_sequences), self.lengths)[targets]
            X = PrefixHistories(self.sequences(), sequence_index, self.position[targets])
            return NextEventSamples(X, y, groups)
        X = self.last_events(targets - self.position[targets], targets, max_history)
        return NextEventSamples(X, y, groups)

    def last_events(self, starts, ends, max_history):
        """The events of sorted rows ``starts[i]:ends[i]``: lists of at most ``max_history``."""
        # A window longer than the whole log keeps every row; capping it first keeps
        # the arithmetic in int64 for any Python int (--max-history 10**22).
        window = min(max_history, len(self.event_list))
        first = np.maximum(starts, ends - window)
        events = self.event_list
        return [events[a:b] for a, b in zip(first.tolist(), ends.tolist(), strict=True)]

    def _attributed(self, targets, max_history):
        """AttributedHistories of the samples whose next events are the sorted rows ``targets``."""
        if max_history is not None:
            raise ValueError(
                "max_history cannot be combined with time_col or attributes here: the "
                "histories with attributes are prefixes of whole sequences. Pass max_history "
                "to NextEventClassifier instead."
            )
        sequence_index = np.repeat(np.arange(self.n_sequences), self.lengths)[targets]
        bounds = list(zip(self.starts.tolist(), (self.starts + self.lengths).tolist(), strict=True))

        def per_sequence(array):
            return [array[a:b] for a, b in bounds]

        times = None
        if self.seconds is not None:
            seconds = self.seconds
            if self.time_kind == "datetime":
                seconds = (seconds * 1e9).astype("datetime64[ns]")
            times = per_sequence(seconds)
        return AttributedHistories(
            self.sequences(),
            sequence_index,
            self.position[targets],
            times=times,
            event_attributes={
                name: per_sequence(self.frame[name].to_numpy()[self.rows])
                for name in self.event_attribute_cols
            },
            sequence_attributes={
                name: self.frame[name].to_numpy()[self.rows][self.starts]
                for name in self.sequence_attribute_cols
            },
        )

    def sequences(self):
        """The sorted events of each sequence, as tuples (built once)."""
        if self._sequences is None:
            events = self.event_list
            ends = (self.starts + self.lengths).tolist()
            self._sequences = [
                tuple(events[a:b]) for a, b in zip(self.starts.tolist(), ends, strict=True)
            ]
        return self._sequences


def _check_columns(frame, sequence_col, order_col, event_col):
    roles = {"sequence_col": sequence_col, "order_col": order_col, "event_col": event_col}
    for role in ("sequence_col", "event_col"):
        if roles[role] is None:
            raise ValueError(
                f"{role} is required: give the name of the event log's column of "
                f"{'sequence keys' if role == 'sequence_col' else 'events'}, got None."
            )
    missing = [
        f"{role}={name!r}"
        for role, name in roles.items()
        if name is not None and name not in frame.columns
    ]
    if missing:
        available = ", ".join(map(repr, frame.columns.tolist())) or "none"
        raise ValueError(
            f"The event log has no column {' and no column '.join(missing)}. "
            f"Available columns: {available}."
        )
    for role, name in roles.items():
        if name is not None and isinstance(frame[name], pd.DataFrame):
            raise ValueError(
                f"{role}={name!r} names {frame[name].shape[1]} columns of the event log; "
                "column names must be unique."
            )


def _parse_times(values):
    """Datetimes from a column of timestamps or strings; NaT where a value is not one.

    ISO 8601 first (fast, and what logs mostly hold); other formats element by element.
    """
    stamps = pd.DatetimeIndex(pd.to_datetime(values, utc=True, errors="coerce", format="ISO8601"))
    if stamps.isna().any():
        stamps = pd.DatetimeIndex(pd.to_datetime(values, utc=True, errors="coerce", format="mixed"))
    return stamps


def _check_attribute_columns(frame, roles, time_col, event_attributes, sequence_attributes):
    """Attribute and time columns exist, appear once, and are none of the key columns."""
    named = [("time_col", time_col)] if time_col is not None else []
    named += [("event_attributes", name) for name in event_attributes]
    named += [("sequence_attributes", name) for name in sequence_attributes]
    seen = {}
    for role, name in named:
        try:
            present = name in frame.columns
        except TypeError:
            raise TypeError(f"{role} must name columns; got {name!r}.") from None
        if not present:
            available = ", ".join(map(repr, frame.columns.tolist())) or "none"
            raise ValueError(
                f"The event log has no column {name!r} ({role}). Available columns: {available}."
            )
        if isinstance(frame[name], pd.DataFrame):
            raise ValueError(
                f"{role}: {name!r} names {frame[name].shape[1]} columns of the event log; "
                "column names must be unique."
            )
        for key_role, key in roles.items():
            # The time may be the order column (it usually is); no attribute may be a key.
            if (
                key is not None
                and name == key
                and not (role == "time_col" and key_role == "order_col")
            ):
                raise ValueError(
                    f"{role}: column {name!r} is also {key_role}; an attribute must be a "
                    "column of its own."
                )
        if role != "time_col" and name in seen:
            raise ValueError(f"Column {name!r} is given twice, in {seen[name]} and {role}.")
        seen[name] = role
        if role != "time_col":
            _check_finite(frame, name)


def _check_finite(frame, name):
    """An attribute column may have missing values (imputed), but no infinity."""
    values = frame[name].to_numpy()
    if values.dtype.kind == "f":
        infinite = np.isinf(values)
    elif values.dtype.kind == "O":
        infinite = np.fromiter(
            (isinstance(v, float | np.floating) and np.isinf(v) for v in values.tolist()),
            dtype=bool,
            count=len(values),
        )
    else:
        return
    if infinite.any():
        position = int(np.flatnonzero(infinite)[0])
        label = frame.index[position]
        where = f"{frame.index.name} {label!r}" if frame.index.name else f"row {label!r}"
        raise ValueError(
            f"The attribute column {name!r} has an infinite value at {where}; numeric "
            "attributes must be finite (missing values are allowed and imputed)."
        )


def _check_missing(frame, columns):
    """Raise naming the first row (and its column) that holds a missing value."""
    first = None
    for name in columns:
        if name is None:
            continue
        missing = np.flatnonzero(missing_mask(frame[name]))
        if len(missing) and (first is None or missing[0] < first[0]):
            first = (missing[0], name)
    if first is not None:
        position, name = first
        label = frame.index[position]
        where = f"{frame.index.name} {label!r}" if frame.index.name else f"row {label!r}"
        if label != position:
            where += f" (position {position})"
        raise ValueError(
            f"The event log has a missing value (None or NaN) in column {name!r} at {where}. "
            "Sequence keys, order keys and events must all be present: drop or fill such rows."
        )


def _argsort_order(column, name):
    """Stable argsort of the order column, with a ValueError if it cannot be ordered."""
    try:
        return np.asarray(column.argsort(kind="stable"))
    except TypeError as exc:
        types = sorted({type(value).__name__ for value in column.tolist()})
        raise ValueError(
            f"The order column {name!r} cannot be ordered: {exc}. Its values must be "
            f"mutually comparable (all numbers, all timestamps or all strings); it holds "
            f"values of types {', '.join(types)}."
        ) from None


def _plain(value):
    """A numpy scalar as the Python scalar it holds, for messages."""
    return value.item() if isinstance(value, np.generic) else value


def _warn_short(n_short, n_sequences, message):
    """Warn that ``n_short`` of ``n_sequences`` sequences are too short (``message``)."""
    if n_short:
        warnings.warn(
            f"{n_short} of {n_sequences} sequences {message}.",
            UserWarning,
            # The user's call, through validate_params' wrapper and the public function.
            stacklevel=4,
        )
