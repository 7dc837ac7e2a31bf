"""bootstrap_interval: the uncertainty of a score, resampling whole sequences."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sklearn_seqlstm import bootstrap_interval


def _clustered_hits(rng, n_groups, group_size, p, spread=0.3):
    """Hits whose rate varies from group to group (sequences are easy or hard)."""
    rates = np.clip(rng.normal(p, spread, size=n_groups), 0, 1)
    hits = rng.rand(n_groups, group_size) < rates[:, None]
    return hits.ravel().astype(float), np.repeat(np.arange(n_groups), group_size), rates.mean()


@given(
    scores=st.lists(st.floats(-10, 10), min_size=1, max_size=30),
    data=st.data(),
)
def test_the_estimate_is_the_weighted_mean_inside_its_interval(scores, data):
    weights = data.draw(st.lists(st.floats(0.1, 5), min_size=len(scores), max_size=len(scores)))
    groups = data.draw(st.lists(st.integers(0, 4), min_size=len(scores), max_size=len(scores)))
    interval = bootstrap_interval(
        scores, groups, sample_weight=weights, n_resamples=50, random_state=0
    )
    assert interval.estimate == pytest.approx(np.average(scores, weights=weights), abs=1e-9)
    assert interval.low <= interval.high
    assert interval.std_error >= 0


def test_intervals_cover_the_true_rate_about_as_often_as_they_claim():
    rng = np.random.RandomState(0)
    covered = []
    for trial in range(200):
        # A spread small enough that clipping to [0, 1] leaves the mean rate at 0.6.
        hits, groups, _ = _clustered_hits(rng, n_groups=60, group_size=5, p=0.6, spread=0.12)
        interval = bootstrap_interval(hits, groups, n_resamples=400, random_state=trial)
        covered.append(interval.low <= 0.6 <= interval.high)
    # 95% nominal; with 200 trials, 0.88 is more than 4 standard errors below it.
    assert np.mean(covered) >= 0.88


def test_resampling_whole_sequences_widens_the_interval_of_correlated_samples():
    rng = np.random.RandomState(1)
    hits, groups, _ = _clustered_hits(rng, n_groups=200, group_size=8, p=0.5, spread=0.4)
    by_sequence = bootstrap_interval(hits, groups, random_state=0)
    by_sample = bootstrap_interval(hits, random_state=0)
    assert by_sequence.std_error > 1.5 * by_sample.std_error


def test_a_paired_difference_is_narrower_than_the_two_intervals():
    rng = np.random.RandomState(2)
    hits_a, groups, _ = _clustered_hits(rng, n_groups=150, group_size=6, p=0.6)
    # Model b agrees with model a on most samples and misses a few more.
    hits_b = hits_a * (rng.rand(len(hits_a)) > 0.05)
    a = bootstrap_interval(hits_a, groups, random_state=0)
    difference = bootstrap_interval(hits_a - hits_b, groups, random_state=0)
    assert difference.std_error < 0.5 * a.std_error
    assert difference.low > 0  # a is better, and the paired interval says so


def test_the_same_seed_gives_the_same_interval():
    scores, groups = np.arange(20) % 3, np.arange(20) // 4
    assert bootstrap_interval(scores, groups, random_state=3) == bootstrap_interval(
        scores, groups, random_state=3
    )


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"scores": [1.0, np.nan]}, ValueError, "finite"),
        ({"scores": []}, ValueError, "empty"),
        ({"scores": [1.0, 0.0], "groups": [0]}, ValueError, "groups has 1 values"),
        ({"scores": [1.0], "n_resamples": 1}, ValueError, "at least 2"),
        ({"scores": [1.0], "n_resamples": 2.5}, TypeError, "integer"),
        ({"scores": [1.0], "confidence": 1.0}, ValueError, "confidence"),
        ({"scores": [1.0, 0.0], "sample_weight": [-1, 1]}, ValueError, "Negative"),
    ],
)
def test_bad_input_is_a_clear_error(kwargs, error, message):
    with pytest.raises(error, match=message):
        bootstrap_interval(**kwargs)
