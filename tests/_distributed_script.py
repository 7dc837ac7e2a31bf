"""Run by tests/test_distributed.py under torchrun: one data-parallel fit per process.

Usage: torchrun --standalone --nproc_per_node=K _distributed_script.py MODES OUT BATCH
MODES is "die" or a comma-separated list of "classifier", "regressor" and "search",
run one after the other in the same group (one launch of torchrun serves several
tests). Rank 0 writes their results to OUT (a pickle, a dict by mode); "die" makes
rank 1 exit in the middle of the first epoch.
"""

import os
import pickle
import sys

import numpy as np
from sklearn.model_selection import GridSearchCV
from skorch.callbacks import Callback

from sklearn_seqlstm import MarkovMemorySampler, NextEventClassifier, NextValueRegressor


def data():
    X, y, _ = MarkovMemorySampler(memory_influence=0.4, random_state=0).make_dataset(60, 12)
    return X, y


def params(batch_size, **extra):
    return dict(
        distributed=True,
        batch_size=batch_size,
        dropout=0.0,  # dropout masks are drawn per process: no equality to test with it
        max_epochs=3,
        early_stopping=False,
        hidden_size=16,
        embedding_dim=8,
        random_state=0,
        **extra,
    )


class ExitInFirstEpoch(Callback):
    def on_batch_end(self, net, batch=None, training=None, **kwargs):
        if training and int(os.environ["RANK"]) == 1:
            os._exit(3)


def run(mode, batch_size):
    X, y = data()
    if mode == "classifier":
        model = NextEventClassifier(**params(batch_size)).fit(X, y)
        result = {"model": model, "proba": model.predict_proba(X)}
    elif mode == "regressor":
        target = np.array([len(h) % 3 + 0.5 * (y[i] == "A") for i, h in enumerate(X)])
        model = NextValueRegressor(**params(batch_size)).fit(X, target)
        result = {"model": model, "prediction": model.predict(X)}
    elif mode == "search":
        search = GridSearchCV(
            NextEventClassifier(**params(batch_size)), {"hidden_size": [8, 16]}, cv=2
        ).fit(X, y)
        result = {"scores": search.cv_results_["mean_test_score"]}
    elif mode == "die":
        NextEventClassifier(**params(batch_size, callbacks=[ExitInFirstEpoch()])).fit(X, y)
        result = {}
    else:
        raise ValueError(f"unknown mode {mode!r}")
    return result


def main(modes, out, batch_size):
    results = {mode: run(mode, batch_size) for mode in modes.split(",")}
    if int(os.environ["RANK"]) == 0:
        with open(out, "wb") as file:
            pickle.dump(results, file)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
