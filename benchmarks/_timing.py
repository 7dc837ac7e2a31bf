"""Timing shared by the benchmark scripts (each runs with this folder on sys.path)."""

import time


def best_time(function, repeat):
    """Return the result of function() and its best wall time over repeat runs."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return result, best


def median_time(function, repeat):
    """The median wall time of function() over repeat runs (for sub-millisecond calls)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2]
