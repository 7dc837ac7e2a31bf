"""``read_xes``: an XES event log (IEEE 1849) as the DataFrame of :func:`samples_from_log`.

XES is the format of the public process-mining logs and of the tools that make them
(ProM, Disco, pm4py). A log holds traces (cases), each with its attributes and its
events; every attribute is a typed element (``<string key=... value=...>``,
``<date>``, ``<int>``, ``<float>``, ``<boolean>``, ``<id>``). The frame has a row per
event, in the file's order, with the column names that pm4py gives: an event
attribute under its key (``concept:name``, ``time:timestamp``, ``org:resource``...),
a trace attribute under ``case:`` and its key (``case:concept:name``).

The file is untrusted, so reading it is bounded before anything is trusted: the
XML goes through defusedxml, which refuses document type declarations and so every
entity (no "billion laughs", no external file or URL is read), and the text read is
capped (``max_bytes``, counted after decompression, so that a small ``.xes.gz`` cannot
expand without limit). The file is parsed as a stream: memory follows the frame, not
the document.
"""

import gzip
import math
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["read_xes"]

_GZIP_MAGIC = b"\x1f\x8b"
_TYPES = {"string", "date", "int", "float", "boolean", "id"}
_DEFAULT_MAX_BYTES = 4 * 2**30


class _TooLarge(Exception):
    pass


class _Capped:
    """A binary file whose reads fail once more than ``limit`` bytes were read."""

    def __init__(self, file, limit):
        self.file, self.limit, self.read_so_far = file, limit, 0

    def read(self, size=-1):
        data = self.file.read(size)
        self.read_so_far += len(data)
        if self.read_so_far > self.limit:
            raise _TooLarge
        return data


def _local(tag):
    """The tag without its namespace: some files declare XES's namespace, most do not."""
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def read_xes(path, *, max_bytes=_DEFAULT_MAX_BYTES):
    """Read an XES event log (``.xes`` or ``.xes.gz``) into the frame of ``samples_from_log``.

    One row per event, in the file's order. Event attributes keep their key as the
    column name (``concept:name`` is the activity, ``time:timestamp`` its time);
    trace attributes get the prefix ``case:`` (``case:concept:name`` is the case
    id), as pm4py names them. The columns ``case:concept:name``, ``concept:name``
    and ``time:timestamp`` come first, then the other event attributes, then the
    other trace attributes, each in the order the file first gives them. A trace
    without events gives no row. Values take their XES type: ``date`` becomes a
    timezone-aware (UTC) datetime, ``int`` an integer (a float when some events lack
    it), ``float`` a float, ``boolean`` a bool, ``string`` and ``id`` text. A key
    given with different types in different places is kept as text. Lists,
    containers, meta-attributes (attributes of attributes) and the log's own
    attributes, globals and classifiers are not read.

    Needs the ``xes`` extra (defusedxml): ``pip install -e ".[xes]"``.

    Parameters
    ----------
    path : str or pathlib.Path
        The XES file, plain or gzip-compressed (recognised by its content).
    max_bytes : int, default=4 GiB
        The most XML text read, counted after decompression; a larger file is a
        ``ValueError``, raised as soon as the limit is passed.

    Returns
    -------
    log : pandas.DataFrame
        The events, with ``case:concept:name``, ``concept:name`` and
        ``time:timestamp`` where the file has them, and every other attribute.

    Raises
    ------
    ValueError
        When the file is not well-formed XML, is not an XES log, declares a
        document type or entities, or holds more than ``max_bytes`` of XML.
    ImportError
        When defusedxml is not installed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sklearn_seqlstm import read_xes, samples_from_log
    >>> text = '''<log xes.version="1.0">
    ...   <trace><string key="concept:name" value="case 1"/>
    ...     <event><string key="concept:name" value="register"/>
    ...            <date key="time:timestamp" value="2024-01-02T09:00:00+01:00"/></event>
    ...     <event><string key="concept:name" value="approve"/>
    ...            <date key="time:timestamp" value="2024-01-02T10:30:00+01:00"/></event>
    ...   </trace>
    ... </log>'''
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "log.xes"
    >>> _ = path.write_text(text, encoding="utf-8")
    >>> log = read_xes(path)
    >>> log[["case:concept:name", "concept:name"]].values.tolist()
    [['case 1', 'register'], ['case 1', 'approve']]
    >>> str(log["time:timestamp"].iloc[0])
    '2024-01-02 08:00:00+00:00'
    """
    try:
        from defusedxml import DefusedXmlException
        from defusedxml.ElementTree import ParseError, iterparse
    except ImportError:
        raise ImportError(
            'read_xes needs defusedxml, a safe XML parser: pip install -e ".[xes]" from a '
            "clone of sklearn-seqlstm, or pip install defusedxml."
        ) from None
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int | np.integer):
        raise TypeError(f"max_bytes must be an integer, got {max_bytes!r}.")
    if max_bytes < 1:
        raise ValueError(f"max_bytes must be at least 1, got {max_bytes}.")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file.")
    with open(path, "rb") as raw:
        compressed = raw.read(2) == _GZIP_MAGIC
    opener = gzip.open if compressed else open
    try:
        with opener(path, "rb") as file:
            return _parse(_Capped(file, int(max_bytes)), iterparse)
    except _TooLarge:
        raise ValueError(
            f"{path}: holds more than max_bytes={max_bytes} bytes of XML"
            f"{' once decompressed' if compressed else ''}; raise max_bytes to read it."
        ) from None
    except DefusedXmlException as exc:
        raise ValueError(
            f"{path}: declares a document type or entities ({type(exc).__name__}), which "
            "an XES log never needs; refused, as such declarations can make a small file "
            "expand without limit or read other files."
        ) from None
    except ParseError as exc:
        raise ValueError(f"{path}: is not well-formed XML: {exc}.") from None
    except (OSError, EOFError, UnicodeDecodeError) as exc:  # a damaged gzip stream
        raise ValueError(f"{path}: could not be read: {exc}.") from None
    except _NotXes as exc:
        raise ValueError(f"{path}: {exc}") from None


class _NotXes(Exception):
    pass


def _parse(file, iterparse):
    """The rows of the log in ``file``, as a frame; see :func:`read_xes`."""
    columns = _Columns()
    depth = 0  # of the element being read: 1 is <log>, 2 a <trace>, 3 an <event>
    path = []  # the local names of the open elements
    root = trace = None
    trace_rows_start = 0
    case_values = {}
    for event, element in iterparse(file, events=("start", "end"), forbid_dtd=True):
        if event == "start":
            depth += 1
            path.append(_local(element.tag))
            if depth == 1:
                if path[0] != "log":
                    raise _NotXes(f"is not an XES log: its root element is <{path[0]}>, not <log>.")
                root = element
            elif depth == 2 and path[1] == "trace":
                trace, trace_rows_start, case_values = element, columns.n_rows, {}
            elif depth == 3 and path[1:] == ["trace", "event"]:
                columns.start_row()
            continue
        name = path.pop()
        depth -= 1
        if name in _TYPES and "key" in element.attrib:
            # An attribute of the event (depth 3) or of the trace (depth 2); deeper ones
            # are meta-attributes or list items, and the log's own are not read.
            if path[1:] == ["trace", "event"]:
                columns.set(element.attrib["key"], name, element.attrib.get("value"))
            elif path[1:] == ["trace"]:
                case_values[element.attrib["key"]] = (name, element.attrib.get("value"))
        elif depth == 2 and name == "event" and path[1] == "trace":
            element.clear()  # its values are in the columns already
        elif depth == 1 and name == "trace":
            for key, (kind, value) in case_values.items():
                columns.set_range(f"case:{key}", kind, value, trace_rows_start)
            trace.clear()
            root.remove(trace)  # the stream keeps no trace it has read
    if root is None:
        raise _NotXes("is empty: no <log> element.")
    return columns.frame()


class _Columns:
    """Columns of events, filled in the file's order; missing values stay missing."""

    def __init__(self):
        self.n_rows = 0
        self.values = {}  # column -> {row: text}
        self.kinds = {}  # column -> set of XES types

    def start_row(self):
        self.n_rows += 1

    def set(self, column, kind, text):
        self.values.setdefault(column, {})[self.n_rows - 1] = text
        self.kinds.setdefault(column, set()).add(kind)

    def set_range(self, column, kind, text, start):
        if self.n_rows == start:  # a trace without events gives no row
            return
        cells = self.values.setdefault(column, {})
        for row in range(start, self.n_rows):
            cells[row] = text
        self.kinds.setdefault(column, set()).add(kind)

    def frame(self):
        # The standard columns first, then the other event attributes, then the other
        # trace attributes, each in the order the file first gives them.
        first = ["case:concept:name", "concept:name", "time:timestamp"]
        names = [c for c in first if c in self.values]
        others = [c for c in self.values if c not in first]
        names += sorted(others, key=lambda c: c.startswith("case:"))  # a stable sort
        data = {name: self._column(name) for name in names}
        return pd.DataFrame(data, index=pd.RangeIndex(self.n_rows))

    def _column(self, name):
        cells = self.values[name]
        texts = [cells.get(row) for row in range(self.n_rows)]
        kinds = self.kinds[name]
        kind = next(iter(kinds)) if len(kinds) == 1 else "string"
        complete = len(cells) == self.n_rows
        try:
            return _typed(texts, kind, complete)
        except (ValueError, OverflowError) as exc:
            bad = next(t for t in texts if t is not None and not _parses(t, kind))
            raise _NotXes(
                f"the attribute {name!r} is declared {kind} but holds {bad!r}, which is not "
                f"a valid {kind} ({exc})."
            ) from None


def _typed(texts, kind, complete):
    if kind == "date":
        return pd.to_datetime(pd.Series(texts, dtype=object), utc=True, format="ISO8601")
    if kind == "int":
        numbers = [None if t is None else int(t) for t in texts]
        if complete:
            return pd.Series(numbers, dtype=np.int64)
        return pd.Series([math.nan if n is None else float(n) for n in numbers], dtype=float)
    if kind == "float":
        return pd.Series([math.nan if t is None else float(t) for t in texts], dtype=float)
    if kind == "boolean":
        flags = [None if t is None else _boolean(t) for t in texts]
        return pd.Series(flags, dtype=bool if complete else object)
    return pd.Series(texts, dtype=object)


def _boolean(text):
    value = text.strip().lower()
    if value not in {"true", "false"}:
        raise ValueError("a boolean is true or false")
    return value == "true"


def _parses(text, kind):
    try:
        _typed([text], kind, True)
    except (ValueError, OverflowError):
        return False
    return True
