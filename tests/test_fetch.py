"""fetch_process_log: the pinned files, checked before they are read or kept.

No test uses the network: downloads go through a replaced opener
(``_fetch._urlopen``) that serves bytes from memory.
"""

import hashlib
import io
import urllib.error
from pathlib import Path

import pandas as pd
import pytest
from _process_logs import SKIP_REASON, data_home

from sklearn_seqlstm import fetch_process_log, samples_from_log
from sklearn_seqlstm.histories import _fetch

NAMES = ["helpdesk", "bpi13_closed_problems", "bpi12_a", "bpi12_o"]
PREFIXES = ["Helpdesk", "BPI_Challenge_2013_closed_problems"]
PREFIXES += ["BPI_Challenge_2012_A", "BPI_Challenge_2012_O"]
PAYLOAD = (
    b"concept:name,time:timestamp,case:concept:name,case:variant\n"
    b"open,2012-01-01 10:00:00+00:00,c1,Variant 1\n"
    b"close,2012-01-01 11:00:00+00:00,c1,Variant 1\n"
    b"open,2012-01-02 10:00:00+00:00,c2,Variant 2\n"
)


class Opener:
    """A stand-in for urlopen: serves ``body`` (bytes, or a callable of the read size).

    ``bytes_read`` counts the bytes served by the latest response.
    """

    def __init__(self, body=PAYLOAD, error=None):
        self.body, self.error, self.urls, self.bytes_read = body, error, [], 0

    def __call__(self, url, timeout=None):
        assert timeout is not None and timeout > 0  # a download never waits forever
        self.urls.append(url)
        if self.error is not None:
            raise self.error
        opener, self.bytes_read = self, 0

        class Response(io.RawIOBase):
            def read(self, size=-1):
                assert size is not None and size > 0  # read in bounded chunks
                if callable(opener.body):
                    data = opener.body(size)
                else:
                    data = opener.body[opener.bytes_read : opener.bytes_read + size]
                opener.bytes_read += len(data)
                return data

        return Response()


@pytest.fixture
def pinned_payload(monkeypatch):
    """Helpdesk's val file pinned to PAYLOAD's size and SHA-256, and the opener replaced."""
    files = dict(_fetch._FILES)
    files["Helpdesk_val.csv"] = (hashlib.sha256(PAYLOAD).hexdigest(), len(PAYLOAD))
    monkeypatch.setattr(_fetch, "_FILES", files)
    opener = Opener()
    monkeypatch.setattr(_fetch, "_urlopen", opener)
    return opener


def fetch_val(folder, **kwargs):
    return fetch_process_log("helpdesk", split="val", data_home=folder, **kwargs)


def test_every_log_and_split_is_pinned_with_its_url():
    assert sorted(_fetch._FILES) == sorted(
        f"{prefix}_{part}.csv" for prefix in PREFIXES for part in ("train", "val", "test")
    )
    assert all(len(sha) == 64 and size > 0 for sha, size in _fetch._FILES.values())
    assert _fetch._url("BPI_Challenge_2012_O_test.csv") == (
        "https://raw.githubusercontent.com/ERamaM/ProcessMiningDatasets/"
        "b6f4acbca242b036c21384835922a4a931974937/CSV/splits/BPI_Challenge_2012_O.csv/"
        "test_BPI_Challenge_2012_O.csv"
    )


def test_the_local_logs_pass_their_checksums(tmp_path, monkeypatch):
    folder = data_home(tmp_path / "logs")
    if folder is None:
        pytest.skip(SKIP_REASON)
    monkeypatch.setattr(_fetch, "_urlopen", Opener(error=AssertionError("no download")))
    for name in NAMES:
        parts = {
            part: fetch_process_log(name, split=part, data_home=folder)
            for part in ["train", "val", "test"]
        }
        whole = fetch_process_log(name.upper(), split="all", data_home=folder)
        assert len(whole) == sum(len(frame) for frame in parts.values())
        pd.testing.assert_frame_equal(
            whole, pd.concat(parts.values(), ignore_index=True), check_dtype=False
        )
        assert {"case:concept:name", "concept:name", "time:timestamp"} <= set(whole.columns)
        cases = [set(frame["case:concept:name"]) for frame in parts.values()]
        assert not (cases[0] & cases[2]) and not (cases[1] & cases[2])  # split by case
    # The frame goes into samples_from_log as it is.
    log = fetch_process_log("helpdesk", split="test", data_home=folder)
    X, y, groups = samples_from_log(
        log,
        sequence_col="case:concept:name",
        order_col="time:timestamp",
        event_col="concept:name",
        end_event="[END]",
    )
    assert len(X) == len(log) and "[END]" in set(y)


def test_a_tampered_file_is_refused(tmp_path, pinned_payload):
    path = tmp_path / "Helpdesk_val.csv"
    path.write_bytes(PAYLOAD)
    assert len(fetch_val(tmp_path)) == 3
    path.write_bytes(PAYLOAD.replace(b"close", b"clase"))  # same size, another hash
    with pytest.raises(ValueError, match="SHA-256 .* not the published file"):
        fetch_val(tmp_path)
    path.write_bytes(PAYLOAD + b"x,y,z,w\n")
    with pytest.raises(ValueError, match=r"holds \d+ bytes"):
        fetch_val(tmp_path)
    # A file that is there is never replaced by a download: the user removes it.
    assert pinned_payload.urls == []
    assert path.read_bytes().endswith(b"x,y,z,w\n")


def test_a_download_is_checked_then_cached(tmp_path, pinned_payload):
    folder = tmp_path / "new" / "home"
    log = fetch_val(folder)
    assert list(log.columns) == [
        "concept:name",
        "time:timestamp",
        "case:concept:name",
        "case:variant",
    ]
    assert len(log) == 3 and pinned_payload.urls == [_fetch._url("Helpdesk_val.csv")]
    assert [p.name for p in folder.iterdir()] == ["Helpdesk_val.csv"]  # no temporary left
    assert (folder / "Helpdesk_val.csv").read_bytes() == PAYLOAD
    pd.testing.assert_frame_equal(fetch_val(folder), log)
    assert len(pinned_payload.urls) == 1  # read from the cache the second time


@pytest.mark.parametrize(
    "body, match",
    [
        (PAYLOAD[:-7], r"got \d+ bytes"),  # truncated
        (PAYLOAD.replace(b"open", b"OPEN"), "got SHA-256"),  # same size, altered
        (PAYLOAD + b"more\n", "more than"),  # too long
    ],
    ids=["truncated", "altered", "too-long"],
)
def test_a_bad_download_leaves_nothing(tmp_path, pinned_payload, body, match):
    pinned_payload.body = body
    with pytest.raises(ValueError, match=match) as error:
        fetch_val(tmp_path)
    assert "Helpdesk_val.csv" in str(error.value) and "by hand" in str(error.value)
    assert list(tmp_path.iterdir()) == []


def test_an_endless_download_stops_at_the_bound(tmp_path, pinned_payload):
    pinned_payload.body = lambda size: b"a" * size  # never ends
    with pytest.raises(ValueError, match="more than"):
        fetch_val(tmp_path)
    assert pinned_payload.bytes_read == len(PAYLOAD) + 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "error", [urllib.error.URLError("no route to host"), TimeoutError("timed out")]
)
def test_a_failed_download_says_where_to_get_the_file(tmp_path, pinned_payload, error):
    pinned_payload.error = error
    with pytest.raises(OSError, match="Could not download Helpdesk_val.csv") as raised:
        fetch_val(tmp_path)
    message = str(raised.value)
    assert _fetch._url("Helpdesk_val.csv") in message and str(tmp_path) in message
    assert list(tmp_path.iterdir()) == []


def test_a_download_cut_midway_leaves_nothing(tmp_path, pinned_payload):
    def cut(size):
        if pinned_payload.bytes_read:
            raise TimeoutError("the connection stalled")
        return PAYLOAD[:10]

    pinned_payload.body = cut
    with pytest.raises(OSError, match="stalled"):
        fetch_val(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_no_download_when_not_allowed(tmp_path, pinned_payload):
    with pytest.raises(OSError, match=f"not in {tmp_path} and download_if_missing=False"):
        fetch_val(tmp_path, download_if_missing=False)
    assert pinned_payload.urls == [] and list(tmp_path.iterdir()) == []


def test_the_data_folder_comes_from_the_environment(tmp_path, monkeypatch, pinned_payload):
    monkeypatch.setenv("SEQLSTM_DATA", str(tmp_path / "env"))
    fetch_process_log("helpdesk", split="val")
    assert (tmp_path / "env" / "Helpdesk_val.csv").is_file()
    monkeypatch.delenv("SEQLSTM_DATA")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    fetch_process_log("helpdesk", split=["val"])
    assert (tmp_path / "home" / ".cache" / "sklearn-seqlstm" / "Helpdesk_val.csv").is_file()


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(name="bpi2012"), ValueError, "helpdesk, bpi13_closed_problems, bpi12_a, bpi12_o"),
        (dict(name=None), ValueError, "Unknown process log"),
        (dict(split="validation"), ValueError, "'train', 'val', 'test', 'all'"),
        (dict(split=[]), ValueError, "split must be"),
        (dict(split=["train", "all"]), ValueError, "split must be"),
        (dict(split=["val", "val"]), ValueError, "names a part twice"),
        (dict(data_home=3), TypeError, "data_home must be a path"),
        (dict(download_if_missing="no"), TypeError, "download_if_missing"),
    ],
)
def test_bad_arguments_are_named(tmp_path, pinned_payload, kwargs, error, match):
    kwargs = {"name": "helpdesk", "data_home": tmp_path, **kwargs}
    with pytest.raises(error, match=match):
        fetch_process_log(kwargs.pop("name"), **kwargs)
    assert pinned_payload.urls == []


def test_a_folder_in_the_way_is_named(tmp_path, pinned_payload):
    (tmp_path / "Helpdesk_val.csv").mkdir()
    with pytest.raises(OSError, match="is not a file"):
        fetch_val(tmp_path)


def test_the_arguments_are_not_modified(tmp_path, pinned_payload):
    split, home = ["val"], Path(tmp_path)
    fetch_process_log("helpdesk", split=split, data_home=home)
    assert split == ["val"] and home == tmp_path
