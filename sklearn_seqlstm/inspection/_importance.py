"""Which part of a history drives the predictions: permutation importance on histories.

scikit-learn's :func:`~sklearn.inspection.permutation_importance` shuffles one
column of a table across rows. Histories are no table: they have different
lengths, and what a user asks is not "column 3" but "the resource of each
event", "the time", "the case's channel" or "anything older than the last two
events". :func:`sequence_permutation_importance` shuffles one of those across
the samples, leaves the rest of each history as it was, and reports how much the
score drops, as scikit-learn does.
"""

import numbers
import re

import numpy as np
import pandas as pd
from sklearn.metrics import check_scoring
from sklearn.utils import Bunch, check_random_state
from sklearn.utils.validation import check_is_fitted

from ..histories._attributed import EVENTS, TIME, AttributedHistories
from ..histories._histories import check_histories, check_labels
from ..histories._prefixes import PrefixHistories

__all__ = ["sequence_permutation_importance"]

# "events[:-k]": every event of a history but its last k.
_OLDER = re.compile(r"^events\[:-([1-9][0-9]*)\]$")


def sequence_permutation_importance(
    estimator,
    X,
    y,
    *,
    features=None,
    scoring=None,
    n_repeats=5,
    random_state=None,
    sample_weight=None,
):
    """Permutation importance of the parts of histories: attributes, time, older events.

    Each feature is shuffled across the samples ``n_repeats`` times; its
    importance is the drop of the score from the score on ``X`` as it is. A
    feature the model does not use scores about 0; one it relies on, the score
    it is worth.

    Parameters
    ----------
    estimator : fitted estimator
        Any estimator that predicts from histories (a
        :class:`NextEventClassifier`, a baseline, a pipeline).
    X : histories
        In any form the estimator takes, usually held-out samples.
    y : array-like of shape (n_samples,)
        The targets of ``X``.
    features : list of str, default=None
        What to shuffle, each one of:

        - the name of an event attribute: its values are shuffled across every
          event of every history (each value stays with some event, so its
          distribution is kept);
        - the name of a sequence attribute: its values are shuffled across the
          sequences;
        - ``"time"``: each sequence's start is shuffled across sequences and
          the gaps between events across all events, so times still never go
          back;
        - ``"events[:-k]"`` (``k`` >= 1): all but the last ``k`` events of each
          history are swapped with those of another sample, with their event
          attributes and their times (moved so that the first event kept is as
          long after the last one moved in as it was after its own previous
          event). A history of at most ``k`` events keeps its events and gains
          the other's older ones.

        None takes every attribute and the time that ``X`` carries, and
        ``"events[:-k]"`` for ``k`` of 1, 2, 4 and 8 below the longest history.
    scoring : str, callable or None, default=None
        A scikit-learn scorer; None uses the estimator's ``score``.
    n_repeats : int, default=5
        Shuffles per feature.
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffles.
    sample_weight : array-like of shape (n_samples,), default=None
        Passed to the scorer.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        ``importances_mean`` and ``importances_std`` of shape (n_features,),
        ``importances`` of shape (n_features, n_repeats), as
        :func:`sklearn.inspection.permutation_importance` returns, and
        ``feature_names``, the features in that order.

    Examples
    --------
    >>> from sklearn_seqlstm import MarkovChainClassifier, MarkovMemorySampler
    >>> from sklearn_seqlstm import sequence_permutation_importance
    >>> X, y, _ = MarkovMemorySampler(random_state=0).make_dataset(200, 10)
    >>> clf = MarkovChainClassifier(order=1).fit(X, y)
    >>> result = sequence_permutation_importance(
    ...     clf, X, y, features=["events[:-1]"], n_repeats=2, random_state=0
    ... )
    >>> result.feature_names.tolist(), float(abs(result.importances_mean[0])) < 1e-12
    (['events[:-1]'], True)
    """
    check_is_fitted(estimator)
    histories = check_histories(X)
    y = check_labels(y, len(histories))
    if isinstance(n_repeats, bool) or not isinstance(n_repeats, numbers.Integral):
        raise TypeError(f"n_repeats must be an integer; got {n_repeats!r}.")
    if n_repeats < 1:
        raise ValueError(f"n_repeats must be at least 1; got {n_repeats}.")
    features = _check_features(histories, features)
    scorer = check_scoring(estimator, scoring=scoring)
    rng = check_random_state(random_state)

    def score(data):
        if sample_weight is None:
            return scorer(estimator, data, y)
        return scorer(estimator, data, y, sample_weight=sample_weight)

    baseline = score(histories)
    importances = np.empty((len(features), n_repeats))
    for f, feature in enumerate(features):
        for r in range(n_repeats):
            importances[f, r] = baseline - score(_shuffled(histories, feature, rng))
    return Bunch(
        importances_mean=importances.mean(axis=1),
        importances_std=importances.std(axis=1),
        importances=importances,
        feature_names=np.asarray(features, dtype=object),
    )


def _check_features(histories, features):
    attributed = isinstance(histories, AttributedHistories)
    event_names = histories.event_attribute_names if attributed else []
    sequence_names = histories.sequence_attribute_names if attributed else []
    has_time = attributed and histories.times is not None
    if features is None:
        longest = max(map(len, histories)) if len(histories) else 0
        features = ([TIME] if has_time else []) + event_names + sequence_names
        features += [f"events[:-{k}]" for k in (1, 2, 4, 8) if k < longest]
        if not features:
            raise ValueError(
                "X carries no attribute or time, and no history is longer than one event: "
                "there is nothing to shuffle."
            )
        return features
    if isinstance(features, str) or not hasattr(features, "__iter__"):
        raise TypeError(f"features must be a list of names; got {features!r}.")
    features = list(features)
    if not features:
        raise ValueError("features is empty: name at least one feature to shuffle.")
    available = ([TIME] if has_time else []) + event_names + sequence_names + ["events[:-k]"]
    for feature in features:
        if not isinstance(feature, str):
            raise TypeError(f"Each feature is a name (str); got {feature!r}.")
        if feature == TIME and has_time:
            continue
        if feature in event_names or feature in sequence_names or _OLDER.match(feature):
            continue
        raise ValueError(
            f"Unknown feature {feature!r}: X's histories offer {', '.join(available)} (k >= 1)."
        )
    if len(set(features)) != len(features):
        raise ValueError(f"features names one feature twice: {features}.")
    return features


def _shuffled(histories, feature, rng):
    """A copy of ``histories`` with ``feature`` shuffled across the samples."""
    older = _OLDER.match(feature)
    if older:
        return _swap_older_events(histories, int(older.group(1)), rng)
    if feature == TIME:
        times = _shuffled_times(histories.times, rng)
        return _replaced(histories, times=times)
    if feature in histories.event_attributes:
        values = histories.event_attributes[feature]
        sizes = [len(v) for v in values]
        pooled = np.concatenate(values) if values else np.empty(0)
        pooled = pooled[rng.permutation(len(pooled))]
        split = np.split(pooled, np.cumsum(sizes)[:-1])
        return _replaced(histories, event_attributes={**histories.event_attributes, feature: split})
    values = histories.sequence_attributes[feature]
    shuffled = values[rng.permutation(len(values))]
    return _replaced(
        histories, sequence_attributes={**histories.sequence_attributes, feature: shuffled}
    )


def _replaced(histories, **arrays):
    """The same histories with some of their (already checked) arrays replaced."""
    copy = histories.view(histories.sequence_index, histories.lengths)
    for name, value in arrays.items():
        setattr(copy, name, value)
    return copy


def _shuffled_times(times, rng):
    """Starts shuffled across sequences, gaps across all events: times still rise."""
    present = [s for s, t in enumerate(times) if len(t)]
    starts = np.array([times[s][0] for s in present])[rng.permutation(len(present))]
    gaps = [np.diff(times[s]) for s in present]
    pooled = np.concatenate(gaps) if gaps else np.empty(0)
    pooled = pooled[rng.permutation(len(pooled))]
    pooled = np.split(pooled, np.cumsum([len(g) for g in gaps])[:-1]) if gaps else []
    result = list(times)
    for s, start, gap in zip(present, starts.tolist(), pooled, strict=True):
        result[s] = start + np.concatenate([[0.0], np.cumsum(gap)])
    return result


def _swap_older_events(histories, k, rng):
    """Each history's events before its last ``k`` replaced by another sample's."""
    n = len(histories)
    donors = rng.permutation(n)
    if not isinstance(histories, AttributedHistories):
        plain = list(histories) if isinstance(histories, PrefixHistories) else histories
        return [
            tuple(plain[d][:-k] if len(plain[d]) > k else ()) + tuple(h[-k:])
            for h, d in zip(plain, donors.tolist(), strict=True)
        ]
    frame = histories.to_frame()
    per_event = [EVENTS, *histories.event_attribute_names]
    rows = {column: list(frame[column]) for column in frame.columns}
    result = {column: [] for column in frame.columns}
    for i, d in enumerate(donors.tolist()):
        older = max(len(rows[EVENTS][d]) - k, 0)
        kept_from = max(len(rows[EVENTS][i]) - k, 0)
        for column in per_event:
            mine, theirs = rows[column][i], rows[column][d]
            result[column].append(list(theirs[:older]) + list(mine[kept_from:]))
        if TIME in rows:
            result[TIME].append(_joined_times(rows[TIME][d], older, rows[TIME][i], kept_from))
        for name in histories.sequence_attribute_names:
            result[name].append(rows[name][i])
    return AttributedHistories.from_frame(pd.DataFrame(result))


def _joined_times(donor, older, own, kept_from):
    """The donor's first ``older`` times, moved to end one gap before ``own``'s kept part.

    The gap is the history's own gap before its kept part, so that the kept events
    keep their time since the previous event; a history with nothing older takes
    the donor's gap after its older part.
    """
    donor, own = pd.Series(donor), pd.Series(own)
    kept = own.iloc[kept_from:]
    moved = donor.iloc[:older]
    if older and len(kept):
        # older < len(donor) and kept_from < len(own): both gaps exist.
        if kept_from:
            gap = own.iloc[kept_from] - own.iloc[kept_from - 1]
        else:
            gap = donor.iloc[older] - donor.iloc[older - 1]
        moved = moved - donor.iloc[older - 1] + kept.iloc[0] - gap
    return pd.concat([moved, kept], ignore_index=True).to_numpy()
