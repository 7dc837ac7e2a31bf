"""Checking and normalising event histories, the ``X`` of every estimator here.

A history is a sequence of hashable events. ``X`` is one of:

- a list (or tuple, or 1-D object array, or pandas Series) of histories, each a
  list, tuple or 1-D array of events, of any lengths, empty ones included;
- a 2-D array or DataFrame whose rows are equal-length histories. This is the
  form scikit-learn's own tooling passes around; it fixes ``n_features_in_``
  (the history width) exactly as any scikit-learn estimator does.

A bare string is rejected as a history: ``"ABC"`` could mean one event or three,
and guessing wrong gives silently wrong results.
"""

import numbers
from operator import eq, getitem

import numpy as np
import pandas as pd
from sklearn.utils.validation import validate_data

from ..utils._missing import is_missing, missing_mask
from ._attributed import AttributedHistories, is_attributed_frame, is_numeric_steps
from ._prefixes import PrefixHistories

__all__ = [
    "scaled_to_unit",
    "check_fit_input",
    "check_histories",
    "check_labels",
    "distinct_events",
    "sorted_labels",
    "take",
    "with_countable_weights",
]


def _is_2d_table(X):
    return isinstance(X, pd.DataFrame) or (isinstance(X, np.ndarray) and X.ndim == 2)


def check_histories(X, *, estimator=None, reset=False):
    """Return ``X`` as a list of tuples of events, raising on anything invalid.

    Parameters
    ----------
    X : sequence of histories or 2-D array-like
        The histories, in any form described in the module docstring.
    estimator : estimator instance, default=None
        With a 2-D table, ``n_features_in_`` / ``feature_names_in_`` are set
        (``reset=True``) or checked (``reset=False``) on it, as
        :func:`sklearn.utils.validation.validate_data` does. With a list of
        histories, ``reset=True`` removes them: the width is not fixed.
    reset : bool, default=False
        True in ``fit``, False in ``predict`` and friends.

    Returns
    -------
    histories : list of tuple or PrefixHistories
        One tuple of events per history; a :class:`PrefixHistories` is checked
        and returned as it is, so that no prefix is copied. ``X`` itself is
        never modified.
    """
    if is_attributed_frame(X):
        X = AttributedHistories.from_frame(X)
    elif is_numeric_steps(X):
        X = AttributedHistories.from_numeric_steps(X)
    if isinstance(X, PrefixHistories):
        if not len(X):
            raise ValueError("X is empty: at least one history is required (found 0 samples).")
        _check_events(X.used_sequences())
        if reset and estimator is not None:
            _reset_width(estimator, set(X.lengths.tolist()))
        return X
    if _is_sparse(X):
        raise TypeError(
            "Sparse input is not supported: X must hold histories of events (a list of "
            "sequences or a dense 2-D array), not a sparse matrix."
        )
    if not isinstance(X, (list, tuple, np.ndarray, pd.Series, pd.DataFrame)) and hasattr(
        X, "__array__"
    ):
        X = np.asarray(X)  # other array-likes: same rules as the array they stand for
    if _is_2d_table(X):
        if estimator is not None:
            table = validate_data(estimator, X, reset=reset, dtype=None, ensure_min_samples=1)
        else:
            table = np.asarray(X)
        histories = [tuple(row) for row in table.tolist()]
    else:
        histories = _histories_from_sequence(X)
        if not histories:
            raise ValueError("X is empty: at least one history is required (found 0 samples).")
        if reset and estimator is not None:
            _reset_width(estimator, set(map(len, histories)))
    histories = HistoryList(histories)
    _check_events(histories, prefix_runs=True)
    return histories


def _reset_width(estimator, widths):
    """Record the history width when every history has the same length.

    A 2-D table passed to ``predict`` must then have that many columns: a table of
    another width is most likely transposed or misaligned data. Lists of histories
    are never held to it, since histories of any length are valid.
    """
    for name in ("n_features_in_", "feature_names_in_"):
        if hasattr(estimator, name):
            delattr(estimator, name)
    if len(widths) == 1:
        estimator.n_features_in_ = widths.pop()


def _is_sparse(X):
    return hasattr(X, "toarray") and hasattr(X, "nnz")


def _histories_from_sequence(X):
    if isinstance(X, (str, bytes)):
        raise TypeError(
            "X must be a sequence of histories, got a single string. Pass a list of "
            "histories, for example [['A', 'B'], ['C']]."
        )
    if isinstance(X, pd.Series):
        X = X.tolist()
    elif isinstance(X, np.ndarray):
        if X.ndim == 0:
            raise ValueError("X must be a sequence of histories, got a 0-d array.")
        if X.ndim == 1 and X.dtype != object:
            raise ValueError(
                "Expected a sequence of histories or a 2-D array, got a 1-D array of "
                f"{X.dtype} scalars. Reshape your data either using array.reshape(-1, 1) "
                "if each sample is a one-event history or array.reshape(1, -1) if it "
                "contains a single history."
            )
        if X.ndim > 2:
            raise ValueError(f"X must be a sequence of histories, got a {X.ndim}-d array.")
    elif isinstance(X, (dict, set, frozenset)) or not hasattr(X, "__len__"):
        raise TypeError(
            f"X must be a sequence of histories (a list of lists of events), got "
            f"{type(X).__name__}."
        )
    if set(map(type, X)) <= {list, tuple}:
        # The usual form, which needs no check per history: a quarter faster.
        return list(map(tuple, X))
    return [_as_history(history, i) for i, history in enumerate(X)]


def _as_history(history, index):
    if isinstance(history, (list, tuple)):
        return tuple(history)
    if isinstance(history, (str, bytes)):
        raise TypeError(
            f"X[{index}] is a string ({history!r}), which is ambiguous as a history: "
            f"wrap a one-event history in a list ([{history!r}]) or split a string of "
            f"one-character events with list({history!r})."
        )
    if isinstance(history, np.ndarray):
        if history.ndim != 1:
            raise ValueError(
                f"X[{index}] is a {history.ndim}-d array; a history must be 1-D "
                "(a sequence of events)."
            )
        return tuple(history.tolist())
    if isinstance(history, pd.Series):
        return tuple(history.tolist())
    if np.isscalar(history) or history is None or not hasattr(history, "__iter__"):
        raise ValueError(
            f"X[{index}] is {history!r}, not a history. Each sample must be a sequence "
            "of events; reshape your data, for example [[event] for event in X] for "
            "one-event histories."
        )
    if isinstance(history, (dict, set, frozenset)):
        raise TypeError(
            f"X[{index}] is a {type(history).__name__}, which has no order; a history "
            "must be an ordered sequence of events (list, tuple or 1-D array)."
        )
    return tuple(history)


def _check_events(histories, prefix_runs=False):
    """Raise if any event is unhashable or missing (None, NaN, pd.NA, NaT).

    ``prefix_runs`` reads only the histories that are no prefix of the next (see
    :func:`distinct_events`); the errors still name the first faulty event of all.
    """
    try:
        distinct = set().union(*(_run_ends(histories) if prefix_runs else histories))
    except TypeError:
        i, j, event = _first(histories, lambda e: not _hashable(e))
        raise TypeError(
            "Events must be hashable labels: an event argument must be a string, a "
            f"number or another hashable value, but X[{i}][{j}] is a "
            f"{type(event).__name__} ({event!r})."
        ) from None
    if any(is_missing(e) for e in distinct):
        i, j, event = _first(histories, is_missing)
        raise ValueError(
            f"X[{i}][{j}] is a missing value ({event!r}). Histories must not contain None, "
            "NaN or NaT: drop those events or encode them as an event of their own."
        )


def take(histories, indices):
    """The histories at ``indices``, without copying a PrefixHistories' sequences."""
    if isinstance(histories, PrefixHistories):
        return histories[np.asarray(indices)]
    return [histories[i] for i in indices]


def distinct_events(histories):
    """The set of events in the histories.

    A history that is a prefix of the next one holds none of its own: with
    histories listed prefix after prefix of each sequence (the usual layout), only
    the last of each run is read. Of equal events of different types (``1`` and
    ``1.0``), the set keeps the first it reads.
    """
    if isinstance(histories, PrefixHistories):
        return set().union(*histories.used_sequences())
    return set().union(*_run_ends(histories))


class HistoryList(list):
    """The checked histories (tuples), remembering which is a prefix of the next.

    Checking the events, the vocabulary and the chains all read that; comparing
    the histories once rather than three times took fit's preprocessing of 198,000
    list histories from 0.52 s to 0.34 s.
    """

    prefix_of_next = None


def history_runs(histories):
    """Whether each tuple history is a prefix of (or equal to) the next one.

    Computed once per :class:`HistoryList`. Raises TypeError or ValueError on
    events whose ``==`` is no bool (arrays), which only unchecked input holds.
    """
    runs = getattr(histories, "prefix_of_next", None)
    if runs is None:
        lengths = np.fromiter(map(len, histories), dtype=np.int64, count=len(histories))
        runs = prefix_of_next(histories, lengths)
        if isinstance(histories, HistoryList):
            histories.prefix_of_next = runs
    return runs


def _run_ends(histories):
    """The tuple histories that are no prefix of the next one (all, if they cannot be compared)."""
    try:
        ends = np.flatnonzero(~history_runs(histories)).tolist()
    except (TypeError, ValueError):  # events such as arrays, whose == is no bool
        return list(histories)
    return [histories[i] for i in ends]


def prefix_of_next(sequences, lengths):
    """Whether each sequence is a prefix of (or equal to) the next one; the last is not.

    Slices are compared in C: no Python loop over the events.
    """
    prefix = map(eq, sequences[:-1], map(getitem, sequences[1:], map(slice, lengths.tolist())))
    return np.array([*prefix, False][: len(sequences)], dtype=bool)


def _hashable(value):
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _first(histories, predicate):
    for i, history in enumerate(histories):
        for j, event in enumerate(history):
            if predicate(event):
                return i, j, event
    raise AssertionError("no offending event found")  # pragma: no cover


def check_fit_input(estimator, X, y, sample_weight, check_y=None):
    """Check what ``fit`` receives; drop the samples of weight 0.

    Weight 0 means absent (scikit-learn's convention), so such samples bring no
    event, label or count. An all-zero ``sample_weight`` is refused.

    ``check_y(y, n_samples)`` checks the targets: :func:`check_labels` (the
    default) for classifiers, :func:`check_values` for regressors.

    Returns
    -------
    histories, y, sample_weight
        As from :func:`check_histories` and ``check_y``, and the weights
        as a float array, all without the samples of weight 0.
    """
    from sklearn.utils.validation import _check_sample_weight

    _refuse_event_log(X, y)
    histories = check_histories(X, estimator=estimator, reset=True)
    y = (check_y or check_labels)(y, len(histories))
    sample_weight = _check_sample_weight(sample_weight, histories, ensure_non_negative=True)
    kept = np.flatnonzero(sample_weight > 0)
    if len(kept) < len(histories):
        histories = take(histories, kept)
        y, sample_weight = y[kept], sample_weight[kept]
    return histories, y, sample_weight


# Column names that event-log tools give the sequence key, the event and its time (XES
# and pm4py's "case:concept:name", "concept:name", "time:timestamp"; common CSV headers).
_LOG_NAMES = ("case", "concept:name", "timestamp", "activity", "session_id", "event_id")


def _refuse_event_log(X, y):
    """Refuse a DataFrame that is an event log (one row per event) rather than histories.

    ``fit(log[[case, event, time]], log[event])`` would read each row as a history of
    three events and learn to copy one of them: a model that is silently worthless.
    A frame is taken for a log only on two signs together: a column of timestamps
    or ``y`` equal to one of its columns, with another sign among those, a column
    of keys in runs (each value in one block of consecutive rows, repeated, and none
    among the values of ``y``'s column), or column names that logs use. A wide frame
    of histories (one event per column, sorted or not) shows at most one of them:
    its events are no timestamps, and a column in runs shares its events with the
    others.
    """
    if not isinstance(X, pd.DataFrame) or is_attributed_frame(X) or len(X) < 2:
        return
    signs = []
    target = _column_equal_to(X, y)
    if target is not None:
        signs.append(f"y equals its column {target!r}")
    for name in X.columns:
        column = X[name]
        if isinstance(column, pd.DataFrame):
            return  # duplicate names: validate_data names them
        if pd.api.types.is_datetime64_any_dtype(column):
            signs.append(f"column {name!r} holds timestamps")
            break
    if not signs:
        return  # the other signs are weak alone, and cost a pass over every column
    try:
        events = set() if target is None else set(X[target].tolist())
    except TypeError:  # unhashable events: check_histories names them
        return
    for name in X.columns:
        if name != target and _keys_in_runs(X[name], events):
            signs.append(f"column {name!r} holds keys in runs of consecutive rows")
            break
    named = [name for name in X.columns if any(word in str(name).lower() for word in _LOG_NAMES)]
    if named:
        signs.append(f"its column names ({', '.join(map(repr, named))}) are an event log's")
    if len(signs) >= 2:
        raise ValueError(
            "X looks like an event log (one row per event), not histories (one row per "
            f"sample, the events so far): {'; '.join(signs)}. Cut the samples from the log "
            "with samples_from_log(log, sequence_col=..., order_col=..., event_col=...) and "
            "fit on its X and y. A DataFrame of histories has one event per column."
        )


def _column_equal_to(X, y):
    """The name of the column of ``X`` that equals ``y`` row by row, or None."""
    if y is None or isinstance(y, str) or not hasattr(y, "__len__") or len(y) != len(X):
        return None
    try:
        target = np.asarray(y, dtype=object).reshape(-1)
    except (TypeError, ValueError):
        return None
    if len(target) != len(X):
        return None
    for name in X.columns:
        values = X[name]
        if isinstance(values, pd.DataFrame):
            return None
        # The first rows first: on a wide frame of a million histories, most columns
        # differ there, and the full comparison runs on one column at most.
        if _equal(values.iloc[:64], target[:64]) and _equal(values, target):
            return name
    return None


def _equal(values, target):
    try:
        equal = np.asarray(values.to_numpy(dtype=object) == target, dtype=bool)
    except (TypeError, ValueError):
        return False
    return equal.shape == target.shape and bool(equal.all())


def _keys_in_runs(column, events):
    """Whether ``column`` holds sequence keys: repeated values, each in one block of rows,
    none of them among ``events``."""
    if pd.api.types.is_float_dtype(column) or pd.api.types.is_bool_dtype(column):
        return False
    values = column.to_numpy()
    try:
        distinct = pd.unique(values)
        n_runs = 1 + int(np.count_nonzero(values[1:] != values[:-1]))
        shared = not events.isdisjoint(distinct.tolist())
    except (TypeError, ValueError):
        return False
    return 2 <= len(distinct) < len(values) and n_runs == len(distinct) and not shared


def scaled_to_unit(sample_weight):
    """The weights divided by the power of 2 that brings the largest into [0.5, 1).

    A power of 2 scales exactly: weighted means are the same to the bit, while sums
    that would overflow (float32's 3.4e38, float64's 1.8e308) stay finite. Weights
    below 2**-1074 of the largest become 0.
    """
    _, exponent = np.frexp(sample_weight.max())
    return np.ldexp(sample_weight, -exponent)


def with_countable_weights(histories, y, sample_weight):
    """``(histories, y, sample_weight)`` whose weights sum to a finite count.

    Weights whose sum is beyond float64's range are scaled by :func:`scaled_to_unit`,
    and those that become 0 there (below 2**-1074 of the largest) are dropped, as a
    sample of weight 0 is absent. Other inputs come back as they are.
    """
    with np.errstate(over="ignore"):
        overflows = not np.isfinite(sample_weight.sum())
    if not overflows:
        return histories, y, sample_weight
    sample_weight = scaled_to_unit(sample_weight)
    kept = np.flatnonzero(sample_weight > 0)
    return take(histories, kept), y[kept], sample_weight[kept]


def check_labels(y, n_samples):
    """Return ``y`` as a 1-D object-free numpy array of labels, checked."""
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import column_or_1d

    if y is None:
        raise ValueError(
            "This estimator requires y to be passed, but the target y is None: give the "
            "next event (or label) of each history."
        )
    y = column_or_1d(y, warn=True)
    if len(y) != n_samples:
        raise ValueError(
            f"X and y have inconsistent numbers of samples: {n_samples} histories but "
            f"{len(y)} labels."
        )
    # Only object, float, complex, datetime and timedelta arrays can hold a missing value.
    if y.dtype.kind in "OfcMm":
        missing = np.flatnonzero(missing_mask(y))
        if len(missing):
            raise ValueError(
                f"y contains missing labels (None, NaN or NaT), first at index {missing[0]}: "
                f"{y[missing[0]]!r}."
            )
    kind = pd.api.types.infer_dtype(y, skipna=False) if y.dtype == object else None
    if kind == "string":
        # Strings held as Python objects sort about ten times slower than a numpy
        # string array, and scikit-learn sorts the labels several times in fit.
        y = y.astype(str)
    elif kind in ("mixed", "mixed-integer"):
        # scikit-learn sorts the labels; strings beside numbers fail deep in numpy.
        types = sorted({type(label).__name__ for label in y.tolist()})
        raise ValueError(
            f"y mixes labels of types {', '.join(types)}: the labels of a classifier must be "
            "all strings or all numbers. Convert them, for example with y.astype(str)."
        )
    check_classification_targets(y)
    return y


def check_values(y, n_samples):
    """Return the numeric targets ``y`` of a regressor as a float64 array, checked.

    Numbers only (bools and integers count), all finite: a string, a complex
    number or a missing value is a ValueError that says where it is.
    """
    from sklearn.utils.validation import column_or_1d

    if y is None:
        raise ValueError(
            "This estimator requires y to be passed, but the target y is None: give the "
            "number to predict after each history."
        )
    y = column_or_1d(y, warn=True)  # refuses complex numbers: "Complex data not supported"
    if len(y) != n_samples:
        raise ValueError(
            f"X and y have inconsistent numbers of samples: {n_samples} histories but "
            f"{len(y)} targets."
        )
    try:
        values = y.astype(np.float64) if y.dtype.kind != "O" else _floats(y)
    except (TypeError, ValueError):
        values = None
    if values is None or y.dtype.kind in "USMm":
        example = next((v for v in y.tolist() if not _is_real(v)), y[0] if len(y) else None)
        raise ValueError(
            f"y must hold numbers (a regressor's targets); got {example!r} of type "
            f"{type(example).__name__}."
        )
    bad = np.flatnonzero(~np.isfinite(values))
    if len(bad):
        raise ValueError(
            f"y must be finite; it holds {float(values[bad[0]])} at index {bad[0]} "
            f"({len(bad)} non-finite value(s) in all)."
        )
    return values


def _floats(values):
    if not all(map(_is_real, values.tolist())):
        raise TypeError("not numbers")
    return np.array(values.tolist(), dtype=np.float64)


def _is_real(value):
    return isinstance(value, (numbers.Real, np.bool_)) and not isinstance(value, str)


def sorted_labels(labels):
    """Sort distinct labels deterministically, also when types are mixed.

    Set iteration order of strings changes with Python's hash seed, so anything
    built from a set (a vocabulary) must be sorted to be reproducible.
    """
    labels = list(labels)
    try:
        return sorted(labels)
    except TypeError:
        return sorted(labels, key=lambda e: (type(e).__name__, repr(e)))


def is_integer(value):
    """True for Python and numpy integers, but not for bools."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)
