"""SequenceFeaturizer: fixed-width features of event histories, for linear baselines."""

from itertools import chain, repeat

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted

from ._base import restore_on_failure
from ._histories import check_histories, sorted_labels
from ._validation import integers

__all__ = ["SequenceFeaturizer"]


class SequenceFeaturizer(TransformerMixin, BaseEstimator):
    """Turn histories of events into a fixed-width matrix of features.

    Three groups of features, in this column order:

    - ``last_1=<event>``, ..., ``last_<n_last>=<event>``: a one-hot encoding of
      each of the last ``n_last`` events (``last_1`` is the most recent one). The
      positions a short history lacks are all zero.
    - ``count=<event>``: the share of each event in the history, its count
      divided by the history length (all zero for the empty history).
    - ``length``: the number of events in the history, unscaled.

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
    n_features_in_ : int
        History width, set only when every history in fit had the same length
        (always so for a 2-D array).
    feature_names_in_ : ndarray of str
        Column names, set only when ``X`` was a DataFrame with string columns.

    See Also
    --------
    MarkovChainClassifier : The n-gram baseline, on the last events only.
    sklearn.preprocessing.OneHotEncoder : One-hot encoding of fixed columns.

    Notes
    -----
    ``X`` is a list of histories (each a list, tuple or 1-D array of hashable
    events, any length, empty allowed), a pandas Series of such sequences, or a
    2-D array whose rows are equal-length histories. Feature names write events
    with ``str``, so two distinct events with the same text (``1`` and ``"1"``)
    give two columns of the same name.

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
    """

    _parameter_constraints: dict = {
        "n_last": [integers(0)],
        "counts": ["boolean"],
        "length": ["boolean"],
        "sparse_output": ["boolean"],
    }

    def __init__(self, n_last=1, *, counts=True, length=True, sparse_output=True):
        self.n_last = n_last
        self.counts = counts
        self.length = length
        self.sparse_output = sparse_output

    @restore_on_failure
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the events, the columns of the one-hot and count features.

        Parameters
        ----------
        X : list of sequences of events, pandas Series, or 2-D array-like
            The histories.
        y : None
            Ignored.

        Returns
        -------
        self : SequenceFeaturizer
            The fitted featurizer.
        """
        if self.n_last == 0 and not self.counts and not self.length:
            raise ValueError(
                "SequenceFeaturizer has no feature to make: set n_last >= 1, counts=True "
                "or length=True."
            )
        histories = check_histories(X, estimator=self, reset=True)
        self.events_ = sorted_labels(set(chain.from_iterable(histories)))
        self._event_codes = {event: code for code, event in enumerate(self.events_)}
        return self

    def transform(self, X):
        """Features of each history.

        Parameters
        ----------
        X : list of sequences of events, pandas Series, or 2-D array-like
            The histories. Events not seen in fit are ignored.

        Returns
        -------
        features : scipy.sparse.csr_matrix or ndarray of shape (n_samples, n_features_out)
            The features, in the order of :meth:`get_feature_names_out`; CSR when
            ``sparse_output=True``. Always float64.
        """
        check_is_fitted(self)
        histories = check_histories(X, estimator=self, reset=False)
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
        features = sparse.hstack(blocks, format="csr", dtype=np.float64)
        return features if self.sparse_output else features.toarray()

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
            ``count=<event>`` for each event, then ``length``.
        """
        check_is_fitted(self)
        _check_feature_names_in(self, input_features, generate_names=False)
        events = [str(event) for event in self.events_]
        names = [f"last_{p}={event}" for p in range(1, self.n_last + 1) for event in events]
        if self.counts:
            names += [f"count={event}" for event in events]
        if self.length:
            names.append("length")
        return np.asarray(names, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Events are categories, whatever their type.
        tags.input_tags.categorical = True
        return tags
