"""Fitting and scoring the models of ``seqlstm evaluate`` on each split."""

import time
from functools import partial

import numpy as np
import pandas as pd
from sklearn.base import clone

from ..histories._attributed import AttributedHistories
from ..histories._histories import check_histories
from ..metrics._blocks import seen_mask
from ..metrics._scoring import _true_event_ranks
from ..synthetic._fit import observed_events
from ._evaluate_budget import EpochProgress, bounded_training
from ._evaluate_fairness import split_events
from ._evaluate_load import EvaluateInputError
from ._evaluate_options import _CHART_MAX_K, _NEED_TWO_EVENTS, REGRESSORS, _make_model
from ._evaluate_split import _subset

# Fitting and scoring ------------------------------------------------------------------


def _check_distinct_events(splits, models):
    """Refuse, before fitting anything, training targets the chosen models cannot fit.

    The LSTM and the logistic regression need two distinct events to learn from;
    the Markov chains and popularity fit a log of one event.
    """
    needy = [name for name, (key, _) in models.items() if key in _NEED_TWO_EVENTS]
    if not needy:
        return
    for split, train, _ in splits:
        events = pd.unique(train.y)
        if len(events) == 1:
            where = f" ({split})" if split.startswith("fold") else ""
            event = events[0].item() if isinstance(events[0], np.generic) else events[0]
            one = len(needy) == 1
            raise EvaluateInputError(
                f"the training samples{where} hold one distinct event only ({event!r}): "
                f"{' and '.join(needy)} {'needs' if one else 'need'} at least two. Leave "
                f"{'it' if one else 'them'} out of --models, or give a log with more distinct "
                "events."
            )


def _fit_and_score(
    splits, models, lstm, seed, step, fitted=None, per_sample=None, notes=None, exclude_seen=False
):
    """Fit every model on each split's training samples; score it on the split's test ones.

    Returns the results (one row per split and model) and the k-retrieval curves
    (one row per model and k, over the test samples: pooled over the folds).
    ``fitted``, when given, receives the fitted models: {id(train): {name: (model,
    fit seconds)}}. ``per_sample``, when given, receives each model's score of
    every test sample (pooled over the folds) and the sample's sequence:
    {name: {"groups": [...], metric: [...]}}, for the intervals. ``notes``, when
    given, receives a line for each model skipped or fitted on a sample (see
    :func:`bounded_training`); a skipped model has no row. With ``exclude_seen``,
    every model alike ranks only the events absent from each test history (a true
    event that the history holds is a miss), and each row says so.
    """
    rows, curve_hits = [], {}
    per_sample = {} if per_sample is None else per_sample
    notes = [] if notes is None else notes
    max_k = min(_CHART_MAX_K, len(pd.unique(np.concatenate([s[1].y for s in splits]))))
    # leave-last-out: one fit serves the validation and the test samples
    fitted = {} if fitted is None else fitted
    fit = partial(_fitted, fitted, step=step, seed=seed, notes=notes)
    # The theory scores through the oracle, which refuses events it does not know: it
    # knows those of every split (leave-last-out's one fit serves two test sides).
    events = _theory_events(splits) if any(key == "theory" for key, _ in models.values()) else None
    for split, train, test in splits:
        for name, (key, variant) in models.items():
            make = partial(_make_model, key, variant, lstm, seed)
            if key == "theory":
                make = partial(_with_events, make, events)
            model, fit_seconds, n_fit = fit(split, train, name, key, make)
            if model is None:
                continue
            ranks, predict_seconds = _ranks(model, test, exclude_seen)
            # Every score from the ranks, as top_k_accuracy and reciprocal_rank compute them.
            rows.append(
                {
                    "split": split,
                    "model": name,
                    "n_train": n_fit,
                    "n_test": len(test.y),
                    **{f"top_{k}": float(np.mean(ranks <= k)) for k in (1, 5, 10)},
                    "mrr_10": float(np.mean(_reciprocal(ranks))),
                    "exclude_seen": bool(exclude_seen),
                    "fit_seconds": fit_seconds,
                    "predict_seconds": predict_seconds,
                }
            )
            if split != "valid":
                scores = per_sample.setdefault(name, {"groups": []})
                scores["groups"].append(np.asarray(test.groups))
                for k in (1, 5, 10):
                    scores.setdefault(f"top_{k}", []).append((ranks <= k).astype(float))
                scores.setdefault("mrr_10", []).append(_reciprocal(ranks))
                hits = curve_hits.setdefault(name, [np.zeros(max_k), 0])
                hits[0] += [np.count_nonzero(ranks <= k) for k in range(1, max_k + 1)]
                hits[1] += len(test.y)
    results = pd.DataFrame(rows)
    curves = pd.DataFrame(
        [
            {"model": name, "k": k, "top_k_accuracy": hits / n, "exclude_seen": bool(exclude_seen)}
            for name, (all_hits, n) in curve_hits.items()
            for k, hits in zip(range(1, max_k + 1), all_hits, strict=True)
        ]
    )
    return results, curves


def _theory_events(splits):
    events = {}
    for _, train, test in splits:
        events.update(dict.fromkeys(split_events(train, test)))
    return list(observed_events([list(events)]))


def _with_events(make, events):
    return make().set_params(events=events)


#: Test samples predicted at a time, the shortest histories first: the probabilities
#: of a chunk (and an LSTM's read-out over its longest history) are all that is held
#: at once. Over the 943 users of MovieLens-100k, one batch held 943 x 737 x 1,682
#: float32 read-outs, 4.6 GB.
_PREDICT_CHUNK = 32


def _ranks(model, test, exclude_seen=False):
    """The rank of each test sample's true event under ``model`` (inf for an event not
    among its classes), and the seconds that ``predict_proba`` took.

    With ``exclude_seen``, the events of each history are left out of its ranking, as
    the metrics' ``exclude_seen=True`` does: a true event among them ranks inf.
    """
    X = test.X
    lengths = getattr(X, "lengths", None)
    lengths = np.fromiter(map(len, X), dtype=np.int64) if lengths is None else lengths
    by_length = np.argsort(lengths, kind="stable")
    ranks = np.empty(len(test.y))
    seconds = 0.0
    for start in range(0, len(by_length), _PREDICT_CHUNK):
        chunk = _subset(test, by_length[start : start + _PREDICT_CHUNK])
        begin = time.perf_counter()
        proba = model.predict_proba(chunk.X)
        seconds += time.perf_counter() - begin
        exclude = seen_mask(check_histories(chunk.X), model.classes_) if exclude_seen else None
        ranks[by_length[start : start + _PREDICT_CHUNK]] = _true_event_ranks(
            chunk.y, proba, model.classes_, exclude
        )[0]
    return ranks, seconds


def _reciprocal(ranks, k=10):
    """Each sample's reciprocal rank within the top ``k`` (0 beyond), as MRR@k counts it."""
    return np.where(ranks <= k, 1.0 / ranks, 0.0)


# Time targets: regression -------------------------------------------------------------

#: Units of the mean absolute error with datetimes: name -> seconds, largest first.
_TIME_UNITS = {"days": 86400.0, "hours": 3600.0, "minutes": 60.0, "seconds": 1.0}
#: The unit of numeric times: their own.
TIME_UNITS = "time units"


def _time_unit(splits, time_kind, results=None):
    """(name, seconds per unit) of the unit in which to report durations.

    With datetimes, the largest unit of which the median test target (pooled over
    the folds) holds at least one: days when it is over a day. The test targets are
    those the errors are about; with leave-last-out they are the last gap of each
    sequence, often longer than the training targets. With ``results`` (whose MAE are
    in seconds), the median of the models' test MAE counts too: where most events
    come seconds after the one before, and some days after, the targets alone chose
    seconds for an MAE of more than a day. With numeric times, their own unit.
    """
    if time_kind != "datetime":
        return TIME_UNITS, 1.0
    targets = np.concatenate([test.y for split, _, test in splits if split != "valid"])
    typical = float(np.median(targets))
    if typical <= 0:  # most events at the same time as the one before
        typical = float(np.mean(targets))
    if results is not None:
        tested = results[results["split"] != "valid"]
        typical = max(typical, float(tested.groupby("model")["mae"].mean().median()))
    for name, seconds in _TIME_UNITS.items():
        if typical >= seconds:
            return name, seconds
    return "seconds", 1.0


def _in_unit(results, per_sample, unit):
    """Express the MAE of ``results`` and ``per_sample`` (in seconds) in ``unit``, in place."""
    name, seconds = unit
    results["mae"] = results["mae"] / seconds
    results["unit"] = name
    for scores in per_sample.values():
        scores["mae"] = [errors / seconds for errors in scores["mae"]]


def _make_regressor(key, lstm, seed, attributes):
    """A fresh regressor of ``--models`` ``key``; the trees read the attributes if given."""
    model = clone(REGRESSORS[key][1](lstm, seed))
    if key == "trees":
        model.set_params(sequencefeaturizer__attributes=attributes)
    return model


def _fit_and_score_regression(
    splits, models, lstm, seed, step, unit, fitted, per_sample, notes=None
):
    """Fit every regressor on each split's training samples; its MAE on the test ones.

    As :func:`_fit_and_score`, for a time target: one row per split and model,
    with the mean absolute error in ``unit`` (name, seconds per unit); ``fitted``
    receives the fitted models and ``per_sample`` each model's absolute error on
    every test sample (pooled over the folds) with the sample's sequence.
    """
    name_of_unit, seconds = unit
    rows = []
    notes = [] if notes is None else notes
    fit = partial(_fitted, fitted, step=step, seed=seed, notes=notes)
    for split, train, test in splits:
        attributes = bool(
            isinstance(train.X, AttributedHistories)
            and (train.X.event_attribute_names or train.X.sequence_attribute_names)
        )
        for name, (key, _) in models.items():
            make = partial(_make_regressor, key, lstm, seed, attributes)
            model, fit_seconds, n_fit = fit(split, train, name, key, make)
            if model is None:
                continue
            begin = time.perf_counter()
            predicted = model.predict(test.X)
            predict_seconds = time.perf_counter() - begin
            errors = np.abs(np.asarray(predicted, dtype=np.float64) - test.y) / seconds
            rows.append(
                {
                    "split": split,
                    "model": name,
                    "n_train": n_fit,
                    "n_test": len(test.y),
                    "mae": float(errors.mean()),
                    "unit": name_of_unit,
                    "fit_seconds": fit_seconds,
                    "predict_seconds": predict_seconds,
                }
            )
            if split != "valid":
                scores = per_sample.setdefault(name, {"groups": [], "mae": []})
                scores["groups"].append(np.asarray(test.groups))
                scores["mae"].append(errors)
    return pd.DataFrame(rows)


def _fitted(fitted, split, train, name, key, make, step, seed, notes):
    """``(model, fit seconds, samples fitted)`` of ``name`` on ``train``: made and fitted
    once, then reused; ``(None, 0, 0)`` when the model is skipped.

    ``fitted`` maps ``id(train)`` to the models fitted on it, so that leave-last-out's
    one fit serves both its validation and its test samples. The model is fitted
    within the bounds of :func:`bounded_training`: ``notes`` receives the line that
    says why it was skipped or fitted on a sample. An LSTM shows its epochs and the
    time left in the progress bar.
    """
    if id(train) in fitted and name in fitted[id(train)]:
        return fitted[id(train)][name]
    where = f" ({split})" if split.startswith("fold") else ""
    step(f"fitting {name}{where}")
    model = make()
    samples, note = bounded_training(key, model, train, seed)
    if samples is None:
        notes.append(f"Skipped {name}: {note}; leave it out of --models, or fit it in Python.")
        fitted.setdefault(id(train), {})[name] = (None, 0.0, 0)
        return fitted[id(train)][name]
    if note is not None:
        notes.append(f"{name}{where}: {note}.")
    if key == "lstm":
        # A plain function: the classifier deep-copies its callbacks, and a bound
        # method would take a copy of its object along.
        model.set_params(callbacks=[EpochProgress(lambda text: step.detail(text))])
    begin = time.perf_counter()
    model.fit(samples.X, samples.y)
    seconds = time.perf_counter() - begin
    if key == "lstm":
        model.set_params(callbacks=None)  # the bar is gone; the model is kept, maybe saved
    fitted.setdefault(id(train), {})[name] = (model, seconds, len(samples.y))
    return fitted[id(train)][name]
