"""What the LSTM reads at each step of an attributed history: the step table.

A plain history enters the LSTM as event token ids. An attributed one
(:class:`~sklearn_seqlstm.AttributedHistories`) brings more at every step: the
codes of its categorical attributes, its numeric attributes standardised with
statistics learned in ``fit``, features of its time, and its sequence's context.

:class:`StepEncoder` learns those encodings in ``fit`` and turns the sequences in
use into a :class:`StepTable`: one row per step, each sequence laid out as a
START row, a TRUNCATED row (the marker of a history cut by ``max_history``) and
one row per event. A history is then a sequence of row ids, which the chain
machinery (:mod:`._chains`) groups and batches exactly as it does token ids;
the rows' contents are looked up per batch. Attributes ride along with their
events, so one pass per chain still holds.

Encodings:

- a categorical value is embedded; code 0 is "no value" (the marker rows), 1 a
  rare value (seen in ``fit`` fewer than ``min_frequency`` times, or never), 2 a
  missing value. Rare values share one vector, learned from those of ``fit``, so
  a value first met when predicting gets what the rare values taught (the
  module starts the vectors of both codes at zero, where they stay if ``fit``
  has no rare or no missing value);
- a numeric value is standardised; a missing one is 0 with a missing indicator
  set (every numeric attribute has its indicator column). With
  ``codes_for_integers``, a numeric attribute whose values in ``fit`` are few
  integers (:func:`few_integers`: an employee number, a priority) is also read as
  a category, coded as above;
- time gives log(1 + seconds since the previous event) and log(1 + seconds
  since the sequence's first event), standardised or, with
  ``time_encoding="piecewise"``, each as its piecewise-linear encoding over
  ``TIME_PIECES`` quantile pieces of ``fit``'s gaps (:func:`piecewise_linear`), and for
  datetimes the hour of day and the day of week (in UTC) as points on a circle;
- sequence context enters every step (``sequence_context="every_step"``) or the
  marker row only, from which the LSTM carries it (``"first_step"``).
"""

import numbers
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd
from pandas.errors import InvalidIndexError

from ..histories._attributed import attribute_kind
from ..histories._histories import _hashable, sorted_labels
from ..histories._step_features import _calendar, _concat, _in_use, _log1p_gaps, _log_gaps
from ..utils._missing import is_missing, missing_mask
from ._module import MISSING_CATEGORY, RARE_CATEGORY, START, TRUNCATED, UNKNOWN

__all__ = ["StepEncoder", "StepTable"]

# time_encoding="piecewise": each log gap is cut into this many pieces at its
# quantiles in fit (fewer where values repeat).
TIME_PIECES = 16

# Codes of a categorical attribute; its values are numbered from N_CAT_RESERVED on.
NO_VALUE, UNSEEN, MISSING, N_CAT_RESERVED = 0, RARE_CATEGORY, MISSING_CATEGORY, 3


@dataclass(frozen=True)
class StepTable:
    """The model input of every step of the sequences in use.

    Attributes
    ----------
    tokens : ndarray of int64, shape (n_rows,)
        Event token id of each row (START or TRUNCATED for the marker rows).
    cats : ndarray of int64, shape (n_rows, n_categorical)
        Code of each categorical attribute.
    nums : ndarray of float32, shape (n_rows, n_numeric)
        Numeric features: standardised attributes and their missing indicators,
        then the time features.
    first_row : ndarray of int64, shape (n_sequences,)
        Row of each sequence's START marker (-1 for a sequence not in use); its
        TRUNCATED marker follows, then its events.
    """

    tokens: np.ndarray
    cats: np.ndarray
    nums: np.ndarray
    first_row: np.ndarray

    def step_sequences(self, lengths):
        """Row ids of each sequence in use, led by its START row, as tuples."""
        sequences = []
        for row, n in zip(self.first_row.tolist(), lengths.tolist(), strict=True):
            if row < 0:
                sequences.append(())
            else:
                sequences.append((row, *range(row + 2, row + 2 + n)))
        return sequences

    def window(self, sequence, end, max_history):
        """Row ids of the history ``sequence[:end]`` cut to its last ``max_history`` events."""
        row = int(self.first_row[sequence])
        if end > max_history:
            return (row + 1, *range(row + 2 + end - max_history, row + 2 + end))
        return (row, *range(row + 2, row + 2 + end))


class StepEncoder:
    """Learn the step encodings of attributed histories in ``fit``; make step tables.

    Parameters
    ----------
    time_features : bool
        Whether to use the times (when the histories have them).
    attributes : bool
        Whether to use the event and sequence attributes.
    sequence_context : {"every_step", "first_step"}
        Where the sequence attributes enter.
    min_frequency : int
        A categorical value counted fewer times than this (over the steps in use
        for an event attribute, over the sequences in use for a sequence
        attribute) is read as rare, with the values never seen.
    time_encoding : {"standardised", "piecewise"}, default="standardised"
        How the two log gaps enter: standardised (one column each), or as their
        piecewise-linear encodings over quantile pieces of ``fit``'s gaps (the
        edges are ``time_edges``), which let a linear layer bend at each edge.
    codes_for_integers : bool, default=False
        Also read a numeric attribute as a category when its values in ``fit``
        are few integers (:func:`few_integers`): its encoding then holds
        ``categories`` too, and the attribute has a categorical column beside its
        numeric ones.
    """

    # A step encoder pickled before these options existed standardised its gaps and
    # read numbers as numbers only.
    time_encoding = "standardised"
    codes_for_integers = False

    def __init__(
        self,
        *,
        time_features,
        attributes,
        sequence_context,
        min_frequency,
        time_encoding="standardised",
        codes_for_integers=False,
    ):
        self.time_features = time_features
        self.attributes = attributes
        self.sequence_context = sequence_context
        self.min_frequency = min_frequency
        self.time_encoding = time_encoding
        self.codes_for_integers = codes_for_integers

    def fit(self, histories):
        """Learn vocabularies and statistics from the steps of ``histories`` in use."""
        used, longest = _in_use(histories)
        self.__dict__.pop("_category_indexes", None)
        self.event_attributes = list(histories.event_attributes) if self.attributes else []
        self.sequence_attributes = list(histories.sequence_attributes) if self.attributes else []
        self.time_kind = histories.time_kind if self.time_features else None
        self.encodings = {}
        for name in self.event_attributes:
            values = _concat(histories.event_attributes[name], used, longest)
            self.encodings[name] = _fit_encoding(
                values, self.min_frequency, self.codes_for_integers
            )
        for name in self.sequence_attributes:
            values = histories.sequence_attributes[name][used]
            self.encodings[name] = _fit_encoding(
                values, self.min_frequency, self.codes_for_integers
            )
        if self.time_kind is not None:
            gaps = _log_gaps(histories.times, used, longest)
            self.time_mean = gaps.mean(axis=0) if len(gaps) else np.zeros(2)
            std = gaps.std(axis=0) if len(gaps) else np.ones(2)
            self.time_std = np.where(std > 0, std, 1.0)
            if self.time_encoding == "piecewise":
                self.time_edges = [_quantile_edges(gaps[:, j], TIME_PIECES) for j in range(2)]
        return self

    @property
    def uses_anything(self):
        return bool(self.event_attributes or self.sequence_attributes or self.time_kind)

    @property
    def cat_cardinalities(self):
        """Number of codes of each categorical column, in column order."""
        return [
            N_CAT_RESERVED + len(encoding["categories"])
            for encoding in self.encodings.values()
            if "categories" in encoding  # categorical, or numeric also read as codes
        ]

    @property
    def n_numeric(self):
        """Number of numeric input columns."""
        n_attributes = sum(e["kind"] == "numeric" for e in self.encodings.values())
        n_time = {None: 0, "numeric": 2, "datetime": 6}[self.time_kind]
        if self.time_kind is not None and self.time_encoding == "piecewise":
            n_time += sum(_n_pieces(edges) for edges in self.time_edges) - 2
        return 2 * n_attributes + n_time

    def transform(self, histories, event_ids):
        """The step table of the sequences in use, and the length in use of each."""
        used, longest = _in_use(histories)
        n_used = len(used)
        sizes = longest[used] + 2  # START and TRUNCATED rows, then the events
        first = np.zeros(n_used + 1, dtype=np.int64)
        np.cumsum(sizes, out=first[1:])
        n_rows = int(first[-1])
        is_event = np.ones(n_rows, dtype=bool)
        is_event[first[:-1]] = False
        is_event[first[:-1] + 1] = False
        # The sequence (among those in use) of each row.
        owner = np.repeat(np.arange(n_used), sizes)

        tokens = np.empty(n_rows, dtype=np.int64)
        tokens[first[:-1]] = START
        tokens[first[:-1] + 1] = TRUNCATED
        get = event_ids.get
        tokens[is_event] = np.fromiter(
            (
                get(event, UNKNOWN)
                for s, n in zip(used.tolist(), longest[used].tolist(), strict=True)
                for event in histories.sequences[s][:n]
            ),
            dtype=np.int64,
            count=int(is_event.sum()),
        )

        event_values = {
            name: _concat(histories.event_attributes[name], used, longest)
            for name in self.event_attributes
        }
        context = {
            name: histories.sequence_attributes[name][used][owner]
            for name in self.sequence_attributes
        }
        log_gaps = seconds = None
        if self.time_kind is not None:
            log_gaps = _log_gaps(histories.times, used, longest)
            if self.time_kind == "datetime":
                seconds = _concat(histories.times, used, longest)
        cats, nums = self._encode_rows(is_event, event_values, context, log_gaps, seconds)

        first_row = np.full(len(histories.sequences), -1, dtype=np.int64)
        first_row[used] = first[:-1]
        table = StepTable(tokens=tokens, cats=cats, nums=nums, first_row=first_row)
        return table, longest

    def encode_step(self, *, context, attributes=None, times=None):
        """The categorical codes and numeric features of one step, as ``transform``'s row.

        The one place where a single step is encoded (for
        :class:`~sklearn_seqlstm.HistoryStream`): it lays the values out as one
        row and encodes it with the code of :meth:`transform`, so both follow
        the same rules.

        Parameters
        ----------
        context : dict
            The value of every sequence attribute (missing values allowed).
        attributes : dict, default=None
            The value of every event attribute of the event (missing values
            allowed); None for a marker row (START or TRUNCATED).
        times : tuple of 3 floats, default=None
            For an event of a model that uses time: its time, the previous
            event's and the sequence's first event's, in seconds (the event's
            own time for the first event).

        Returns
        -------
        cats : ndarray of int64, shape (n_categorical,)
        nums : ndarray of float32, shape (n_numeric,)
        """
        is_event = attributes is not None
        event_values = {
            name: self._step_values(name, [attributes[name]] if is_event else [])
            for name in self.event_attributes
        }
        context = {
            name: self._step_values(name, [context[name]]) for name in self.sequence_attributes
        }
        log_gaps, seconds = np.zeros((0, 2)), np.zeros(0)  # a marker row has no time
        if self.time_kind is not None and is_event:
            now, previous, first = (float(t) for t in times)
            log_gaps = _log1p_gaps(np.array([[now - previous, now - first]]))
            seconds = np.array([now])
        cats, nums = self._encode_rows(
            np.array([is_event]), event_values, context, log_gaps, seconds
        )
        return cats[0], nums[0]

    def _step_values(self, name, values):
        """One step's values of attribute ``name`` as the array ``transform`` reads."""
        array = np.empty(len(values), dtype=object)
        array[:] = values
        if self.encodings[name]["kind"] == "categorical":
            for value in values:
                if not _hashable(value):
                    raise TypeError(
                        f"Attribute {name!r}: a category must be hashable; got a "
                        f"{type(value).__name__} ({value!r})."
                    )
            return array
        numbers_ = np.full(len(values), np.nan)
        for i, value in enumerate(values):
            if is_missing(value):
                continue
            if isinstance(value, bool) or not isinstance(value, (numbers.Real, Decimal)):
                raise TypeError(
                    f"Attribute {name!r} is numeric in this model; got {value!r} "
                    f"({type(value).__name__}). Pass a number, or None for a missing value."
                )
            numbers_[i] = float(value)
            if np.isinf(numbers_[i]):
                raise ValueError(
                    f"Attribute {name!r}: an infinite value; numeric attributes must be "
                    "finite (NaN or None is read as missing)."
                )
        return numbers_

    def _encode_rows(self, is_event, event_values, context, log_gaps, seconds):
        """The (cats, nums) of rows: event attributes at the event rows, the context where
        ``sequence_context`` puts it, the time features (``log_gaps``, and ``seconds``
        for datetimes, of the event rows) at the event rows."""
        n_rows = len(is_event)
        cats, nums = [], []
        for name in self.event_attributes:
            self._encode(name, event_values[name], is_event, None, cats, nums)
        for name in self.sequence_attributes:
            rows = ~is_event if self.sequence_context == "first_step" else None
            self._encode(name, context[name], None, rows, cats, nums)
        if self.time_kind is not None:
            # float32 from the start: the step table is float32, and on a log of
            # millions of events float64 columns and their stacked copy cost hundreds
            # of MB. Rounding each value once, here or at the end, gives the same table.
            if self.time_encoding == "piecewise":
                for j, edges in enumerate(self.time_edges):
                    pieces = np.zeros((n_rows, _n_pieces(edges)), np.float32)
                    pieces[is_event] = piecewise_linear(log_gaps[:, j], edges)
                    nums.append(pieces)
            else:
                gaps = np.zeros((n_rows, 2), np.float32)
                gaps[is_event] = (log_gaps - self.time_mean) / self.time_std
                nums.append(gaps)
            if self.time_kind == "datetime":
                calendar = np.zeros((n_rows, 4), np.float32)
                calendar[is_event] = _calendar(seconds)
                nums.append(calendar)
        return (
            np.column_stack(cats) if cats else np.zeros((n_rows, 0), dtype=np.int64),
            np.column_stack(nums) if nums else np.zeros((n_rows, 0), dtype=np.float32),
        )

    def category_index(self, name):
        """The categories of attribute ``name`` as a pandas Index, built once."""
        indexes = self.__dict__.setdefault("_category_indexes", {})
        if name not in indexes:
            indexes[name] = pd.Index(self.encodings[name]["categories"], dtype=object)
        return indexes[name]

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_category_indexes", None)  # a cache, rebuilt on use
        return state

    def _encode(self, name, values, at, only, cats, nums):
        """Append the columns of one attribute: at rows ``at`` (None: every row), zero
        outside ``only`` (None: nowhere)."""
        encoding = self.encodings[name]
        missing = missing_mask(values)
        n_rows = len(at) if at is not None else len(values)
        if encoding["kind"] == "numeric":
            present = _numbers(name, values, missing)
            z = np.where(missing, 0.0, _standardised(present, encoding["mean"], encoding["std"]))
            column = np.zeros((n_rows, 2), dtype=np.float32)
            _place(column, np.column_stack([z, missing]), at, only, 0.0)
            nums.append(column)
            if "categories" not in encoding:  # a number only: no object copy to make
                return
            # Its codes are those of the numbers as float64, as fit kept them.
            values = present.astype(object)
        # A categorical attribute, or a numeric one also read as codes.
        codes = _positions(self.category_index(name), np.asarray(values, dtype=object))
        codes = np.where(codes >= 0, codes + N_CAT_RESERVED, UNSEEN).astype(np.int64)
        codes[missing] = MISSING
        column = np.full(n_rows, NO_VALUE, dtype=np.int64)
        _place(column, codes, at, only, NO_VALUE)
        cats.append(column)


# Up to this many values, each is looked up in the categories' hash table on its own:
# get_indexer builds an Index of the values first, about 0.15 ms, most of a stream's
# push. Both give the same positions (the index's one engine; tested).
_FEW_VALUES = 8


def _positions(index, values):
    """Position of each value among the categories of ``index`` (-1: not among them)."""
    if len(values) > _FEW_VALUES:
        return index.get_indexer(values)
    positions = np.full(len(values), -1, dtype=np.int64)
    for i, value in enumerate(values.tolist()):
        try:
            position = index.get_loc(value)
        except (KeyError, TypeError, InvalidIndexError):
            continue
        if isinstance(position, (int, np.integer)):  # unique categories: always
            positions[i] = position
    return positions


def _numbers(name, values, missing):
    """The values of numeric attribute ``name`` as float64, 0 where missing.

    A value that is no number (a string, a bool: a category) is a TypeError naming
    the attribute and the value, rather than numpy's "could not convert".
    """
    array = np.asarray(values)
    if array.dtype.kind not in "iuf":
        for value, absent in zip(array.tolist(), np.asarray(missing).tolist(), strict=True):
            if not absent and (
                isinstance(value, bool) or not isinstance(value, (numbers.Real, Decimal))
            ):
                raise TypeError(
                    f"Attribute {name!r} is numeric in this model; got {value!r} "
                    f"({type(value).__name__}). Pass numbers, or None or NaN for a missing value."
                )
        array = np.array(
            [
                0.0 if absent else value
                for value, absent in zip(array.tolist(), np.asarray(missing).tolist(), strict=True)
            ],
            dtype=np.float64,
        )
    return np.where(missing, 0.0, array.astype(np.float64, copy=False))


# Standardised numeric inputs are cut to this many standard deviations: a value far
# beyond fit's range (1e300 after values near 1) would be inf in the float32 step
# table, and NaN through the LSTM. Fit's own values lie within sqrt(n_values) of the
# mean; 1e4 is also within float16's range (65504), for mixed precision.
_MAX_STANDARDISED = 1e4


def _standardised(values, mean, std):
    """``(values - mean) / std``, finite and within ``±_MAX_STANDARDISED``."""
    with np.errstate(over="ignore", invalid="ignore"):
        z = (values - mean) / std
    # values - mean overflows near float64's maximum (1.7e308 - -1.7e308): divided first.
    overflow = ~np.isfinite(z)
    if overflow.any():
        with np.errstate(over="ignore"):  # beyond float64 still: cut below
            z[overflow] = values[overflow] / std - mean / std
    return np.clip(z, -_MAX_STANDARDISED, _MAX_STANDARDISED)


def _mean_std(values):
    """Mean and standard deviation, finite for any finite values.

    The values are divided by a power of 2 first (exact): their sum, or the sum of
    their squares, overflows near float64's maximum.
    """
    if not len(values):
        return 0.0, 1.0
    exponent = _unit_exponent(values)  # all zeros: 0, and a mean and spread of 0
    unit = np.ldexp(values, -exponent)
    return float(np.ldexp(unit.mean(), exponent)), float(np.ldexp(unit.std(), exponent))


def _place(column, values, at, only, fill):
    if at is not None:
        column[at] = values
    else:
        column[...] = values
    if only is not None:
        column[~only] = fill


def _unit_exponent(values):
    """The power of 2 that brings the largest magnitude of ``values`` into [0.5, 1).

    0 when every value is 0 (or there is none): dividing by 2**0 leaves them as they
    are. Dividing by a power of 2 is exact, so sums and differences computed in these
    units, then multiplied back, do not overflow near float64's maximum.
    """
    largest = np.abs(values).max() if len(values) else 0.0
    return int(np.frexp(largest)[1]) if largest > 0 else 0


def _quantile_edges(values, n_pieces):
    """The distinct quantiles of ``values`` at 0, 1/n_pieces, ..., 1 (one 0 when empty).

    Computed on the values divided by a power of 2 (exact): interpolating between
    values near float64's maximum would overflow.
    """
    if not len(values):
        return np.zeros(1)
    exponent = _unit_exponent(values)
    levels = np.linspace(0.0, 1.0, n_pieces + 1)
    return np.unique(np.ldexp(np.quantile(np.ldexp(values, -exponent), levels), exponent))


def _n_pieces(edges):
    """Columns of the piecewise-linear encoding over ``edges``: one per piece, at least one."""
    return max(len(edges) - 1, 1)


def piecewise_linear(values, edges):
    """The piecewise-linear encoding of ``values`` over the pieces between ``edges``.

    Column ``k`` is how far a value has come through piece ``k``: 0 below its lower
    edge, 1 above its upper edge, linear between (Gorishniy, Rubachev and Babenko,
    "On Embeddings for Numerical Features in Tabular Deep Learning", NeurIPS 2022).
    The encoding is continuous and keeps the order of the values, and a linear layer
    over it is any piecewise-linear function with a bend at each edge: what a
    standardised number gives only through the network's nonlinearity. With a single
    edge (every value of fit alike) there is no piece: one column of zeros.
    """
    values = np.asarray(values, dtype=np.float64)
    if len(edges) < 2:
        return np.zeros((len(values), 1))
    # In units of the largest edge (a power of 2, exact): the differences of values
    # near float64's maximum would overflow. A value far beyond the edges may still
    # become +-inf, which the clip reads as 1 or 0.
    exponent = _unit_exponent(edges)
    edges, values = np.ldexp(edges, -exponent), np.ldexp(values, -exponent)
    low, high = edges[:-1], edges[1:]
    with np.errstate(over="ignore"):
        return np.clip((values[:, None] - low) / (high - low), 0.0, 1.0)


def few_integers(values):
    """Whether numeric ``values`` are integers of at most sqrt(len(values)) distinct values.

    Such a column may be a code as much as a quantity: an employee number, a
    product id, a priority. Read as a category, each of its values gets its own
    vector, as a tree singles one out with two splits, where a standardised number
    gives the network one direction. The bound keeps a vector to values seen, on
    average, at least as often as there are values: an amount of money, with many
    values seen a few times each, stays a number only, whose codes would let the
    network memorise the few cases of each value.
    """
    if not len(values) or not np.all(np.isfinite(values) & (values == np.round(values))):
        return False
    return len(np.unique(values)) ** 2 <= len(values)


def _fit_encoding(values, min_frequency, codes_for_integers=False):
    values = np.asarray(values)
    present = values[~missing_mask(values)] if len(values) else values
    if attribute_kind(values) == "numeric":
        numbers_ = np.asarray(present, dtype=np.float64)
        mean, std = _mean_std(numbers_)
        encoding = {"kind": "numeric", "mean": mean, "std": std if std > 0 else 1.0}
        if codes_for_integers and few_integers(numbers_):
            encoding["categories"] = _kept(numbers_.tolist(), min_frequency)
        return encoding
    return {"kind": "categorical", "categories": _kept(present.tolist(), min_frequency)}


def _kept(values, min_frequency):
    """The distinct ``values`` counted at least ``min_frequency`` times, sorted."""
    counts = Counter(values)
    return sorted_labels({value for value, count in counts.items() if count >= min_frequency})
