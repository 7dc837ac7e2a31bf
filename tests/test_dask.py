"""Searches on a dask cluster give the results of a sequential search.

GridSearchCV under ``joblib.parallel_config(backend="dask")`` sends each (candidate,
fold) fit to a worker of a ``dask.distributed`` cluster. The workers here are two
processes of one thread each, as on a 2-core machine; ``num_threads=1`` (the
classifier's default) keeps torch to that thread in each.
"""

import numpy as np
import pytest
from joblib import parallel_config
from sklearn.model_selection import GridSearchCV, GroupKFold

from sklearn_seqlstm import MarkovMemorySampler, NextEventClassifier

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.slow  # starts two worker processes that import torch


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with cluster, distributed.Client(cluster) as client:
        yield client


def _search():
    return GridSearchCV(
        NextEventClassifier(max_epochs=3, embedding_dim=4, random_state=0),
        {"hidden_size": [4, 8], "lr": [0.01, 0.05]},
        cv=GroupKFold(2),
    )


def test_grid_search_on_a_dask_cluster_matches_the_sequential_search(client):
    X, y, groups = MarkovMemorySampler(memory_influence=0.4, random_state=0).make_dataset(60, 8)
    sequential = _search().fit(X, y, groups=groups)
    with parallel_config(backend="dask"), distributed.get_task_stream(client) as tasks:
        on_cluster = _search().set_params(n_jobs=-1).fit(X, y, groups=groups)
    # The fits ran on the cluster's workers (both of them), and gave the same scores.
    workers = {task["worker"] for task in tasks.data}
    assert len(workers) == 2
    np.testing.assert_array_equal(
        on_cluster.cv_results_["mean_test_score"], sequential.cv_results_["mean_test_score"]
    )
    assert on_cluster.best_params_ == sequential.best_params_
    np.testing.assert_array_equal(
        on_cluster.best_estimator_.predict_proba(X[:50]),
        sequential.best_estimator_.predict_proba(X[:50]),
    )
