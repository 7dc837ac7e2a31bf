"""Bounds on the models of ``seqlstm evaluate``, so that every model finishes on a large log.

The baselines on :class:`~sklearn_seqlstm.SequenceFeaturizer`'s features grow with
the catalogue: one feature per event and position, one class per event. On
MovieLens-100k (943 users, 1,682 items, 100,000 events), the logistic regression's
lbfgs holds a dense score of every training sample for every class (97,171 x 1,682
float64, 1.3 GB, several times over) and 3,353 x 1,682 coefficients (5.6 million,
ten pairs of them in lbfgs's memory): it sat at "fitting" for minutes at 4.5 GB.
The gradient-boosted trees read a dense copy of the features (97,171 x 3,353
float64, 2.6 GB).

So, before fitting, from the number of classes, features and samples:

- a model whose coefficients alone pass :data:`MAX_COEFFICIENTS` is skipped, with a
  one-line reason: a sample of the log would not shrink them;
- a model whose dense matrices pass :data:`MAX_SCORES` or :data:`MAX_DENSE_CELLS` is
  fitted on a random sample of the training samples that fits, and the report
  says so.

The LSTM and the Markov chains scale with the events (the LSTM reads every history
once per epoch, the chains count contexts): they are fitted on every sample.
"""

import time

import numpy as np
import pandas as pd
from sklearn.base import clone
from skorch.callbacks import Callback

from ._evaluate_split import _subset

#: Classes x features of the logistic regression beyond which it is skipped: lbfgs
#: keeps ten pairs of vectors of this size, and each iteration multiplies by them all.
MAX_COEFFICIENTS = 1_000_000
#: Samples x classes of the logistic regression's dense scores (40 MB of float64 each).
MAX_SCORES = 5_000_000
#: Samples x features of the trees' dense feature matrix (160 MB of float64).
MAX_DENSE_CELLS = 20_000_000


def bounded_training(key, model, train, seed):
    """What ``model`` (of ``--models`` ``key``) is fitted on, within the bounds.

    Returns ``(samples, note)``: the training samples and None when they fit; a
    random sample of them (``seed``) and a one-line note when they do not; or None
    and the one-line reason the model is skipped.
    """
    if key == "logistic":
        n_features = _n_features(model, train)
        n_classes = len(pd.unique(train.y))
        coefficients = n_features * n_classes
        if coefficients > MAX_COEFFICIENTS:
            return None, (
                f"{n_classes:,} classes x {n_features:,} features = {coefficients:,} "
                f"coefficients, beyond the {MAX_COEFFICIENTS:,} that lbfgs fits in bounded time "
                "and memory"
            )
        largest, what = MAX_SCORES // n_classes, f"{n_classes:,} classes"
    elif key == "trees":
        n_features = _n_features(model, train)
        largest, what = MAX_DENSE_CELLS // n_features, f"{n_features:,} dense features"
    else:
        return train, None
    n_samples = len(train.y)
    if n_samples <= largest:
        return train, None
    chosen = np.sort(np.random.RandomState(seed).choice(n_samples, size=largest, replace=False))
    note = (
        f"fitted on a random sample of {largest:,} of the {n_samples:,} training samples, "
        f"to bound its time and memory ({what})"
    )
    return _subset(train, chosen), note


def _n_features(pipeline, train):
    """The number of features of ``pipeline``'s featurizer (its first step) on ``train``.

    Fitting the featurizer alone only collects the events seen: seconds, where the
    model's fit on every sample would take minutes.
    """
    featurizer = clone(pipeline.steps[0][1]).fit(train.X)
    return len(featurizer.get_feature_names_out())


class EpochProgress(Callback):
    """Shows, after each epoch of an LSTM, the epochs done and the time left at most.

    ``show`` receives the text (a progress bar's postfix). The estimate is the mean
    time of the epochs so far times the epochs left; early stopping may end sooner.
    """

    def __init__(self, show):
        self.show = show

    def on_train_begin(self, net, **kwargs):
        self.begin_ = time.perf_counter()

    def on_epoch_end(self, net, **kwargs):
        done, total = len(net.history), net.max_epochs
        per_epoch = (time.perf_counter() - self.begin_) / max(done, 1)
        left = per_epoch * max(total - done, 0)
        self.show(f"epoch {done}/{total}, at most {duration(left)} left")


def duration(seconds):
    """``seconds`` as people read a duration: "45 s", "3.2 min", "1.4 h"."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"
