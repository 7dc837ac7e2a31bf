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


def interleaved_medians(functions, rounds, per_round):
    """The median wall time of each of ``functions`` (a dict), timed in turns.

    Each round times every function ``per_round`` times, one function after the
    other, so that a change of the machine's load falls on all of them alike.
    """
    times = {name: [] for name in functions}
    for _ in range(rounds):
        for name, function in functions.items():
            for _ in range(per_round):
                start = time.perf_counter()
                function()
                times[name].append(time.perf_counter() - start)
    return {name: sorted(values)[len(values) // 2] for name, values in times.items()}
