"""The open process logs for the tests: where they are, and a data folder made of them.

The folder is found as the benchmarks find it (``benchmarks/_logs.py``: the
environment variable ``SEQLSTM_PROCESS_LOGS``, else ``../shared/data/process_logs``
beside the repository). :func:`data_home` links its files into a temporary folder,
which ``fetch_process_log(data_home=...)`` or ``SEQLSTM_DATA`` then reads without
downloading anything.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import _logs  # noqa: E402

from sklearn_seqlstm.histories._fetch import _FILES  # noqa: E402

#: Why a test that needs the logs is skipped without them.
SKIP_REASON = (
    f"no process logs in {_logs.default_folder()}: download {_logs.SOURCE} into a "
    f"folder and set {_logs.ENV}=DIR"
)


def folder():
    """The folder of the logs, or None when it lacks one of the pinned files."""
    found = _logs.default_folder()
    return found if all((found / name).is_file() for name in _FILES) else None


def data_home(into):
    """``into``, created, with a symbolic link to each of the logs' files; None without them."""
    source = folder()
    if source is None:
        return None
    into = Path(into)
    into.mkdir(parents=True, exist_ok=True)
    for name in _FILES:
        os.symlink((source / name).resolve(), into / name)
    return into
