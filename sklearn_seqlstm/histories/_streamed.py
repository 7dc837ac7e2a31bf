"""EventLogFiles: an event log in Parquet or CSV files, read in chunks of whole sequences.

:func:`samples_from_log` needs the whole log in memory as a DataFrame, and its
samples as Python objects: about 10 GB for 60 million events. An
:class:`EventLogFiles` only names the files and their columns; the estimators
read it chunk by chunk (pyarrow), so that peak memory is bounded by the chunk
size rather than by the log.

Reading in one pass needs the rows sorted by sequence key, then order key (a
sequence's events are then contiguous and in order). The rows are checked as
they are read, and a log that is not sorted is refused with a message that says
how to sort it: sorting a log larger than memory is a job for an out-of-core
engine (duckdb, Spark), not for this package.
"""

import numbers
import os
from collections.abc import Hashable
from pathlib import Path

import numpy as np

from ..utils._missing import is_missing

__all__ = ["EventLogFiles"]

_PARQUET = (".parquet", ".pq")
_CSV = (".csv", ".csv.gz", ".csv.bz2", ".csv.zst", ".csv.lz4")
# Rows per record batch read from a file; the chunks are built from these.
_READ_ROWS = 65_536
_CSV_BLOCK_BYTES = 4 << 20


def import_pyarrow():
    """pyarrow and its compute, CSV and Parquet modules; an ImportError naming the extra."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.csv as pacsv
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise ImportError(
            "EventLogFiles reads event logs with pyarrow, which is not installed. Install "
            "the parquet extra: pip install 'sklearn-seqlstm[parquet]' (or pip install pyarrow)."
        ) from exc
    return pa, pc, pacsv, pq


def _kind(path):
    name = path.name.lower()
    if name.endswith(_PARQUET):
        return "parquet"
    if name.endswith(_CSV):
        return "csv"
    return None


def _list_files(path_or_paths):
    """The files of the log: a file, a folder's Parquet and CSV files (by name), or a list."""
    if isinstance(path_or_paths, (str, os.PathLike)):
        path = Path(path_or_paths)
        if path.is_dir():
            # Names starting with "_" or "." are metadata (Spark's _SUCCESS, .crc files),
            # as pyarrow.dataset skips them.
            files = sorted(
                p
                for p in path.iterdir()
                if p.is_file() and not p.name.startswith(("_", ".")) and _kind(p)
            )
            if not files:
                raise ValueError(
                    f"The folder {str(path)!r} holds no Parquet (.parquet, .pq) or CSV (.csv, "
                    "optionally compressed) file."
                )
            return files
        paths = [path]
    else:
        try:
            paths = [Path(p) for p in path_or_paths]
        except TypeError:
            raise TypeError(
                "path_or_paths must be a path (a file or a folder) or a list of file paths; "
                f"got {path_or_paths!r}."
            ) from None
        if not paths:
            raise ValueError("path_or_paths is an empty list: give at least one file.")
    for path in paths:
        if not path.is_file():
            raise ValueError(f"{str(path)!r} is not a file (or does not exist).")
        if _kind(path) is None:
            raise ValueError(
                f"{str(path)!r} is neither a Parquet file (.parquet, .pq) nor a CSV file "
                "(.csv, optionally compressed as .csv.gz, .csv.bz2, .csv.zst or .csv.lz4)."
            )
    return paths


class EventLogFiles:
    """An event log in Parquet or CSV files, streamed in chunks instead of loaded whole.

    The same log as :func:`samples_from_log` takes (one row per event, with a
    sequence key, an order key and the event), but kept in files. Pass it to
    :meth:`NextEventClassifier.fit` with ``y=None``: the samples are every
    (history, next event) pair of every sequence, as ``samples_from_log`` cuts
    them with the same ``min_history`` and ``end_event``, and they are read,
    encoded and trained on one chunk of whole sequences at a time. Peak memory
    is bounded by ``chunk_size``, not by the size of the log.

    Reading needs pyarrow (``pip install 'sklearn-seqlstm[parquet]'``).

    Parameters
    ----------
    path_or_paths : str, path or list of paths
        A Parquet or CSV file, a folder of such files (read in the order of their
        names; names that start with ``_`` or ``.`` are skipped, as Spark's
        ``_SUCCESS``), or a list of files (read in that order). Parquet and CSV
        files may be mixed; the columns used must have the same types in all.
    sequence_col : str
        Column of the sequence key (user, session, case).
    order_col : str or None
        Column of the order key within a sequence (timestamp, position). None
        takes the events of a sequence in the order of the rows.
    event_col : str
        Column of the events.
    end_event : hashable, default=None
        As in :func:`samples_from_log`: each sequence also gives a sample whose
        history is the whole sequence and whose next event is ``end_event``.
    min_history : int, default=1
        As in :func:`samples_from_log`: the shortest history kept.
    chunk_size : int, default=1_000_000
        Most rows (events) in one chunk. A chunk holds whole sequences only; a
        sequence longer than ``chunk_size`` is a chunk of its own. Memory in
        ``fit`` grows with it (a few hundred bytes per event of a chunk, beside
        the model), and so does the quality of the shuffling (see Notes).

    Attributes
    ----------
    paths : list of pathlib.Path
        The files, in the order they are read.

    See Also
    --------
    samples_from_log : The same samples, from a DataFrame in memory.

    Notes
    -----
    **Sorted rows.** The log is read in one pass, so its rows must be sorted by
    ``sequence_col``, then ``order_col``, across the files in their order (the
    first row of a file follows the last row of the previous one). Rows are
    checked as they are read; a log out of order is a ValueError that names the
    file and the row. Sort a log larger than memory with an out-of-core engine,
    for example duckdb::

        COPY (SELECT * FROM read_parquet('events/*.parquet') ORDER BY user, time)
        TO 'sorted.parquet' (FORMAT parquet);

    or, when it fits in memory, with pyarrow::

        table = pyarrow.parquet.read_table("events/")
        pyarrow.parquet.write_table(table.sort_by([("user", "ascending"),
                                                   ("time", "ascending")]), "sorted.parquet")

    Keys compare as pyarrow compares them (numbers by value, strings by their
    UTF-8 bytes, which is the order of :func:`samples_from_log` too). Missing
    keys and events are refused, as by :func:`samples_from_log`.

    **Schemas.** The used columns must have the same type in every file
    (dictionary-encoded strings count as strings); a file that differs is a
    ValueError naming it. Other columns are never read. CSV column types are
    inferred by pyarrow from each file; prefer Parquet when a key could be read
    as a number in one file and as text in another.

    **Unchanged files.** ``fit`` reads the files several times: once to count
    the sequences and find the events, then once per epoch. A file modified or
    replaced after the ``EventLogFiles`` was made (its size, modification time
    or inode differ) is a ValueError naming it, rather than a model trained on
    two different logs. Make a new ``EventLogFiles`` to read new contents.

    **Memory.** Beside the chunk, a Parquet file is read one row group at a time
    by pyarrow, so very large row groups (beyond ``chunk_size`` rows) raise the
    peak too.

    **Training order.** In memory, ``fit`` shuffles all the chains (sequences)
    of the log before batching them. Streamed, it shuffles the chains within
    each chunk, and reads the chunks in file order in every epoch: a shuffle
    over the whole log needs the whole log at hand. With one chunk (a log of at
    most ``chunk_size`` events) the two give the same model; with several, every
    chain is still trained on once per epoch. When the sequence key correlates
    with time or kind (keys that are dates), larger chunks mix more.

    Examples
    --------
    >>> import pytest
    >>> _ = pytest.importorskip("pyarrow")  # the examples run where pyarrow is installed
    >>> import tempfile
    >>> from pathlib import Path
    >>> import pandas as pd
    >>> from sklearn_seqlstm import EventLogFiles, NextEventClassifier
    >>> folder = tempfile.mkdtemp()
    >>> log = pd.DataFrame(
    ...     {
    ...         "user": ["u1", "u1", "u1", "u2", "u2", "u3", "u3", "u3"],
    ...         "time": [1, 2, 3, 1, 2, 1, 2, 3],
    ...         "page": ["home", "search", "item", "home", "search", "search", "item", "cart"],
    ...     }
    ... )
    >>> log.iloc[:5].to_parquet(Path(folder) / "part-0.parquet")
    >>> log.iloc[5:].to_parquet(Path(folder) / "part-1.parquet")
    >>> files = EventLogFiles(folder, sequence_col="user", order_col="time", event_col="page")
    >>> files
    EventLogFiles(2 files, sequence_col='user', order_col='time', event_col='page')
    >>> clf = NextEventClassifier(max_epochs=5, random_state=0).fit(files)
    >>> clf.classes_.tolist()
    ['cart', 'item', 'search']
    >>> clf.predict([["home"]]).shape
    (1,)
    """

    def __init__(
        self,
        path_or_paths,
        *,
        sequence_col,
        order_col,
        event_col,
        end_event=None,
        min_history=1,
        chunk_size=1_000_000,
    ):
        import_pyarrow()
        for role, name in [("sequence_col", sequence_col), ("event_col", event_col)]:
            if not isinstance(name, str):
                raise TypeError(f"{role} must be a column name (a str); got {name!r}.")
        if order_col is not None and not isinstance(order_col, str):
            raise TypeError(f"order_col must be a column name (a str) or None; got {order_col!r}.")
        names = [n for n in (sequence_col, order_col, event_col) if n is not None]
        if len(set(names)) < len(names):
            raise ValueError(
                f"sequence_col, order_col and event_col must be different columns; got {names}."
            )
        if end_event is not None and not isinstance(end_event, Hashable):
            raise TypeError(f"end_event must be a hashable event; got {end_event!r}.")
        if end_event is not None and is_missing(end_event):
            # As samples_from_log: a missing value is no event (it would become a class).
            raise ValueError(f"end_event must be an event, not a missing value ({end_event!r}).")
        for name, value, low in [("min_history", min_history, 0), ("chunk_size", chunk_size, 1)]:
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < low:
                raise ValueError(f"{name} must be an integer >= {low}; got {value!r}.")
        self.paths = _list_files(path_or_paths)
        # What each file was when listed: fit reads the files several times (a scan,
        # then every epoch), and a file replaced in between gives other samples than
        # those the scan counted and encoded.
        self._fingerprints = {path: _fingerprint(path) for path in self.paths}
        self.sequence_col = sequence_col
        self.order_col = order_col
        self.event_col = event_col
        self.end_event = end_event
        self.min_history = int(min_history)
        self.chunk_size = int(chunk_size)

    def __repr__(self):
        n = len(self.paths)
        files = f"{n} file{'s' if n != 1 else ''}"
        extra = "" if self.end_event is None else f", end_event={self.end_event!r}"
        return (
            f"EventLogFiles({files}, sequence_col={self.sequence_col!r}, "
            f"order_col={self.order_col!r}, event_col={self.event_col!r}{extra})"
        )

    @property
    def _columns(self):
        return [n for n in (self.sequence_col, self.order_col, self.event_col) if n is not None]

    def _chunks(self):
        """The log in chunks of whole sequences, each of at most ``chunk_size`` rows.

        A single sequence longer than ``chunk_size`` is a chunk of its own. The
        chunks are the same whatever the files' batch and row-group sizes:
        whole sequences packed greedily, in file order.

        Yields
        ------
        LogChunk
        """
        pa, pc, _, _ = import_pyarrow()
        pending, flags, n_pending = [], [], 0
        for batch, new in self._checked_batches():
            pending.append(batch)
            flags.append(new)
            n_pending += len(new)
            while n_pending > self.chunk_size:
                new_all = np.concatenate(flags)
                starts = np.flatnonzero(new_all)
                # The largest start within the first chunk_size + 1 rows is a cut that
                # keeps at most chunk_size rows; without one, the first sequence is
                # longer than chunk_size and goes whole once its end is known.
                fits = starts[(starts > 0) & (starts <= self.chunk_size)]
                if len(fits):
                    cut = int(fits[-1])
                else:
                    later = starts[starts > 0]
                    if not len(later):
                        break
                    cut = int(later[0])
                table = pa.Table.from_batches(pending)
                yield LogChunk.from_table(table.slice(0, cut), new_all[:cut], self, pa, pc)
                rest = table.slice(cut)
                pending = rest.to_batches() if len(rest) else []
                flags = [new_all[cut:]]
                n_pending -= cut
        if n_pending:
            table = pa.Table.from_batches(pending)
            yield LogChunk.from_table(table, np.concatenate(flags), self, pa, pc)

    def _checked_batches(self):
        """Record batches of the used columns, checked, with a flag per row: does a sequence start?

        Checks the schema against the first file's, missing values and the sort order.
        """
        pa, pc, _, _ = import_pyarrow()
        reference, first_path = None, None
        previous = None  # the last row read: (key, order) as 1-element arrays
        for path in self.paths:
            row = 0
            for batch in self._read(path):
                batch = _normalized(batch, pa)
                if reference is None:
                    reference, first_path = batch.schema, path
                elif batch.schema.types != reference.types:
                    raise ValueError(_schema_mismatch(path, batch.schema, first_path, reference))
                if not len(batch):
                    continue
                self._check_present(batch, path, row, pa, pc)
                new = self._check_sorted(batch, previous, path, row, pa, pc)
                previous = [batch.column(n).slice(len(batch) - 1) for n in self._order_columns]
                row += len(batch)
                yield batch, new

    @property
    def _order_columns(self):
        return [self.sequence_col] + ([self.order_col] if self.order_col is not None else [])

    def _read(self, path):
        """The record batches of the used columns of one file, in order."""
        pa, _, pacsv, pq = import_pyarrow()
        columns = self._columns
        self._check_unchanged(path)
        try:
            if _kind(path) == "parquet":
                parquet = pq.ParquetFile(path)
                _check_has_columns(path, parquet.schema_arrow.names, columns)
                for batch in parquet.iter_batches(batch_size=_READ_ROWS, columns=columns):
                    yield batch.select(columns)
            else:
                reader = pacsv.open_csv(
                    path,
                    read_options=pacsv.ReadOptions(block_size=_CSV_BLOCK_BYTES),
                    convert_options=pacsv.ConvertOptions(include_columns=columns),
                )
                _check_has_columns(path, reader.schema.names, columns)
                # Always the same column order, whatever the file's.
                for batch in reader:
                    yield batch.select(columns)
        except (pa.ArrowException, OSError) as exc:
            raise ValueError(f"{str(path)!r} could not be read: {exc}") from None

    def _check_unchanged(self, path):
        """A ValueError naming ``path`` if it changed since this log listed it."""
        listed = getattr(self, "_fingerprints", {}).get(path)
        if listed is None:
            return
        try:
            now = _fingerprint(path)
        except OSError:
            now = None
        if now != listed:
            what = "no longer exists" if now is None else "was modified or replaced"
            raise ValueError(
                f"{str(path)!r} {what} since this EventLogFiles listed it (its size, "
                "modification time or inode differ): a pass over the log would read other "
                "rows than the one that counted its sequences and events. Leave the files "
                "unchanged while fitting, and make a new EventLogFiles to read new contents."
            )

    def _check_present(self, batch, path, row, pa, pc):
        for name in self._columns:
            column = batch.column(name)
            floating = pa.types.is_floating(column.type)
            if not floating and not column.null_count:
                continue
            missing = column.is_null(nan_is_null=floating)
            if pc.any(missing).as_py():
                at = row + pc.index(missing, True).as_py()
                raise ValueError(
                    f"{str(path)!r} has a missing value (null or NaN) in column {name!r} at "
                    f"row {at} (from 0). Sequence keys, order keys and events must all be "
                    "present: drop or fill such rows."
                )

    def _check_sorted(self, batch, previous, path, row, pa, pc):
        """A flag per row: does it start a sequence? A ValueError if the rows are out of order."""
        columns = [batch.column(n) for n in self._order_columns]
        offset = 0
        if previous is not None:
            columns = [pa.concat_arrays([p, c]) for p, c in zip(previous, columns, strict=True)]
            offset = 1
        keys = columns[0]
        n = len(keys)
        if n < 2:
            return np.ones(len(batch), dtype=bool)
        head, tail = keys.slice(0, n - 1), keys.slice(1)
        new = pc.not_equal(tail, head)
        bad = pc.less(tail, head)
        if len(columns) > 1:
            order = columns[1]
            backwards = pc.less(order.slice(1), order.slice(0, n - 1))
            bad = pc.or_(bad, pc.and_(pc.invert(new), backwards))
        if pc.any(bad).as_py():
            i = pc.index(bad, True).as_py() + 1  # in the (extended) columns
            self._raise_unsorted(columns, i, offset, path, row)
        new = new.to_numpy(zero_copy_only=False)
        if offset:
            return new
        return np.concatenate([[True], new])

    def _raise_unsorted(self, columns, i, offset, path, row):
        def describe(j):
            return ", ".join(
                f"{name}={column[j].as_py()!r}"
                for name, column in zip(self._order_columns, columns, strict=True)
            )

        at = row + i - offset
        where = f"row {at} (from 0) of {str(path)!r}"
        if at == 0:
            before = self.paths[self.paths.index(path) - 1]
            where += f", the first row of that file, after the last row of {str(before)!r}"
        by = repr(self.sequence_col) + (
            f", then {self.order_col!r}" if self.order_col is not None else ""
        )
        raise ValueError(
            f"The event log is not sorted by {by}: {where} ({describe(i)}) comes after a row "
            f"with {describe(i - 1)}. EventLogFiles reads the log in one pass and needs its "
            f"rows sorted by {by} across the files, in their order (a folder's files are "
            "read by name). Sort the log once, for example with duckdb (out of core): "
            "COPY (SELECT * FROM read_parquet('events/*.parquet') ORDER BY "
            f"{', '.join(self._order_columns)}) TO 'sorted.parquet' (FORMAT parquet); or, if "
            "it fits in memory, with pyarrow's Table.sort_by."
        )


def _fingerprint(path):
    """What tells a file from its replacement, cheaply: size, modification time, inode."""
    stat = os.stat(path)
    return stat.st_size, stat.st_mtime_ns, stat.st_ino, stat.st_dev


def _check_has_columns(path, available, columns):
    missing = [name for name in columns if name not in available]
    if missing:
        listed = ", ".join(map(repr, available)) or "none"
        raise ValueError(
            f"{str(path)!r} has no column {' and no column '.join(map(repr, missing))}. "
            f"Available columns: {listed}."
        )


def _normalized(batch, pa):
    """The batch with dictionary columns decoded, large string and binary types made plain,
    and a bare schema (no metadata, nullable fields), so that batches of any file concatenate."""
    arrays = []
    for column in batch.columns:
        if pa.types.is_dictionary(column.type):
            column = column.dictionary_decode()
        if pa.types.is_large_string(column.type):
            column = column.cast(pa.string())
        elif pa.types.is_large_binary(column.type):
            column = column.cast(pa.binary())
        arrays.append(column)
    return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)


def _schema_mismatch(path, schema, first_path, reference):
    for field in reference:
        other = schema.field(field.name)
        if other.type != field.type:
            return (
                f"{str(path)!r} does not match the schema of the log: column {field.name!r} "
                f"is {other.type} there, but {field.type} in {str(first_path)!r} (the first "
                "file). Every file of the log must give the used columns the same types; "
                "rewrite the odd file with the types of the others."
            )
    return f"{str(path)!r} does not match the schema of {str(first_path)!r}."  # pragma: no cover


class LogChunk:
    """Whole sequences of the log, back to back: the unit that is read, encoded and trained.

    Attributes
    ----------
    events : pyarrow.Array
        The events of the chunk's rows.
    keys : pyarrow.Array
        The sequence key of each sequence.
    starts, lengths : ndarray of int64, shape (n_sequences,)
        Where each sequence starts among the rows, and its number of events.
    longest : ndarray of int64, shape (n_sequences,)
        Length of the longest history each sequence gives: its length minus 1,
        or its length with ``end_event``.
    used : ndarray of bool, shape (n_sequences,)
        Whether the sequence gives any sample (``longest >= min_history``).
    """

    def __init__(self, events, keys, starts, lengths, *, min_history, end_event):
        self.events = events
        self.keys = keys
        self.starts = starts
        self.lengths = lengths
        self.min_history = min_history
        self.end_event = end_event
        self.longest = lengths - (1 if end_event is None else 0)
        self.used = self.longest >= min_history

    @classmethod
    def from_table(cls, table, new, log, pa, pc):
        table = table.combine_chunks()
        starts = np.flatnonzero(new).astype(np.int64)
        lengths = np.diff(np.append(starts, len(new)))
        return cls(
            table.column(log.event_col).chunk(0) if table.num_rows else pa.array([]),
            table.column(log.sequence_col).take(pa.array(starts)).combine_chunks(),
            starts,
            lengths,
            min_history=log.min_history,
            end_event=log.end_event,
        )

    @property
    def n_rows(self):
        return len(self.events)

    def positions(self):
        """Each row's position in its sequence (0 for the first event), and its sequence."""
        sequence = np.repeat(np.arange(len(self.starts)), self.lengths)
        return np.arange(self.n_rows) - self.starts[sequence], sequence

    def history_rows(self):
        """Mask of the rows whose event is in some history (a sample's, not only a target)."""
        position, sequence = self.positions()
        return self.used[sequence] & (position < self.longest[sequence])

    def target_rows(self):
        """Mask of the rows whose event is the next event of some sample."""
        position, sequence = self.positions()
        return self.used[sequence] & (position >= self.min_history)
