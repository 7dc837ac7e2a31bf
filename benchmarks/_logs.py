"""Where the benchmarks find the public process logs, and what they say without them.

The logs are the ordered train / val / test CSV splits of Rama-Maneiro et al. (2021),
from the GitHub repository ``ERamaM/ProcessMiningDatasets`` (folder ``CSV/splits/``);
the raw logs are the 4TU.ResearchData publications Helpdesk, BPI Challenge 2012 and
BPI Challenge 2013. A script looks for them in ``--data DIR``, else in the folder named
by the environment variable ``SEQLSTM_PROCESS_LOGS``, else beside the repository.
"""

import os
from pathlib import Path

ENV = "SEQLSTM_PROCESS_LOGS"
# The name the first of these scripts read; still honoured so that set-ups keep working.
_OLD_ENV = "SKLEARN_SEQLSTM_PROCESS_LOGS"
_BESIDE = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "process_logs"
SOURCE = "the CSV splits of github.com/ERamaM/ProcessMiningDatasets (folder CSV/splits/)"


def default_folder():
    """The folder of ``$SEQLSTM_PROCESS_LOGS``, else the one beside the repository."""
    return Path(os.environ.get(ENV) or os.environ.get(_OLD_ENV) or _BESIDE)


def add_data_argument(parser):
    """Add ``--data DIR`` to a script's argument parser."""
    parser.add_argument(
        "--data",
        type=Path,
        default=default_folder(),
        help=f"folder of the process logs' CSV splits (default: ${ENV}, else beside the "
        "repository)",
    )


def missing(script, folder, files=("Helpdesk_train.csv",)):
    """Whether the logs are absent; if so, print one line that says where to get them.

    A benchmark without its data is skipped (exit status 0), so that ``make bench`` runs
    every other script.
    """
    if all((Path(folder) / name).is_file() for name in files):
        return False
    print(
        f"{script}: skipped, no process logs in {folder}. Download {SOURCE} and pass "
        f"--data DIR or set {ENV}=DIR."
    )
    return True
