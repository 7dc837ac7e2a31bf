"""Per-step features of attributed histories that need no network: gaps and calendar.

The LSTM's step table (``neural/_steps.py``) and the featurizer of the
baselines (``baselines/_featurizer.py``) read the same time features off the
same steps: the sequences in use, each up to its longest prefix in use.
"""

import numpy as np

__all__ = []

SECONDS_PER_DAY = 86_400.0


def _in_use(histories):
    """Indices of the sequences in use, and the longest prefix in use of each sequence."""
    longest = np.zeros(len(histories.sequences), dtype=np.int64)
    np.maximum.at(longest, histories.sequence_index, histories.lengths)
    return np.unique(histories.sequence_index), longest


def _concat(per_sequence, used, longest):
    parts = [
        per_sequence[s][:n] for s, n in zip(used.tolist(), longest[used].tolist(), strict=True)
    ]
    if not parts:
        return np.empty(0)
    return np.concatenate([np.asarray(part) for part in parts])


def _log_gaps(times, used, longest):
    """(log1p seconds since the previous event, log1p seconds since the first) per step."""
    rows = []
    for s, n in zip(used.tolist(), longest[used].tolist(), strict=True):
        seconds = np.asarray(times[s][:n], dtype=np.float64)
        with np.errstate(over="ignore"):  # inf gaps are read as the largest float
            since_previous = np.diff(seconds, prepend=seconds[:1]) if n else seconds
            since_first = seconds - seconds[:1]
        rows.append(np.column_stack([since_previous, since_first]) if n else np.zeros((0, 2)))
    return _log1p_gaps(np.concatenate(rows) if rows else np.zeros((0, 2)))


def _log1p_gaps(gaps):
    """log(1 + seconds) of gaps in seconds, a negative one read as 0.

    A gap between numeric times near float64's maximum (-1e308 to 1e308) overflows to
    inf: it counts as the largest float, whose log (709.8) is finite.
    """
    return np.log1p(np.clip(gaps, 0.0, np.finfo(np.float64).max))


def _calendar(seconds):
    """Hour of day and day of week (UTC) as (sin, cos) pairs: 23:00 is next to 00:00."""
    hour = (seconds % SECONDS_PER_DAY) / 3600.0
    weekday = (np.floor(seconds / SECONDS_PER_DAY) + 3) % 7  # 1970-01-01 was a Thursday
    return np.column_stack(
        [
            np.sin(2 * np.pi * hour / 24),
            np.cos(2 * np.pi * hour / 24),
            np.sin(2 * np.pi * weekday / 7),
            np.cos(2 * np.pi * weekday / 7),
        ]
    )
