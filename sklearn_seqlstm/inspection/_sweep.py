"""Diagnostics that compose the sampler with models: memory sweeps, transition recovery.

:func:`memory_sweep` places every model beside the Bayes limit at each memory
influence: no model can beat that limit on average, so a score means little
without it. :func:`transition_recovery` asks a fitted model what follows each
single event and compares it with the process. Neither knows how a model works:
both only call ``fit`` and ``predict_proba``.
"""

import numbers
import time

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import validate_params
from sklearn.utils.validation import check_is_fitted

from ..baselines._featurizer import SequenceFeaturizer
from ..baselines._markov import MarkovChainClassifier
from ..baselines._oracle import BayesOracleClassifier
from ..metrics._scoring import _log_loss, _true_event_ranks, top_k_accuracy
from ..metrics._uncertainty import bootstrap_interval
from ..neural._classifier import NextEventClassifier
from ..synthetic._sampler import MarkovMemorySampler
from ..utils._progress import progress_bar

__all__ = ["memory_sweep", "transition_recovery"]

#: The ``model`` name of the Bayes limit in the results of :func:`memory_sweep`.
BAYES_LIMIT = "Bayes limit"

#: Columns of the frame returned by :func:`memory_sweep`, in order.
SWEEP_COLUMNS = [
    "memory_influence",
    "model",
    "k",
    "top_k_accuracy",
    "top_k_low",
    "top_k_high",
    "log_loss",
    "fit_seconds",
]

_DEFAULT_MEMORY_INFLUENCES = tuple(i / 10 for i in range(11))

# The probability floor of neg_log_loss_scorer's default: an unseen true event, or a
# known one predicted with probability 0, costs -log(1e-15) = 34.5.
_LOG_LOSS_EPS = 1e-15


@validate_params(
    {
        "estimators": [dict, None],
        "memory_influences": ["array-like"],
        "ks": ["array-like"],
        "sampler": "no_validation",
        "n_train_sequences": [numbers.Integral],
        "n_test_sequences": [numbers.Integral],
        "length": "no_validation",  # an int or a (low, high) range: the sampler checks it
        "oracle": ["boolean"],
        "return_estimators": ["boolean"],
        "progress": ["boolean"],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def memory_sweep(
    estimators=None,
    *,
    memory_influences=_DEFAULT_MEMORY_INFLUENCES,
    ks=(1, 3, 5),
    sampler=None,
    n_train_sequences=500,
    n_test_sequences=500,
    length=20,
    oracle=True,
    return_estimators=False,
    progress=False,
    random_state=None,
):
    """Fit and score models at each memory influence, beside the Bayes limit.

    For each ``m`` in ``memory_influences``, training and test chains are drawn
    from ``sampler`` with ``memory_influence=m``, every estimator is fitted on
    the training chains' (history, next event) pairs and scored on the test
    chains' pairs. With ``oracle=True`` the Bayes limit of that ``m``
    (:class:`BayesOracleClassifier` of that ``m``'s sampler) is scored too, with
    the same scorer code as the models, so every accuracy can be read beside the
    best one possible.

    Parameters
    ----------
    estimators : dict of str to estimator, default=None
        The models, by name: classifiers with ``predict_proba`` and ``classes_``
        (pipelines too). Each is cloned afresh for every ``m``. None means
        ``"LSTM"`` (:class:`NextEventClassifier` with its default settings),
        ``"Markov (order 1)"`` (:class:`MarkovChainClassifier`) and
        ``"Logistic regression"`` (:class:`SequenceFeaturizer`, then
        :class:`~sklearn.preprocessing.StandardScaler` without centring, then
        :class:`~sklearn.linear_model.LogisticRegression`).

    memory_influences : array-like of float, default=(0.0, 0.1, ..., 1.0)
        The grid of memory influences, each in [0, 1], at least one, no repeats.

    ks : array-like of int, default=(1, 3, 5)
        The k of each top-k accuracy, each at least 1, no repeats.

    sampler : MarkovMemorySampler, default=None
        The process (events, transition map, start distribution). Its
        ``memory_influence`` and ``random_state`` are replaced for each ``m``;
        the sampler passed is not modified. None means
        ``MarkovMemorySampler()``, with its default events and transition map.

    n_train_sequences : int, default=500
        Training chains at each ``m``.

    n_test_sequences : int, default=500
        Test chains at each ``m``, drawn independently of the training chains.

    length : int or tuple of (int, int), default=20
        Events per chain, or an inclusive range ``(low, high)``; see
        :meth:`MarkovMemorySampler.sample`. Every position after the first is a
        (history, next event) pair.

    oracle : bool, default=True
        Whether to add the Bayes limit as the model ``"Bayes limit"``
        (``BAYES_LIMIT``). It learns nothing, so its ``fit_seconds`` is about 0.

    return_estimators : bool, default=False
        Whether to return the fitted estimators too.

    progress : bool, default=False
        Whether to show a progress bar over the fits (one per ``m`` and model),
        with `tqdm <https://tqdm.github.io>`_, an optional dependency
        (``pip install "sklearn-seqlstm[progress]"``). Without tqdm there is no
        bar and no error.

    random_state : int, RandomState instance or None, default=None
        Seeds the chains and the default LSTM. The same training seed and the
        same test seed serve every ``m`` (common random numbers), so the curves
        across ``m`` vary less from point to point. Estimators passed in
        ``estimators`` keep their own ``random_state``.

    Returns
    -------
    results : pandas.DataFrame
        One row per (memory influence, model, k), in grid, model and ``ks``
        order, with the columns ``memory_influence`` (float), ``model`` (str),
        ``k`` (int), ``top_k_accuracy`` (float, on the test chains),
        ``top_k_low`` and ``top_k_high`` (its 95% interval, by a bootstrap over
        the test chains: see :func:`bootstrap_interval`), ``log_loss`` (float,
        mean negative log-probability of the true next event on the test
        chains; the same for every k of a model and ``m``) and
        ``fit_seconds`` (float, wall time of ``fit``; the same for every k).

    fitted : dict of (float, str) to estimator
        Only with ``return_estimators=True``: the fitted estimator of each
        ``(memory_influence, model)``.

    See Also
    --------
    MemorySweepDisplay.from_sweep : Plot the results beside the Bayes limit.
    BayesOracleClassifier : The Bayes limit as an estimator.
    transition_recovery : What a fitted model predicts after each single event.

    Notes
    -----
    Scores are computed from one ``predict_proba`` per model and ``m``: top-k
    accuracy by :func:`top_k_accuracy` with the model's ``classes_``, log-loss as
    :func:`neg_log_loss_scorer` does (negated back): a true event that the model
    never saw in training, or that it gives probability 0, counts as probability
    ``1e-15``.

    Examples
    --------
    >>> from sklearn_seqlstm import MarkovChainClassifier, memory_sweep
    >>> results = memory_sweep(
    ...     {"Markov": MarkovChainClassifier(order=1)},
    ...     memory_influences=[0.0, 1.0], ks=[1, 3],
    ...     n_train_sequences=100, n_test_sequences=100, random_state=0,
    ... )
    >>> results.columns.tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['memory_influence', 'model', 'k', 'top_k_accuracy', 'top_k_low', 'top_k_high',
     'log_loss', 'fit_seconds']
    >>> len(results)  # 2 memory influences x 2 models x 2 ks
    8
    >>> results["model"].unique().tolist()
    ['Markov', 'Bayes limit']
    >>> limit = results.query("model == 'Bayes limit' and k == 1")
    >>> limit["top_k_accuracy"].round(2).tolist()  # about 0.47 at m=0, exactly 1 at m=1
    [0.47, 1.0]
    """
    grid = _check_memory_influences(memory_influences)
    ks = _check_ks(ks)
    n_train_sequences = _check_positive_int(n_train_sequences, "n_train_sequences")
    n_test_sequences = _check_positive_int(n_test_sequences, "n_test_sequences")
    base_sampler = _check_sampler(sampler)
    rng = check_random_state(random_state)
    train_seed, test_seed, model_seed = rng.randint(np.iinfo(np.int32).max, size=3).tolist()
    if estimators is None:
        estimators = _default_estimators(model_seed)
    estimators = _check_estimators(estimators, oracle=oracle)

    names = [*estimators, *([BAYES_LIMIT] if oracle else [])]
    rows, fitted = [], {}
    with progress_bar(
        len(grid) * len(names), enabled=progress, desc="memory sweep", unit="fit"
    ) as bar:
        for m in grid:
            process = clone(base_sampler).set_params(memory_influence=m)
            # The sampler checks its own parameters (map, length) at the first draw.
            X_train, y_train, _ = (
                clone(process)
                .set_params(random_state=train_seed)
                .make_dataset(n_train_sequences, length)
            )
            X_test, y_test, test_chains = (
                clone(process)
                .set_params(random_state=test_seed)
                .make_dataset(n_test_sequences, length)
            )
            for name in names:
                if name == BAYES_LIMIT and oracle:
                    model = BayesOracleClassifier(process)  # the limit of *this* m
                else:
                    model = clone(estimators[name])
                bar.set_postfix_str(f"m={m:g}, {name}", refresh=False)
                start = time.perf_counter()
                model.fit(X_train, y_train)
                fit_seconds = time.perf_counter() - start
                rows.extend(
                    _score(model, X_test, y_test, test_chains, ks, m, name, fit_seconds, test_seed)
                )
                if return_estimators:
                    fitted[m, name] = model
                bar.update(1)

    results = pd.DataFrame(rows, columns=SWEEP_COLUMNS)
    results = results.astype(
        {
            "memory_influence": float,
            "model": object,
            "k": np.int64,
            "top_k_accuracy": float,
            "top_k_low": float,
            "top_k_high": float,
            "log_loss": float,
            "fit_seconds": float,
        }
    )
    if return_estimators:
        return results, fitted
    return results


def _score(model, X, y, chains, ks, m, name, fit_seconds, seed):
    """Rows of the sweep's results for one fitted model: one per k."""
    proba = model.predict_proba(X)
    classes = model.classes_
    log_loss = _log_loss(y, proba, classes=classes, eps=_LOG_LOSS_EPS)
    ranks, _ = _true_event_ranks(y, proba, classes)
    rows = []
    for k in ks:
        # The same resamples of chains for every model, as the seed is the same.
        interval = bootstrap_interval(ranks <= k, chains, random_state=seed)
        accuracy = top_k_accuracy(y, proba, classes=classes, k=k)
        rows.append((m, name, k, accuracy, interval.low, interval.high, log_loss, fit_seconds))
    return rows


def _default_estimators(seed):
    return {
        "LSTM": NextEventClassifier(random_state=seed),
        "Markov (order 1)": MarkovChainClassifier(order=1),
        # Scaled: with the raw history length lbfgs took about 8 times longer.
        "Logistic regression": make_pipeline(
            SequenceFeaturizer(), StandardScaler(with_mean=False), LogisticRegression(max_iter=1000)
        ),
    }


def _check_memory_influences(memory_influences):
    try:
        grid = np.asarray(memory_influences, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(
            f"memory_influences must be numbers in [0, 1], got {memory_influences!r}."
        ) from None
    if grid.ndim != 1:
        raise ValueError(
            f"memory_influences must be a 1-D sequence of numbers, got shape {grid.shape}."
        )
    if grid.size == 0:
        raise ValueError("memory_influences must hold at least one value, got an empty grid.")
    outside = grid[~((grid >= 0) & (grid <= 1))]  # NaN is outside too
    if outside.size:
        raise ValueError(f"memory_influences must be in [0, 1], got {outside[0]!r}.")
    values, counts = np.unique(grid, return_counts=True)
    if (counts > 1).any():
        raise ValueError(f"memory_influences holds {values[counts > 1][0]!r} more than once.")
    return grid.tolist()


def _check_ks(ks):
    ks = list(np.asarray(ks, dtype=object).ravel())
    if not ks:
        raise ValueError("ks must hold at least one k, got an empty sequence.")
    for k in ks:
        if not isinstance(k, numbers.Integral) or isinstance(k, bool):
            raise ValueError(f"ks must hold integers, got {k!r}.")
        if k < 1:
            raise ValueError(f"ks must hold integers of at least 1, got {k!r}.")
    if len(set(ks)) < len(ks):
        raise ValueError(f"ks holds a value more than once: {ks}.")
    return [int(k) for k in ks]


def _check_positive_int(value, name):
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value!r}.")
    return int(value)


def _check_sampler(sampler):
    if sampler is None:
        return MarkovMemorySampler()
    if not (hasattr(sampler, "make_dataset") and hasattr(sampler, "next_event_proba")):
        raise TypeError(
            "sampler must be a MarkovMemorySampler (with make_dataset and next_event_proba), "
            f"got {sampler!r}."
        )
    return sampler


def _check_estimators(estimators, *, oracle):
    if not estimators:
        raise ValueError("estimators must hold at least one estimator, got an empty dict.")
    for name, estimator in estimators.items():
        if not isinstance(name, str):
            raise TypeError(f"estimators must be keyed by model name (str), got {name!r}.")
        if not (hasattr(estimator, "fit") and hasattr(estimator, "predict_proba")):
            raise TypeError(
                f"estimators[{name!r}] must be a classifier with fit and predict_proba (the "
                f"sweep ranks events by predicted probability), got {estimator!r}."
            )
    if oracle and BAYES_LIMIT in estimators:
        raise ValueError(
            f"estimators holds the name {BAYES_LIMIT!r}, which the sweep gives to the Bayes "
            "limit; rename the estimator or pass oracle=False."
        )
    return dict(estimators)


def transition_recovery(estimator, sampler):
    """Compare a fitted model's next event after each single event with the process.

    Asks ``estimator`` for the next-event distribution after each one-event
    history ``[e]`` and sets it beside the true one,
    ``sampler.next_event_proba([[e]])``. With ``memory_influence=0`` the truth
    is the transition matrix (``sampler.transition_matrix``); with memory ``m``
    a single event is the whole history, so the truth is
    ``m * identity + (1 - m) * transition_matrix``: what a model trained on that
    sampler's chains should have learned.

    Parameters
    ----------
    estimator : fitted classifier
        Has ``predict_proba`` and ``classes_``, and was fitted on histories of
        the sampler's events (for example a :class:`MarkovChainClassifier` or a
        :class:`NextEventClassifier`). Its classes must be events of the sampler;
        an event it never saw as a label gets probability 0.

    sampler : MarkovMemorySampler
        The process the training chains came from.

    Returns
    -------
    recovery : Bunch
        With the attributes

        learned : pandas.DataFrame of shape (n_events, n_events)
            ``learned.loc[e, f]`` is the model's probability that ``f`` follows
            the history ``[e]``. Rows are named ``"event"``, columns
            ``"next_event"``, both in ``sampler.event_labels`` order.

        true : pandas.DataFrame of shape (n_events, n_events)
            The true probabilities, laid out as ``learned``.

        difference : pandas.DataFrame of shape (n_events, n_events)
            ``learned - true``.

        max_abs_difference : float
            The largest absolute entry of ``difference``.

    See Also
    --------
    TransitionMatrixDisplay.from_estimator : Both matrices as heatmaps.
    MarkovMemorySampler.transition_matrix : The filled transition map.

    Examples
    --------
    >>> from sklearn_seqlstm import MarkovChainClassifier, MarkovMemorySampler
    >>> from sklearn_seqlstm import transition_recovery
    >>> sampler = MarkovMemorySampler(memory_influence=0.0, random_state=0)
    >>> X, y, _ = sampler.make_dataset(n_sequences=1000, length=20)
    >>> markov = MarkovChainClassifier(order=1).fit(X, y)
    >>> recovery = transition_recovery(markov, sampler)
    >>> float(recovery.true.loc["D", "A"])  # about 90% of people at D go on to A
    0.9
    >>> round(float(recovery.learned.loc["D", "A"]), 2)
    0.9
    >>> bool(recovery.max_abs_difference < 0.05)
    True
    """
    check_is_fitted(estimator)
    if not hasattr(estimator, "predict_proba"):
        raise TypeError(
            f"{type(estimator).__name__} has no predict_proba: transition recovery compares "
            "predicted probabilities."
        )
    events = list(sampler.event_labels)
    index = pd.Index(events, dtype=object, name="event", tupleize_cols=False)
    columns = pd.Index(events, dtype=object, name="next_event", tupleize_cols=False)
    histories = [[event] for event in events]
    true = pd.DataFrame(sampler.next_event_proba(histories), index=index, columns=columns)

    position = {event: j for j, event in enumerate(events)}
    classes = list(estimator.classes_.tolist())
    unknown = [label for label in classes if label not in position]
    if unknown:
        raise ValueError(
            f"The estimator's classes_ hold {unknown[:5]}, which are not events of the "
            f"sampler {events}: was it fitted on this sampler's chains?"
        )
    proba = np.asarray(estimator.predict_proba(histories), dtype=float)
    learned = np.zeros((len(events), len(events)))
    learned[:, [position[label] for label in classes]] = proba
    learned = pd.DataFrame(learned, index=index, columns=columns)
    difference = learned - true
    return Bunch(
        learned=learned,
        true=true,
        difference=difference,
        max_abs_difference=float(np.abs(difference.to_numpy()).max()),
    )
