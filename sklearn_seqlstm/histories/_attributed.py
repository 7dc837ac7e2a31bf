"""AttributedHistories: histories whose events carry a time and attributes.

Real event logs hold more than event names: every event has a timestamp and
attributes (who did it, a price, a measurement), and every sequence has a
context (the customer's segment, the case type). Some histories have no event
names at all, only numbers at each step (monthly activity figures).

:class:`AttributedHistories` extends :class:`PrefixHistories`: each sequence
is stored once, with its per-event arrays beside it, and a sample is a
(sequence, length) pair, so memory stays O(events) however many prefixes there
are. Indexed by scikit-learn's splitters, it returns another
``AttributedHistories`` over the same arrays. Estimators that do not use
attributes (the Markov chains, ``SequenceFeaturizer`` without its attribute
options) read it as the tuples of events it also is.

It is built by :func:`samples_from_log` from an event log, or from one of two
in-memory forms:

- a pandas DataFrame with one row per sample (:meth:`AttributedHistories.from_frame`):
  a column ``"events"`` of event sequences, an optional column ``"time"`` of
  timestamp sequences, further columns of sequences aligned with the events
  (per-event attributes) and columns of scalars (sequence context);
- numeric steps only (:meth:`AttributedHistories.from_numeric_steps`): a list of
  2-D float arrays (steps x features) or a 3-D array.
"""

import numbers

import numpy as np
import pandas as pd

from ._prefixes import PrefixHistories

__all__ = ["AttributedHistories", "NO_EVENT", "is_attributed_frame", "is_numeric_steps"]

EVENTS = "events"
TIME = "time"


class _NoEvent:
    """The event of every step of histories made of numbers only."""

    def __repr__(self):
        return "NO_EVENT"

    def __reduce__(self):
        return "NO_EVENT"  # pickles as a reference to the module's one instance

    def __lt__(self, other):  # sorts beside nothing: it is the only event there is
        return False


NO_EVENT = _NoEvent()


class AttributedHistories(PrefixHistories):
    """Histories of events that carry a time and attributes, in sequences with context.

    ``X[i]`` is the tuple of events of history ``i``, as for
    :class:`PrefixHistories`; the attributes are read by the estimators that use
    them (:class:`NextEventClassifier`, ``SequenceFeaturizer(attributes=True)``).

    Parameters
    ----------
    sequences : sequence of sequences of events
        The event sequences, each stored once.
    sequence_index : array-like of int, shape (n_samples,)
        The sequence each history is a prefix of.
    lengths : array-like of int, shape (n_samples,)
        The length of each history.
    times : list of 1-D arrays, default=None
        Per sequence, the time of each event: datetime64 values or numbers,
        non-decreasing within a sequence.
    event_attributes : dict of str to list of 1-D arrays, default=None
        Per attribute name, per sequence, the value at each event. An attribute
        of numbers (bool excluded) is numeric; any other is categorical. Missing
        values (None, NaN, NaT) are allowed: the model imputes them and adds a
        missing indicator (numeric) or a "missing" category.
    sequence_attributes : dict of str to 1-D array, default=None
        Per attribute name, the value of each sequence (its context). Names of
        either kind that are no ``str`` are kept as ``str(name)``.

    Attributes
    ----------
    time_kind : {"datetime", "numeric"} or None
        What ``times`` holds: datetimes give hour-of-day and day-of-week
        features on top of the gaps between events. None without times, and
        when every sequence is empty (new sessions): no time tells datetimes
        from numbers then, and an estimator reads them as the kind it was
        fitted on.

    Raises
    ------
    ValueError
        On a ``sequence_index`` or ``lengths`` that is not integral; on an
        attribute named ``"events"`` or ``"time"`` (the names of the event and
        time columns of :meth:`to_frame`); on two attribute names that are the
        same once converted to ``str`` (``1`` and ``"1"``), as names are kept as
        ``str``.

    See Also
    --------
    samples_from_log : Samples with attributes, straight from an event log.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_seqlstm import AttributedHistories
    >>> frame = pd.DataFrame(
    ...     {
    ...         "events": [["login", "search"], ["login"]],
    ...         "time": [
    ...             pd.to_datetime(["2024-05-01 09:00", "2024-05-01 09:05"]),
    ...             pd.to_datetime(["2024-05-02 18:30"]),
    ...         ],
    ...         "device": [["phone", "phone"], ["laptop"]],
    ...         "segment": ["gold", "silver"],
    ...     }
    ... )
    >>> X = AttributedHistories.from_frame(frame)
    >>> list(X)
    [('login', 'search'), ('login',)]
    >>> X.event_attribute_names, X.sequence_attribute_names, X.time_kind
    (['device'], ['segment'], 'datetime')
    """

    def __init__(
        self,
        sequences,
        sequence_index,
        lengths,
        *,
        times=None,
        event_attributes=None,
        sequence_attributes=None,
    ):
        super().__init__(sequences, sequence_index, lengths)
        sizes = [len(sequence) for sequence in self.sequences]
        event_attributes = _named(event_attributes, "event attribute")
        sequence_attributes = _named(sequence_attributes, "sequence attribute")
        clash = set(event_attributes) & set(sequence_attributes)
        if clash:
            raise ValueError(
                f"{sorted(clash)[0]!r} is both an event attribute and a sequence attribute."
            )
        self.times, self.time_kind = _check_times(times, sizes)
        self.event_attributes = {
            name: _check_event_attribute(name, values, sizes)
            for name, values in event_attributes.items()
        }
        self.sequence_attributes = {
            name: _check_sequence_attribute(name, values, len(sizes))
            for name, values in sequence_attributes.items()
        }

    @property
    def event_attribute_names(self):
        """Names of the per-event attributes, in order."""
        return list(self.event_attributes)

    @property
    def sequence_attribute_names(self):
        """Names of the per-sequence attributes (the context), in order."""
        return list(self.sequence_attributes)

    def __repr__(self):
        return (
            f"AttributedHistories(n_histories={len(self)}, n_sequences={len(self.sequences)}, "
            f"time={self.time_kind}, event_attributes={self.event_attribute_names}, "
            f"sequence_attributes={self.sequence_attribute_names})"
        )

    @classmethod
    def from_frame(cls, frame):
        """Histories from a DataFrame with one row per sample.

        Parameters
        ----------
        frame : pandas.DataFrame
            A column ``"events"`` of event sequences (lists, tuples or 1-D
            arrays); an optional column ``"time"`` of timestamp sequences aligned
            with them; further columns either of sequences aligned with the
            events (per-event attributes) or of scalars (sequence context).

        Returns
        -------
        X : AttributedHistories
            One sequence per row, each history the whole row.
        """
        if not is_attributed_frame(frame):
            raise ValueError(
                "A DataFrame of attributed histories needs a column 'events' whose cells "
                f"are sequences of events; got columns {list(frame.columns)!r}."
            )
        names = [str(name) for name in frame.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"The column names must be unique; got {names!r}.")
        sequences = [_as_sequence(cell, EVENTS, row) for row, cell in enumerate(frame[EVENTS])]
        times = None
        if TIME in frame.columns:
            times = [_as_sequence(cell, TIME, row) for row, cell in enumerate(frame[TIME])]
        event_attributes, sequence_attributes = {}, {}
        for name in frame.columns:
            if name in (EVENTS, TIME):
                continue
            column = frame[name]
            if _holds_sequences(column):
                event_attributes[name] = [
                    _as_sequence(cell, name, row) for row, cell in enumerate(column)
                ]
            else:
                sequence_attributes[name] = column.to_numpy()
        n = len(sequences)
        return cls(
            sequences,
            np.arange(n),
            np.fromiter(map(len, sequences), dtype=np.int64, count=n),
            times=times,
            event_attributes=event_attributes,
            sequence_attributes=sequence_attributes,
        )

    @classmethod
    def from_numeric_steps(cls, X):
        """Histories made of numbers only: each step a vector of features.

        Parameters
        ----------
        X : list of 2-D array-like of shape (n_steps, n_features), or 3-D array
            One history per item; every step has the same number of features.
            NaN is a missing value; infinities are refused.

        Returns
        -------
        X : AttributedHistories
            Every step's event is ``NO_EVENT``; the features are the numeric
            event attributes ``"x0"``, ``"x1"``, ...
        """
        arrays = []
        for i, history in enumerate(X):
            try:
                steps = np.asarray(history, dtype=np.float64)
            except (TypeError, ValueError):
                raise ValueError(f"X[{i}] is not an array of numbers (steps x features).") from None
            if steps.ndim != 2:
                raise ValueError(
                    f"X[{i}] has {steps.ndim} dimension(s); a history of numeric steps is "
                    "a 2-D array (steps x features)."
                )
            arrays.append(steps)
        if not arrays:
            raise ValueError("X is empty: at least one history is required (found 0 samples).")
        widths = {steps.shape[1] for steps in arrays}
        if len(widths) != 1:
            raise ValueError(
                f"Every step must have the same number of features; got {sorted(widths)}."
            )
        (width,) = widths
        sequences = [(NO_EVENT,) * len(steps) for steps in arrays]
        attributes = {f"x{j}": [steps[:, j] for steps in arrays] for j in range(width)}
        n = len(arrays)
        return cls(
            sequences,
            np.arange(n),
            np.fromiter(map(len, sequences), dtype=np.int64, count=n),
            event_attributes=attributes,
        )

    def to_frame(self):
        """The histories as a DataFrame with one row per sample (see :meth:`from_frame`).

        Returns
        -------
        frame : pandas.DataFrame
            Columns ``"events"``, ``"time"`` (when there are times), one per
            event attribute and one per sequence attribute.
        """
        rows = self.sequence_index.tolist()
        ends = self.lengths.tolist()
        data = {EVENTS: [self.sequences[s][:n] for s, n in zip(rows, ends, strict=True)]}
        if self.times is not None:
            as_time = (
                (lambda seconds: pd.to_datetime(seconds, unit="s", utc=True))
                if self.time_kind == "datetime"
                else np.asarray
            )
            data[TIME] = [as_time(self.times[s][:n]) for s, n in zip(rows, ends, strict=True)]
        for name, values in self.event_attributes.items():
            data[name] = [values[s][:n] for s, n in zip(rows, ends, strict=True)]
        for name, values in self.sequence_attributes.items():
            data[name] = values[self.sequence_index]
        return pd.DataFrame(data)


def _named(attributes, role):
    """The attributes keyed by ``str`` names; refuse reserved names and names that collide.

    Names are kept as ``str`` (they name columns of :meth:`AttributedHistories.to_frame`
    and of saved models), so ``1`` and ``"1"`` would silently become one attribute;
    ``"events"`` and ``"time"`` would replace the events or the times in ``to_frame``.
    """
    named = {}
    for name, values in (attributes or {}).items():
        key = str(name)
        if key in (EVENTS, TIME):
            raise ValueError(
                f"The {role} {name!r} has a reserved name: {EVENTS!r} and {TIME!r} name the "
                "events and their times in a frame of attributed histories. Rename the "
                "attribute."
            )
        if key in named:
            raise ValueError(
                f"Two {role}s are named {named[key][0]!r} and {name!r}, which are the same "
                f"name once written as text ({key!r}); attribute names are kept as str. "
                "Rename one of them."
            )
        named[key] = (name, values)
    return {key: values for key, (_, values) in named.items()}


def is_attributed_frame(X):
    """Whether ``X`` is a DataFrame of attributed histories (an ``events`` column of sequences)."""
    return isinstance(X, pd.DataFrame) and EVENTS in X.columns and _holds_sequences(X[EVENTS])


def is_numeric_steps(X):
    """Whether ``X`` is a 3-D array or a list of 2-D numeric arrays (numeric-step histories)."""
    if isinstance(X, np.ndarray):
        return X.ndim == 3
    if not isinstance(X, (list, tuple)) or not X:
        return False
    return all(
        isinstance(history, np.ndarray) and history.ndim == 2 and history.dtype.kind in "biuf"
        for history in X
    )


def _holds_sequences(column):
    if len(column) == 0:
        return False
    first = column.iloc[0]
    return isinstance(first, (list, tuple, np.ndarray, pd.Series, pd.Index))


def _as_sequence(cell, name, row):
    if isinstance(cell, (list, tuple)):
        return cell
    if isinstance(cell, (np.ndarray, pd.Series, pd.Index)) and np.ndim(cell) == 1:
        return cell
    raise ValueError(
        f"Column {name!r}, row {row}: expected a sequence of per-event values, got "
        f"{type(cell).__name__} ({cell!r})."
    )


def _check_lengths(name, values, sizes):
    if len(values) != len(sizes):
        raise ValueError(
            f"{name!r} holds {len(values)} sequences of values, but there are "
            f"{len(sizes)} sequences of events."
        )
    for s, (value, size) in enumerate(zip(values, sizes, strict=True)):
        if len(value) != size:
            raise ValueError(
                f"{name!r}, sequence {s}: {len(value)} values for {size} events; per-event "
                "values must be aligned with the events."
            )


def _check_times(times, sizes):
    """Times as float seconds per sequence, and their kind; refuse what cannot be ordered."""
    if times is None:
        return None, None
    _check_lengths("time", times, sizes)
    kinds, converted = set(), []
    for s, values in enumerate(times):
        values, kind = _seconds(values, s)
        kinds.add(kind)
        if len(values) > 1 and (np.diff(values) < 0).any():
            i = int(np.flatnonzero(np.diff(values) < 0)[0]) + 1
            raise ValueError(
                f"'time', sequence {s}: the time of event {i} is before the one of event "
                f"{i - 1}; times must not decrease within a sequence."
            )
        converted.append(values)
    kinds.discard(None)  # empty sequences say nothing
    if len(kinds) > 1:
        raise ValueError("'time' mixes datetimes and numbers; use one kind for every sequence.")
    # Only empty sequences (new sessions): nothing tells datetimes from numbers.
    return converted, (kinds.pop() if kinds else None)


_NANOSECONDS = np.dtype("datetime64[ns]")
_NAT = np.iinfo(np.int64).min


def _seconds(values, s):
    """(float seconds, "datetime" or "numeric") of one sequence's times."""
    if len(values) == 0:
        return np.empty(0), None
    if isinstance(values, np.ndarray) and values.dtype == _NANOSECONDS:
        # What samples_from_log gives, one array per sequence: read as pandas would
        # read it, without building an index per sequence.
        ticks = values.view(np.int64)
        if (ticks == _NAT).any():
            i = int(np.flatnonzero(ticks == _NAT)[0])
            raise ValueError(f"'time', sequence {s}, event {i}: a missing timestamp.")
        return ticks / 1e9, "datetime"
    if pd.api.types.is_datetime64_any_dtype(getattr(values, "dtype", None)):
        stamps = pd.DatetimeIndex(values)
    else:
        array = np.asarray(values, dtype=object if not isinstance(values, np.ndarray) else None)
        if array.dtype.kind in "iuf" or all(
            isinstance(v, numbers.Real) and not isinstance(v, bool) for v in array.tolist()
        ):
            seconds = np.asarray(array, dtype=np.float64)
            if not np.isfinite(seconds).all():
                i = int(np.flatnonzero(~np.isfinite(seconds))[0])
                raise ValueError(f"'time', sequence {s}, event {i}: {seconds[i]} is not a time.")
            return seconds, "numeric"
        try:
            stamps = pd.DatetimeIndex(pd.to_datetime(array, utc=True))
        except (TypeError, ValueError, OverflowError) as exc:
            raise ValueError(f"'time', sequence {s}: unparseable timestamps ({exc}).") from None
    if stamps.isna().any():
        i = int(np.flatnonzero(stamps.isna())[0])
        raise ValueError(f"'time', sequence {s}, event {i}: a missing timestamp.")
    outside = np.flatnonzero(out_of_range(stamps))
    if len(outside):
        i = int(outside[0])
        raise ValueError(f"'time', sequence {s}, event {i}: {out_of_range_message(stamps[i])}")
    if stamps.tz is not None:
        stamps = stamps.tz_convert("UTC")
    # Seconds since the epoch, from whatever resolution pandas chose.
    return stamps.as_unit("ns").asi8 / 1e9, "datetime"


def out_of_range(stamps):
    """Mask of the datetimes beyond int64 nanoseconds since 1970 (1677-09-21 to 2262-04-11).

    Times are read as nanoseconds, exact to the nanosecond; pandas holds dates such as
    9999-12-31 in seconds, and converting them raises its OutOfBoundsDatetime, which
    names no column.
    """
    if stamps.unit == "ns":  # in range by construction; and per sequence, the test costs
        return np.zeros(len(stamps), dtype=bool)
    first, last = pd.Timestamp.min, pd.Timestamp.max
    if stamps.tz is not None:
        first, last = first.tz_localize("UTC"), last.tz_localize("UTC")
    return np.asarray((stamps < first) | (stamps > last), dtype=bool)


def out_of_range_message(stamp):
    """Why ``stamp`` (beyond :func:`out_of_range`'s range) cannot be a time."""
    return (
        f"{str(stamp)!r} lies outside the times that can be read, "
        f"{pd.Timestamp.min.date()} to {pd.Timestamp.max.date()} (nanoseconds since 1970 in "
        "64 bits). Placeholder dates such as 9999-12-31 mean a missing time: drop those "
        "events, or give a time within that range."
    )


def _check_event_attribute(name, values, sizes):
    _check_lengths(name, values, sizes)
    arrays = [_as_values(value) for value in values]
    kind = _kind(np.concatenate(arrays) if arrays else np.empty(0), name)
    if kind == "numeric":
        arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
        for s, array in enumerate(arrays):
            _refuse_infinite(array, lambda i, s=s: f"Attribute {name!r}, sequence {s}, event {i}")
    return arrays


def _check_sequence_attribute(name, values, n_sequences):
    values = _as_values(values)
    if len(values) != n_sequences:
        raise ValueError(
            f"Sequence attribute {name!r} has {len(values)} values for {n_sequences} sequences."
        )
    if _kind(values, name) == "numeric":
        values = np.asarray(values, dtype=np.float64)
        _refuse_infinite(values, lambda i: f"Sequence attribute {name!r}, sequence {i}")
    return values


def _refuse_infinite(values, where):
    """Raise naming ``where(i)`` of the first infinite value; NaN (missing) is allowed."""
    infinite = np.flatnonzero(np.isinf(values))
    if len(infinite):
        raise ValueError(
            f"{where(int(infinite[0]))}: an infinite value; numeric attributes must be "
            "finite (NaN is read as missing)."
        )


def _as_values(values):
    array = np.asarray(values)
    # numpy writes the numbers of a list that mixes them with text as text ([1.0, "x"]
    # becomes ["1.0", "x"]), and bools beside numbers as numbers ([True, 2.5] becomes
    # [1.0, 2.5]): a number would pass for a category, a bool for a number. Such
    # lists stay objects.
    mixed = False
    if not isinstance(values, np.ndarray):
        if array.dtype.kind in "US":
            mixed = not all(isinstance(value, (str, bytes)) for value in values)
        elif array.dtype.kind in "iuf":
            mixed = any(isinstance(value, (bool, np.bool_)) for value in values)
    if array.ndim != 1 or mixed:
        array = np.empty(len(values), dtype=object)
        array[:] = list(values)
    return array


def _kind(values, name):
    """ "numeric" when every present value is a number (bools excluded), else "categorical"."""
    if values.dtype.kind in "iuf":
        return "numeric"
    if values.dtype.kind != "O":
        return "categorical"  # strings, bools, datetimes: categories
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    if inferred in ("integer", "floating", "mixed-integer-float", "decimal"):
        return "numeric"
    if inferred == "empty":  # nothing but missing values
        return "numeric"
    if inferred.startswith("mixed"):
        for value in values.tolist():
            try:
                hash(value)
            except TypeError:
                raise TypeError(
                    f"Attribute {name!r} holds an unhashable value ({value!r}); values must "
                    "be numbers or hashable categories."
                ) from None
    return "categorical"


def attribute_kind(values):
    """ "numeric" or "categorical": what the model makes of an attribute's values."""
    return _kind(values, "")
