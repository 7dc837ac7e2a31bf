"""NextEventClassifier: an LSTM over event histories with scikit-learn's interface."""

import numpy as np
import torch
from sklearn.base import _fit_context
from sklearn.preprocessing import LabelEncoder
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted

from ..histories._histories import check_histories, check_labels
from ..histories._prefixes import PrefixHistories
from ..metrics._blocks import proba_blocks
from ..metrics._history_classifier import HistoryClassifierMixin
from ..utils._base import restore_on_failure
from ..utils._validation import integers, reals
from ._chains import canonical_chains, chains_from_prefixes
from ._estimator import HistoryLSTM, fill_shared_docs
from ._history_counts import HistoryCounts, choose_prior_weight
from ._inference import warn_unknown_events
from ._module import N_RESERVED, LSTMNextEventModule, WeightedEntryLoss
from ._numpy_step import one_history_proba
from ._sampled import proposal_log_q
from ._torch import torch_threads

__all__ = ["NextEventClassifier"]


@fill_shared_docs
class NextEventClassifier(HistoryClassifierMixin, HistoryLSTM):
    """Predict the next event (or any label) from a history of events with an LSTM.

    Each history is embedded event by event, run through an LSTM, and the last
    hidden state is read out as a distribution over the classes. Training runs
    through skorch with Adam and a cross-entropy loss.

    ``fit`` trains in one pass per chain: when one sample's history is a prefix of
    another's (as with every prefix of an event sequence, see
    :meth:`MarkovMemorySampler.make_dataset`), both are read off a single LSTM
    pass over the longer history. The loss is the same weighted sum over samples
    as when each history is run on its own; only the work drops from O(L^2) to
    O(L) per sequence of length L.

    Parameters
    ----------
    %(network_and_training)s
    max_epochs : int or None, default=None
        Number of passes over the training data (fewer only when
        ``n_iter_no_change`` stops early). None trains at least 20 epochs and
        at least min(1000, n / 4) optimizer steps, for n samples (the total
        sample weight); under early stopping, which keeps the weights of the
        epoch of lowest validation loss, at least min(3000, n / 4). Identical
        histories are trained on once, with their summed weight, so a
        repetitive log has few distinct chains, and 20 passes over them would
        be a few dozen steps; a log of many distinct sequences keeps its 20
        epochs, and so does a small data set. The epochs run are ``n_iter_``,
        the steps ``n_steps_``.
    %(early_stopping)s
    %(validation_and_history)s
    copy_from_history : bool, default=True
        Let the read-out know which events the history holds (a copy or repeat
        mechanism, as in RepeatNet): a shift learned from the LSTM's state raises
        or lowers every event already in the history, and a learned gate mixes
        the prediction with the frequency of each event in the history. People
        return to pages, items and steps they had before, or never do (nobody
        rates a film twice); both are learned. It applies to classes that are
        also events, and has no effect when none is (sequence classification
        with labels such as "churned").
    n_negatives : int or None, default=None
        None trains with the full softmax over the classes. An int trains with a
        sampled softmax: each target against this many classes drawn per batch
        from the training targets' frequencies, with the logQ correction, so an
        epoch on a catalogue of tens of thousands of items costs a fraction of
        the full softmax's (``benchmarks/bench_catalog.py``). Predictions and the
        validation loss of early stopping use the full softmax either way.
    history_counts : "auto", float or None, default="auto"
        How much the events that followed a history in training count, when
        that very history comes again. After a history seen in fit with a total
        weight of n samples, c of them followed by a class, its probability is
        ``(c + k * p) / (n + k)``, where p is the network's: the network's
        prediction weighs as k samples, so the counts take over where a history
        was seen often. A history never seen in fit keeps p. "auto" chooses k
        in fit by leave-one-out: each training sample is predicted from the
        other samples of its history, for k from 0.5 to 4096 and for the
        network alone, and the best weighted log-likelihood wins, so data whose
        histories rarely repeat, or whose network already fits their counts,
        keep the network alone. A number is k itself (0: the counts alone after
        a history seen); None is the network alone. It applies to histories of
        events only: a model fitted with times or attributes, whose histories
        hardly ever repeat, uses the network alone. The chosen k is
        ``history_counts_weight_``. At most 16,777,216 distinct histories are
        counted (about 1 GB while counting), so that a huge log of unique
        sequences costs no more; histories beyond keep the network's prediction.
    %(inputs_and_runtime)s

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, in the column order of :meth:`predict_proba`.
    %(fitted_core)s
    history_counts_weight_ : float or None
        The k of ``history_counts`` in use: inf when "auto" kept the network
        alone, None when ``history_counts=None`` or the model reads times or
        attributes.

    See Also
    --------
    MarkovMemorySampler : Synthetic histories with a known Bayes limit.

    Notes
    -----
    ``X`` is a list of histories (each a list, tuple or 1-D array of hashable
    events, any length, empty allowed), a pandas Series of such sequences, or a
    2-D array whose rows are equal-length histories. A bare string is rejected
    as a history, since ``"ABC"`` may mean one event or three. Histories whose
    events carry times and attributes come as an :class:`AttributedHistories`
    (from :func:`samples_from_log`) or a DataFrame with an ``"events"`` column
    (see :meth:`AttributedHistories.from_frame`); histories of numbers only as a
    3-D array or a list of 2-D float arrays (steps x features). Predict-time
    histories must carry the attributes of fit, no more and no less.

    Samples of zero weight are treated as absent: their events and labels do
    not enter the vocabulary or ``classes_``. Any finite non-negative weights
    are valid, up to float64's largest: the loss is their weighted mean, which
    does not change when every weight is scaled. The default budget
    (``max_epochs=None``) reads the weights as counts: their total is the n of
    its min(1000, n / 4) steps, so that k copies of a sample and one sample of
    weight k train the same model. So do ``history_counts``: a history's
    weights are the n and c of its blend, and leave-one-out leaves out a
    weight of 1 (or all of a class's weight, where less).

    A ``fit`` that raises (bad input, a callback that fails) leaves the
    estimator as it was before the call: fitted with its previous model, or
    unfitted. Integer parameters take numpy integers (as from ``np.arange`` in a
    grid) and refuse bools.

    Pressing Ctrl-C during ``fit`` stops training after the current batch and
    leaves a usable model (skorch's behaviour).

    Examples
    --------
    >>> from sklearn_seqlstm import NextEventClassifier
    >>> X = [["home", "search"], ["home"], ["search", "item"], ["home", "search", "item"]]
    >>> y = ["item", "search", "cart", "cart"]
    >>> clf = NextEventClassifier(max_epochs=30, random_state=0).fit(X, y)
    >>> clf.classes_.tolist()
    ['cart', 'item', 'search']
    >>> clf.predict([["home"], ["home", "search"]]).tolist()
    ['search', 'item']
    >>> clf.predict_proba([["home"]]).shape
    (1, 3)
    """

    _parameter_constraints: dict = {
        **HistoryLSTM._shared_constraints,
        "copy_from_history": ["boolean"],
        "n_negatives": [None, integers(1)],
        "history_counts": [None, StrOptions({"auto"}), reals(0, None, closed="left")],
    }
    _module = LSTMNextEventModule
    _criterion = WeightedEntryLoss
    _unusable_validation = "have a label that is not a class of y"

    def __init__(
        self,
        *,
        embedding_dim="auto",
        hidden_size=64,
        num_layers=1,
        dropout=0.5,
        lr=0.01,
        lr_schedule="cosine",
        batch_size="auto",
        max_epochs=None,
        early_stopping="auto",
        validation_fraction=0.1,
        n_iter_no_change=None,
        max_history=None,
        copy_from_history=True,
        n_negatives=None,
        history_counts="auto",
        time_features=True,
        attributes=True,
        sequence_context="every_step",
        min_frequency=10,
        device="auto",
        distributed=False,
        num_threads=1,
        precision="float32",
        callbacks=None,
        random_state=None,
        verbose=0,
    ):
        self.embedding_dim = embedding_dim
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.dropout = dropout
        self.lr = lr
        self.lr_schedule = lr_schedule
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.max_history = max_history
        self.copy_from_history = copy_from_history
        self.n_negatives = n_negatives
        self.history_counts = history_counts
        self.time_features = time_features
        self.attributes = attributes
        self.sequence_context = sequence_context
        self.min_frequency = min_frequency
        self.device = device
        self.distributed = distributed
        self.num_threads = num_threads
        self.precision = precision
        self.callbacks = callbacks
        self.random_state = random_state
        self.verbose = verbose

    @restore_on_failure
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None, *, X_val=None, y_val=None, sample_weight_val=None):
        """Train the LSTM on histories ``X`` and their next events (or labels) ``y``.

        Parameters
        ----------
        X : list of sequences of events, pandas Series, 2-D array-like, or EventLogFiles
            The histories (see Notes in the class docstring). An
            :class:`EventLogFiles` (an event log in Parquet or CSV files) is read
            and trained on chunk by chunk, never loaded whole; ``y``, the weights
            and the validation set are then None (see :class:`EventLogFiles`).
        y : array-like of shape (n_samples,)
            The next event, or any label, of each history. None with an
            :class:`EventLogFiles`, whose next events come from the log.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; the loss is the weighted mean over samples.
        X_val : histories, default=None
            Validation histories, in any form ``X`` takes (for example the
            validation part of :func:`leave_last_out_split`). When given, early
            stopping monitors the loss on them instead of holding out
            ``validation_fraction`` of ``X``, and ``early_stopping="auto"`` turns
            it on, as :class:`~sklearn.ensemble.HistGradientBoostingClassifier`
            does. Validation samples whose label is not a class of ``y`` have no
            loss and are left out, with a warning.
        y_val : array-like of shape (n_val_samples,), default=None
            The next events of ``X_val``; required with ``X_val``.
        sample_weight_val : array-like of shape (n_val_samples,), default=None
            Weights of the validation samples.

        Returns
        -------
        self : NextEventClassifier
            The fitted classifier.
        """
        return self._fit_core(X, y, sample_weight, X_val, y_val, sample_weight_val)

    def _fit_targets(self, y, sample_weight):
        """Class indices of the labels; sets ``classes_``."""
        encoder = LabelEncoder().fit(y)
        if len(encoder.classes_) < 2:
            raise ValueError(
                "NextEventClassifier needs samples of at least 2 classes (with positive "
                f"weight) in y; got one class only: {encoder.classes_[0]!r}."
            )
        self.classes_ = encoder.classes_
        if y.dtype == object:
            targets = encoder.transform(y)
        else:
            # transform maps string labels one by one through a dict; every label is
            # in classes_, so a binary search gives the same indices at once.
            targets = np.searchsorted(self.classes_, y)
        if self.n_negatives is not None:  # the sampled softmax's proposal
            self._class_log_q = proposal_log_q(targets, len(self.classes_), sample_weight)
        return targets

    def _validation_targets(self, y_val, n_samples):
        """Class indices of the validation labels, and which labels are classes at all."""
        y_val = check_labels(y_val, n_samples)
        known = np.isin(y_val, self.classes_)
        targets = np.zeros(n_samples, dtype=np.int64)
        targets[known] = np.searchsorted(self.classes_, y_val[known])
        return targets, known

    def _read_out_kwargs(self):
        kwargs = {"n_classes": len(self.classes_), "token_class": self._token_class()}
        if self.n_negatives is not None:
            # Only fit draws from the proposal, and sets it; a loaded model has none,
            # and one from an earlier fit on other classes is not this fit's (uniform).
            log_q = getattr(self, "_class_log_q", None)
            kwargs["n_negatives"] = int(self.n_negatives)
            fits = log_q is not None and len(log_q) == len(self.classes_)
            kwargs["class_log_q"] = log_q if fits else None
        return kwargs

    def _token_class(self):
        """Class index of each token (-1: no class), or None when no class is an event."""
        if not self.copy_from_history:
            return None
        class_index = {label: i for i, label in enumerate(self.classes_.tolist())}
        token_class = np.full(N_RESERVED + len(self.events_), -1, dtype=np.int64)
        for event, token in self._event_ids.items():
            token_class[token] = class_index.get(event, -1)
        return token_class if (token_class >= 0).any() else None

    def predict_proba(self, X):
        """Probability of each class after each history.

        Parameters
        ----------
        X : list of sequences of events, pandas Series, or 2-D array-like
            The histories. Events never seen in fit are allowed; when they are
            half of the events or more, a UserWarning says so (and names a type
            mismatch, such as integers given to a model fitted on strings).

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``; rows sum to 1.
        """
        histories, proba_of = self._recommend_input(X)
        return proba_of(histories)

    def predict(self, X):
        """The most probable class after each history.

        Parameters
        ----------
        X : list of sequences of events, pandas Series, or 2-D array-like
            The histories.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels, taken from ``classes_``; ties go to the first class.
        """
        histories, proba_of = self._recommend_input(X)
        # A block of rows at a time: memory bounded by a block, not by samples x classes.
        return np.concatenate(
            [
                self.classes_[np.argmax(proba, axis=1)]
                for _, _, proba in proba_blocks(proba_of, histories, len(self.classes_))
            ]
        )

    def _recommend_input(self, X):
        """Checked histories of ``X`` and the function that gives their probabilities.

        ``predict_proba``, ``predict`` and ``recommend`` check ``X`` (and warn of
        unknown events) once here, then ask for probabilities a block at a time.
        """
        check_is_fitted(self)
        histories = check_histories(X, estimator=self, reset=False)
        self._check_same_input(histories)
        warn_unknown_events(self, histories)
        return histories, self._checked_proba

    def _checked_proba(self, histories):
        """predict_proba of histories that ``_recommend_input`` checked."""
        module = self.net_.module_
        if (
            len(histories) == 1
            and not isinstance(histories, PrefixHistories)
            and self._steps is None
        ):
            # One history, as when serving one visitor: no chains or batches, and
            # the read-out at the last position only (see one_history_proba).
            # Plain models only: it feeds token ids, not the step table of a model
            # fitted with times or attributes.
            if module.training:
                module.eval()
            tokens = self._encode(histories)[0]
            with torch_threads(self.num_threads), torch.inference_mode():
                proba = one_history_proba(self, tokens)
            counts = getattr(self, "_history_counts", None)
            if counts is not None:
                proba[0] = counts.blend_one(proba[0], counts.node(tokens))
            return proba
        return self._predict_proba_chains(histories)

    def _predict_proba_chains(self, histories):
        """predict_proba of checked histories, one LSTM pass per chain, in batches."""
        chains = canonical_chains(self._chains(histories))
        proba = self._predict_chains(chains, _softmax)
        counts = getattr(self, "_history_counts", None)
        if counts is not None:
            proba = counts.blend(proba, counts.entry_nodes(chains))
        return proba[chains.sample_entry]

    def _fit_history_counts(self, chain_sets, scale_exponent):
        """The next-event counts of every training history, and their weight k."""
        self._history_counts = None
        self.history_counts_weight_ = None
        if self.history_counts is None or self._steps is not None:
            return
        counts = HistoryCounts(N_RESERVED + len(self.events_), len(self.classes_), scale_exponent)
        for chains in chain_sets:
            counts.add(chains)
        counts.finish()
        if self.history_counts == "auto":
            weight = self._leave_one_out_weight(counts)
        else:
            weight = float(self.history_counts)
        self.history_counts_weight_ = weight
        if np.isfinite(weight):
            counts.prior_weight = weight
            self._history_counts = counts

    def _leave_one_out_weight(self, counts):
        """The k that best predicts each training sample from its history's others."""
        nodes, classes, weights, totals = counts.repeated()
        if not len(nodes):
            return np.inf
        # One sample per scored (history, class), laid out as predict lays out chains:
        # the network's probability of each, and the sum over them, in one order
        # whatever the form the training samples came in.
        sequences, sequence_index, lengths = counts.prefix_layout(nodes)
        ones = np.ones(len(nodes))
        chains = canonical_chains(
            chains_from_prefixes(sequences, sequence_index, lengths, classes, ones), ones
        )
        proba = self._predict_chains(chains, _softmax, targets_only=True)
        order = np.argsort(chains.sample_entry)
        return choose_prior_weight(weights[order], totals[order], proba, counts.scale_exponent)

    def sample_continuations(
        self, X, n_steps, n_samples=1, *, stop_event=None, temperature=1.0, random_state=None
    ):
        """Draw possible futures of each history, one event at a time.

        Each next event is drawn from the model's distribution after the history
        and the events drawn so far, and fed back as the next event of the
        history (one LSTM step per event, as :meth:`stream` does). The model's
        classes must be events of its histories (next-event prediction).

        Parameters
        ----------
        X : histories
            In any form :meth:`predict_proba` takes.
        n_steps : int
            Length of each continuation (shorter when it draws ``stop_event``).
        n_samples : int, default=1
            Continuations drawn per history.
        stop_event : label, default=None
            A class that ends a continuation when drawn (an end-of-case token,
            say); it is the continuation's last element. None never stops early.
        temperature : float, default=1.0
            Draw from ``proba ** (1 / temperature)``, renormalised: below 1
            sharpens the distribution towards the most probable events, above 1
            flattens it. 1 draws from the model's distribution itself.
        random_state : int, RandomState instance or None, default=None
            Seeds the draws: an int gives the same continuations every time.

        Returns
        -------
        continuations : list of list of list
            ``continuations[i][j]`` is the ``j``-th continuation of history ``i``,
            a list of class labels.

        Notes
        -----
        For a model fitted with times or attributes, each generated event is
        assumed to come one *last gap* after the previous one (the time between
        the history's last two events; no gap after a single event), with its
        event attributes missing; the sequence attributes stay the history's. A
        class never seen as an event in a training history (an end-of-case
        token) is fed back as the unknown event.

        Examples
        --------
        >>> from sklearn_seqlstm import NextEventClassifier
        >>> X = [["a"], ["a", "b"], ["a", "b", "c"], ["b"], ["b", "c"]]
        >>> y = ["b", "c", "a", "c", "a"]
        >>> clf = NextEventClassifier(max_epochs=30, random_state=0).fit(X, y)
        >>> futures = clf.sample_continuations([["a"]], n_steps=3, n_samples=2, random_state=0)
        >>> len(futures), len(futures[0]), len(futures[0][0])
        (1, 2, 3)
        """
        from ..serving._continuations import sample_continuations

        return sample_continuations(
            self,
            X,
            n_steps,
            n_samples,
            stop_event=stop_event,
            temperature=temperature,
            random_state=random_state,
        )

    def predict_suffix(self, X, max_steps, *, stop_event=None, method="greedy", beam_width=5):
        """The most likely rest of each history, at most ``max_steps`` events.

        Parameters
        ----------
        X : histories
            In any form :meth:`predict_proba` takes.
        max_steps : int
            The longest suffix returned.
        stop_event : label, default=None
            A class that ends the suffix (kept as its last element), such as the
            end-of-case token of :func:`samples_from_log`'s ``end_event``.
        method : {"greedy", "beam"}, default="greedy"
            "greedy" takes the most probable next event at each step (ties to
            the first class, as :meth:`predict`). "beam" keeps the
            ``beam_width`` most probable continuations at each step and returns
            the most probable whole suffix found, ended by ``stop_event`` or of
            ``max_steps`` events.
        beam_width : int, default=5
            Continuations kept per step with ``method="beam"``.

        Returns
        -------
        suffixes : list of list
            One list of class labels per history.

        Notes
        -----
        Future steps of a model fitted with times or attributes are assumed as
        in :meth:`sample_continuations`.

        Examples
        --------
        >>> from sklearn_seqlstm import NextEventClassifier
        >>> X = [["a"], ["a", "b"], ["a", "b", "c"], ["b"], ["b", "c"]]
        >>> y = ["b", "c", "end", "c", "end"]
        >>> clf = NextEventClassifier(max_epochs=60, random_state=0).fit(X, y)
        >>> clf.predict_suffix([["a"]], max_steps=5, stop_event="end")
        [['b', 'c', 'end']]
        """
        from ..serving._continuations import predict_suffix

        return predict_suffix(
            self, X, max_steps, stop_event=stop_event, method=method, beam_width=beam_width
        )

    def stream(self, history=None, *, context=None):
        """A :class:`HistoryStream` that follows a growing history in O(1) per event.

        Parameters
        ----------
        history : sequence of events, default=None
            Events to start from (pushed one by one); None starts from the
            empty history. A model that reads the events' times or attributes
            starts empty: push its events with their time and attributes.
        context : dict, default=None
            For a model fitted with sequence attributes
            (``clf.sequence_attributes_``), the value of each, by name:
            required, every one of them (None or NaN for a missing value; a
            category never seen in fit is allowed). A name the model does not
            use is an error.

        Returns
        -------
        stream : HistoryStream
            ``push(event)`` appends an event (``push(event, time=...,
            attributes={...})`` for a model fitted with times or event
            attributes), ``predict_proba()`` and ``recommend(k)`` read the
            model's prediction after the history so far, ``copy()``,
            ``reset()`` and ``save(path)`` manage the state.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_seqlstm import NextEventClassifier
        >>> X = [["home"], ["home", "search"], ["search"], ["home", "search", "item"]]
        >>> y = ["search", "item", "item", "cart"]
        >>> clf = NextEventClassifier(max_epochs=5, random_state=0).fit(X, y)
        >>> stream = clf.stream()
        >>> stream.push("home").push("search")
        HistoryStream(n_events=2)
        >>> bool(np.allclose(stream.predict_proba(), clf.predict_proba([["home", "search"]])[0]))
        True
        >>> stream.recommend(k=2).shape
        (2,)

        A model fitted with times and attributes takes them with each event:

        >>> import pandas as pd
        >>> from sklearn_seqlstm import AttributedHistories
        >>> frame = pd.DataFrame(
        ...     {
        ...         "events": [["login", "search"], ["login"], ["login", "cart"]],
        ...         "time": [
        ...             pd.to_datetime(["2024-05-01 09:00", "2024-05-01 09:05"]),
        ...             pd.to_datetime(["2024-05-02 18:30"]),
        ...             pd.to_datetime(["2024-05-03 10:00", "2024-05-03 10:01"]),
        ...         ],
        ...         "device": [["phone", "phone"], ["laptop"], ["phone", None]],
        ...         "segment": ["gold", "silver", "gold"],
        ...     }
        ... )
        >>> X = AttributedHistories.from_frame(frame)
        >>> y = ["cart", "search", "buy"]
        >>> clf = NextEventClassifier(max_epochs=2, random_state=0).fit(X, y)
        >>> stream = clf.stream(context={"segment": "gold"})
        >>> when = pd.Timestamp("2024-05-04 11:00")
        >>> stream.push("login", time=when, attributes={"device": "phone"})
        HistoryStream(n_events=1)
        >>> one = AttributedHistories.from_frame(
        ...     pd.DataFrame(
        ...         {
        ...             "events": [["login"]],
        ...             "time": [pd.to_datetime(["2024-05-04 11:00"])],
        ...             "device": [["phone"]],
        ...             "segment": ["gold"],
        ...         }
        ...     )
        ... )
        >>> bool(np.allclose(stream.predict_proba(), clf.predict_proba(one)[0]))
        True
        """
        # serving knows the estimators; importing it here, when a stream is asked
        # for, keeps that arrow one-way.
        from ..serving._stream import HistoryStream

        check_is_fitted(self)
        return HistoryStream(self, history, context)

    def load_stream(self, path):
        """A stream saved with :meth:`HistoryStream.save`, on this same model.

        Parameters
        ----------
        path : str or pathlib.Path

        Returns
        -------
        stream : HistoryStream
        """
        from ..serving._stream import load_stream

        check_is_fitted(self)
        return load_stream(self, path)

    def to_onnx(self, path, *, overwrite=False, top_k=None, exclude_seen=False, network_only=False):
        """Export the trained network to ONNX, the copy-from-history read-out included.

        The graph maps token ids to probabilities; the vocabulary that turns
        events into token ids is written beside it as ``<path>.json``. The graph
        of a model fitted with times or attributes also takes each step's
        categorical codes (``cats``) and numeric features (``nums``), whose
        columns and encoders the JSON describes; :meth:`encode_for_onnx`
        builds every input. See the user guide ("Using a trained model") for
        the input contract. Needs the ``onnx`` package: ``pip install -e
        ".[onnx]"`` in a clone of the package.

        Parameters
        ----------
        path : str or pathlib.Path
            The ``.onnx`` file to write.
        overwrite : bool, default=False
            Replace existing files; otherwise an existing file is an error.
        top_k : int or None, default=None
            Also rank the classes in the graph, as :meth:`recommend` does: the
            graph then has the outputs ``top_k`` (int64, (batch, top_k), indices
            into ``classes_``, most probable first, ties to the smaller index)
            and ``top_k_proba`` (float32, their probabilities), after ``proba``.
        exclude_seen : bool, default=False
            With ``top_k``: never rank a class that occurs in the history, as
            ``recommend(..., exclude_seen=True)``; places that only such classes
            could fill hold -1 (probability NaN). The graph sees the events of
            its ``tokens``: a class that never occurred in a training history has
            no token and cannot be excluded, and a model with ``max_history``
            is refused (its graph sees the last events only).
        network_only : bool, default=False
            Export a model whose ``history_counts_weight_`` is finite: the graph
            gives the network's probabilities, without the counts of training
            histories that ``predict_proba`` blends in, so the two differ after
            a history seen in fit. Without it such a model is refused; a model
            that uses the network alone exports either way.

        Returns
        -------
        path : pathlib.Path
            The graph's path.
        """
        # The export lives in serving, which knows the estimators: imported on demand.
        from ..serving._onnx import OnnxExportMixin

        return OnnxExportMixin.to_onnx(
            self,
            path,
            overwrite=overwrite,
            top_k=top_k,
            exclude_seen=exclude_seen,
            network_only=network_only,
        )

    def encode_for_onnx(self, X):
        """The inputs of the exported graph for histories ``X``.

        Parameters
        ----------
        X : list of sequences of events, pandas Series, or 2-D array-like
            The histories; for a model fitted with times or attributes, in the
            form of fit (:class:`AttributedHistories` or its DataFrame).

        Returns
        -------
        inputs : dict of str to ndarray
            Every input of the graph by name, ready for ``session.run(None,
            inputs)``: ``"tokens"`` (int64, (n_samples, max_length)) and
            ``"lengths"`` (int64, (n_samples,)); for a model fitted with times
            or attributes, also ``"cats"`` (int64, (n_samples, max_length,
            n_categorical)) and ``"nums"`` (float32, (n_samples, max_length,
            n_numeric)) when the model has such columns.
        """
        from ..serving._onnx import OnnxExportMixin

        return OnnxExportMixin.encode_for_onnx(self, X)

    def _encode_steps_for_onnx(self, histories):
        from ..serving._onnx import OnnxExportMixin

        return OnnxExportMixin._encode_steps_for_onnx(self, histories)


def _softmax(log_proba):
    # Renormalise in float64, so that rows sum to 1 to the last bit.
    return torch.softmax(log_proba.double(), dim=-1).cpu().numpy()
