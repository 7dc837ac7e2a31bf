"""The neural core that every LSTM estimator here shares.

:class:`HistoryLSTM` turns histories into chains (one LSTM pass per chain),
encodes their times and attributes, builds and trains the skorch net with early
stopping, threads, device and random state, and runs batched inference. An
estimator built on it says only what differs: how ``y`` becomes training
targets, which read-out module and loss to train, and how the module's output
becomes a prediction. :class:`~sklearn_seqlstm.NextEventClassifier` reads out a
distribution over classes with a cross-entropy loss,
:class:`~sklearn_seqlstm.NextValueRegressor` one number with a regression loss.
"""

import copy
import dataclasses
import math
import warnings
from itertools import repeat

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import _check_sample_weight
from skorch import NeuralNet
from skorch.callbacks import EarlyStopping, LRScheduler, ProgressBar
from skorch.dataset import ValidSplit
from skorch.helper import predefined_split

from ..histories._attributed import AttributedHistories
from ..histories._histories import (
    check_fit_input,
    check_histories,
    distinct_events,
    scaled_to_unit,
    sorted_labels,
    take,
)
from ..histories._prefixes import PrefixHistories
from ..histories._streamed import EventLogFiles
from ..utils._docs import SAVE_DOC, shared_docs
from ..utils._validation import integers, reals
from ._chains import (
    ChainDataset,
    ChainLoader,
    canonical_chains,
    chains_from_prefixes,
    collate,
    group_into_chains,
)
from ._distributed import data_parallel, process_shard
from ._early_stopping import AUTO_EARLY_STOPPING_MIN_SEQUENCES
from ._inference import predict_batches, step_width
from ._module import N_RESERVED, START, TRUNCATED, UNKNOWN
from ._steps import StepEncoder
from ._torch import MAX_THREADS, adam_kwargs, autocast, check_device, torch_threads

__all__ = ["HistoryLSTM", "fill_shared_docs"]

# The default budget (max_epochs=None): at least MIN_EPOCHS passes and at least
# MIN_STEPS optimizer steps. Epochs count passes over the distinct chains, and a
# repetitive log has few of them: BPI Challenge 2012 "A"'s 10,470 cases make one
# batch of chains, so 20 epochs were 20 steps, and the model stopped far from what
# it can learn (0.72 accuracy; 0.80 after 500 steps).
# Under early stopping, which keeps the best epoch, the minimum is
# MIN_STEPS_KEEPING_BEST: on the three open process logs whose attributes turn early
# stopping on, 3,000 steps with every epoch run beat 1,000 steps with a patience of
# 5 epochs by 0.002 to 0.0035 accuracy (3 seeds). Without a held-out split nothing
# guards against training too long: 3,000 steps lost on MovieLens (Hit@10 0.184
# against 0.193) while gaining 0.001 to 0.0025 on the names-only process logs.
# A small data set needs no more than a step per SAMPLES_PER_STEP samples: its 20
# epochs stay 20.
MIN_EPOCHS = 20
MIN_STEPS = 1_000
MIN_STEPS_KEEPING_BEST = 3_000
SAMPLES_PER_STEP = 4

# The parameters' documentation, shared by the estimators' docstrings (see
# fill_shared_docs, made with utils.shared_docs).
_SHARED_DOCS = {
    "network_and_training": """\
    embedding_dim : int or "auto", default="auto"
        Size of the learned vector of each event. "auto" follows the vocabulary:
        4 * sqrt(V) for V distinct events and classes, rounded to a power of 2
        and kept within 16 to 128 (16 for a dozen events, 64 for 160, 128 from
        about 1,000). The size used is ``embedding_dim_``.
    hidden_size : int, default=64
        Size of the LSTM's hidden state.
    num_layers : int, default=1
        Number of stacked LSTM layers.
    dropout : float, default=0.5
        Dropout on the LSTM output (and between layers when ``num_layers > 1``).
    lr : float, default=0.01
        Learning rate of the Adam optimiser, at the start of the schedule.
    lr_schedule : {"cosine", "constant"}, default="cosine"
        "cosine" lowers the learning rate from ``lr`` to 0 along a half cosine
        over the epochs of the budget (``max_epochs``), so that the last epochs
        settle rather than jump about the minimum; "constant" keeps ``lr``.
    batch_size : int or "auto", default="auto"
        Number of chains per gradient step. A chain carries every sample whose
        history is one of its prefixes, so with prefix data a batch holds many
        more samples than this. "auto" is the number of chains over 64, kept
        within 16 to 64: about 64 steps per epoch on small data, batches of 64
        on large. The size used is ``batch_size_``.""",
    "early_stopping": """\
    early_stopping : "auto" or bool, default="auto"
        Hold out ``validation_fraction`` of the chains, score the validation
        loss after every epoch and keep the weights of the best epoch (stopping
        early only when ``n_iter_no_change`` is set). The split is by chain, so
        prefixes of one sequence never sit on both sides of it. "auto" turns it
        on from 2,000 chains (200 held out), as scikit-learn's
        HistGradientBoosting estimators turn it on from a size:
        below, a held-out split costs more data than the stopping saves. A
        validation set passed to ``fit`` (``X_val``, ``y_val``) is used instead
        of a split, and "auto" then turns early stopping on.""",
    "validation_and_history": """\
    validation_fraction : float, default=0.1
        Fraction of chains held out when ``early_stopping=True``.
    n_iter_no_change : int or None, default=None
        Patience of early stopping, in epochs: stop once the validation loss
        has not improved for this many. None runs the whole budget and keeps
        the best epoch's weights: the learning rate schedule anneals over the
        whole budget, so a run stopped part-way stops at a high learning rate.
    max_history : int or None, default=None
        Condition on the last ``max_history`` events only; None uses the whole
        history. Truncated histories are no longer prefixes of each other, so
        training then costs O(L * max_history) per sequence.""",
    "inputs_and_runtime": """\
    time_features : bool, default=True
        With histories that carry times (:class:`AttributedHistories`, from
        ``samples_from_log(..., time_col=...)``), feed the LSTM log(1 + seconds
        since the previous event) and since the sequence's start, and for
        datetimes the hour of day and day of week. Each log gap enters as a
        piecewise-linear encoding over 16 quantile pieces of ``fit``'s gaps:
        what comes next often turns on a threshold of the elapsed time (a case
        older than a month), which a linear layer over the pieces draws
        directly. Ignored for plain histories.
    attributes : bool, default=True
        With histories that carry event or sequence attributes, feed them to
        the LSTM: categories embedded (with codes for unseen and missing
        values), numbers standardised with a missing indicator. Ignored for
        plain histories. Turn both switches off to use the events only.
    sequence_context : {"every_step", "first_step"}, default="every_step"
        Where the sequence attributes enter: beside every event, or at the
        first step only, from which the LSTM carries them.
    min_frequency : int, default=10
        A value of a categorical attribute seen fewer times than this in fit
        (counted over the events of the histories, or over the sequences for a
        sequence attribute) is read as rare, as a value never seen is: all rare
        values share one vector, learned from those of fit (zeros if there
        are none), and so does a value first met when predicting. A value seen
        a few times would otherwise get a vector fitted to noise. 1 gives every
        value seen its own vector.
    precision : {"float32", "bfloat16"}, default="float32"
        "bfloat16" trains and predicts in mixed precision (torch's autocast): the
        LSTM and the matrix products run in bfloat16, the weights stay float32.
        It is meant for GPUs with bfloat16 units (Ampere and later); on a CPU,
        measure first. A device that cannot run the LSTM in bfloat16 (a GPU
        without bfloat16 support, a CPU without AVX-512) is refused with a
        ``ValueError``. Predicting one history at a time, streams and the ONNX
        export compute in float32 or float64, whatever the precision of training.
    device : str, default="auto"
        Torch device. "auto" picks CUDA when it is available, else the CPU.
    distributed : bool, default=False
        Train one model across the processes of a torch.distributed group, as
        started by ``torchrun`` (gloo on CPUs, NCCL on GPUs; with CUDA and no
        device index, each process takes GPU ``LOCAL_RANK``). ``batch_size`` is
        then per process: K processes with batch B train as one process with
        batch K * B, each on its share of every batch, and end with the same
        model. Every process calls ``fit`` with the same data and
        ``random_state``. See the user guide, "Scaling out".
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
        0 is silent; 1 shows a progress bar over batches and a line per epoch.""",
    "fitted_core": """\
    embedding_dim_ : int
        The size of the event vectors used (``embedding_dim`` resolved).
    batch_size_ : int
        The number of chains per step used (``batch_size`` resolved); per
        process with ``distributed=True``.
    events_ : list
        The events seen in fit (the vocabulary). Any other event met at predict
        time maps to one shared "unknown event" input.
    net_ : skorch.NeuralNet
        The trained skorch net; ``net_.history`` holds the loss of every epoch.
    n_epochs_ : int
        Number of epochs run.
    n_iter_ : int
        Number of epochs run (``n_epochs_``), as scikit-learn's ``MLPClassifier``
        names it.
    n_steps_ : int
        Number of optimizer steps (batches trained on).
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
        The kind of times the model uses; None when it uses none.""",
}


# The estimators' class decorator that fills in _SHARED_DOCS.
fill_shared_docs = shared_docs(_SHARED_DOCS)


class HistoryLSTM(BaseEstimator):
    """Base of the LSTM estimators: everything but the read-out and the loss.

    Subclasses set ``_module`` (an :class:`~._module.LSTMHistoryEncoder`
    subclass) and ``_criterion``, and implement:

    - ``_fit_targets(y, sample_weight)``: from the checked ``y``, set the
      fitted attributes that describe it, and return the training targets;
    - ``_validation_targets(y_val, n_samples)``: the targets of validation
      samples and a mask of those that can be scored, with
      ``_unusable_validation`` saying in words what the others have;
    - ``_read_out_kwargs()``: the module's keyword arguments beside the core's.
    """

    # How the step encoder reads the times' log gaps (StepEncoder's time_encoding).
    # What happens next often turns on a threshold of the elapsed time (a case older
    # than a month, a reply after a weekend), and a linear layer over the pieces draws
    # such a bend directly. Read piecewise rather than standardised, the gaps lowered
    # the regressor's MAE on Helpdesk by 0.14 days (time to the next event) and 0.08
    # (remaining time), and raised the classifier's accuracy with time and attributes
    # on BPI13 by 0.008 and on BPI12 O by 0.004 (paired intervals above 0; 3 seeds);
    # every other open process log and target moved by less than its seeds do.
    _time_encoding = "piecewise"
    # Whether a numeric attribute of few integers is also read as a category
    # (StepEncoder's codes_for_integers).
    _codes_for_integers = False

    _shared_constraints: dict = {
        "embedding_dim": [integers(1), StrOptions({"auto"})],
        "hidden_size": [integers(1)],
        "num_layers": [integers(1)],
        "dropout": [reals(0, 1, closed="left")],
        "lr": [reals(0, None, closed="neither")],
        "lr_schedule": [StrOptions({"cosine", "constant"})],
        "batch_size": [integers(1), StrOptions({"auto"})],
        "max_epochs": [None, integers(1)],
        "early_stopping": ["boolean", StrOptions({"auto"})],
        "validation_fraction": [reals(0, 1, closed="neither")],
        "n_iter_no_change": [None, integers(1)],
        "max_history": [None, integers(1)],
        "time_features": ["boolean"],
        "attributes": ["boolean"],
        "sequence_context": [StrOptions({"every_step", "first_step"})],
        "min_frequency": [integers(1)],
        "device": [str, torch.device],
        "distributed": ["boolean"],
        "num_threads": [None, integers(1, MAX_THREADS)],
        "precision": [StrOptions({"float32", "bfloat16"})],
        "callbacks": [None, list],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __sklearn_is_fitted__(self):
        # What check_is_fitted asks; without it, it scans every attribute's name,
        # a tenth of the time of predicting one history.
        return hasattr(self, "net_")

    def _fit_core(self, X, y, sample_weight, X_val, y_val, sample_weight_val, check_y=None):
        """The body of ``fit``, run under ``restore_on_failure`` and ``_fit_context``.

        ``check_y`` checks ``y`` as :func:`check_fit_input` describes.
        """
        if isinstance(X, EventLogFiles):  # read and trained chunk by chunk
            from ._streaming import fit_from_files

            return fit_from_files(self, X, y, sample_weight, X_val, y_val, sample_weight_val)
        device = check_device(self.device)
        shard = None
        if self.distributed:
            shard, device = process_shard(device)
        mixed_precision = autocast(device, self.precision)  # refused here, before any work
        self._check_callbacks()
        histories, y, sample_weight = check_fit_input(self, X, y, sample_weight, check_y)
        with np.errstate(over="ignore"):  # weights near float64's largest sum to inf
            total_weight = float(sample_weight.sum())
        # The loss is computed in float32, where weights of 3.4e38 or more are inf and
        # trained the model to NaN; the loss is a weighted mean, so an exact rescaling
        # leaves the model as it is.
        scale_exponent = int(np.frexp(sample_weight.max())[1])
        sample_weight = scaled_to_unit(sample_weight)
        targets = self._fit_targets(y, sample_weight)
        self.events_ = sorted_labels(distinct_events(histories))
        self._event_ids = {event: N_RESERVED + i for i, event in enumerate(self.events_)}
        self._steps = self._fit_steps(histories)
        self._input_columns = input_columns(histories)
        self.event_attributes_ = [] if self._steps is None else self._steps.event_attributes
        self.sequence_attributes_ = [] if self._steps is None else self._steps.sequence_attributes
        self.time_kind_ = None if self._steps is None else self._steps.time_kind
        # One layout whatever the form and order of X: the batch size, the batches
        # and every sum of the loss follow from it, and so does the model.
        chains = canonical_chains(self._chains(histories, targets, sample_weight), sample_weight)
        valid = self._validation_chains(X_val, y_val, sample_weight_val)

        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        self._resolve_sizes(chains.n_chains)
        self.early_stopping_ = (
            valid is not None or chains.n_chains >= AUTO_EARLY_STOPPING_MIN_SEQUENCES
            if self.early_stopping == "auto"
            else self.early_stopping
        )
        n_train = chains.n_chains
        if self.early_stopping_ and valid is None:
            n_train -= math.ceil(float(self.validation_fraction) * n_train)
        if shard is not None:  # each step draws batch_size_ chains per process
            n_train = -(-n_train // shard[1])
        self._resolve_epochs([n_train], total_weight)
        self.net_ = self._build_net(device, seed, valid, shard)
        self._train(ChainDataset(chains), device, seed, mixed_precision, shard)
        self._fit_history_counts([chains], scale_exponent)
        return self

    def _train(self, dataset, device, seed, mixed_precision, shard=None):
        """Train ``net_`` on ``dataset`` with the estimator's threads, seed and precision.

        ``shard`` is ``(rank, world_size)`` for data-parallel training, else None.
        """
        # fork_rng keeps the user's global torch random state as it was.
        with (
            torch_threads(self.num_threads),
            torch.random.fork_rng(devices=[]),
            mixed_precision,
        ):
            torch.manual_seed(seed)
            if shard is None:
                self.net_.fit(dataset, y=None)
            else:
                self.net_.initialize()
                with data_parallel(self.net_, shard, device):
                    self.net_.partial_fit(dataset, y=None)
        # Ready to predict: skorch switches to training mode itself when it trains.
        self.net_.module_.eval()
        self.n_epochs_ = len(self.net_.history)
        return self

    def _fit_history_counts(self, chain_sets, scale_exponent):
        """After training: what the estimator keeps of the training chains themselves.

        ``chain_sets`` yields the canonical ChainSets of every training sample
        (one in memory, one per chunk of an :class:`EventLogFiles`), whose
        weights are the samples' divided by ``2 ** scale_exponent``.
        """

    @property
    def n_iter_(self):
        """Number of epochs run, as scikit-learn's ``MLPClassifier`` names it."""
        return self.n_epochs_

    @property
    def n_steps_(self):
        """Number of optimizer steps taken, read off ``net_.history``."""
        return sum(
            "train_loss" in batch for epoch in self.net_.history for batch in epoch["batches"]
        )

    def _resolve_sizes(self, n_chains):
        """Set ``embedding_dim_`` and ``batch_size_`` from the vocabulary and the chains."""
        if self.embedding_dim == "auto":
            labels = getattr(self, "classes_", np.array([])).tolist()
            vocabulary = len(set(self.events_).union(labels))
            size = 2 ** round(math.log2(4 * math.sqrt(max(vocabulary, 1))))
            self.embedding_dim_ = min(max(size, 16), 128)
        else:
            self.embedding_dim_ = int(self.embedding_dim)
        if self.batch_size == "auto":
            self.batch_size_ = min(max(n_chains // 64, 16), 64)
        else:
            self.batch_size_ = int(self.batch_size)

    def _resolve_epochs(self, chains_per_part, total_weight):
        """Resolve the number of epochs: ``max_epochs``, or by default the budget's.

        ``chains_per_part`` holds the number of training chains of each part that
        is batched on its own (the chunks of an :class:`EventLogFiles`; one part
        in memory): a part of n chains takes ceil(n / batch) steps per epoch.
        ``total_weight`` is the sum of the sample weights (the number of samples
        when unweighted), which bounds the steps that small data sets take.
        """
        if self.max_epochs is not None:
            self._max_epochs = int(self.max_epochs)
            return
        steps_per_epoch = sum(-(-int(n) // self.batch_size_) for n in chains_per_part)
        # Compared before rounding: a total of huge weights may be inf.
        share = total_weight / SAMPLES_PER_STEP
        floor = MIN_STEPS_KEEPING_BEST if self.early_stopping_ else MIN_STEPS
        min_steps = floor if share >= floor else math.ceil(share)
        self._max_epochs = max(MIN_EPOCHS, -(-min_steps // max(steps_per_epoch, 1)))

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
        weights = _check_sample_weight(sample_weight_val, histories, ensure_non_negative=True)
        targets, usable = self._validation_targets(y_val, len(histories))
        usable &= weights > 0
        if not usable.all():
            warnings.warn(
                f"{np.count_nonzero(~usable)} of {len(usable)} validation samples "
                f"{self._unusable_validation} (or weight 0); they are left out of the "
                "validation loss.",
                UserWarning,
                stacklevel=5,
            )
        if not usable.any():
            raise ValueError(
                f"No validation sample can be scored: all {self._unusable_validation}."
            )
        kept = np.flatnonzero(usable)
        histories = take(histories, kept)
        self._check_same_input(histories)
        weights = scaled_to_unit(weights[kept])
        return canonical_chains(self._chains(histories, targets[kept], weights), weights)

    def _build_net(self, device, seed, valid=None, shard=None):
        # A model restored from a file has no resolved budget: its net is for predicting.
        epochs = getattr(self, "_max_epochs", None) or int(self.max_epochs or MIN_EPOCHS)
        callbacks = copy.deepcopy(list(self.callbacks or []))
        if self.early_stopping_:
            # By default no epoch is cut: the cosine schedule anneals over the whole
            # budget, so a patience stop leaves the model at a high learning rate. The
            # weights of the epoch of lowest validation loss are kept all the same.
            patience = epochs if self.n_iter_no_change is None else int(self.n_iter_no_change)
            callbacks.append(EarlyStopping(monitor="valid_loss", patience=patience, load_best=True))
        if self.lr_schedule == "cosine":
            schedule = torch.optim.lr_scheduler.CosineAnnealingLR
            callbacks.append(("lr_schedule", LRScheduler(policy=schedule, T_max=epochs)))
        if self.verbose:
            callbacks.append(ProgressBar())
        module_kwargs = {
            "n_tokens": N_RESERVED + len(self.events_),
            "embedding_dim": self.embedding_dim_,
            "hidden_size": int(self.hidden_size),
            "num_layers": int(self.num_layers),
            "dropout": float(self.dropout),
            "cat_cardinalities": [] if self._steps is None else self._steps.cat_cardinalities,
            "n_numeric": 0 if self._steps is None else self._steps.n_numeric,
            **self._read_out_kwargs(),
        }
        return NeuralNet(
            module=self._module,
            **{f"module__{name}": value for name, value in module_kwargs.items()},
            criterion=self._criterion,
            **{f"criterion__{name}": value for name, value in self._criterion_kwargs().items()},
            optimizer=torch.optim.Adam,
            **{f"optimizer__{name}": value for name, value in adam_kwargs(device).items()},
            lr=float(self.lr),
            max_epochs=epochs,
            # With data parallelism every process draws whole batches and keeps its share.
            batch_size=self.batch_size_ * (1 if shard is None else shard[1]),
            iterator_train=ChainLoader,
            iterator_train__shard=shard,
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

    def _criterion_kwargs(self):
        return {}

    def _fit_steps(self, histories):
        """The step encoder of attributed histories, or None when nothing but events is used."""
        if not isinstance(histories, AttributedHistories):
            return None
        steps = StepEncoder(
            time_features=self.time_features,
            attributes=self.attributes,
            sequence_context=self.sequence_context,
            min_frequency=self.min_frequency,
            time_encoding=self._time_encoding,
            codes_for_integers=self._codes_for_integers,
        ).fit(histories)
        return steps if steps.uses_anything else None

    def _check_same_input(self, histories):
        """Histories at predict time carry the columns of fit's, no more and no less."""
        expected = self._input_columns
        given = input_columns(histories, fitted=expected)
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
        if self.max_history is not None and max(map(len, histories)) > self.max_history:
            # Truncated histories are no longer prefixes of each other: encode each.
            return group_into_chains(self._encode(histories), targets, weights)
        return group_into_chains(histories, targets, weights, encode=self._encode)

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

    def _predict_entries(self, histories, read_out):
        """The module's output for every sample of checked histories, in batches of chains.

        ``read_out`` maps the module's output on a batch, a tensor of shape
        (batch, n_positions, ...), to a numpy array of the same leading shape.
        Returns an array of shape (n_samples, ...): one LSTM pass per chain.
        """
        # The same samples in any form (lists in any order, PrefixHistories) give the
        # same chains, hence the same batches and bit-identical outputs.
        chains = canonical_chains(self._chains(histories))
        return self._predict_chains(chains, read_out)[chains.sample_entry]

    def _predict_chains(self, chains, read_out, targets_only=False):
        """The output of every entry of ``chains`` (see :meth:`_predict_entries`).

        With ``targets_only``, the output of each entry at its own target only
        (``read_out`` then gives one column per class): shape (n_entries,).
        """
        module = self.net_.module_
        device = next(module.parameters()).device
        # Length-sorted batches within a budget of elements (see _inference): memory
        # is bounded by a batch, not by samples x longest history x classes.
        batches = predict_batches(chains, module.output.out_features, step_width(module))
        if module.training:  # only if the user trained net_ further by hand
            module.eval()
        out = None
        with (
            torch_threads(self.num_threads),
            torch.inference_mode(),
            autocast(device.type, self.precision),
        ):
            for batch in batches:
                inputs, _ = collate(chains, batch, flat=False)
                inputs.pop("targets", None)
                values = read_out(module(**{k: v.to(device) for k, v in inputs.items()}))
                n_entries = chains.n_entries_per_chain[batch]
                valid = np.arange(values.shape[1]) < n_entries[:, None]
                entries = (chains.entry_offsets[batch][:, None] + np.arange(valid.shape[1]))[valid]
                values = values[valid]
                if targets_only:
                    values = values[np.arange(len(entries)), chains.entry_target[entries]]
                if out is None:
                    out = np.empty((len(chains.entry_position), *values.shape[1:]), values.dtype)
                out[entries] = values
        if out is None:  # no chains at all
            out = np.empty(0)
        return out

    def save(self, path, *, overwrite=False):
        # serving knows the estimators and their file format; importing it here,
        # when a model is saved, keeps that arrow one-way.
        from ..serving._persistence import save

        save(self, path, overwrite=overwrite)

    save.__doc__ = SAVE_DOC


def input_columns(histories, fitted=()):
    """What histories carry beside their events, named for messages, in order.

    Times of empty histories only (new sessions) have no kind: they match the time
    among the ``fitted`` columns, whichever kind it is.
    """
    if not isinstance(histories, AttributedHistories):
        return []
    columns = [f"{histories.time_kind} time"] if histories.time_kind else []
    if histories.times is not None and histories.time_kind is None:
        columns = [name for name in fitted if name.endswith(" time")]
    columns += [f"the event attribute {name!r}" for name in histories.event_attribute_names]
    columns += [f"the sequence attribute {name!r}" for name in histories.sequence_attribute_names]
    return columns
