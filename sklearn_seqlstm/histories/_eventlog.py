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
from one sequence share their events and must stay on one side of a split:
cross-validation over prefixes of one sequence leaks.

The log is sorted once (by sequence key, then order key, both stable, so that
rows with equal keys keep their order in the table) and the sequence boundaries
come from numpy. The only Python-level loop builds the history lists.
"""

import warnings
from collections.abc import Hashable

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import StrOptions, validate_params

from ..utils._docs import shared_docs
from ..utils._missing import is_missing
from ..utils._validation import integers
from ._prefixes import PrefixHistories
from ._sortedlog import NextEventSamples, _plain, _SortedLog

__all__ = ["NextEventSamples", "leave_last_out_split", "samples_from_log", "time_split"]


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
        order of ``frame``. Text that is all numbers is ordered as numbers, and
        text that is all ISO 8601 timestamps (offsets allowed) as times in UTC;
        other text is ordered as text. When ``time_col`` is the same column,
        the rows are ordered by the times read from it.
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
    if end_event is not None and is_missing(end_event):
        raise ValueError(f"end_event must be an event, not a missing value ({end_event!r}).")
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
    samples, n_short = _all_samples(log, min_history, max_history, end_event=end_event)
    if end_event is not None:
        samples = _with_end_event(log, samples, end_event, min_history, max_history)
    _warn_short(n_short, log.n_sequences, _short_message(min_history, end_event))
    return samples


def _all_samples(log, min_history, max_history, *, end_event=None):
    """Every sample of a sorted log, and the number of sequences that give none.

    With ``end_event``, a sequence of exactly ``min_history`` events gives no
    next-event sample but does give its end-of-case one (see
    :func:`_with_end_event`): only shorter sequences give nothing.
    """
    targets = log.position >= min_history
    giving = log.lengths >= min_history if end_event is not None else log.lengths > min_history
    if not giving.any():
        raise ValueError(
            f"No sample: every one of the {log.n_sequences} sequences has "
            f"{'fewer than' if end_event is not None else 'at most'} {_events(min_history)}, "
            f"so no event has {min_history} before it"
            + (", and no whole sequence is long enough for end_event." if end_event else ".")
        )
    n_short = int(np.count_nonzero(~giving))
    return log.samples(np.flatnonzero(targets), max_history), n_short


def _short_message(min_history, end_event):
    """What the sequences that give no sample have in common, for :func:`_warn_short`."""
    if end_event is None:
        return f"have at most {_events(min_history)} and give no sample"
    return f"have fewer than {_events(min_history)} and give no sample, not even with end_event"


def _events(n, name="min_history"):
    """ "min_history=1 event", "min_history=2 events": a count of events in words."""
    return f"{name}={n} event" if n == 1 else f"{name}={n} events"


def _with_end_event(log, samples, end_event, min_history, max_history):
    """``samples`` and, per sequence of at least ``min_history`` events, the whole
    sequence followed by ``end_event``; in order of sequence, then length."""
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
    column = log.order_keys  # text of numbers or timestamps compares as what it holds
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
                f"{_events(min_history)} before it has an order key {words} "
                f"cutoff={cutoff!r} (column {order_col!r} runs from {_plain(column.min())!r} "
                f"to {_plain(column.max())!r})."
            )
    _warn_short(
        int(np.count_nonzero(log.lengths <= min_history)),
        log.n_sequences,
        _short_message(min_history, None),
    )
    return (
        log.samples(np.flatnonzero(train), max_history),
        log.samples(np.flatnonzero(test), max_history),
    )


def _warn_short(n_short, n_sequences, message):
    """Warn that ``n_short`` of ``n_sequences`` sequences are too short (``message``)."""
    if n_short:
        warnings.warn(
            f"{n_short} of {n_sequences} sequences {message}.",
            UserWarning,
            # The user's call, through validate_params' wrapper and the public function.
            stacklevel=4,
        )
