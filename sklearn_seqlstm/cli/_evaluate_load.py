"""Reading the event log of ``seqlstm evaluate`` (also ``fit`` and ``recommend``).

CSV, TSV (optionally compressed) or Parquet, chosen by the extension; errors are
:class:`EvaluateInputError` (exit status 1), which name the file, row or column.
"""

import importlib.util
from pathlib import Path

import pandas as pd

from ._cli_common import CommandError


class EvaluateInputError(CommandError):
    """Bad input to ``seqlstm evaluate`` (the event log): exit status 1."""


# Loading ------------------------------------------------------------------------------

_CSV_SEPARATORS = {".csv": ",", ".tsv": "\t"}
_COMPRESSIONS = {".gz", ".bz2", ".zip", ".xz", ".zst"}
_PARQUET = {".parquet", ".pq"}


def read_event_log(path):
    """Read an event log from a CSV, TSV or Parquet file, chosen by the extension.

    Parameters
    ----------
    path : str or pathlib.Path
        ``.csv`` or ``.tsv``, optionally compressed (``.csv.gz``, ...), or
        ``.parquet``. The index of the frame is named ``line`` and holds the
        line number of each row in a CSV file (the header is line 1), so that
        errors name the line; for Parquet it is the row number, from 0.

    Returns
    -------
    frame : pandas.DataFrame

    Raises
    ------
    EvaluateInputError
        When the file is missing or is a folder, has another extension, cannot be
        parsed, names a column twice, or is Parquet while no Parquet engine
        (pyarrow) is installed.
    """
    path = Path(path)
    if path.is_dir():
        raise EvaluateInputError(f"{path} is a folder, not a file: give the event log's file.")
    suffixes = [suffix.lower() for suffix in path.suffixes]
    if suffixes and suffixes[-1] in _COMPRESSIONS:
        suffixes = suffixes[:-1]
    kind = suffixes[-1] if suffixes else ""
    if kind not in _CSV_SEPARATORS and kind not in _PARQUET and kind != ".xes":
        raise EvaluateInputError(
            f"{path}: the event log must be a CSV file (.csv, .tsv, optionally compressed "
            f"as .gz, .bz2, .zip or .xz), an XES file (.xes, .xes.gz) or a Parquet file "
            f"(.parquet); got {'the extension ' + repr(kind) if kind else 'no extension'}."
        )
    if not path.is_file():
        raise EvaluateInputError(f"{path}: no such file.")
    if kind == ".xes":
        from ..histories._xes import read_xes

        try:
            frame = read_xes(path)  # gzip or plain, told apart by the content
        except (ValueError, ImportError) as exc:
            message = str(exc) if str(path) in str(exc) else f"{path}: {exc}"
            raise EvaluateInputError(message) from None
        frame.index = pd.RangeIndex(len(frame), name="event")
        return frame
    if kind in _PARQUET:
        frame = _read_parquet(path)
        _check_unique(frame.columns, path)
        return frame
    separator = _CSV_SEPARATORS[kind]
    try:
        # pandas renames a repeated column ("page" to "page.1"), so that the user's
        # --event-col page would silently pick one: read the header as it is first.
        header = pd.read_csv(path, sep=separator, header=None, nrows=1, dtype=str)
        _check_unique(header.iloc[0].dropna(), path)
        frame = pd.read_csv(path, sep=separator, low_memory=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as exc:
        raise EvaluateInputError(f"{path}: could not be parsed as CSV: {exc}") from None
    frame.index = pd.RangeIndex(2, len(frame) + 2, name="line")
    return frame


def _check_unique(names, path):
    names = pd.Series(list(names), dtype=object)
    repeated = list(dict.fromkeys(names[names.duplicated()]))
    if repeated:
        raise EvaluateInputError(
            f"{path}: the column name(s) {', '.join(map(repr, repeated))} appear more than once "
            "in the header; give each column its own name."
        )


def _read_parquet(path):
    if not any(importlib.util.find_spec(name) for name in ("pyarrow", "fastparquet")):
        raise EvaluateInputError(
            f"{path}: reading Parquet files needs pyarrow (pip install pyarrow), which is "
            "not installed; or save the event log as CSV."
        )
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # the engines raise their own types (ArrowInvalid, ...)
        raise EvaluateInputError(f"{path}: could not be read as Parquet: {exc}") from None
    frame.index = pd.RangeIndex(len(frame), name="row")
    return frame


def _parse_order_column(frame, order_col, path):
    """Make a text order column comparable: numbers, or else ISO 8601 timestamps.

    A CSV column that mixes numbers and text is read as text, where "10" sorts
    before "9": ordering it as text would be silently wrong. Such a column is an
    error that names its first value that is neither a number nor a timestamp.
    """
    if order_col not in frame.columns:
        return frame  # samples_from_log names the missing columns
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
    raise EvaluateInputError(
        f"{path}: the order column {order_col!r} cannot be ordered: it holds {found}. Give "
        "numbers (positions, Unix times) or ISO 8601 timestamps."
    )
