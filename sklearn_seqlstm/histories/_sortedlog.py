"""An event log checked and sorted: the columns read, validated and laid out by sequence.

:class:`_SortedLog` reads the sequence key, order key and event columns of an
event log (and its times, attributes and value column), refuses what would give
silently wrong samples (missing keys, unorderable order keys, times that go
back, sequence attributes that vary) with messages that name the row, and sorts
the rows once by sequence key, then order key (both stable, so that rows with
equal keys keep their order in the table). :mod:`._eventlog` cuts the samples
from it.
"""

from typing import NamedTuple

import numpy as np
import pandas as pd

from ..utils._missing import missing_mask
from ._attributed import AttributedHistories, out_of_range, out_of_range_message
from ._prefixes import PrefixHistories

__all__ = ["NextEventSamples"]


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
        self.order_keys = None  # the order column as compared (see _order_keys)
        self._parsed_times = None  # the times of a text time column that orders the rows
        if order_col is None:
            rows = np.argsort(codes, kind="stable")
        else:
            self.order_keys, self._parsed_times = _order_keys(frame, order_col, time_col)
            by_order = _argsort_order(self.order_keys, order_col)
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
                if self._parsed_times is not None:  # parsed once, to order the rows
                    stamps = self._parsed_times[self.rows]
                else:
                    stamps = _parse_times(values)
            except (TypeError, ValueError) as exc:
                raise ValueError(
                    f"The time column {name!r} cannot be read as times: {exc}"
                ) from None
            bad = np.flatnonzero(stamps.isna())
            outside = np.flatnonzero(out_of_range(stamps))
            if len(outside) and not (len(bad) and bad[0] < outside[0]):
                i = outside[0]
                raise ValueError(
                    f"The time column {name!r} has a time out of range at {self._where(i)}: "
                    + out_of_range_message(stamps[i])
                )
            if not len(outside):  # else a value that is no time comes first: said below
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


def _order_keys(frame, order_col, time_col):
    """The order column as its rows are compared, and the times read from it when it is
    text and also ``time_col`` (else None): text of numbers or timestamps parsed.

    Text compares character by character, so that "10" comes before "9" and
    "2024-05-01T10:00+05:00" after "2024-05-01T06:00+00:00" (an earlier time):
    silently wrong orders. Text that is all numbers is ordered as numbers, text that
    is all ISO 8601 timestamps (offsets allowed) as times in UTC, as the command
    line reads them; other text stays text. When the order column is also the time
    column, it is ordered by the times read from it, so that the two agree.
    """
    column = frame[order_col]
    if pd.api.types.infer_dtype(column, skipna=False) != "string":
        return column, None
    try:
        if order_col == time_col:
            stamps = _parse_times(column.to_numpy())
            if not stamps.isna().any():  # else _SortedLog names the value that is no time
                return pd.Series(stamps, index=column.index), stamps
        # The first rows first: a column of other text is read once, not twice.
        head = column.iloc[:8]
        if pd.to_numeric(head, errors="coerce").notna().all():
            numbers = pd.to_numeric(column, errors="coerce")
            if numbers.notna().all():
                return numbers, None
        if pd.to_datetime(head, format="ISO8601", utc=True, errors="coerce").notna().all():
            stamps = pd.to_datetime(column, format="ISO8601", utc=True, errors="coerce")
            if stamps.notna().all():
                return stamps, None
    except (TypeError, ValueError, OverflowError):
        # pandas' parsers raise on some text despite errors="coerce" (dates beyond its
        # range); such text stays text, and a time column's reading names the value.
        pass
    return column, None


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
