"""Reading an event log file for ``seqlstm fit`` and ``seqlstm recommend``.

:func:`log_format` picks how a file is read from its extension (and ``--sep``),
:func:`read_columns` reads its header only, so that a missing file or a
misspelled column is refused before any work, and :func:`read_event_log` reads
the whole file. Formats:

- delimited text: ``.csv`` (commas), ``.tsv`` (tabs), optionally compressed
  (``.gz``, ``.bz2``, ``.zip``, ``.xz``, ``.zst``); with ``--sep`` any other
  extension too, read with that separator;
- RecBole's atomic files (``.inter``, ``.item``, ``.user``): tab-separated, with
  header names such as ``user_id:token`` whose ``:type`` suffix is dropped
  (``user_id``); ``token`` columns are read as text, as RecBole reads them;
- Parquet (``.parquet``, ``.pq``; needs pyarrow);
- XES process logs (``.xes``, ``.xes.gz``; needs defusedxml), read by
  :func:`~sklearn_seqlstm.read_xes` with pm4py's column names. XES has no header
  apart from its events: the whole file is read once and kept for the run.

:func:`parse_order_column` then makes a text order column comparable (numbers,
or ISO 8601 timestamps), as ``seqlstm evaluate`` does.

Errors are :class:`._cli_common.UsageError` (exit status 2) for what is wrong
before any work (no such file, an extension that is not a log, a column the
header lacks) and :class:`._cli_common.CommandError` (1) for a file that cannot
be parsed.
"""

import importlib.util
from pathlib import Path

from ._cli_common import CommandError, UsageError

__all__ = ["check_columns", "log_format", "parse_order_column", "read_columns", "read_event_log"]

_TEXT_SEPARATORS = {".csv": ",", ".tsv": "\t"}
# RecBole's atomic files: tab-separated, typed headers (name:type).
_RECBOLE = {".inter", ".item", ".user"}
_RECBOLE_TYPES = ("token", "token_seq", "float", "float_seq")
_COMPRESSIONS = {".gz", ".bz2", ".zip", ".xz", ".zst"}
_PARQUET = {".parquet", ".pq"}


def log_format(path, sep=None):
    """How to read ``path``: ``("parquet", None)``, ``("text", separator)`` or
    ``("recbole", separator)``; a UsageError for an extension that is not a log.

    Kept small and alone: a new format is one case here and one reader below.
    """
    path = Path(path)
    suffixes = [suffix.lower() for suffix in path.suffixes]
    if suffixes and suffixes[-1] in _COMPRESSIONS:
        suffixes = suffixes[:-1]
    kind = suffixes[-1] if suffixes else ""
    if kind == ".xes":
        if sep is not None:
            raise UsageError(f"--sep applies to text files; {path.name} is an XES file.")
        return "xes", None
    if kind in _PARQUET:
        if sep is not None:
            raise UsageError(
                f"--sep applies to text files; {path.name} is a Parquet file. Leave --sep out."
            )
        return "parquet", None
    if kind in _RECBOLE:
        return "recbole", "\t" if sep is None else sep
    if kind in _TEXT_SEPARATORS or sep is not None:
        return "text", _TEXT_SEPARATORS.get(kind) if sep is None else sep
    raise UsageError(
        f"{path}: the event log must be a CSV file (.csv, .tsv, optionally compressed as "
        ".gz, .bz2, .zip or .xz), a RecBole atomic file (.inter), an XES file (.xes, "
        ".xes.gz) or a Parquet file "
        f"(.parquet); got {'the extension ' + repr(kind) if kind else 'no extension'}. "
        "For another delimited text file, give its separator with --sep."
    )


def separator(text):
    """An argparse type for ``--sep``: one character; ``\\t`` and ``tab`` for a tab."""
    import argparse

    value = {"\\t": "\t", "tab": "\t"}.get(text, text)
    if len(value) != 1 or value in "\"'\r\n":
        raise argparse.ArgumentTypeError(
            f"expected one character (or \\t for a tab), not a quote or a line break; got {text!r}"
        )
    return value


separator.__name__ = "separator"


def read_columns(path, sep=None):
    """The column names of the log at ``path``, from its header only (cheap).

    Raises
    ------
    UsageError
        When the path is a folder or does not exist, or its extension is not a log's.
    CommandError
        When the header cannot be read, or names a column twice.
    """
    path = Path(path)
    kind, separator = log_format(path, sep)
    if path.is_dir():
        raise UsageError(f"{path} is a folder, not a file: give the event log's file.")
    if not path.is_file():
        raise UsageError(f"{path}: no such file.")
    if kind == "xes":
        names = _read_xes(path).columns.tolist()
    elif kind == "parquet":
        _check_parquet_engine(path)
        try:
            import pyarrow.parquet

            names = pyarrow.parquet.read_schema(path).names
        except Exception as exc:  # pyarrow raises its own types (ArrowInvalid, ...)
            raise CommandError(f"{path}: could not be read as Parquet: {exc}") from None
    else:
        names = _text_header(path, separator)
        if kind == "recbole":
            names = [_recbole_name(name) for name in names]
    _check_unique(names, path)
    return names


def check_columns(path, columns, sep=None):
    """Refuse, before any work, columns that the log's header lacks (a UsageError).

    ``columns`` maps each option (``--event-col``) to the column it names, or to
    a list of columns.
    """
    available = read_columns(path, sep)
    for option, names in columns.items():
        for name in [names] if isinstance(names, str) else names:
            if name is not None and name not in available:
                listed = ", ".join(map(repr, available)) or "none"
                raise UsageError(
                    f"{option}: the event log {Path(path).name} has no column {name!r}. "
                    f"Available columns: {listed}."
                )
    return available


def read_event_log(path, sep=None):
    """The event log at ``path`` as a DataFrame.

    The index is named ``line`` and holds each row's line in a text file (the
    header is line 1), or ``row`` and holds the row number (from 0) in a
    Parquet file, so that errors can name where a bad value is.

    Raises
    ------
    UsageError
        As :func:`read_columns`.
    CommandError
        When the file cannot be parsed, or names a column twice.
    """
    import pandas as pd

    path = Path(path)
    names = read_columns(path, sep)
    kind, separator = log_format(path, sep)
    if kind == "xes":
        frame = _read_xes(path).copy()
        frame.index = pd.RangeIndex(len(frame), name="event")
        return frame
    if kind == "parquet":
        try:
            frame = pd.read_parquet(path)
        except Exception as exc:  # the engines raise their own types (ArrowInvalid, ...)
            raise CommandError(f"{path}: could not be read as Parquet: {exc}") from None
        frame.index = pd.RangeIndex(len(frame), name="row")
        return frame
    options = {}
    if kind == "recbole":
        raw = _text_header(path, separator)
        # Tokens are identifiers, not numbers ("0042" stays "0042"), as RecBole reads them.
        options = {
            "header": 0,
            "names": names,
            "dtype": {
                name: str for name, typed in zip(names, raw, strict=True) if _is_token(typed)
            },
        }
    try:
        frame = pd.read_csv(path, sep=separator, low_memory=False, **options)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as exc:
        raise CommandError(f"{path}: could not be parsed as delimited text: {exc}") from None
    except ValueError as exc:  # a value that the column's declared type refuses
        raise CommandError(f"{path}: could not be parsed: {exc}") from None
    frame.index = pd.RangeIndex(2, len(frame) + 2, name="line")
    return frame


def _text_header(path, separator):
    import pandas as pd

    try:
        # pandas renames a repeated column ("page" to "page.1"), so that --event-col page
        # would silently pick one: the header is read as it is.
        header = pd.read_csv(path, sep=separator, header=None, nrows=1, dtype=str)
    except pd.errors.EmptyDataError:
        return []
    except (pd.errors.ParserError, UnicodeDecodeError, OSError) as exc:
        raise CommandError(f"{path}: could not be parsed as delimited text: {exc}") from None
    return header.iloc[0].dropna().tolist() if len(header) else []


def _recbole_name(name):
    """``user_id:token`` -> ``user_id``; a name without a RecBole type stays as it is."""
    base, colon, kind = str(name).rpartition(":")
    return base if colon and kind in _RECBOLE_TYPES else name


def _is_token(name):
    return str(name).rpartition(":")[2] in ("token", "token_seq")


def _check_unique(names, path):
    seen, repeated = set(), []
    for name in names:
        if name in seen and name not in repeated:
            repeated.append(name)
        seen.add(name)
    if repeated:
        raise CommandError(
            f"{path}: the column name(s) {', '.join(map(repr, repeated))} appear more than once "
            "in the header; give each column its own name."
        )


def _check_parquet_engine(path):
    if not any(importlib.util.find_spec(name) for name in ("pyarrow", "fastparquet")):
        raise UsageError(
            f"{path}: reading Parquet files needs pyarrow (pip install pyarrow), which is "
            "not installed; or save the event log as CSV."
        )


def parse_order_column(frame, order_col, path):
    """Make a text order column comparable: numbers, or else ISO 8601 timestamps.

    A CSV column that mixes numbers and text is read as text, where "10" sorts
    before "9": ordering it as text would be silently wrong. Such a column is an
    error that names its first value that is neither a number nor a timestamp.
    """
    import pandas as pd

    if order_col not in frame.columns:
        return frame  # the log's checks name the missing columns
    column = frame[order_col]
    if not (pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column)):
        return frame
    present = column.notna()
    numbers = pd.to_numeric(column, errors="coerce")
    if numbers.notna().sum() == present.sum():
        return frame.assign(**{order_col: numbers})
    # utc=True: offsets may differ between rows; naive times are read as UTC.
    timestamps = pd.to_datetime(column, format="ISO8601", utc=True, errors="coerce")
    if timestamps.notna().sum() == present.sum():
        return frame.assign(**{order_col: timestamps})
    where = frame.index.name or "row"
    neither = present & numbers.isna() & timestamps.isna()
    if neither.any():
        label = neither.idxmax()
        found = f"{column[label]!r} at {where} {label}, which is neither a number nor an ISO "
        found += "8601 timestamp (for example 2024-05-01T12:30:00)"
    else:
        number, timestamp = numbers.notna().idxmax(), timestamps.notna().idxmax()
        found = (
            f"both numbers ({column[number]!r} at {where} {number}) and timestamps "
            f"({column[timestamp]!r} at {where} {timestamp})"
        )
    raise CommandError(
        f"{path}: the order column {order_col!r} cannot be ordered: it holds {found}. Give "
        "numbers (positions, Unix times) or ISO 8601 timestamps."
    )


_XES_CACHE = {}


def _read_xes(path):
    """The frame of an XES file, read once per run (its columns are known only then)."""
    key = (str(Path(path).resolve()), Path(path).stat().st_mtime_ns)
    if key not in _XES_CACHE:
        from ..histories._xes import read_xes

        try:
            frame = read_xes(path)  # gzip or plain, told apart by the content
        except ImportError as exc:
            raise UsageError(f"{path}: {exc}") from None
        except ValueError as exc:
            message = str(exc) if str(path) in str(exc) else f"{path}: {exc}"
            raise CommandError(message) from None
        _XES_CACHE.clear()  # one log at a time: a run reads one or two files
        _XES_CACHE[key] = frame
    return _XES_CACHE[key]
