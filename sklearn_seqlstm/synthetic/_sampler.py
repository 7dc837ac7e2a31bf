"""Synthetic chains of events: a Markov chain that may copy its own past.

The process and its Bayes limit are described in :class:`MarkovMemorySampler`. This module
knows nothing about models: it samples chains, turns them into (history, next event) data and
gives the true next-event distribution that no model can beat on average.
"""

import contextlib
import gc
import itertools
import numbers
import os
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state

from ..utils._missing import is_missing
from ._fit import fit_memory_process, observed_events, transition_map

_DEFAULT_EVENTS = ("A", "B", "C", "D", "E", "F", "G", "H")
_DEFAULT_TRANSITIONS = {"A": {"B": 0.5, "C": 0.1, "D": 0.4}, "C": {"D": 0.8}, "D": {"A": 0.9}}

# Probabilities typed by hand (0.1 + 0.2 + 0.7) miss 1 by a few ulps; anything beyond this
# is a real mistake in the map.
_ROUNDING = 1e-9


class MarkovMemorySampler(BaseEstimator):
    """Sample chains of events from a Markov chain with memory of its own past.

    The first event of a chain is drawn from ``start_proba``. At every later step, with
    probability ``memory_influence`` the next event is copied from a uniformly chosen
    earlier position of the same chain (so frequent events are copied more often);
    otherwise it is drawn from the transition row of the current event. The true
    next-event distribution after a history ``h`` of length ``t >= 1`` is therefore::

        P(e | h) = m * count(e in h) / t + (1 - m) * T[h[-1], e]

    which :meth:`next_event_proba` computes: it is the Bayes limit for next-event
    prediction on these chains.

    Parameters
    ----------
    events : list of hashable, default=None
        The event labels, in the order used by every matrix and probability column.
        ``None`` means the eight events ``"A"`` to ``"H"``. Labels can be any hashable
        values (str, int, tuples...).

    transitions : dict, default=None
        The transition map: for some events, the probabilities of some next events, as a
        dict ``{event: {next_event: probability}}`` or ``{event: [(next_event,
        probability), ...]}``. A row's leftover probability ``1 - sum(given)`` is shared
        equally among the *other* events that the row does not mention (never the event
        itself); an event without a row moves to every other event with equal
        probability. ``None`` means ``{"A": {"B": 0.5, "C": 0.1, "D": 0.4}, "C": {"D":
        0.8}, "D": {"A": 0.9}}``, which needs ``"A"`` to ``"D"`` among ``events``.

    memory_influence : float, default=0.0
        Probability in [0, 1] that a step copies an earlier event of the chain instead
        of following the transition map. 0 gives a plain Markov chain; 1 keeps every
        chain on its first event.

    start_proba : dict or array-like of shape (n_events,), default=None
        Distribution of the first event: a dict ``{event: probability}`` (events left
        out get 0) or probabilities in ``events`` order. ``None`` means uniform.

    random_state : int, RandomState instance or None, default=None
        Controls the sampling. As in scikit-learn's ``make_*`` functions, an int gives
        the same chains on every call of :meth:`sample`, :meth:`make_dataset` and
        :meth:`sample_frame` (and the three describe the same chains); pass a
        ``RandomState`` instance to get new chains on each call. ``None`` draws from
        NumPy's global ``RandomState``, as everywhere in scikit-learn; an int or a
        ``RandomState`` instance leaves the global state untouched.

    Attributes
    ----------
    event_labels : list
        The events, in the order of every probability column.

    transition_matrix : pandas.DataFrame of shape (n_events, n_events)
        The filled transition map: rows are the current event (index named
        ``"event"``), columns the next event (``"next_event"``).

    Notes
    -----
    Parameters are checked each time they are used, not in ``__init__``; a bad value
    raises a ``ValueError`` or ``TypeError`` that names it (for a transition map, the
    row). There is no ``fit``: the process is fully given by its parameters, and
    :meth:`from_histories` estimates them from data.

    With ``memory_influence`` between 0 and 1 the best possible top-1 accuracy is not
    monotone in ``memory_influence``: with the default map and chains of 20 events it
    goes about 0.47 (m=0), 0.39 (m=0.4), 0.50 (m=0.7), 0.79 (m=0.9), 1.0 (m=1).

    Examples
    --------
    >>> from sklearn_seqlstm import MarkovMemorySampler
    >>> sampler = MarkovMemorySampler(memory_influence=0.4, random_state=0)
    >>> sampler.sample(n_sequences=2, length=6)
    [['E', 'C', 'G', 'D', 'D', 'A'], ['F', 'E', 'C', 'F', 'F', 'H']]
    >>> X, y, groups = sampler.make_dataset(n_sequences=100, length=20)
    >>> len(X), y.shape, groups.shape
    (1900, (1900,), (1900,))
    >>> sampler.next_event_proba([["A", "D", "A"]]).round(3)
    array([[0.267, 0.3  , 0.06 , 0.373, 0.   , 0.   , 0.   , 0.   ]])
    >>> sampler.transition_matrix.loc["C"].round(3).tolist()
    [0.033, 0.033, 0.0, 0.8, 0.033, 0.033, 0.033, 0.033]
    """

    def __init__(
        self,
        events=None,
        transitions=None,
        memory_influence=0.0,
        start_proba=None,
        random_state=None,
    ):
        self.events = events
        self.transitions = transitions
        self.memory_influence = memory_influence
        self.start_proba = start_proba
        self.random_state = random_state

    @property
    def event_labels(self):
        """The events (a list), in the order of every probability column."""
        return _check_events(self.events)[0]

    @property
    def transition_matrix(self):
        """The filled transition map as a DataFrame, current event by next event."""
        process = self._resolve()
        labels = _object_labels(process.events)
        return pd.DataFrame(
            process.transitions,
            index=pd.Index(labels, dtype=object, name="event", tupleize_cols=False),
            columns=pd.Index(labels, dtype=object, name="next_event", tupleize_cols=False),
        )

    def sample(self, n_sequences, length):
        """Sample chains of events.

        Parameters
        ----------
        n_sequences : int
            Number of chains, at least 1.

        length : int or tuple of (int, int)
            Number of events in each chain, at least 1, or an inclusive range ``(low,
            high)`` from which each chain draws its length uniformly.

        Returns
        -------
        chains : list of list
            ``n_sequences`` chains, each a list of events.
        """
        process = self._resolve()
        # Per event: two code arrays, the object array of labels and the list's pointer.
        codes, lengths = self._sample_codes(
            process, n_sequences, length, bytes_per_chain=lambda high: 32 * high + 64
        )
        # An object array makes every chain hold the given label objects themselves, not
        # millions of new copies of them.
        with _gc_paused():
            chains = _object_labels(process.events)[codes].tolist()
            for chain, n in zip(chains, lengths.tolist(), strict=True):
                del chain[n:]  # drop the padding in place rather than copy every chain
        return chains

    def make_dataset(self, n_sequences, length, *, min_history=1):
        """Sample chains and cut them into (history, next event) pairs.

        Every position of every chain that has at least ``min_history`` events before it
        gives one pair. Pairs of one chain share a group, so that cross-validation with
        :class:`~sklearn.model_selection.GroupKFold` keeps them on one side.

        Parameters
        ----------
        n_sequences : int
            Number of chains, at least 1.

        length : int or tuple of (int, int)
            Events per chain, or an inclusive range ``(low, high)``; see :meth:`sample`.

        min_history : int, default=1
            Shortest history kept. The default is the usual next-event task; 0 also
            keeps the empty history, whose next event is the first one (drawn from
            ``start_proba``).

        Returns
        -------
        X : list of list
            The histories: ``X[i]`` is the chain up to (excluding) the next event.

        y : ndarray of shape (n_pairs,)
            The next event after each history.

        groups : ndarray of shape (n_pairs,)
            The index of the chain each pair comes from, in ``0..n_sequences - 1``.
        """
        min_history = _check_count(min_history, "min_history", minimum=0)
        process = self._resolve()
        low, high = _check_length(length)
        if min_history >= high:
            raise ValueError(
                f"min_history={min_history} leaves no (history, next event) pair in chains "
                f"of at most {high} events."
            )
        # Every prefix is a list of its own: O(length**2) pointers per chain.
        codes, lengths = self._sample_codes(
            process,
            n_sequences,
            length,
            bytes_per_chain=lambda high: 32 * high + 64 + (high - min_history) * (64 + 4 * high),
        )
        with _gc_paused():
            chains = _object_labels(process.events)[codes].tolist()
            X = [
                chain[:t]
                for chain, n in zip(chains, lengths.tolist(), strict=True)
                for t in range(min_history, n)
            ]
        positions = np.arange(codes.shape[1])
        # Row-major order of the mask is chain by chain, position by position: as in X.
        is_pair = (positions >= min_history) & (positions < lengths[:, None])
        y = _native_labels(process.events)[codes[is_pair]]
        groups = np.repeat(np.arange(len(lengths)), np.maximum(lengths - min_history, 0))
        return X, y, groups

    def sample_frame(self, n_sequences, length):
        """Sample chains as a long table, the shape that real event logs have.

        Parameters
        ----------
        n_sequences : int
            Number of chains, at least 1.

        length : int or tuple of (int, int)
            Events per chain, or an inclusive range ``(low, high)``; see :meth:`sample`.

        Returns
        -------
        frame : pandas.DataFrame
            One row per event, with columns ``sequence_id`` (int, the chain),
            ``position`` (int, from 0 within the chain) and ``event``, sorted by chain
            and position.
        """
        process = self._resolve()
        # Per event: two code arrays, the mask, the index arrays and three columns.
        codes, lengths = self._sample_codes(
            process, n_sequences, length, bytes_per_chain=lambda high: 65 * high
        )
        is_event = np.arange(codes.shape[1]) < lengths[:, None]
        sequence_id, position = np.nonzero(is_event)
        return pd.DataFrame(
            {
                "sequence_id": sequence_id.astype(np.int64),
                "position": position.astype(np.int64),
                "event": _native_labels(process.events)[codes[is_event]],
            }
        )

    def next_event_proba(self, histories):
        """Give the true distribution of the next event after each history.

        This is the Bayes limit: predicting its argmax is the best any model can do on
        average.

        Parameters
        ----------
        histories : sequence of sequences of events
            One history per row; a history may be empty (its next event is the first
            event of a chain, drawn from ``start_proba``).

        Returns
        -------
        proba : ndarray of shape (n_histories, n_events)
            ``proba[i, j]`` is the probability that ``event_labels[j]`` follows
            ``histories[i]``.
        """
        process = self._resolve()
        codes, sizes = _encode_histories(histories, process.index)
        n_events = len(process.events)
        memory = process.memory_influence
        proba = np.empty((len(sizes), n_events))
        has_past = sizes > 0
        last = codes[np.cumsum(sizes)[has_past] - 1]
        proba[has_past] = (1.0 - memory) * process.transitions[last]
        if memory > 0:
            # Count every event of every history in one bincount over (history, event)
            # cells rather than a Python loop over histories.
            history_ids = np.repeat(np.arange(len(sizes)), sizes)
            counts = np.bincount(history_ids * n_events + codes, minlength=proba.size)
            counts = counts.reshape(proba.shape)[has_past]
            proba[has_past] += memory * counts / sizes[has_past, None]
        proba[~has_past] = process.start
        return proba

    @classmethod
    def from_histories(
        cls, sequences, *, events=None, alpha=1.0, tol=1e-10, max_iter=2000, random_state=None
    ):
        """Fit the process to observed chains by maximum likelihood: a theory of a log.

        Estimates the transition map (smoothed by ``alpha``), ``memory_influence`` and
        ``start_proba`` with the EM algorithm, and returns the sampler that they make.
        A constructor rather than a ``fit``: the sampler's parameters *are* the
        process, so the fitted theory is simply a sampler with the estimates as its
        parameters. It samples, gives its exact :meth:`next_event_proba` (through
        :class:`BayesOracleClassifier` it scores like any model), prints them in its
        repr and clones like any other; a ``fit`` would have to keep a second, fitted
        copy of the process that every method then had to prefer.

        Parameters
        ----------
        sequences : sequence of sequences of events
            Whole chains (one list per case or visitor), oldest event first, not the
            prefixes of (history, next event) samples: for samples from
            :func:`samples_from_log`, pass ``X.used_sequences()`` or the chains
            themselves.
        events : list of hashable, default=None
            The events of the process, in the order of its probability columns.
            None means the distinct events of ``sequences``, sorted.
        alpha : float, default=1.0
            Pseudo-count added to every transition between two different events (an
            event never follows itself through the map). 0 gives the plain maximum
            likelihood, where a pair never seen has probability 0.
        tol : float, default=1e-10
            EM stops when an iteration raises the mean log-likelihood per step by
            less than this.
        max_iter : int, default=2000
            EM stops after this many iterations.
        random_state : int, RandomState instance or None, default=None
            The ``random_state`` of the returned sampler; the fit itself is exact.

        Returns
        -------
        sampler : MarkovMemorySampler
            The fitted process. Draw a log of the same shape with
            ``sampler.sample(len(sequences), (shortest, longest))``.

        Examples
        --------
        >>> from sklearn_seqlstm import MarkovMemorySampler
        >>> truth = MarkovMemorySampler(memory_influence=0.3, random_state=0)
        >>> chains = truth.sample(n_sequences=2000, length=20)
        >>> theory = MarkovMemorySampler.from_histories(chains)
        >>> round(theory.memory_influence, 2)
        0.3
        >>> round(float(theory.transition_matrix.loc["D", "A"]), 2)
        0.9
        """
        if isinstance(sequences, (str, bytes)):
            raise TypeError("sequences must be a list of chains of events, got a string.")
        if hasattr(sequences, "sequence_index") and hasattr(sequences, "lengths"):
            raise TypeError(
                "sequences is a PrefixHistories of (history, next event) samples; pass the "
                "whole chains, for example X.used_sequences() (which leaves out each "
                "chain's last event) or the chains themselves."
            )
        sequences = list(sequences)
        events, index = _check_events(observed_events(sequences) if events is None else events)
        if len(events) < 2:
            raise ValueError(
                f"from_histories needs at least two distinct events, got {events!r}: with one "
                "event there is no transition to estimate."
            )
        codes, sizes = _encode_histories(sequences, index)
        if not sizes.sum():
            raise ValueError("sequences hold no event: there is nothing to fit.")
        fit = fit_memory_process(codes, sizes, len(events), alpha=alpha, tol=tol, max_iter=max_iter)
        transitions = transition_map(fit.transitions, events)
        return cls(
            events=events,
            transitions=transitions,
            memory_influence=fit.memory_influence,
            start_proba=fit.start.tolist(),
            random_state=random_state,
        )

    def _resolve(self):
        """Check the parameters and return the process they describe.

        There is no ``fit`` to check them once, so every public method calls this. The
        checks are written out rather than declared in ``_parameter_constraints``: the
        rules of a transition map (rows, leftovers, row names in messages) do not fit
        its vocabulary, and the cost is negligible next to any sampling.
        """
        events, index = _check_events(self.events)
        return _Process(
            events=events,
            index=index,
            transitions=_fill_transitions(self.transitions, events, index),
            start=_check_start_proba(self.start_proba, events, index),
            memory_influence=_check_memory_influence(self.memory_influence),
        )

    def _sample_codes(self, process, n_sequences, length, bytes_per_chain):
        """Sample chains as integer codes.

        Returns ``codes`` of shape (n_sequences, longest length), padded after each
        chain's end, and ``lengths`` of shape (n_sequences,). ``bytes_per_chain(high)``
        estimates the memory the caller needs for one chain of ``high`` events; the
        call is refused before anything is allocated if the total exceeds the machine's.
        """
        n_sequences = _check_count(n_sequences, "n_sequences", minimum=1)
        low, high = _check_length(length)
        _check_memory(
            n_sequences * bytes_per_chain(high), f"{n_sequences} chains of up to {high} events"
        )
        rng = check_random_state(self.random_state)
        if low == high:
            lengths = np.full(n_sequences, low)
        else:
            lengths = rng.randint(low, high + 1, size=n_sequences)
        # Walk the longest chains first: at position t the chains still running are then
        # a leading block, so each step is one vectorised operation on a slice. Codes are
        # stored position by position so that this slice is contiguous.
        order = np.argsort(-lengths, kind="stable")
        longest_first = lengths[order]
        start = _InverseCDF(process.start[np.newaxis, :])
        transitions = _InverseCDF(process.transitions)
        memory = process.memory_influence
        codes = np.zeros((high, n_sequences), dtype=np.intp)
        codes[0] = start.draw(np.zeros(n_sequences, dtype=np.intp), rng.random_sample(n_sequences))
        for t in range(1, high):
            n_running = np.count_nonzero(longest_first > t)
            step = codes[t, :n_running]
            from_memory = rng.random_sample(n_running) < memory
            markov = np.flatnonzero(~from_memory)
            step[markov] = transitions.draw(codes[t - 1, markov], rng.random_sample(markov.size))
            recall = np.flatnonzero(from_memory)
            step[recall] = codes[rng.randint(0, t, size=recall.size), recall]
        chains = np.empty_like(codes)
        chains[:, order] = codes
        return np.ascontiguousarray(chains.T), lengths


class _Process(NamedTuple):
    """The checked parameters, as arrays indexed by event code."""

    events: list
    index: dict
    transitions: np.ndarray
    start: np.ndarray
    memory_influence: float


class _InverseCDF:
    """Draw one column per row of a row-stochastic table, for many rows at once.

    Row ``r``'s cumulative probabilities are shifted by ``r`` and all rows laid end to
    end, giving one sorted array: a draw for row ``r`` with uniform ``u`` is a single
    ``searchsorted`` of ``r + u``, whatever mix of rows the batch holds.
    """

    def __init__(self, proba):
        n_rows, self._n_columns = proba.shape
        cumulative = np.cumsum(proba, axis=1)
        cumulative /= cumulative[:, -1:]  # each row now ends at exactly 1
        self._shifted = (cumulative + np.arange(n_rows)[:, np.newaxis]).ravel()
        self._last_possible = self._n_columns - 1 - np.argmax(proba[:, ::-1] > 0, axis=1)

    def draw(self, rows, uniform):
        columns = np.searchsorted(self._shifted, rows + uniform, side="right")
        columns -= rows * self._n_columns
        # rows + uniform can round up to rows + 1 when uniform is within an ulp of 1;
        # keep such draws on the row's last event that can happen.
        return np.minimum(columns, self._last_possible[rows])


def _check_events(events):
    """Return the events as a list and a dict from event to code."""
    if events is None:
        events = _DEFAULT_EVENTS
    if isinstance(events, (str, bytes)) or not _is_iterable(events):
        raise TypeError(f"events must be a list of event labels, got {events!r}.")
    events = list(events)
    if not events:
        raise ValueError("events must hold at least one event, got an empty list.")
    index = {}
    for code, event in enumerate(events):
        try:
            seen = event in index
        except TypeError:
            raise TypeError(f"events must be hashable, got {event!r}.") from None
        if seen:
            raise ValueError(f"events holds {event!r} more than once.")
        if is_missing(event):
            raise ValueError(
                f"events[{code}] is a missing value ({event!r}); event labels must not be "
                "None, NaN or NaT, which the classifiers refuse in histories."
            )
        index[event] = code
    return events, index


def _fill_transitions(transitions, events, index):
    """Return the full transition matrix, rows and columns in events order."""
    given = _DEFAULT_TRANSITIONS if transitions is None else transitions
    if not isinstance(given, Mapping):
        raise TypeError(
            "transitions must be a dict {event: {next_event: probability}} or "
            f"{{event: [(next_event, probability), ...]}}, got {type(given).__name__}."
        )
    hint = ""
    if transitions is None:
        hint = " (the default transitions use events 'A' to 'D'; pass your own transitions)"
    n_events = len(events)
    matrix = np.zeros((n_events, n_events))
    mentioned = np.zeros((n_events, n_events), dtype=bool)
    for row, targets in given.items():
        where = f"transitions[{row!r}]"
        if row not in index:
            raise ValueError(f"{where}: unknown event {row!r}{hint}.")
        r = index[row]
        for target, proba in _row_items(targets, where):
            j = _code_of(target, index)
            if j is None:
                raise ValueError(f"{where}: unknown next event {target!r}{hint}.")
            if j == r:
                raise ValueError(
                    f"{where}: self-transition {row!r} -> {target!r} given; an event never "
                    "follows itself through the map."
                )
            if mentioned[r, j]:
                raise ValueError(f"{where}: next event {target!r} given more than once.")
            if not _is_number(proba):
                raise TypeError(
                    f"{where}: probability of {target!r} must be a number, got {proba!r}."
                )
            if not 0 <= proba <= 1:  # also rejects NaN
                raise ValueError(
                    f"{where}: probability of {target!r} must be in [0, 1], got {proba!r}."
                )
            matrix[r, j] = proba
            mentioned[r, j] = True
    for r, event in enumerate(events):
        where = f"transitions[{event!r}]"
        leftover = 1.0 - matrix[r].sum()
        if leftover < -_ROUNDING:
            raise ValueError(f"{where}: probabilities sum to {1.0 - leftover:.10g}, above 1.")
        unmentioned = ~mentioned[r]
        unmentioned[r] = False  # the leftover never goes to the event itself
        n_unmentioned = np.count_nonzero(unmentioned)
        if n_unmentioned:
            matrix[r, unmentioned] = max(leftover, 0.0) / n_unmentioned
        elif leftover > _ROUNDING:
            raise ValueError(
                f"{where}: probability {leftover:.10g} is left over but every other event "
                "is given, so there is no event to share it."
            )
    return matrix


def _row_items(targets, where):
    """Return a transition row as a list of (next event, probability) pairs."""
    if isinstance(targets, Mapping):
        return list(targets.items())
    if isinstance(targets, (str, bytes)) or not _is_iterable(targets):
        raise TypeError(
            f"{where}: expected a dict or a list of (next_event, probability) pairs, "
            f"got {targets!r}."
        )
    pairs = []
    for pair in targets:
        try:
            target, proba = pair
        except (TypeError, ValueError):
            raise ValueError(
                f"{where}: expected (next_event, probability) pairs, got {pair!r}."
            ) from None
        pairs.append((target, proba))
    return pairs


def _check_start_proba(start_proba, events, index):
    """Return the distribution of the first event as an array in events order."""
    n_events = len(events)
    if start_proba is None:
        return np.full(n_events, 1.0 / n_events)
    if isinstance(start_proba, Mapping):
        start = np.zeros(n_events)
        for event, proba in start_proba.items():
            if event not in index:
                raise ValueError(f"start_proba: unknown event {event!r}.")
            if not _is_number(proba):
                raise TypeError(
                    f"start_proba: probability of {event!r} must be a number, got {proba!r}."
                )
            start[index[event]] = proba
    else:
        if np.asarray(start_proba).dtype == bool:
            raise TypeError(f"start_proba must hold numbers, not bools; got {start_proba!r}.")
        try:
            start = np.array(start_proba, dtype=float)
        except (TypeError, ValueError):
            raise TypeError(
                "start_proba must be None, a dict {event: probability} or probabilities "
                f"in events order, got {start_proba!r}."
            ) from None
        if start.shape != (n_events,):
            raise ValueError(
                f"start_proba must hold one probability per event ({n_events}), "
                f"got shape {start.shape}."
            )
    if not np.all((start >= 0) & (start <= 1)):  # also rejects NaN
        raise ValueError(f"start_proba must hold probabilities in [0, 1], got {start}.")
    if abs(start.sum() - 1.0) > _ROUNDING:
        raise ValueError(f"start_proba must sum to 1, got {start.sum():.10g}.")
    return start / start.sum()


def _check_memory_influence(memory_influence):
    if not _is_number(memory_influence):
        raise TypeError(f"memory_influence must be a number in [0, 1], got {memory_influence!r}.")
    if not 0 <= memory_influence <= 1:  # also rejects NaN
        raise ValueError(f"memory_influence must be in [0, 1], got {memory_influence!r}.")
    return float(memory_influence)


def _is_number(value):
    """A real number, but not a bool: ``True`` as a probability is surely a mistake."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_memory(n_bytes, what):
    """Refuse work that would need more memory than the machine has, before allocating.

    Without this, ``sample(10**6, 10**6)`` failed deep inside numpy with "Unable to
    allocate 7.28 TiB", after the parameters had been checked and work begun.
    """
    total = _physical_memory()
    if total is not None and n_bytes > total:
        raise ValueError(
            f"{what} would need about {_format_bytes(n_bytes)} of memory, more than this "
            f"machine's {_format_bytes(total)}. Sample fewer or shorter chains, in "
            "batches if need be."
        )


def _physical_memory():
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):  # not a POSIX system
        return None


def _format_bytes(n_bytes):
    """1234567 -> '1.18 MiB'."""
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n_bytes < 1024:
            return f"{n_bytes:.3g} {unit}"
        n_bytes /= 1024
    return f"{n_bytes:.3g} TiB"


def _check_count(value, name, *, minimum):
    # bool is an Integral, but n_sequences=True is surely a mistake.
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value!r}.")
    return int(value)


def _check_length(length):
    """Return the inclusive range (low, high) of chain lengths."""
    if isinstance(length, numbers.Integral):
        length = _check_count(length, "length", minimum=1)
        return length, length
    try:
        low, high = length
    except (TypeError, ValueError):
        raise TypeError(
            f"length must be an integer or a (low, high) pair of integers, got {length!r}."
        ) from None
    low = _check_count(low, "length low", minimum=1)
    high = _check_count(high, "length high", minimum=1)
    if low > high:
        raise ValueError(f"length range needs low <= high, got ({low}, {high}).")
    return low, high


def _encode_histories(histories, index):
    """Return the events of all histories as one code array, and each history's size."""
    histories = list(histories)
    try:
        sizes = np.fromiter(map(len, histories), dtype=np.intp, count=len(histories))
    except TypeError:
        raise TypeError("histories must be a sequence of sequences of events.") from None
    # One flat pass at C speed over all events; the slow search below only runs to name
    # the culprit.
    events = list(itertools.chain.from_iterable(histories))
    try:
        codes = np.fromiter(
            map(index.get, events, itertools.repeat(-1)), dtype=np.intp, count=len(events)
        )
    except TypeError:  # an unhashable event
        codes = None
    if codes is None or np.any(codes < 0):
        for i, history in enumerate(histories):
            for event in history:
                if _code_of(event, index) is None:
                    raise ValueError(f"histories[{i}] holds an unknown event {event!r}.")
    return codes, sizes


def _code_of(event, index):
    """Return the code of an event, or None when it is unknown (or unhashable)."""
    try:
        return index.get(event)
    except TypeError:
        return None


def _native_labels(events):
    """Return the events as an array of their natural dtype, to map codes to labels.

    Strings and ints get a string or integer dtype, so that ``y`` looks like what users
    pass to scikit-learn; anything else (tuples, mixed labels) stays as Python objects.
    """
    if all(isinstance(e, str) for e in events) or all(
        isinstance(e, int) and not isinstance(e, bool) for e in events
    ):
        labels = np.array(events)
        if labels.dtype != object:  # ints too large for int64 stay objects
            return labels
    return _object_labels(events)


def _object_labels(events):
    """Return the events as an object array, to map codes to the label objects."""
    labels = np.empty(len(events), dtype=object)
    for code, event in enumerate(events):  # element by element: tuples must not unpack
        labels[code] = event
    return labels


@contextlib.contextmanager
def _gc_paused():
    """Pause the cyclic garbage collector while building millions of lists of labels.

    Such lists hold no reference cycles, yet each allocation counts towards the next
    collection, and the repeated passes over the growing heap took about three quarters
    of ``make_dataset``'s time. The collector is re-enabled only if it was enabled.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _is_iterable(value):
    try:
        iter(value)
    except TypeError:
        return False
    return True
