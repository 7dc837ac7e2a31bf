"""SequenceFeaturizer: fixed-width features of event histories, for linear baselines."""

from itertools import chain, repeat

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted

from ..histories._attributed import AttributedHistories, attribute_kind
from ..histories._histories import check_histories, sorted_labels
from ..histories._step_features import _calendar, _concat, _in_use, _log_gaps
from ..utils._base import restore_on_failure
from ..utils._missing import missing_mask
from ..utils._validation import integers

__all__ = ["SequenceFeaturizer"]

# Feature names of the last event's attributes, of the sequence attributes and of time.
LAST, SEQUENCE = "last_1.", "sequence."
UNSEEN, MISSING = "<unseen>", "<missing>"
GAP_NAMES = ("log1p_seconds_since_previous", "log1p_seconds_since_start")
CALENDAR_NAMES = ("hour_sin", "hour_cos", "weekday_sin", "weekday_cos")


class SequenceFeaturizer(TransformerMixin, BaseEstimator):
    """Turn histories of events into a fixed-width matrix of features.

    Three groups of features of the events, in this column order:

    - ``last_1=<event>``, ..., ``last_<n_last>=<event>``: a one-hot encoding of
      each of the last ``n_last`` events (``last_1`` is the most recent one). The
      positions a short history lacks are all zero.
    - ``count=<event>``: the share of each event in the history, its count
      divided by the history length (all zero for the empty history).
    - ``length``: the number of events in the history, unscaled.

    On :class:`AttributedHistories` (histories whose events carry a time and
    attributes, in sequences with context), two switches add what
    :class:`NextEventClassifier` reads at each step, so that a linear baseline
    sees the same information, after the groups above:

    - ``attributes=True``: the attributes of the last event
      (``last_1.<name>...``), then the sequence attributes
      (``sequence.<name>...``). A categorical attribute is one-hot encoded over
      the values seen in fit (``<name>=<value>``), with a bucket for a value
      never seen in fit (``<name>=<unseen>``) and one for a missing value
      (``<name>=<missing>``). A numeric attribute gives its value, unscaled
      (``<name>``; 0 when missing), and a missing indicator
      (``<name>=<missing>``).
    - ``time_features=True``: the time of the last event, as in
      :class:`NextEventClassifier`: ``last_1.log1p_seconds_since_previous`` and
      ``last_1.log1p_seconds_since_start`` (log of one plus the seconds since
      the previous event and since the sequence's first event; for numeric
      times, the time's own unit) and, for datetimes, the hour of day and the
      day of week in UTC as points on a circle (``last_1.hour_sin``,
      ``last_1.hour_cos``, ``last_1.weekday_sin``, ``last_1.weekday_cos``).

    The empty history has no last event: its last-event features are all zero.

    With a linear classifier after it, this is the logistic regression baseline:
    ``make_pipeline(SequenceFeaturizer(), LogisticRegression())``.

    Parameters
    ----------
    n_last : int, default=1
        Number of last events encoded one-hot, by position. 0 leaves them out.
    counts : bool, default=True
        Whether to add the share of each event in the history.
    length : bool, default=True
        Whether to add the history length. It is left raw, as scikit-learn's
        transformers leave scaling to the pipeline: on long histories add a
        :class:`~sklearn.preprocessing.StandardScaler` with ``with_mean=False``
        (which accepts sparse input), or drop the feature.
    attributes : bool, default=False
        Whether to add the last event's attributes and the sequence attributes
        of :class:`AttributedHistories`. Numeric values are left raw, as
        ``length`` is. Without attributes in ``X`` it adds nothing.
    time_features : bool, default=False
        Whether to add the time features of the last event of
        :class:`AttributedHistories` with times. Without times in ``X`` it adds
        nothing.
    sparse_output : bool, default=True
        Return a SciPy CSR matrix (most features of a history are zero) rather
        than a dense ndarray. As with :class:`~sklearn.preprocessing.OneHotEncoder`,
        pandas output (``set_output(transform="pandas")``) needs
        ``sparse_output=False``.

    Attributes
    ----------
    events_ : list
        The events seen in fit, in the column order of each one-hot and count
        block. Events met only at transform time are ignored: their one-hot
        positions are all zero and they count in no ``count=`` column (though they
        do count in the history length, the denominator of the shares).
    event_attributes_ : list of str
        The event attributes encoded (empty unless ``attributes=True`` and ``X``
        had event attributes in fit), in column order.
    sequence_attributes_ : list of str
        The sequence attributes encoded, likewise.
    categories_ : dict of str to list
        For each categorical attribute encoded, the values seen in fit (the
        last events' values for an event attribute), in column order.
    time_kind_ : {"datetime", "numeric"} or None
        The kind of the times whose features are made; None when none are
        (``time_features=False``, or no times in ``X`` in fit).
    n_features_in_ : int
        History width, set only when every history in fit had the same length
        (always so for a 2-D array).
    feature_names_in_ : ndarray of str
        Column names, set only when ``X`` was a DataFrame with string columns.

    See Also
    --------
    MarkovChainClassifier : The n-gram baseline, on the last events only.
    AttributedHistories : Histories whose events carry a time and attributes.
    sklearn.preprocessing.OneHotEncoder : One-hot encoding of fixed columns.

    Notes
    -----
    ``X`` is a list of histories (each a list, tuple or 1-D array of hashable
    events, any length, empty allowed), a pandas Series of such sequences, a
    2-D array whose rows are equal-length histories, or attributed histories:
    an :class:`AttributedHistories` (from :func:`samples_from_log` with
    ``time_col``, ``event_attributes`` or ``sequence_attributes``) or its
    DataFrame form (see :meth:`AttributedHistories.from_frame`). Feature names
    write events and categories with ``str``, so two distinct values with the
    same text (``1`` and ``"1"``) give two columns of the same name.

    What the switched-on options encode must be in ``X`` at transform time
    exactly as in fit: an attribute or times absent in fit, or present in fit
    and absent at transform time, is a ``ValueError`` that names it.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_seqlstm import SequenceFeaturizer
    >>> X = [["home", "search"], ["home"], ["search", "item"], []]
    >>> featurizer = SequenceFeaturizer().fit(X)
    >>> featurizer.get_feature_names_out().tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['last_1=home', 'last_1=item', 'last_1=search',
     'count=home', 'count=item', 'count=search', 'length']
    >>> featurizer.transform([["home", "search"], ["cart"]]).toarray()
    array([[0. , 0. , 1. , 0.5, 0. , 0.5, 2. ],
           [0. , 0. , 0. , 0. , 0. , 0. , 1. ]])
    >>> y = ["item", "search", "cart", "home"]
    >>> baseline = make_pipeline(SequenceFeaturizer(), LogisticRegression()).fit(X, y)
    >>> baseline.predict_proba([["home"]]).shape
    (1, 4)

    With times and attributes, in the DataFrame form of attributed histories:

    >>> import pandas as pd
    >>> frame = pd.DataFrame(
    ...     {
    ...         "events": [["login", "search"], ["login"]],
    ...         "time": [[0, 600], [0]],
    ...         "device": [["phone", "laptop"], ["laptop"]],
    ...         "segment": ["gold", "silver"],
    ...     }
    ... )
    >>> featurizer = SequenceFeaturizer(
    ...     n_last=0, counts=False, length=False, attributes=True, time_features=True
    ... ).fit(frame)
    >>> featurizer.get_feature_names_out().tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['last_1.device=laptop', 'last_1.device=<unseen>', 'last_1.device=<missing>',
     'sequence.segment=gold', 'sequence.segment=silver', 'sequence.segment=<unseen>',
     'sequence.segment=<missing>',
     'last_1.log1p_seconds_since_previous', 'last_1.log1p_seconds_since_start']
    >>> featurizer.transform(frame).toarray().round(1)
    array([[1. , 0. , 0. , 1. , 0. , 0. , 0. , 6.4, 6.4],
           [1. , 0. , 0. , 0. , 1. , 0. , 0. , 0. , 0. ]])
    """

    _parameter_constraints: dict = {
        "n_last": [integers(0)],
        "counts": ["boolean"],
        "length": ["boolean"],
        "attributes": ["boolean"],
        "time_features": ["boolean"],
        "sparse_output": ["boolean"],
    }

    def __init__(
        self,
        n_last=1,
        *,
        counts=True,
        length=True,
        attributes=False,
        time_features=False,
        sparse_output=True,
    ):
        self.n_last = n_last
        self.counts = counts
        self.length = length
        self.attributes = attributes
        self.time_features = time_features
        self.sparse_output = sparse_output

    @restore_on_failure
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the events, and the attributes and their categories when switched on.

        Parameters
        ----------
        X : list of sequences of events, pandas Series, 2-D array-like, \
                AttributedHistories or DataFrame of attributed histories
            The histories.
        y : None
            Ignored.

        Returns
        -------
        self : SequenceFeaturizer
            The fitted featurizer.
        """
        if (
            self.n_last == 0
            and not self.counts
            and not self.length
            and not self.attributes
            and not self.time_features
        ):
            raise ValueError(
                "SequenceFeaturizer has no feature to make: set n_last >= 1, counts=True, "
                "length=True, attributes=True or time_features=True."
            )
        histories = check_histories(X, estimator=self, reset=True)
        self.events_ = sorted_labels(set(chain.from_iterable(histories)))
        self._event_codes = {event: code for code, event in enumerate(self.events_)}
        attributed = isinstance(histories, AttributedHistories)
        self.event_attributes_ = []
        self.sequence_attributes_ = []
        self.categories_ = {}
        self._kinds = {}
        if self.attributes and attributed:
            self.event_attributes_ = histories.event_attribute_names
            self.sequence_attributes_ = histories.sequence_attribute_names
            names = [*self.event_attributes_, *self.sequence_attributes_]
            for name, values in _attribute_values(
                histories, self.event_attributes_, self.sequence_attributes_
            ):
                self._kinds[name] = _kind(histories, name)
                if self._kinds[name] == "categorical":
                    present = values[~missing_mask(values)] if len(values) else values
                    self.categories_[name] = sorted_labels(set(present.tolist()))
            self._kinds = {name: self._kinds[name] for name in names}
        self.time_kind_ = histories.time_kind if self.time_features and attributed else None
        if self.n_last == 0 and not self.counts and not self.length and not self._n_extra():
            raise ValueError(
                "SequenceFeaturizer has no feature to make: X has no "
                f"{'attributes' if self.attributes else ''}"
                f"{' or ' if self.attributes and self.time_features else ''}"
                f"{'times' if self.time_features else ''} to encode, and n_last=0, "
                "counts=False and length=False."
            )
        return self

    def _n_extra(self):
        """Number of columns of the attributes and the time features."""
        n = sum(
            len(self.categories_[name]) + 2 if kind == "categorical" else 2
            for name, kind in self._kinds.items()
        )
        return n + {None: 0, "numeric": 2, "datetime": 6}[self.time_kind_]

    def transform(self, X):
        """Features of each history.

        Parameters
        ----------
        X : list of sequences of events, pandas Series, 2-D array-like, \
                AttributedHistories or DataFrame of attributed histories
            The histories. Events and categories not seen in fit are ignored
            (categories go to their ``<unseen>`` bucket). With ``attributes`` or
            ``time_features``, ``X`` must carry the attributes and the kind of
            times it carried in fit, no more and no less.

        Returns
        -------
        features : scipy.sparse.csr_matrix or ndarray of shape (n_samples, n_features_out)
            The features, in the order of :meth:`get_feature_names_out`; CSR when
            ``sparse_output=True``. Always float64.
        """
        check_is_fitted(self)
        histories = check_histories(X, estimator=self, reset=False)
        self._check_same_input(histories)
        blocks = self._event_blocks(histories)
        if self._kinds or self.time_kind_ is not None:
            blocks += self._attribute_blocks(histories)
        features = sparse.hstack(blocks, format="csr", dtype=np.float64)
        return features if self.sparse_output else features.toarray()

    def _event_blocks(self, histories):
        """The one-hot, count and length features, as CSR blocks."""
        if self.n_last == 0 and not self.counts and not self.length:
            return []
        n_samples, n_events = len(histories), len(self.events_)
        sizes = np.fromiter(map(len, histories), dtype=np.intp, count=n_samples)
        # Code only the events needed: the whole histories for the shares, the last
        # n_last events otherwise. Unknown events get code -1.
        if self.counts:
            coded, coded_sizes = histories, sizes
        else:
            start = -self.n_last
            coded = [history[start:] for history in histories] if self.n_last else []
            coded_sizes = np.minimum(sizes, self.n_last)
        codes = np.fromiter(
            map(self._event_codes.get, chain.from_iterable(coded), repeat(-1)),
            dtype=np.intp,
            count=coded_sizes.sum(),
        )
        ends = np.cumsum(coded_sizes)

        blocks = []
        if self.n_last:
            rows, columns = [], []
            for position in range(1, self.n_last + 1):
                at = np.flatnonzero(coded_sizes >= position)
                event = codes[ends[at] - position]
                known = event >= 0
                rows.append(at[known])
                columns.append((position - 1) * n_events + event[known])
            rows, columns = np.concatenate(rows), np.concatenate(columns)
            blocks.append(
                sparse.csr_matrix(
                    (np.ones(len(rows)), (rows, columns)), shape=(n_samples, self.n_last * n_events)
                )
            )
        if self.counts:
            rows = np.repeat(np.arange(n_samples), sizes)
            known = codes >= 0
            shares = sparse.csr_matrix(
                (np.ones(np.count_nonzero(known)), (rows[known], codes[known])),
                shape=(n_samples, n_events),
            )
            shares.sum_duplicates()  # whole counts, then one exact division per entry
            shares.data /= np.repeat(sizes, np.diff(shares.indptr))
            blocks.append(shares)
        if self.length:
            nonempty = np.flatnonzero(sizes)
            blocks.append(
                sparse.csr_matrix(
                    (sizes[nonempty].astype(np.float64), (nonempty, np.zeros_like(nonempty))),
                    shape=(n_samples, 1),
                )
            )
        return blocks

    def _check_same_input(self, histories):
        """``X`` carries what the switched-on options encoded in fit, no more and no less."""
        attributed = isinstance(histories, AttributedHistories)
        if self.attributes:
            for role, fitted, given in [
                (
                    "event attribute",
                    self.event_attributes_,
                    histories.event_attribute_names if attributed else [],
                ),
                (
                    "sequence attribute",
                    self.sequence_attributes_,
                    histories.sequence_attribute_names if attributed else [],
                ),
            ]:
                for name in fitted:
                    if name not in given:
                        raise ValueError(
                            f"X lacks the {role} {name!r}, which SequenceFeaturizer was "
                            "fitted on (attributes=True). Pass X in the same form as in fit."
                        )
                for name in given:
                    if name not in fitted:
                        raise ValueError(
                            f"X carries the {role} {name!r}, which was absent in fit: "
                            "SequenceFeaturizer(attributes=True) encodes the attributes of "
                            "fit only. Pass X in the same form as in fit."
                        )
        if self.time_features:
            kind = histories.time_kind if attributed else None
            if kind != self.time_kind_:
                if self.time_kind_ is None:
                    raise ValueError(
                        f"X carries {kind} times ('time'), which were absent in fit "
                        "(time_features=True). Pass X in the same form as in fit."
                    )
                raise ValueError(
                    f"SequenceFeaturizer was fitted with {self.time_kind_} times ('time'); X "
                    f"has {kind or 'no'} times. Pass X in the same form as in fit."
                )

    def _attribute_blocks(self, histories):
        """The attribute and time features, as CSR blocks."""
        n_samples = len(histories)
        used, longest, last = _last_steps(histories)
        has_last = np.flatnonzero(last >= 0)
        blocks = []
        all_rows = np.arange(n_samples)
        for name, values in _attribute_values(
            histories, self.event_attributes_, self.sequence_attributes_
        ):
            kind = _kind(histories, name)
            if kind != self._kinds[name]:
                raise ValueError(
                    f"The attribute {name!r} is {kind} in X but was {self._kinds[name]} in fit."
                )
            rows = has_last if name in self.event_attributes_ else all_rows
            blocks.append(self._encode(name, values, rows, n_samples))
        if self.time_kind_ is not None:
            rows = last[has_last]
            features = _log_gaps(histories.times, used, longest)[rows]
            if self.time_kind_ == "datetime":
                seconds = _concat(histories.times, used, longest)[rows]
                features = np.column_stack([features, _calendar(seconds)])
            dense = np.zeros((n_samples, features.shape[1]))
            dense[has_last] = features
            blocks.append(sparse.csr_matrix(dense))
        return blocks

    def _encode(self, name, values, rows, n_samples):
        """The columns of one attribute, whose ``values`` are those of the samples ``rows``."""
        missing = missing_mask(values)
        if self._kinds[name] == "categorical":
            categories = self.categories_[name]
            n = len(categories)
            codes = pd.Index(categories, dtype=object).get_indexer(values)
            codes = np.where(codes >= 0, codes, n)  # the unseen bucket
            codes[missing] = n + 1
            return sparse.csr_matrix((np.ones(len(rows)), (rows, codes)), shape=(n_samples, n + 2))
        numbers = np.where(missing, 0.0, np.asarray(values, dtype=np.float64))
        dense = np.zeros((n_samples, 2))
        dense[rows, 0] = numbers
        dense[rows, 1] = missing
        return sparse.csr_matrix(dense)

    def get_feature_names_out(self, input_features=None):
        """Names of the features made by :meth:`transform`.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Only checked against the input seen in fit, as in scikit-learn's
            transformers: the features are named after events, not input columns.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``last_<position>=<event>`` for each position and event,
            ``count=<event>`` for each event, ``length``, then the attribute
            features (``last_1.<name>...`` and ``sequence.<name>...``) and the
            time features (``last_1.log1p_seconds_since_previous``, ...), as in
            the class docstring.
        """
        check_is_fitted(self)
        _check_feature_names_in(self, input_features, generate_names=False)
        events = [str(event) for event in self.events_]
        names = [f"last_{p}={event}" for p in range(1, self.n_last + 1) for event in events]
        if self.counts:
            names += [f"count={event}" for event in events]
        if self.length:
            names.append("length")
        for prefix, attributes in [
            (LAST, self.event_attributes_),
            (SEQUENCE, self.sequence_attributes_),
        ]:
            for name in attributes:
                if self._kinds[name] == "categorical":
                    values = [*map(str, self.categories_[name]), UNSEEN, MISSING]
                    names += [f"{prefix}{name}={value}" for value in values]
                else:
                    names += [f"{prefix}{name}", f"{prefix}{name}={MISSING}"]
        if self.time_kind_ is not None:
            names += [LAST + name for name in GAP_NAMES]
            if self.time_kind_ == "datetime":
                names += [LAST + name for name in CALENDAR_NAMES]
        return np.asarray(names, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Events are categories, whatever their type.
        tags.input_tags.categorical = True
        return tags


def _last_steps(histories):
    """The sequences in use, the longest prefix in use of each, and the position of
    each history's last event among the steps that ``_in_use`` lays out for them
    (the sequences in use, one after the other, each cut to its longest prefix in
    use); -1 for an empty history."""
    used, longest = _in_use(histories)
    offsets = np.zeros(len(histories.sequences), dtype=np.int64)
    offsets[used] = np.cumsum(longest[used]) - longest[used]
    last = offsets[histories.sequence_index] + histories.lengths - 1
    last[histories.lengths == 0] = -1
    return used, longest, last


def _attribute_values(histories, event_attributes, sequence_attributes):
    """(name, values) of each attribute: the last event's value of each nonempty history
    for an event attribute, the sequence's value of each history for a sequence one."""
    if event_attributes:
        used, longest, last = _last_steps(histories)
        rows = last[last >= 0]
        for name in event_attributes:
            yield name, _concat(histories.event_attributes[name], used, longest)[rows]
    for name in sequence_attributes:
        yield name, np.asarray(histories.sequence_attributes[name])[histories.sequence_index]


def _kind(histories, name):
    """ "numeric" or "categorical": the kind of an attribute of ``histories``.

    AttributedHistories holds a numeric event attribute as float arrays, one per
    sequence; a categorical one has at least one array of another dtype.
    """
    if name in histories.event_attributes:
        arrays = histories.event_attributes[name]
        return "numeric" if all(array.dtype.kind == "f" for array in arrays) else "categorical"
    return attribute_kind(np.asarray(histories.sequence_attributes[name]))
