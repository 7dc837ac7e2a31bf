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
        counts = positions * longest if positions <= n_outputs + 1 else longest * (n_outputs + 1)
        cost = len(batch) * max(longest * width, positions * n_outputs + counts)
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


# --- Large catalogues: the sampled softmax -------------------------------------------------


def _module(copies, n_negatives=7, n_classes=12):
    token_class = np.r_[[-1] * 4, np.arange(n_classes)] if copies else None
    torch.manual_seed(0)
    module = LSTMNextEventModule(
        n_tokens=4 + n_classes,
        n_classes=n_classes,
        embedding_dim=3,
        hidden_size=5,
        num_layers=1,
        dropout=0.0,
        token_class=token_class,
        n_negatives=n_negatives,
        class_log_q=np.log(np.arange(1, n_classes + 1) / np.arange(1, n_classes + 1).sum()),
    )
    tokens = torch.tensor([[2, 4, 5, 9, 4, 6], [2, 7, 7, 0, 0, 0]])
    positions = torch.tensor([[1, 3, 5], [0, 2, 2]])
    targets = torch.tensor([[1, 5, 0], [3, 3, 2]])
    return module, tokens, positions, targets


@pytest.mark.parametrize("copies", [True, False])
def test_sampled_softmax_is_the_softmax_over_target_and_drawn_negatives(copies):
    """Recomputed by hand from the same draw: logits less log Q, accidental hits left out."""
    module, tokens, positions, targets = _module(copies)
    module.train()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(3)
        got = module(tokens, positions, targets)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(3)
        negatives = torch.multinomial(module.class_log_q.exp(), 7, replacement=True)
    with torch.no_grad():
        hidden = module.hidden_at(tokens, positions)
        logits = module.output(hidden) - module.class_log_q  # (batch, positions, classes)
        classes = module.token_class[tokens] + 1 if copies else None
        if copies:
            logits = logits + module.repeat_shift(hidden) * module._seen(classes, positions)
        for b in range(2):
            for p in range(3):
                t = int(targets[b, p])
                kept = [int(n) for n in negatives if int(n) != t]
                row = torch.cat([logits[b, p, [t]], logits[b, p, kept]])
                log_p = torch.log_softmax(row, dim=0)[0]
                if copies:
                    upto = classes[b, : positions[b, p] + 1]
                    n_copyable = int((upto > 0).sum())
                    gate = torch.sigmoid(module.gate(hidden[b, p])) * (n_copyable > 0)
                    count = int((upto == t + 1).sum())
                    proba = gate * count / max(n_copyable, 1) + (1 - gate) * log_p.exp()
                    log_p = torch.log(proba).squeeze()
                assert float(got[b, p]) == pytest.approx(float(log_p), abs=1e-5)


@pytest.mark.parametrize("copies", [True, False])
def test_predictions_and_validation_use_the_full_softmax(copies):
    module, tokens, positions, targets = _module(copies)
    full, *_ = _module(copies, n_negatives=None)
    full.load_state_dict(module.state_dict())
    module.eval()
    full.eval()
    with torch.no_grad():
        torch.testing.assert_close(module(tokens, positions), full(tokens, positions))
        torch.testing.assert_close(
            module(tokens, positions, targets), full(tokens, positions, targets)
        )


def test_a_sampled_softmax_model_fits_reproducibly_saves_and_beats_popularity(ragged, tmp_path):
    from sklearn_seqlstm import MarkovChainClassifier, load, top_k_accuracy

    X, y, _ = ragged
    options = dict(max_epochs=4, hidden_size=16, embedding_dim=8, random_state=0)
    sampled = NextEventClassifier(n_negatives=3, **options).fit(X, y)
    again = NextEventClassifier(n_negatives=3, **options).fit(X, y)
    np.testing.assert_array_equal(sampled.predict_proba(X), again.predict_proba(X))
    popularity = MarkovChainClassifier(order=0).fit(X, y)
    assert top_k_accuracy(y, sampled.predict_proba(X), classes=sampled.classes_, k=2) > (
        top_k_accuracy(y, popularity.predict_proba(X), classes=popularity.classes_, k=2)
    )
    sampled.save(tmp_path / "model.seqlstm")
    loaded = load(tmp_path / "model.seqlstm")
    assert loaded.n_negatives == 3
    np.testing.assert_allclose(loaded.predict_proba(X), sampled.predict_proba(X), atol=1e-7)


@pytest.mark.parametrize("bad", [0, -1, 2.5, "10", True])
def test_n_negatives_must_be_a_positive_integer(ragged, bad):
    X, y, _ = ragged
    with pytest.raises((ValueError, TypeError), match="n_negatives"):
        NextEventClassifier(n_negatives=bad, **FAST).fit(X, y)
