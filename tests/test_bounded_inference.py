"""Bounded batch inference: length-sorted batches within a budget, results in order.

Every batched path is compared with single-history calls. The single-history
path of a plain model reads out in float64 numpy, the batched one in float32
torch; probabilities are at most 1, so a few float32 roundings (about 6e-8 each)
in the read-out stay well within ``ATOL``.
"""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn_seqlstm import MarkovMemorySampler, NextEventClassifier, samples_from_log
from sklearn_seqlstm.histories._histories import take
from sklearn_seqlstm.neural import _inference
from sklearn_seqlstm.neural._chains import group_into_chains
from sklearn_seqlstm.neural._inference import predict_batches
from sklearn_seqlstm.neural._module import LSTMNextEventModule

FAST = dict(max_epochs=2, hidden_size=8, embedding_dim=4, random_state=0)
ATOL = 1e-6  # float32 read-out against float64 (see the module docstring)


@pytest.fixture(scope="module")
def ragged():
    """Histories of 0 to 60 events, with events the model never saw, in no length order."""
    sampler = MarkovMemorySampler(memory_influence=0.4, random_state=0)
    X, y, _ = sampler.make_dataset(30, 12)
    rng = np.random.RandomState(1)
    events = sampler.make_dataset(1, 200)[0][-1]
    histories = [list(events[: rng.randint(0, 61)]) for _ in range(40)]
    histories[3] = histories[3] + ["never seen"]
    return X, y, histories


@pytest.fixture(scope="module", params=[True, False], ids=["copy", "no-copy"])
def model(request, ragged):
    X, y, _ = ragged
    return NextEventClassifier(copy_from_history=request.param, **FAST).fit(X, y)


def _single(model, histories):
    return np.vstack([model.predict_proba([history]) for history in histories])


@pytest.mark.parametrize("budget", [None, 1, 500])
def test_batched_proba_equals_single_calls_whatever_the_budget(model, ragged, budget, monkeypatch):
    _, _, histories = ragged
    if budget is not None:  # 1: one chain a batch; 500: a few chains a batch
        monkeypatch.setattr(_inference, "PREDICT_BUDGET", budget)
    np.testing.assert_allclose(
        model.predict_proba(histories), _single(model, histories), rtol=0, atol=ATOL
    )


def test_batched_proba_with_max_history_equals_single_calls(ragged, monkeypatch):
    X, y, histories = ragged
    model = NextEventClassifier(max_history=7, **FAST).fit(X, y)
    monkeypatch.setattr(_inference, "PREDICT_BUDGET", 300)
    np.testing.assert_allclose(
        model.predict_proba(histories), _single(model, histories), rtol=0, atol=ATOL
    )


def test_recommend_predict_and_score_equal_single_calls(model, ragged, monkeypatch):
    _, _, histories = ragged
    y = [h[-1] if h else model.classes_[0] for h in histories]
    monkeypatch.setattr(_inference, "PREDICT_BUDGET", 200)
    single = _single(model, histories)
    np.testing.assert_array_equal(
        model.predict(histories), model.classes_[np.argmax(single, axis=1)]
    )
    events, proba = model.recommend(histories, k=3, exclude_seen=True, return_proba=True)
    for row, history in enumerate(histories):
        one, one_proba = model.recommend([history], k=3, exclude_seen=True, return_proba=True)
        np.testing.assert_array_equal(events[row], one[0])
        np.testing.assert_allclose(proba[row], one_proba[0], rtol=0, atol=ATOL)
    assert model.score(histories, y) == pytest.approx(
        np.mean(model.classes_[np.argmax(single, axis=1)] == np.asarray(y, dtype=object))
    )


def test_prefix_histories_equal_single_calls(model, ragged, monkeypatch):
    """Many positions a chain: the prefixes of one sequence share its LSTM pass."""
    X, _, _ = ragged
    monkeypatch.setattr(_inference, "PREDICT_BUDGET", 2_000)
    some = take(X, np.arange(0, len(X), 7))
    np.testing.assert_allclose(
        model.predict_proba(X)[::7], _single(model, list(some)), rtol=0, atol=ATOL
    )


def test_attributed_histories_equal_one_history_calls(monkeypatch):
    """Attributed models have no numpy single-history path: one history a call instead."""
    import pandas as pd

    rng = np.random.RandomState(0)
    rows = []
    for case in range(25):
        n = rng.randint(2, 15)
        for step in range(n):
            rows.append(
                dict(
                    case=case,
                    time=pd.Timestamp("2024-01-01") + pd.Timedelta(hours=int(10 * case + step)),
                    activity=f"a{rng.randint(5)}",
                    amount=float(rng.rand()),
                    channel=["web", "phone"][case % 2],
                )
            )
    log = pd.DataFrame(rows)
    X, y, _ = samples_from_log(
        log,
        sequence_col="case",
        order_col="time",
        event_col="activity",
        time_col="time",
        event_attributes=["amount"],
        sequence_attributes=["channel"],
    )
    model = NextEventClassifier(**FAST).fit(X, y)
    monkeypatch.setattr(_inference, "PREDICT_BUDGET", 400)
    batched = model.predict_proba(X)
    for row in range(0, len(y), 5):
        one = model.predict_proba(take(X, [row]))
        # Both read out in float32 torch; only the batches' shapes differ.
        np.testing.assert_allclose(batched[row], one[0], rtol=0, atol=ATOL)


def test_results_keep_the_order_of_the_samples(model, ragged):
    _, _, histories = ragged
    order = np.random.RandomState(2).permutation(len(histories))
    np.testing.assert_allclose(
        model.predict_proba([histories[i] for i in order]),
        model.predict_proba(histories)[order],
        rtol=0,
        atol=ATOL,
    )


@settings(max_examples=40, deadline=None)
@given(
    lengths=st.lists(st.integers(1, 30), min_size=1, max_size=40),
    n_outputs=st.integers(1, 50),
    budget=st.integers(1, 5_000),
)
def test_batches_take_every_chain_once_in_length_order_within_the_budget(
    lengths, n_outputs, budget
):
    histories = [tuple(range(i * 100, i * 100 + n)) for i, n in enumerate(lengths)]
    chains = group_into_chains(histories)
    width = 3
    batches = predict_batches(chains, n_outputs, width, budget)
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == list(range(chains.n_chains))
    chain_lengths = chains.chain_lengths
    assert np.all(np.diff(chain_lengths[flat]) >= 0)
    for batch in batches:
        longest = chain_lengths[batch].max()
        positions = chains.n_entries_per_chain[batch].max()
        cost = len(batch) * max(
            longest * width, positions * (n_outputs + min(longest, n_outputs + 1))
        )
        assert len(batch) == 1 or cost <= budget


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_counts_at_positions_are_the_running_counts(data):
    """Both ways of counting (per position, or running) give the exact counts."""
    n_classes = data.draw(st.integers(1, 6))
    batch, length = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 12))
    n_positions = data.draw(st.integers(1, 10))  # above and below n_classes + 1
    classes = torch.tensor(
        data.draw(
            st.lists(st.integers(0, n_classes), min_size=batch * length, max_size=batch * length)
        )
    ).reshape(batch, length)
    positions = torch.tensor(
        data.draw(
            st.lists(
                st.integers(0, length - 1),
                min_size=batch * n_positions,
                max_size=batch * n_positions,
            )
        )
    ).reshape(batch, n_positions)
    module = LSTMNextEventModule(
        n_tokens=8, n_classes=n_classes, embedding_dim=2, hidden_size=2, num_layers=1, dropout=0.0
    )
    counts = module._counts(classes, positions).numpy()
    for b in range(batch):
        for p in range(n_positions):
            upto = classes[b, : positions[b, p] + 1].numpy()
            expected = np.bincount(upto, minlength=n_classes + 1)[1:]
            np.testing.assert_array_equal(counts[b, p], expected)
