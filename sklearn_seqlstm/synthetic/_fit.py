"""Maximum likelihood for the Markov chain that copies its own past.

Every step ``t >= 1`` of a chain ``x`` has the likelihood of a two-part mixture::

    P(x[t] | x[:t]) = m * count(x[t] in x[:t]) / t + (1 - m) * T[x[t - 1], x[t]]

Which part produced a step is hidden, so the estimates come from the EM algorithm:
the E-step gives each step the probability ``r`` that it was a copy; the M-step sets
``m`` to the mean of ``r`` and each row of ``T`` to the weights ``1 - r`` of its
pairs, plus ``alpha`` pseudo-counts (a Dirichlet prior: the MAP estimate). Each
iteration raises the (penalised) likelihood, and the steps' sufficient numbers (the
previous event, the next one and the share of the history that holds it) are
computed once, so an iteration is a few vectorised passes over the steps.

The map never holds self-transitions: an event that repeats the previous one can
only be a copy (``r = 1``), and the diagonal of ``T`` stays 0.
"""

import numbers
from typing import NamedTuple

import numpy as np

from ..utils._missing import is_missing

__all__ = ["MemoryProcessFit", "fit_memory_process", "observed_events", "transition_map"]


class MemoryProcessFit(NamedTuple):
    """The estimates, as arrays indexed by event code."""

    transitions: np.ndarray
    memory_influence: float
    start: np.ndarray
    log_likelihood: float
    n_iter: int
    converged: bool


def fit_memory_process(codes, sizes, n_events, *, alpha=1.0, tol=1e-10, max_iter=2000):
    """Estimate the transition map, the memory influence and the start distribution.

    Parameters
    ----------
    codes : ndarray of int
        The events of all chains, one after the other, as codes in ``0..n_events - 1``.
    sizes : ndarray of int
        The length of each chain (0 allowed).
    n_events : int
        The number of events (at least 2).
    alpha : float
        Pseudo-count added to every transition between two different events.
    tol : float
        Stop when an iteration raises the mean log-likelihood per step by less.
    max_iter : int
        Stop after this many iterations.

    Returns
    -------
    fit : MemoryProcessFit
        ``log_likelihood`` is the total over all events, the first ones included.
    """
    for name, value in (("alpha", alpha), ("tol", tol)):
        if not _is_number(value) or not 0 <= value < np.inf:  # also refuses NaN
            raise ValueError(f"{name} must be a finite non-negative number, got {value!r}.")
    if isinstance(max_iter, bool) or not isinstance(max_iter, numbers.Integral) or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}.")
    alpha, tol = float(alpha), float(tol)
    sizes = np.asarray(sizes, dtype=np.int64)
    nonempty = sizes > 0
    starts = np.cumsum(sizes) - sizes
    start_counts = np.bincount(codes[starts[nonempty]], minlength=n_events).astype(float)
    start = start_counts / start_counts.sum() if start_counts.sum() else np.full(n_events, 0.0)

    chain = np.repeat(np.arange(len(sizes)), sizes)
    position = np.arange(len(codes)) - np.repeat(starts, sizes)
    # How often each event occurred earlier in its chain: its rank among the
    # occurrences of the same (chain, event), which a stable sort keeps in order.
    key = chain * n_events + codes
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    first_of_key = np.r_[0, np.flatnonzero(sorted_key[1:] != sorted_key[:-1]) + 1]
    run_start = np.repeat(first_of_key, np.diff(np.r_[first_of_key, len(key)]))
    earlier = np.empty(len(codes), dtype=np.int64)
    earlier[order] = np.arange(len(codes)) - run_start

    step = position > 0
    previous = codes[np.flatnonzero(step) - 1]
    following = codes[step]
    share = earlier[step] / position[step]  # count(x[t] in x[:t]) / t
    pair = previous * n_events + following
    off_diagonal = ~np.eye(n_events, dtype=bool)

    start_ll = float(np.sum(np.log(start[codes[starts[nonempty]]])))
    if not len(pair):  # chains of one event: nothing but the start to learn
        transitions = _normalised(np.where(off_diagonal, float(alpha), 0.0), off_diagonal)
        return MemoryProcessFit(transitions, 0.0, start, start_ll, 0, True)

    pair_counts = np.bincount(pair, minlength=n_events * n_events).reshape(n_events, n_events)
    transitions = _normalised(np.where(off_diagonal, pair_counts + alpha, 0.0), off_diagonal)
    memory = 0.5
    previous_ll = -np.inf
    converged = False
    n_iter = 0
    while n_iter < max_iter:
        n_iter += 1
        copied = memory * share
        markov = (1.0 - memory) * transitions.ravel()[pair]
        likelihood = copied + markov
        with np.errstate(divide="ignore", invalid="ignore"):
            copy_weight = np.where(likelihood > 0, copied / likelihood, 0.0)
            ll = float(np.mean(np.log(likelihood)))
        if ll - previous_ll < tol:
            converged = True
            break
        previous_ll = ll
        memory = float(copy_weight.mean())
        weights = np.bincount(pair, weights=1.0 - copy_weight, minlength=n_events * n_events)
        transitions = _normalised(
            np.where(off_diagonal, weights.reshape(n_events, n_events) + alpha, 0.0),
            off_diagonal,
        )
    return MemoryProcessFit(
        transitions, memory, start, start_ll + ll * len(pair), n_iter, converged
    )


def _normalised(weights, off_diagonal):
    """Rows scaled to sum to 1; a row of zeros moves to every other event alike."""
    totals = weights.sum(axis=1, keepdims=True)
    uniform = off_diagonal / off_diagonal.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, weights / totals, uniform)


def observed_events(sequences):
    """The distinct events of the sequences, sorted (by type and repr where types mix)."""
    try:
        seen = set().union(*sequences)
    except TypeError:
        raise TypeError(
            "sequences must be a list of chains, each a sequence of hashable events."
        ) from None
    if any(is_missing(event) for event in seen):
        raise ValueError(
            "sequences hold a missing event (None, NaN or NaT); drop it or encode it as an "
            "event of its own."
        )
    try:
        return sorted(seen)
    except TypeError:
        return sorted(seen, key=lambda e: (type(e).__name__, repr(e)))


def transition_map(transitions, events):
    """The matrix as a transition map ``{event: {next_event: probability}}``, diagonal left out."""
    return {
        row: {target: float(transitions[r, j]) for j, target in enumerate(events) if j != r}
        for r, row in enumerate(events)
    }


def _is_number(value):
    """A real number, but not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)
