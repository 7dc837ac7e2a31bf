"""Searches on a Ray cluster give the results of a sequential search.

Ray's joblib backend (``ray.util.joblib.register_ray``) sends each (candidate, fold)
fit of GridSearchCV to a Ray worker. Here the "cluster" is a local Ray instance of
2 CPUs, started and stopped by the test.
"""

import numpy as np
import pytest
from joblib import parallel_config
from sklearn.model_selection import GridSearchCV, GroupKFold

from sklearn_seqlstm import MarkovMemorySampler, NextEventClassifier

ray = pytest.importorskip("ray")

pytestmark = pytest.mark.slow  # starts a Ray instance and workers that import torch


@pytest.fixture(scope="module")
def ray_instance():
    from ray.util.joblib import register_ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    register_ray()
    yield
    ray.shutdown()


def test_grid_search_on_ray_matches_the_sequential_search(ray_instance):
    X, y, groups = MarkovMemorySampler(memory_influence=0.4, random_state=0).make_dataset(60, 8)

    def search():
        return GridSearchCV(
            NextEventClassifier(max_epochs=3, embedding_dim=4, random_state=0),
            {"hidden_size": [4, 8]},
            cv=GroupKFold(2),
            n_jobs=2,
        )

    sequential = search().set_params(n_jobs=None).fit(X, y, groups=groups)
    with parallel_config(backend="ray"):
        on_ray = search().fit(X, y, groups=groups)
    np.testing.assert_array_equal(
        on_ray.cv_results_["mean_test_score"], sequential.cv_results_["mean_test_score"]
    )
    assert on_ray.best_params_ == sequential.best_params_
