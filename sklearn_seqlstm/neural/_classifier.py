"""NextEventClassifier: an LSTM over event histories with scikit-learn's interface."""

import copy
import dataclasses
import warnings
from contextlib import contextmanager
from itertools import repeat

import numpy as np
import torch
from sklearn.base import BaseEstimator, _fit_context
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted
from skorch import NeuralNet
from skorch.callbacks import EarlyStopping, ProgressBar
from skorch.dataset import ValidSplit
from skorch.helper import predefined_split

from ..histories._attributed import AttributedHistories
from ..utils._base import HistoryClassifierMixin, restore_on_failure
from ._chains import ChainDataset, ChainLoader, chains_from_prefixes, collate, group_into_chains
from ..histories._histories import (
    check_fit_input,
    check_histories,
    check_labels,
    distinct_events,
    scaled_to_unit,
    sorted_labels,
    take,
)
from ._module import N_RESERVED, START, TRUNCATED, UNKNOWN, LSTMNextEventModule, WeightedEntryLoss
from ..serving._onnx import OnnxExportMixin
from ..serving._persistence import PersistenceMixin
from ..histories._prefixes import PrefixHistories
from ._steps import StepEncoder
from ..serving._stream import StreamMixin, one_history_proba
from ..utils._validation import integers, reals

__all__ = ["NextEventClassifier"]

# From this many samples on, early_stopping="auto" holds out a validation split,
# as scikit-learn's HistGradientBoostingClassifier does.
_AUTO_EARLY_STOPPING_MIN_SAMPLES = 10_000

# The most torch threads num_threads may ask for: torch.set_num_threads(10**5)
# crashed the process (a segfault) rather than raise.
MAX_THREADS = 1024

# Chains per batch at predict time: larger than for training, since no gradient
# is kept and bigger batches amortise the per-batch overhead.
_PREDICT_BATCH_SIZE = 512


class NextEventClassifier(
    StreamMixin, PersistenceMixin, OnnxExportMixin, HistoryClassifierMixin, BaseEstimator
):
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
    embedding_dim : int, default=16
        Size of the learned vector of each event.
    hidden_size : int, default=64
        Size of the LSTM's hidden state.
    num_layers : int, default=1
        Number of stacked LSTM layers.
    dropout : float, default=0.1
        Dropout on the LSTM output (and between layers when ``num_layers > 1``).
    lr : float, default=0.01
        Learning rate of the Adam optimiser.
    batch_size : int, default=64
        Number of chains per gradient step. A chain carries every sample whose
        history is one of its prefixes, so with prefix data a batch holds many
        more samples than this.
    max_epochs : int, default=50
        Number of passes over the training data (fewer with early stopping).
    early_stopping : "auto" or bool, default="auto"
        Hold out ``validation_fraction`` of the chains, stop when the validation
        loss has not improved for ``n_iter_no_change`` epochs and keep the best
        weights. The split is by chain, so prefixes of one sequence never sit on
        both sides of it. "auto" turns it on from 10,000 samples, as
        :class:`~sklearn.ensemble.HistGradientBoostingClassifier` does: an LSTM
        overfits within a few epochs on a few thousand sequences, while on small
        data a held-out split costs more than it saves. A validation set passed
        to :meth:`fit` (``X_val``, ``y_val``) is used instead of a split, and
        "auto" then turns early stopping on.
    validation_fraction : float, default=0.1
        Fraction of chains held out when ``early_stopping=True``.
    n_iter_no_change : int, default=5
        Patience of early stopping, in epochs.
    max_history : int or None, default=None
        Condition on the last ``max_history`` events only; None uses the whole
        history. Truncated histories are no longer prefixes of each other, so
        training then costs O(L * max_history) per sequence.
    copy_from_history : bool, default=True
        Let the read-out know which events the history holds (a copy or repeat
        mechanism, as in RepeatNet): a shift learned from the LSTM's state raises
        or lowers every event already in the history, and a learned gate mixes
        the prediction with the frequency of each event in the history. People
        return to pages, items and steps they had before, or never do (nobody
        rates a film twice); both are learned. It applies to classes that are
        also events, and has no effect when none is (sequence classification
        with labels such as "churned").
    time_features : bool, default=True
        With histories that carry times (:class:`AttributedHistories`, from
        ``samples_from_log(..., time_col=...)``), feed the LSTM log(1 + seconds
        since the previous event) and since the sequence's start, and for
        datetimes the hour of day and day of week. Ignored for plain histories.
    attributes : bool, default=True
        With histories that carry event or sequence attributes, feed them to
        the LSTM: categories embedded (with codes for unseen and missing
        values), numbers standardised with a missing indicator. Ignored for
        plain histories. Turn both switches off to use the events only.
    sequence_context : {"every_step", "first_step"}, default="every_step"
        Where the sequence attributes enter: beside every event, or at the
        first step only, from which the LSTM carries them.
    precision : {"float32", "bfloat16"}, default="float32"
        "bfloat16" trains and predicts in mixed precision (torch's autocast): the
        LSTM and the matrix products run in bfloat16, the weights stay float32.
        It is meant for GPUs with bfloat16 units (Ampere and later); on a CPU,
        measure first (``benchmarks/bench_gpu.py --device cpu``). Predicting one
        history at a time, streams and the ONNX export compute in float32 or
        float64, whatever the precision of training.
    device : str, default="auto"
        Torch device. "auto" picks CUDA when it is available, else the CPU.
    num_threads : int or None, default=1
        Torch intra-op threads during ``fit`` and ``predict``, restored afterwards.
        On small models the per-operation work is too small to share: on 2 idle
        cores, 2 threads trained 1.2 times faster than 1, but 4 to 10 times
        slower when other work ran on the machine (see
        ``benchmarks/bench_classifier.py``). None leaves torch's setting alone
        (``torch.set_num_threads``); raise it for large models on many free cores.
        At most 1024: torch crashes the process, rather than raise, far beyond.
    callbacks : list of skorch callbacks or (name, callback) tuples, default=None
        Extra skorch callbacks, for example ``skorch.callbacks.LRScheduler``.
        They are deep-copied at each fit, so the ones passed are never modified.
    random_state : int, RandomState instance or None, default=None
        Seeds the weights' initialisation, dropout, the shuffling of batches and
        the validation split. An int gives identical models from two fits on CPU.
        The global torch and numpy random states are left untouched.
    verbose : int, default=0
        0 is silent; 1 shows a progress bar over batches and a line per epoch.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, in the column order of :meth:`predict_proba`.
    events_ : list
        The events seen in fit (the vocabulary). Any other event met at predict
        time maps to one shared "unknown event" input.
    net_ : skorch.NeuralNet
        The trained skorch net; ``net_.history`` holds the loss of every epoch.
    n_epochs_ : int
        Number of epochs run.
    early_stopping_ : bool
        Whether early stopping was on (``early_stopping="auto"`` decides in fit).
    n_features_in_ : int
        History width, set only when every history in fit had the same length
        (always so for a 2-D array). A 2-D array passed to ``predict`` must then
        have that many columns, as in any scikit-learn estimator; a list of
        histories may have any lengths.
    feature_names_in_ : ndarray of str
        Column names, set only when ``X`` was a DataFrame with string columns.
    event_attributes_ : list of str
        The per-event attributes the model uses (empty for plain histories).
    sequence_attributes_ : list of str
        The per-sequence attributes (context) the model uses.
    time_kind_ : {"datetime", "numeric"} or None
        The kind of times the model uses; None when it uses none.

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
    does not change when every weight is scaled.

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
        "embedding_dim": [integers(1)],
        "hidden_size": [integers(1)],
        "num_layers": [integers(1)],
        "dropout": [reals(0, 1, closed="left")],
        "lr": [reals(0, None, closed="neither")],
        "batch_size": [integers(1)],
        "max_epochs": [integers(1)],
        "early_stopping": ["boolean", StrOptions({"auto"})],
        "validation_fraction": [reals(0, 1, closed="neither")],
        "n_iter_no_change": [integers(1)],
        "max_history": [None, integers(1)],
        "copy_from_history": ["boolean"],
        "time_features": ["boolean"],
        "attributes": ["boolean"],
        "sequence_context": [StrOptions({"every_step", "first_step"})],
        "device": [str, torch.device],
        "num_threads": [None, integers(1, MAX_THREADS)],
        "precision": [StrOptions({"float32", "bfloat16"})],
        "callbacks": [None, list],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        embedding_dim=16,
        hidden_size=64,
        num_layers=1,
        dropout=0.1,
        lr=0.01,
        batch_size=64,
        max_epochs=50,
        early_stopping="auto",
        validation_fraction=0.1,
        n_iter_no_change=5,
        max_history=None,
        copy_from_history=True,
        time_features=True,
        attributes=True,
        sequence_context="every_step",
        device="auto",
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
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.max_history = max_history
        self.copy_from_history = copy_from_history
        self.time_features = time_features
        self.attributes = attributes
        self.sequence_context = sequence_context
        self.device = device
        self.num_threads = num_threads
        self.precision = precision
        self.callbacks = callbacks
        self.random_state = random_state
        self.verbose = verbose

    @restore_on_failure
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None, sample_weight_val=None):
        """Train the LSTM on histories ``X`` and their next events (or labels) ``y``.

        Parameters
        ----------
        X : list of sequences of events, pandas Series, or 2-D array-like
            The histories (see Notes in the class docstring).
        y : array-like of shape (n_samples,)
            The next event, or any label, of each history.
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
        device = check_device(self.device)
        autocast = _autocast(device, self.precision)  # refused here, before any work
        self._check_callbacks()
        histories, y, sample_weight = check_fit_input(self, X, y, sample_weight)
        # The loss is computed in float32, where weights of 3.4e38 or more are inf and
        # trained the model to NaN; the loss is a weighted mean, so an exact rescaling
        # leaves the model as it is.
        sample_weight = scaled_to_unit(sample_weight)

        encoder = LabelEncoder().fit(y)
        if len(encoder.classes_) < 2:
            raise ValueError(
                "NextEventClassifier needs samples of at least 2 classes (with positive "
                f"weight) in y; got one class only: {encoder.classes_[0]!r}."
            )
        self.classes_ = encoder.classes_
        self.events_ = sorted_labels(distinct_events(histories))
        self._event_ids = {event: N_RESERVED + i for i, event in enumerate(self.events_)}
        self._steps = self._fit_steps(histories)
        self._input_columns = _input_columns(histories)
        self.event_attributes_ = [] if self._steps is None else self._steps.event_attributes
        self.sequence_attributes_ = [] if self._steps is None else self._steps.sequence_attributes
        self.time_kind_ = None if self._steps is None else self._steps.time_kind
        chains = self._chains(histories, encoder.transform(y), sample_weight)
        valid = self._validation_chains(X_val, y_val, sample_weight_val)

        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        self.early_stopping_ = (
            valid is not None or len(histories) >= _AUTO_EARLY_STOPPING_MIN_SAMPLES
            if self.early_stopping == "auto"
            else self.early_stopping
        )
        self.net_ = self._build_net(device, seed, valid)
        # fork_rng keeps the user's global torch random state as it was.
        with _torch_threads(self.num_threads), torch.random.fork_rng(devices=[]), autocast:
            torch.manual_seed(seed)
            self.net_.fit(ChainDataset(chains), y=None)
        # Ready to predict: skorch switches to training mode itself when it trains.
        self.net_.module_.eval()
        self.n_epochs_ = len(self.net_.history)
        return self

    def _check_callbacks(self):
        for callback in self.callbacks or []:
            cb = callback[1] if isinstance(callback, tuple) and len(callback) == 2 else callback
            if not hasattr(cb, "initialize"):
                raise TypeError(
                    "callbacks must be skorch callbacks or (name, callback) tuples; got "
                    f"{callback!r}."
                )

    def _validation_chains(self, X_val, y_val, sample_weight_val):
        """The chains of the validation samples given to fit, or None."""
        if X_val is None and y_val is None:
            if sample_weight_val is not None:
                raise ValueError("sample_weight_val is given without X_val and y_val.")
            return None
        if X_val is None or y_val is None:
            missing = "X_val" if X_val is None else "y_val"
            raise ValueError(f"X_val and y_val go together: {missing} is missing.")
        histories = check_histories(X_val)
        y_val = check_labels(y_val, len(histories))
        weights = _check_sample_weight(sample_weight_val, histories, ensure_non_negative=True)
        known = np.isin(y_val, self.classes_) & (weights > 0)
        if not known.all():
            warnings.warn(
                f"{np.count_nonzero(~known)} of {len(y_val)} validation samples have a label "
                "that is not a class of y (or weight 0); they are left out of the "
                "validation loss.",
                UserWarning,
                stacklevel=4,
            )
        if not known.any():
            raise ValueError("No validation sample has a label among the classes of y.")
        kept = np.flatnonzero(known)
        histories = take(histories, kept)
        self._check_same_input(histories)
        targets = np.searchsorted(self.classes_, y_val[kept])
        return self._chains(histories, targets, scaled_to_unit(weights[kept]))

    def _build_net(self, device, seed, valid=None):
        callbacks = copy.deepcopy(list(self.callbacks or []))
        if self.early_stopping_:
            callbacks.append(
                EarlyStopping(
                    monitor="valid_loss", patience=int(self.n_iter_no_change), load_best=True
                )
            )
        if self.verbose:
            callbacks.append(ProgressBar())
        return NeuralNet(
            module=LSTMNextEventModule,
            module__n_tokens=N_RESERVED + len(self.events_),
            module__n_classes=len(self.classes_),
            module__embedding_dim=int(self.embedding_dim),
            module__hidden_size=int(self.hidden_size),
            module__num_layers=int(self.num_layers),
            module__dropout=float(self.dropout),
            module__token_class=self._token_class(),
            module__cat_cardinalities=[] if self._steps is None else self._steps.cat_cardinalities,
            module__n_numeric=0 if self._steps is None else self._steps.n_numeric,
            criterion=WeightedEntryLoss,
            optimizer=torch.optim.Adam,
            lr=float(self.lr),
            max_epochs=int(self.max_epochs),
            batch_size=int(self.batch_size),
            iterator_train=ChainLoader,
            iterator_train__shuffle=True,
            iterator_train__random_state=np.random.RandomState(seed),
            iterator_valid=ChainLoader,
            train_split=(
                predefined_split(ChainDataset(valid))
                if valid is not None
                else ValidSplit(
                    float(self.validation_fraction), stratified=False, random_state=seed
                )
                if self.early_stopping_
                else None
            ),
            callbacks=callbacks,
            device=device,
            verbose=int(bool(self.verbose)),
        )

    def _token_class(self):
        """Class index of each token (-1: no class), or None when no class is an event."""
        if not self.copy_from_history:
            return None
        class_index = {label: i for i, label in enumerate(self.classes_.tolist())}
        token_class = np.full(N_RESERVED + len(self.events_), -1, dtype=np.int64)
        for event, token in self._event_ids.items():
            token_class[token] = class_index.get(event, -1)
        return token_class if (token_class >= 0).any() else None

    def _fit_steps(self, histories):
        """The step encoder of attributed histories, or None when nothing but events is used."""
        if not isinstance(histories, AttributedHistories):
            return None
        steps = StepEncoder(
            time_features=self.time_features,
            attributes=self.attributes,
            sequence_context=self.sequence_context,
        ).fit(histories)
        return steps if steps.uses_anything else None

    def _check_same_input(self, histories):
        """Histories at predict time carry the columns of fit's, no more and no less."""
        expected, given = self._input_columns, _input_columns(histories)
        if given == expected:
            return
        if not expected:
            raise ValueError(
                f"X carries {', '.join(given)}, which were absent in fit: the model "
                "was fitted on events only."
            )
        if not given:
            raise ValueError(
                f"This model was fitted on histories with {', '.join(expected)}; X "
                "has none. Pass X in the same form as in fit (for example from "
                "samples_from_log with the same columns)."
            )
        for name in dict.fromkeys(expected + given):
            if name not in given:
                raise ValueError(f"X lacks {name}, which the model was fitted on.")
            if name not in expected:
                raise ValueError(f"X carries {name}, which was absent in fit.")
        raise ValueError(  # the same columns in another order
            f"X carries {', '.join(given)} in another order than in fit ({', '.join(expected)})."
        )

    def _chains(self, histories, targets=None, weights=None):
        """The chains that serve the histories: one LSTM pass each."""
        if self._steps is not None:
            return self._attributed_chains(histories, targets, weights)
        if isinstance(histories, PrefixHistories) and self.max_history is None:
            sequences = self._encode(histories.used_sequences())
            return chains_from_prefixes(
                sequences, histories.sequence_index, histories.lengths, targets, weights
            )
        return group_into_chains(self._encode(histories), targets, weights)

    def _attributed_chains(self, histories, targets, weights):
        """Chains whose tokens are rows of the step table of ``histories``."""
        table, longest = self._steps.transform(histories, self._event_ids)
        if self.max_history is None:
            chains = chains_from_prefixes(
                table.step_sequences(longest),
                histories.sequence_index,
                histories.lengths,
                targets,
                weights,
            )
        else:
            windows = [
                table.window(s, n, self.max_history)
                for s, n in zip(
                    histories.sequence_index.tolist(), histories.lengths.tolist(), strict=True
                )
            ]
            chains = group_into_chains(windows, targets, weights)
        return dataclasses.replace(chains, steps=table)

    def _encode(self, histories):
        """Token ids of each history, led by a START or TRUNCATED marker."""
        get, limit = self._event_ids.get, self.max_history
        encoded = []
        for history in histories:
            marker = START
            if limit is not None and len(history) > limit:
                marker, history = TRUNCATED, history[-limit:]
            encoded.append((marker, *map(get, history, repeat(UNKNOWN))))
        return encoded

    def predict_proba(self, X):
        """Probability of each class after each history.

        Parameters
        ----------
        X : list of sequences of events, pandas Series, or 2-D array-like
            The histories. Events never seen in fit are allowed.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``; rows sum to 1.
        """
        check_is_fitted(self)
        histories = check_histories(X, estimator=self, reset=False)
        self._check_same_input(histories)
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
            with _torch_threads(self.num_threads), torch.inference_mode():
                return one_history_proba(self, self._encode(histories)[0])
        return self._predict_proba_chains(histories)

    def _predict_proba_chains(self, histories):
        """predict_proba of checked histories, one LSTM pass per chain, in batches."""
        module = self.net_.module_
        device = next(module.parameters()).device
        chains = self._chains(histories)
        proba = np.empty((len(chains.entry_position), len(self.classes_)))
        loader = ChainLoader(ChainDataset(chains), batch_size=_PREDICT_BATCH_SIZE)
        if module.training:  # only if the user trained net_ further by hand
            module.eval()
        device_type = next(module.parameters()).device.type
        with (
            _torch_threads(self.num_threads),
            torch.inference_mode(),
            _autocast(device_type, self.precision),
        ):
            for batch in loader.batches():
                inputs, _ = collate(chains, batch)
                inputs.pop("targets")
                log_proba = module(**{name: value.to(device) for name, value in inputs.items()})
                # Renormalise in float64, so that rows sum to 1 to the last bit.
                batch_proba = torch.softmax(log_proba.double(), dim=-1).cpu().numpy()
                n_entries = chains.n_entries_per_chain[batch]
                valid = np.arange(batch_proba.shape[1]) < n_entries[:, None]
                entries = chains.entry_offsets[batch][:, None] + np.arange(valid.shape[1])
                proba[entries[valid]] = batch_proba[valid]
        return proba[chains.sample_entry]


def _input_columns(histories):
    """What histories carry beside their events, named for messages, in order."""
    if not isinstance(histories, AttributedHistories):
        return []
    columns = [f"{histories.time_kind} time"] if histories.time_kind else []
    columns += [f"the event attribute {name!r}" for name in histories.event_attribute_names]
    columns += [f"the sequence attribute {name!r}" for name in histories.sequence_attribute_names]
    return columns


def _autocast(device, precision):
    """Mixed precision for ``precision="bfloat16"``: torch's autocast on the device.

    Matrix products and the LSTM run in bfloat16 where autocast lowers them; the
    weights, the optimiser and the loss's sum stay in float32. A CUDA device without
    bfloat16 support is refused, rather than silently emulated.
    """
    device_type = torch.device(device).type
    enabled = precision == "bfloat16"
    if enabled and device_type == "cuda" and not torch.cuda.is_bf16_supported():
        raise ValueError(
            f"precision='bfloat16' needs a GPU with bfloat16 support; {device!r} has none. "
            "Use precision='float32'."
        )
    return torch.autocast(device_type=device_type, dtype=torch.bfloat16, enabled=enabled)


def check_device(device):
    """The torch device ``device`` names, as a string; a ValueError if it cannot run here.

    "auto" is CUDA when it is available, else the CPU. A CUDA device on a torch
    without CUDA, or beyond the GPUs present, is refused here rather than with
    torch's bare ``AssertionError`` in the middle of ``fit``.
    """
    if isinstance(device, str) and device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError, ValueError) as exc:
        raise ValueError(f"device={device!r} is not a torch device: {exc}") from None
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} asks for CUDA, but CUDA is not available in this torch "
                f"(torch {torch.__version__}); use device='cpu' or 'auto'."
            )
        n_gpus = torch.cuda.device_count()
        if resolved.index is not None and resolved.index >= n_gpus:
            raise ValueError(
                f"device={device!r} names GPU {resolved.index}, but only {n_gpus} "
                f"CUDA device(s) are present (0 to {n_gpus - 1})."
            )
    elif resolved.type != "cpu" and not _backend_available(resolved.type):
        raise ValueError(
            f"device={device!r}: the {resolved.type!r} backend is not available in this torch."
        )
    return str(resolved)


def _backend_available(kind):
    backend = getattr(torch.backends, kind, None) or getattr(torch, kind, None)
    is_available = getattr(backend, "is_available", None)
    try:
        return bool(is_available()) if callable(is_available) else False
    except Exception:  # noqa: BLE001 - a backend probe that fails means "not available"
        return False


@contextmanager
def _torch_threads(n_threads):
    """Run the block with ``n_threads`` torch threads, then restore the setting."""
    if n_threads is None:
        yield
        return
    previous = torch.get_num_threads()
    if previous == n_threads:  # nothing to change, as when serving in a loop
        yield
        return
    torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
