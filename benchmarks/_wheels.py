"""Data files that ship inside a package's wheel, fetched without installing the package.

Some benchmark data sets ship inside a well-kept package's wheel (MovieLens-100k in
recbole's, JapaneseVowels in aeon's) whose dependency pins clash with this project's.
``pip download --no-deps`` fetches the wheel alone from the package registry, and the
benchmark reads its files from the zip.
"""

import subprocess
import sys
from pathlib import Path


def download_wheel(requirement, folder):
    """Download the wheel of ``requirement`` (no dependencies) into ``folder``; its path.

    Stops the benchmark with pip's message when the download fails.
    """
    print(f"Downloading the {requirement} wheel from PyPI (no dependencies) for its data ...")
    command = [sys.executable, "-m", "pip", "download", requirement, "--no-deps", "-d", folder]
    done = subprocess.run(command, capture_output=True, text=True)
    wheels = list(Path(folder).glob("*.whl"))
    if done.returncode != 0 or not wheels:
        sys.exit(
            f"Could not download {requirement} with pip (exit status {done.returncode}):\n"
            f"{done.stderr.strip() or done.stdout.strip()}"
        )
    return wheels[0]
