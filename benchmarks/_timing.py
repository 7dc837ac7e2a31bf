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


def median_time(function, repeat, clock=time.perf_counter):
    """The median time of function() over repeat runs (for sub-millisecond calls).

    ``clock=time.process_time`` gives CPU time, which leaves out the time that
    other processes on a loaded machine take from this one.
    """
    times = []
    for _ in range(repeat):
        start = clock()
        function()
        times.append(clock() - start)
    times.sort()
    return times[len(times) // 2]
