"""``fetch_process_log``: the open process-mining logs, downloaded once and checked.

The logs are the ordered train / val / test CSV splits of the benchmark of
Rama-Maneiro, Vidal and Lama (2021), published in the GitHub repository
``ERamaM/ProcessMiningDatasets``. They are not part of the package: the first call
downloads a file from that repository, at a pinned commit, into the data folder;
later calls read it from there.

A download is untrusted. It is read in chunks up to the pinned size (one byte more
tells that it is too long), with a timeout, into a temporary file beside its final
name; the file is renamed into place only once its size and its SHA-256 match the
pinned ones, so that an interrupted or altered download leaves no file behind. A
file already in the data folder, downloaded or copied there by hand, is checked the
same way each time it is read.
"""

import hashlib
import os
import urllib.request
from pathlib import Path

from ..utils._files import replacing

__all__ = ["fetch_process_log"]

#: The environment variable that names the data folder.
DATA_ENV = "SEQLSTM_DATA"
_REPOSITORY = "https://github.com/ERamaM/ProcessMiningDatasets"
_COMMIT = "b6f4acbca242b036c21384835922a4a931974937"
_RAW = f"https://raw.githubusercontent.com/ERamaM/ProcessMiningDatasets/{_COMMIT}/CSV/splits"
_TIMEOUT = 60  # seconds without a byte before a download fails
_CHUNK = 1 << 16

#: Name accepted by fetch_process_log -> the prefix of its files in the repository.
_LOGS = {
    "helpdesk": "Helpdesk",
    "bpi13_closed_problems": "BPI_Challenge_2013_closed_problems",
    "bpi12_a": "BPI_Challenge_2012_A",
    "bpi12_o": "BPI_Challenge_2012_O",
}
_SPLITS = ("train", "val", "test")

# (file name in the data folder) -> (SHA-256, size in bytes), checked against the
# files of the repository at the pinned commit.
_FILES = {
    "BPI_Challenge_2012_A_test.csv": (
        "380fb0b15e9ab3330cbfc3fb763e3e163dfd4ad4f1a6f035639da77f740b9644",
        1271557,
    ),
    "BPI_Challenge_2012_A_train.csv": (
        "8009c2c9e41c8f7aa941fa4bd4ca745860a50e5becf374a7993f99fc614e3c65",
        4130224,
    ),
    "BPI_Challenge_2012_A_val.csv": (
        "f85d47c4cf6fef13bfb59a6a4b2857cb2677b854edc1dde254da46083afc6f16",
        1029763,
    ),
    "BPI_Challenge_2012_O_test.csv": (
        "db02d951b026020e30eb4cde29b93461ec580980b3eabd5cdb69ad53c723f280",
        642326,
    ),
    "BPI_Challenge_2012_O_train.csv": (
        "8f693b7dd6f866963cd939771f43a8125effb0de03cc79e03e3fd011749b9ed5",
        2087205,
    ),
    "BPI_Challenge_2012_O_val.csv": (
        "f6406b95c0e661acfd16339c19bef542fb62b42cd08265df09e13356fe43a065",
        510978,
    ),
    "BPI_Challenge_2013_closed_problems_test.csv": (
        "25a8fcb6dab75f7e7cf0cbe64c744df41abe5c21c2a38e9769075c941eb0572f",
        196465,
    ),
    "BPI_Challenge_2013_closed_problems_train.csv": (
        "fd22b4f965a397f7f14b4e21a884dc60284373b4cc7830945ae7c68ef4ffad05",
        643971,
    ),
    "BPI_Challenge_2013_closed_problems_val.csv": (
        "3d27716de7d158ac87495e72654d8409d638d0508bb1e27b2cbd090d9dada706",
        176609,
    ),
    "Helpdesk_test.csv": (
        "02ff4062e9f21193077db6f560c4e828921bf470ca28bddd34653fd56c9dcf9c",
        501954,
    ),
    "Helpdesk_train.csv": (
        "b22caaeb1a2f1b0bc1f941dfb5764308b1d2739a184c68414a0d59c184382520",
        1614172,
    ),
    "Helpdesk_val.csv": (
        "8820f4447bf6328ff801dff228bd09711265c8bc137973649afd3939958a7d04",
        404964,
    ),
}

# The opener of downloads; tests replace it to download without a network.
_urlopen = urllib.request.urlopen


def _data_home(data_home=None):
    """The data folder: ``data_home``, else ``$SEQLSTM_DATA``, else the user's cache."""
    if data_home is None:
        data_home = os.environ.get(DATA_ENV) or Path("~") / ".cache" / "sklearn-seqlstm"
    elif not isinstance(data_home, str | os.PathLike):
        raise TypeError(f"data_home must be a path or None, got {type(data_home).__name__}.")
    return Path(data_home).expanduser()


def fetch_process_log(name, *, split="train", data_home=None, download_if_missing=True):
    """Load an open process log (an event log of a business process) as a DataFrame.

    The four logs of the benchmark of Rama-Maneiro, Vidal and Lama, "Deep Learning
    for Predictive Business Process Monitoring: Review and Benchmark" (IEEE
    Transactions on Services Computing, 2021), in its ordered splits: the cases are
    sorted by time and cut into train, val and test (64, 16 and 20% of the cases).
    The files come from the GitHub repository
    `ERamaM/ProcessMiningDatasets <https://github.com/ERamaM/ProcessMiningDatasets>`_
    (folder ``CSV/splits/``, at a pinned commit). The first call downloads the file
    (0.2 to 4 MB) into ``data_home``; every call checks its size and SHA-256 against
    the pinned ones before reading it.

    - ``"helpdesk"``: ticketing at an Italian software company (4,580 cases, 21,348
      events, 13 activities);
    - ``"bpi13_closed_problems"``: Volvo IT's problem management, BPI Challenge 2013
      (1,487 cases, 6,660 events, 7 activities);
    - ``"bpi12_a"``: a Dutch bank's loan applications, their ``A_`` states, BPI
      Challenge 2012 (13,087 cases, 60,849 events, 10 activities);
    - ``"bpi12_o"``: the same bank's offers, their ``O_`` states (5,015 cases, 31,244
      events, 7 activities).

    Parameters
    ----------
    name : str
        The log, one of ``"helpdesk"``, ``"bpi13_closed_problems"``, ``"bpi12_a"``
        and ``"bpi12_o"`` (in any case).

    split : {"train", "val", "test", "all"} or list of them, default="train"
        The part of the cases. A list gives its parts' rows one after the other
        (``["train", "val"]``: all the cases before the test ones); ``"all"`` is
        ``["train", "val", "test"]``.

    data_home : str or path-like, default=None
        The folder of the files: by default the one named by the environment
        variable ``SEQLSTM_DATA``, else ``~/.cache/sklearn-seqlstm``.
        The files are named ``<Prefix>_<split>.csv``, ``Helpdesk_train.csv`` for
        example; a folder that already holds them, downloaded by hand from the
        repository, serves as it is.

    download_if_missing : bool, default=True
        Whether to download a file that is not in ``data_home``. If False, a missing
        file raises an ``OSError`` that names the folder.

    Returns
    -------
    log : pandas.DataFrame
        One row per event, the file's columns and rows as they are (read by
        :func:`pandas.read_csv` without parsing dates): ``case:concept:name`` is
        the case (the sequence key), ``concept:name`` the activity (the event),
        ``time:timestamp`` its time (an ISO 8601 string in UTC, which
        :func:`samples_from_log` orders as a time), ``org:resource`` who did it.
        The other columns are ``lifecycle:transition`` and, for Helpdesk and BPI
        2013, ``Activity`` and ``Resource`` (the activity again, and the
        resource's name), ``case:variant``, ``case:variant-index`` and
        ``case:creator``; for BPI 2013 ``org:group``; for BPI 2012
        ``case:REG_DATE`` (when the application arrived) and ``case:AMOUNT_REQ``
        (the amount asked for). BPI 2012's ``org:resource`` holds employee
        numbers, read as integers: the classifier reads them as quantities,
        :class:`~sklearn_seqlstm.NextValueRegressor` as quantities and as categories;
        ``log["org:resource"].astype(str)`` makes them categories only (these
        files have no missing resource).

    Raises
    ------
    ValueError
        When ``name`` or ``split`` is not one of those above, or a file (in
        ``data_home`` or downloaded) is not the published one: its size or its
        SHA-256 differs. A downloaded file that fails the check is not kept.
    OSError
        When a file is missing and ``download_if_missing`` is False, or its
        download fails (no network, a timeout, an HTTP error); the message says
        where to download it by hand.

    See Also
    --------
    samples_from_log : The (history, next event) samples of such a log.
    read_xes : Read an event log from an XES file.

    Notes
    -----
    ``case:variant`` and ``case:variant-index`` name the case's whole path of
    activities, known only once the case has ended: they leak the future and must
    never be inputs of a model. BPI 2012's ``case:REG_DATE`` and ``case:AMOUNT_REQ``
    are known when the application arrives.

    The logs are published on 4TU.ResearchData for reuse with attribution:

    - Helpdesk, by I. Verenich and M. Polato,
      doi:10.4121/uuid:0c60edf1-6f83-4e75-9367-4c63b3e9d5bb;
    - BPI Challenge 2013, by W. Steeman,
      doi:10.4121/uuid:c2c3b154-ab26-4b31-a0e8-8f2350ddac11;
    - BPI Challenge 2012, by B.F. van Dongen,
      doi:10.4121/uuid:3926db30-f712-4394-aebc-75976070e91f.

    Cite them, and the benchmark above for the splits, in work that uses them.

    Examples
    --------
    The first call downloads the file, hence skipped when the doctests run offline:

    >>> from sklearn_seqlstm import fetch_process_log, samples_from_log
    >>> log = fetch_process_log("helpdesk", split="train")  # doctest: +SKIP
    >>> X, y, groups = samples_from_log(  # doctest: +SKIP
    ...     log,
    ...     sequence_col="case:concept:name",
    ...     order_col="time:timestamp",
    ...     event_col="concept:name",
    ...     end_event="[END]",
    ... )
    """
    prefix = _check_name(name)
    parts = _check_split(split)
    if not isinstance(download_if_missing, bool):
        raise TypeError(f"download_if_missing must be True or False, got {download_if_missing!r}.")
    folder = _data_home(data_home)
    paths = [_fetch_file(f"{prefix}_{part}.csv", folder, download_if_missing) for part in parts]

    import pandas as pd  # here: importing the package stays fast

    frames = [pd.read_csv(path) for path in paths]
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def _check_name(name):
    if not isinstance(name, str) or name.lower() not in _LOGS:
        raise ValueError(f"Unknown process log {name!r}; the logs are {', '.join(_LOGS)}.")
    return _LOGS[name.lower()]


def _check_split(split):
    valid = f"'train', 'val', 'test', 'all' or a list of the first three; got {split!r}."
    if isinstance(split, str):
        if split == "all":
            return list(_SPLITS)
        if split in _SPLITS:
            return [split]
        raise ValueError(f"split must be {valid}")
    if not isinstance(split, list | tuple) or not split:
        raise ValueError(f"split must be {valid}")
    if any(not isinstance(part, str) or part not in _SPLITS for part in split):
        raise ValueError(f"split must be {valid}")
    if len(set(split)) != len(split):
        raise ValueError(f"split names a part twice: {split!r}.")
    return list(split)


def _url(file_name):
    prefix, _, part = file_name.removesuffix(".csv").rpartition("_")
    return f"{_RAW}/{prefix}.csv/{part}_{prefix}.csv"


def _fetch_file(file_name, folder, download_if_missing):
    """The path of ``file_name`` in ``folder``, checked; downloaded there if missing."""
    path = folder / file_name
    if path.exists():
        if not path.is_file():
            raise OSError(f"{path} is not a file: remove it, or pass another data_home.")
        _check_file(path)
        return path
    if not download_if_missing:
        raise OSError(
            f"{file_name} is not in {folder} and download_if_missing=False. Download it "
            f"from {_url(file_name)} into {folder}, or call fetch_process_log with "
            "download_if_missing=True."
        )
    _download(file_name, path)
    return path


def _check_file(path):
    sha256, size = _FILES[path.name]
    actual = path.stat().st_size
    if actual != size:
        raise ValueError(
            f"{path} holds {actual} bytes, not the {size} of the published file: it is "
            f"not the file of {_REPOSITORY}. Remove it (fetch_process_log then downloads "
            f"it again), or download it by hand from {_url(path.name)}."
        )
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    if digest.hexdigest() != sha256:
        raise ValueError(
            f"{path} has SHA-256 {digest.hexdigest()}, not {sha256}: it is not the "
            f"published file. Remove it (fetch_process_log then downloads it again), or "
            f"download it by hand from {_url(path.name)}."
        )


def _download(file_name, path):
    """Download ``file_name`` to ``path``, which is created only once it is checked."""
    sha256, size = _FILES[file_name]
    url = _url(file_name)
    by_hand = f"Download it by hand from {url} into {path.parent}."
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OSError(f"Cannot create the data folder {path.parent}: {exc}. {by_hand}") from exc
    digest, received = hashlib.sha256(), 0
    try:
        with replacing(path) as temporary:
            with _urlopen(url, timeout=_TIMEOUT) as response, open(temporary, "wb") as out:
                # One byte beyond the pinned size tells a longer file without reading it.
                while received <= size:
                    chunk = response.read(min(_CHUNK, size + 1 - received))
                    if not chunk:
                        break
                    received += len(chunk)
                    digest.update(chunk)
                    out.write(chunk)
            if received != size or digest.hexdigest() != sha256:
                got = f"more than {size} bytes" if received > size else f"{received} bytes"
                if received == size:
                    got = f"SHA-256 {digest.hexdigest()}"
                raise ValueError(
                    f"The download of {file_name} from {url} is not the published file "
                    f"({size} bytes, SHA-256 {sha256}): got {got}. Nothing was kept. Try "
                    f"again later, or {by_hand[0].lower()}{by_hand[1:]}"
                )
    except OSError as exc:  # URLError, HTTPError, timeouts and full disks are OSErrors
        raise OSError(f"Could not download {file_name} from {url}: {exc}. {by_hand}") from exc
