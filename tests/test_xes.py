"""read_xes: XES logs written here, read into the frame of samples_from_log; bad ones refused."""

import gzip
import math
from datetime import datetime, timedelta, timezone
from xml.sax.saxutils import quoteattr

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("defusedxml", reason="read_xes needs the xes extra (defusedxml)")

from sklearn_seqlstm import read_xes, samples_from_log  # noqa: E402

XES_NS = ' xmlns="http://www.xes-standard.org/"'


def _attribute(kind, key, value):
    if kind == "date":
        value = value.isoformat()
    elif kind == "boolean":
        value = "true" if value else "false"
    return f"<{kind} key={quoteattr(key)} value={quoteattr(str(value))}/>"


def _xes(traces, *, namespace="", trace_attributes_last=False, extra_log=""):
    """An XES document: traces are (case attributes, events), attributes (kind, key, value)."""
    parts = [f'<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1.0"{namespace}>']
    parts.append(
        '<extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>'
        '<global scope="event"><string key="concept:name" value="__INVALID__"/></global>'
        '<classifier name="Activity" keys="concept:name"/>'
        '<string key="concept:name" value="the log itself"/>' + extra_log
    )
    for case_attributes, events in traces:
        case = "".join(_attribute(*a) for a in case_attributes)
        body = "".join(
            "<event>" + "".join(_attribute(*a) for a in event) + "</event>" for event in events
        )
        parts.append(
            f"<trace>{body}{case}</trace>"
            if trace_attributes_last
            else f"<trace>{case}{body}</trace>"
        )
    parts.append("</log>")
    return "\n".join(parts)


def _expected(traces):
    """The frame read_xes must give, built from the same attributes as the file."""
    rows = []
    for case_attributes, events in traces:
        case = {f"case:{key}": (kind, value) for kind, key, value in case_attributes}
        for event in events:
            rows.append({**case, **{key: (kind, value) for kind, key, value in event}})
    # Event attributes in the order first met, then trace attributes in that order.
    names = []
    for _, events in traces:
        for event in events:
            names += [key for _, key, _ in event if key not in names]
    for case_attributes, events in traces:
        if events:
            names += [f"case:{k}" for _, k, _ in case_attributes if f"case:{k}" not in names]
    first = [c for c in ("case:concept:name", "concept:name", "time:timestamp") if c in names]
    names = first + [n for n in names if n not in first]
    data = {}
    for name in names:
        cells = [row.get(name) for row in rows]
        kind = next(cell[0] for cell in cells if cell is not None)
        values = [None if cell is None else cell[1] for cell in cells]
        complete = all(v is not None for v in values)
        if kind == "date":
            texts = [None if v is None else v.isoformat() for v in values]
            data[name] = pd.to_datetime(pd.Series(texts, dtype=object), utc=True, format="ISO8601")
        elif kind == "int":
            data[name] = pd.Series(
                values if complete else [math.nan if v is None else v for v in values],
                dtype=np.int64 if complete else float,
            )
        elif kind == "float":
            data[name] = pd.Series([math.nan if v is None else v for v in values], dtype=float)
        elif kind == "boolean":
            data[name] = pd.Series(values, dtype=bool if complete else object)
        else:
            data[name] = pd.Series([None if v is None else str(v) for v in values], dtype=object)
    return pd.DataFrame(data, index=pd.RangeIndex(len(rows)))


PARIS = timezone(timedelta(hours=1))
TRACES = [
    (
        [("string", "concept:name", "case 1"), ("int", "amount", 1200), ("boolean", "vip", True)],
        [
            [
                ("string", "concept:name", "register"),
                ("date", "time:timestamp", datetime(2024, 1, 2, 9, 0, tzinfo=PARIS)),
                ("string", "org:resource", "Ann"),
                ("float", "cost", 2.5),
            ],
            [
                ("string", "concept:name", "approve"),
                ("date", "time:timestamp", datetime(2024, 1, 2, 10, 30, tzinfo=timezone.utc)),
                ("id", "ticket", "T-7"),
            ],
        ],
    ),
    (
        [("string", "concept:name", "case 2"), ("int", "amount", -3), ("boolean", "vip", False)],
        [
            [
                ("string", "concept:name", "register"),
                ("date", "time:timestamp", datetime(2024, 1, 3, 8, 15, 30, tzinfo=PARIS)),
                ("float", "cost", -0.25),
            ]
        ],
    ),
    ([("string", "concept:name", "case 3 (no events)")], []),
]


@pytest.mark.parametrize("namespace", ["", XES_NS])
@pytest.mark.parametrize("trace_attributes_last", [False, True])
def test_a_small_log_reads_into_the_frame_of_samples_from_log(
    tmp_path, namespace, trace_attributes_last
):
    path = tmp_path / "log.xes"
    path.write_text(
        _xes(TRACES, namespace=namespace, trace_attributes_last=trace_attributes_last),
        encoding="utf-8",
    )
    log = read_xes(path)
    pd.testing.assert_frame_equal(log, _expected(TRACES))
    assert list(log.columns[:3]) == ["case:concept:name", "concept:name", "time:timestamp"]
    assert str(log["time:timestamp"].dt.tz) == "UTC"
    assert log["time:timestamp"].iloc[0] == pd.Timestamp("2024-01-02 08:00", tz="UTC")
    # The frame goes straight into samples_from_log.
    with pytest.warns(UserWarning, match="give no sample"):  # case 2 has one event
        X, y, groups = samples_from_log(
            log,
            sequence_col="case:concept:name",
            order_col="time:timestamp",
            event_col="concept:name",
        )
    assert [list(h) for h in X] == [["register"]] and y.tolist() == ["approve"]
    assert groups.tolist() == ["case 1"]


def test_gzip_compressed_logs_read_the_same(tmp_path):
    text = _xes(TRACES)
    (tmp_path / "log.xes").write_text(text, encoding="utf-8")
    with gzip.open(tmp_path / "log.xes.gz", "wt", encoding="utf-8") as file:
        file.write(text)
    pd.testing.assert_frame_equal(read_xes(tmp_path / "log.xes.gz"), read_xes(tmp_path / "log.xes"))


def test_nested_values_and_the_logs_own_attributes_are_not_columns(tmp_path):
    event = (
        '<event><string key="concept:name" value="a">'
        '<string key="meta" value="of the name"/></string>'
        '<list key="items"><values><string key="item" value="x"/></values></list>'
        '<container key="box"><int key="inside" value="1"/></container></event>'
    )
    text = (
        '<log><string key="source" value="the log"/>'
        f'<trace><string key="concept:name" value="c"/>{event}</trace></log>'
    )
    path = tmp_path / "log.xes"
    path.write_text(text, encoding="utf-8")
    log = read_xes(path)
    assert log.columns.tolist() == ["case:concept:name", "concept:name"]
    assert log.values.tolist() == [["c", "a"]]


def test_a_key_with_two_types_is_kept_as_text(tmp_path):
    traces = [
        ([("string", "concept:name", "c")], [[("int", "n", 3)], [("string", "n", "three")]]),
    ]
    path = tmp_path / "log.xes"
    path.write_text(_xes(traces), encoding="utf-8")
    assert read_xes(path)["n"].tolist() == ["3", "three"]


# --- Hostile and broken files -------------------------------------------------------------

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE log [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
]>
<log><trace><event><string key="concept:name" value="&d;"/></event></trace></log>"""

EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE log [<!ENTITY secret SYSTEM "file:///etc/hostname">]>
<log><trace><event><string key="concept:name" value="&secret;"/></event></trace></log>"""

PLAIN_DOCTYPE = """<?xml version="1.0"?>
<!DOCTYPE log>
<log><trace><event><string key="concept:name" value="a"/></event></trace></log>"""


@pytest.mark.parametrize("text", [BILLION_LAUGHS, EXTERNAL, PLAIN_DOCTYPE])
def test_document_types_and_entities_are_refused(tmp_path, text):
    path = tmp_path / "log.xes"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="declares a document type or entities"):
        read_xes(path)


def test_a_gzip_bomb_stops_at_max_bytes(tmp_path):
    # 2 MB of XML in a gzip file of a few KB: refused once max_bytes is passed.
    filler = '<event><string key="concept:name" value="a"/></event>' * 40_000
    path = tmp_path / "log.xes.gz"
    with gzip.open(path, "wt", encoding="utf-8") as file:
        file.write(f"<log><trace>{filler}</trace></log>")
    assert path.stat().st_size < 100_000
    with pytest.raises(ValueError, match=r"more than max_bytes=100000 bytes of XML once decomp"):
        read_xes(path, max_bytes=100_000)
    assert len(read_xes(path, max_bytes=10**7)) == 40_000


@pytest.mark.parametrize(
    "text, match",
    [
        ("<log><trace><event></trace></log>", "not well-formed XML"),
        ("", "not well-formed XML"),
        ("<events><event/></events>", "root element is <events>, not <log>"),
        (
            '<log><trace><event><int key="n" value="1.5"/></event></trace></log>',
            "'n' is declared int but holds '1.5'",
        ),
        (
            '<log><trace><event><date key="time:timestamp" value="yesterday"/></event>'
            "</trace></log>",
            "'time:timestamp' is declared date",
        ),
        (
            '<log><trace><event><boolean key="ok" value="maybe"/></event></trace></log>',
            "'ok' is declared boolean",
        ),
    ],
)
def test_broken_files_are_a_value_error_naming_the_fault(tmp_path, text, match):
    path = tmp_path / "log.xes"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=match) as info:
        read_xes(path)
    assert str(path) in str(info.value)


def test_a_truncated_gzip_file_is_a_value_error(tmp_path):
    path = tmp_path / "log.xes.gz"
    path.write_bytes(gzip.compress(_xes(TRACES).encode())[:-40])
    with pytest.raises(ValueError, match="could not be read|not well-formed"):
        read_xes(path)


def test_bad_arguments(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_xes(tmp_path / "missing.xes")
    path = tmp_path / "log.xes"
    path.write_text(_xes(TRACES), encoding="utf-8")
    with pytest.raises(ValueError, match="max_bytes must be at least 1"):
        read_xes(path, max_bytes=0)
    with pytest.raises(TypeError, match="max_bytes must be an integer"):
        read_xes(path, max_bytes=1e9)


def test_without_defusedxml_the_error_names_the_extra(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "defusedxml", None)
    monkeypatch.setitem(sys.modules, "defusedxml.ElementTree", None)
    path = tmp_path / "log.xes"
    path.write_text(_xes(TRACES), encoding="utf-8")
    with pytest.raises(ImportError, match=r'pip install -e "\.\[xes\]"'):
        read_xes(path)


# --- Any log, written and read back -------------------------------------------------------

_keys = st.sampled_from(["concept:name", "org:resource", "cost", "n", "flag", "when", "note"])
_KIND_OF = {"concept:name": "string", "org:resource": "string", "cost": "float", "n": "int",
            "flag": "boolean", "when": "date", "note": "string"}  # fmt: skip
_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc", "Cn"]), max_size=8)
_VALUES = {
    "string": _text,
    "float": st.floats(allow_nan=False, allow_infinity=False, width=64),
    "int": st.integers(-(2**63), 2**63 - 1),
    "boolean": st.booleans(),
    "date": st.datetimes(
        min_value=datetime(1700, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(PARIS)
    ),
}


@st.composite
def _attributes(draw, min_keys=0):
    keys = draw(st.lists(_keys, min_size=min_keys, max_size=4, unique=True))
    return [(_KIND_OF[key], key, draw(_VALUES[_KIND_OF[key]])) for key in keys]


_logs = st.lists(
    st.tuples(_attributes(), st.lists(_attributes(min_keys=1), max_size=5)), min_size=1, max_size=5
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(traces=_logs, trace_attributes_last=st.booleans())
def test_any_log_reads_back_as_written(tmp_path, traces, trace_attributes_last):
    path = tmp_path / "log.xes"
    path.write_text(_xes(traces, trace_attributes_last=trace_attributes_last), encoding="utf-8")
    log = read_xes(path)
    if not any(events for _, events in traces):
        assert log.shape == (0, 0)
        return
    pd.testing.assert_frame_equal(log, _expected(traces))


# --- The commands read XES files ----------------------------------------------------------


def _process_log(n_cases=12, seed=0):
    rng = np.random.default_rng(seed)
    start = datetime(2024, 3, 1, 8, tzinfo=timezone.utc)
    traces = []
    for case in range(n_cases):
        n_events = int(rng.integers(2, 6))
        names = ["register", *rng.choice(["check", "approve", "reject"], n_events - 1)]
        events = [
            [
                ("string", "concept:name", str(name)),
                ("date", "time:timestamp", start + timedelta(days=case, minutes=5 * i)),
            ]
            for i, name in enumerate(names)
        ]
        traces.append(([("string", "concept:name", f"case {case}")], events))
    return traces


def test_the_commands_read_xes_files_as_they_read_csv(tmp_path, capsys):
    from sklearn_seqlstm.cli._cli import main

    with gzip.open(tmp_path / "log.xes.gz", "wt", encoding="utf-8") as file:
        file.write(_xes(_process_log()))
    read_xes(tmp_path / "log.xes.gz").to_csv(tmp_path / "log.csv", index=False)
    columns = ["--sequence-col", "case:concept:name", "--order-col", "time:timestamp"]
    columns += ["--event-col", "concept:name"]
    for name in ("log.xes.gz", "log.csv"):
        log, model = str(tmp_path / name), str(tmp_path / f"{name}.model")
        assert main(["fit", log, *columns, "--model", "markov1", "--save", model]) == 0
        out = str(tmp_path / f"{name}.recommended.csv")
        assert main(["recommend", model, log, *columns, "--k", "2", "--output", out]) == 0
    capsys.readouterr()
    xes = pd.read_csv(tmp_path / "log.xes.gz.recommended.csv")
    pd.testing.assert_frame_equal(xes, pd.read_csv(tmp_path / "log.csv.recommended.csv"))
    assert sorted(set(xes["case:concept:name"])) == sorted(f"case {i}" for i in range(12))
    assert xes["rank"].tolist() == [1, 2] * 12


def test_the_commands_name_a_broken_xes_file_in_one_line(tmp_path, capsys):
    from sklearn_seqlstm.cli._cli import main

    path = tmp_path / "log.xes"
    path.write_text(BILLION_LAUGHS, encoding="utf-8")
    columns = ["--sequence-col", "case:concept:name", "--order-col", "time:timestamp"]
    columns += ["--event-col", "concept:name"]
    status = main(["fit", str(path), *columns, "--save", str(tmp_path / "model")])
    err = capsys.readouterr().err
    assert status != 0 and not (tmp_path / "model").exists()
    assert err.startswith("error: ") and "document type or entities" in err
    assert len(err.strip().splitlines()) == 1
