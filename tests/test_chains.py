"""One pass per chain: the grouping is exact and the loss is the per-sample loss."""

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn_seqlstm.histories._histories import check_histories, distinct_events
from sklearn_seqlstm.neural._chains import (
    ChainDataset,
    ChainLoader,
    collate,
    distinct_rows,
    group_into_chains,
)
from sklearn_seqlstm.neural._module import (
    START,
    LSTMNextEventModule,
    LSTMNextValueModule,
    WeightedEntryLoss,
    valid_cells,
)

# Histories over a 3-token alphabet, led by the START marker as the classifier does.
histories_strategy = st.lists(
    st.lists(st.integers(4, 6), max_size=6).map(lambda h: (START, *h)), min_size=1, max_size=40
)


@settings(max_examples=150, deadline=None)
@given(histories=histories_strategy, data=st.data())
def test_every_sample_is_read_off_a_chain_that_starts_with_its_history(histories, data):
    targets = data.draw(
        st.lists(st.integers(0, 2), min_size=len(histories), max_size=len(histories))
    )
    weights = data.draw(
        st.lists(st.floats(0.1, 5), min_size=len(histories), max_size=len(histories))
    )
    chains = group_into_chains(histories, targets, weights)

    entry_chain = np.repeat(np.arange(chains.n_chains), chains.n_entries_per_chain)
    for i, history in enumerate(histories):
        entry = chains.sample_entry[i]
        c = entry_chain[entry]
        tokens = chains.tokens[chains.token_offsets[c] : chains.token_offsets[c + 1]]
        position = chains.entry_position[entry]
        assert tuple(tokens[: position + 1]) == history
        assert chains.entry_target[entry] == targets[i]
    # Weights are summed per (history, target), never lost or double counted.
    assert np.isclose(chains.entry_weight.sum(), sum(weights))
    # A chain is never a prefix of another chain: otherwise it would be run twice.
    spans = {
        tuple(chains.tokens[chains.token_offsets[c] : chains.token_offsets[c + 1]])
        for c in range(chains.n_chains)
    }
    for a in spans:
        for b in spans:
            assert a == b or a != b[: len(a)]


def _sorted_walk(histories, targets):
    """The grouping as first written, kept as the reference of its exact layout.

    Histories numbered by first appearance; sorted, each is a prefix of its
    successor or a chain of its own, chains numbered from the last in that order.
    """
    ids = {}
    sample_history = [ids.setdefault(h, len(ids)) for h in histories]
    distinct = list(ids)
    chain_of, leaves, successor = {}, [], ()
    for d in sorted(range(len(distinct)), key=distinct.__getitem__, reverse=True):
        history = distinct[d]
        if len(successor) > len(history) and successor[: len(history)] == history:
            chain_of[d] = chain_of[ids[successor]]
        else:
            chain_of[d] = len(leaves)
            leaves.append(history)
        successor = history
    entries = sorted({(sample_history[i], t) for i, t in enumerate(targets)})
    entries.sort(key=lambda entry: chain_of[entry[0]])  # stable: by chain, then as before
    return (
        [token for leaf in leaves for token in leaf],
        [(len(distinct[d]) - 1, t) for d, t in entries],
        [entries.index((sample_history[i], t)) for i, t in enumerate(targets)],
    )


@settings(max_examples=150, deadline=None)
@given(
    sequences=st.lists(st.lists(st.sampled_from("abcd"), max_size=8), min_size=1, max_size=6),
    data=st.data(),
)
def test_encoding_only_the_runs_tops_groups_as_the_sorted_walk(sequences, data):
    # Prefixes listed one after another (runs), shuffled or repeated; "d" is unknown,
    # so distinct histories may encode alike.
    histories = [tuple(s[:n]) for s in sequences for n in range(len(s) + 1)]
    histories = data.draw(st.permutations(histories)) if data.draw(st.booleans()) else histories
    histories += data.draw(st.lists(st.sampled_from(histories), max_size=3))
    targets = data.draw(
        st.lists(st.integers(0, 2), min_size=len(histories), max_size=len(histories))
    )
    ids = {"a": 4, "b": 5, "c": 6}

    def encode(hs):
        return [(START, *(ids.get(event, 2) for event in h)) for h in hs]

    tokens, entries, sample_entry = _sorted_walk(encode(histories), targets)
    for chains in (
        group_into_chains(encode(histories), targets),
        group_into_chains(histories, targets, encode=encode),
    ):
        assert chains.tokens.tolist() == tokens
        positions, targets_ = chains.entry_position.tolist(), chains.entry_target.tolist()
        assert list(zip(positions, targets_, strict=True)) == entries
        assert chains.sample_entry.tolist() == sample_entry


def test_prefixes_of_one_sequence_form_one_chain():
    sequence = (START, 4, 5, 6, 4, 5)
    histories = [sequence[:t] for t in range(1, len(sequence) + 1)]
    chains = group_into_chains(histories, targets=[0] * len(histories))
    assert chains.n_chains == 1
    assert chains.tokens.tolist() == list(sequence)
    assert sorted(chains.entry_position.tolist()) == list(range(len(sequence)))


def test_independent_histories_are_chains_of_their_own():
    histories = [(START, 4, 5), (START, 5, 4), (START, 6)]
    chains = group_into_chains(histories, targets=[0, 1, 2])
    assert chains.n_chains == 3


def _per_sample_loss_sum(module, histories, targets, weights):
    """Each history run on its own, the tutorial way: O(L^2) per sequence."""
    total = torch.zeros(())
    for history, target, weight in zip(histories, targets, weights, strict=True):
        tokens = torch.tensor([history])
        log_proba = module(tokens, torch.tensor([[len(history) - 1]]))
        total = total + weight * torch.nn.functional.nll_loss(
            log_proba[0], torch.tensor([target]), reduction="sum"
        )
    return total


def _move_away_from_init(module):
    """A nonzero repeat shift, so that the tests exercise it (it starts at zero)."""
    if module.copies:
        with torch.no_grad():
            module.repeat_shift.weight.normal_()
            module.repeat_shift.bias.fill_(-1.0)


# Tokens 4..8 are events; events 4..7 are classes 0..3 and event 8 is no class.
COPY_FROM_HISTORY = {"no copy": None, "copy": [-1, -1, -1, -1, 0, 1, 2, 3, -1]}


@pytest.mark.parametrize("token_class", COPY_FROM_HISTORY.values(), ids=COPY_FROM_HISTORY)
def test_chain_loss_equals_the_sum_of_per_sample_losses(token_class):
    rng = np.random.RandomState(0)
    sequences = [tuple(rng.randint(4, 9, size=rng.randint(2, 12))) for _ in range(25)]
    histories, targets = [], []
    for sequence in sequences:
        for t in range(len(sequence)):
            histories.append((START, *sequence[:t]))
            targets.append(min(sequence[t] - 4, 3))
    # Duplicates and uneven weights must count exactly as often as they occur.
    histories += histories[:10]
    targets += targets[:10]
    weights = rng.uniform(0.5, 2.0, size=len(histories))

    torch.manual_seed(0)
    module = LSTMNextEventModule(9, 4, 4, 8, num_layers=2, dropout=0.0, token_class=token_class)
    _move_away_from_init(module)
    module.eval()
    chains = group_into_chains(histories, targets, weights)
    assert chains.n_chains < len(histories)  # the grouping really shares work here

    chain_total = torch.zeros(())
    loss = WeightedEntryLoss()
    for batch in ChainLoader(ChainDataset(chains), batch_size=7).batches():
        X, y = collate(chains, batch)
        # The criterion gives the weighted mean; times the batch weight, the sum.
        chain_total = chain_total + loss(module(**X), y) * y["weight"].sum()
    expected = _per_sample_loss_sum(module, histories, targets, weights)
    torch.testing.assert_close(chain_total, expected.float(), rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("token_class", COPY_FROM_HISTORY.values(), ids=COPY_FROM_HISTORY)
def test_gradients_match_per_sample_training(token_class):
    histories = [(START,), (START, 4), (START, 4, 5), (START, 4, 5, 6), (START, 5)]
    targets = [0, 1, 2, 3, 1]
    weights = [1.0, 2.0, 1.0, 0.5, 1.0]
    torch.manual_seed(1)
    module = LSTMNextEventModule(9, 4, 3, 5, num_layers=1, dropout=0.0, token_class=token_class)
    _move_away_from_init(module)

    chains = group_into_chains(histories, targets, weights)
    X, y = collate(chains, np.arange(chains.n_chains))
    (WeightedEntryLoss()(module(**X), y) * sum(weights)).backward()
    chain_grads = [p.grad.clone() for p in module.parameters()]

    module.zero_grad()
    _per_sample_loss_sum(module, histories, targets, weights).backward()
    for got, expected in zip(chain_grads, module.parameters(), strict=True):
        torch.testing.assert_close(got, expected.grad, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("n_negatives", [None, 3], ids=["full softmax", "sampled softmax"])
@pytest.mark.parametrize("token_class", COPY_FROM_HISTORY.values(), ids=COPY_FROM_HISTORY)
def test_the_flat_read_out_trains_as_the_padded_one(token_class, n_negatives):
    # The first chain serves every history of the shared prefix: its entries are the
    # widest, so the padded read-out pads the others. In training mode, with the same
    # seed, the flat read-out gives the padded one's valid cells: the same negatives,
    # and the loss and gradients of the same model. (Dropout draws its masks for the
    # entries only, so its masks are not the padded grid's: see the next test.)
    rng = np.random.RandomState(0)
    histories = [(START, *rng.randint(4, 9, size=rng.randint(1, 4))) for _ in range(12)]
    histories += [(START, 4)] * 6 + [(START, 4, 5)] * 3
    targets = rng.randint(0, 4, size=len(histories))
    chains = group_into_chains(histories, targets)
    assert chains.n_entries_per_chain.max() > 2 * chains.n_entries_per_chain.min()
    torch.manual_seed(3)
    module = LSTMNextEventModule(
        9, 4, 3, 5, num_layers=1, dropout=0.0, token_class=token_class, n_negatives=n_negatives
    )
    _move_away_from_init(module)
    module.train()
    batch = np.arange(chains.n_chains)
    outputs = {}
    for flat in (True, False):
        X, y = collate(chains, batch, flat=flat)
        torch.manual_seed(5)
        outputs[flat] = (module(**X), y["weight"])
        assert outputs[flat][0].shape == outputs[flat][1].shape
    padded, weight = outputs[False]
    valid = torch.arange(padded.size(1)) < torch.as_tensor(chains.n_entries_per_chain)[:, None]
    assert torch.equal(outputs[True][1], weight[valid])
    torch.testing.assert_close(outputs[True][0], padded[valid], rtol=1e-6, atol=1e-6)


def test_the_flat_regression_read_out_trains_as_the_padded_one():
    histories = [(START,), (START, 4), (START, 4, 5), (START, 4, 5, 6), (START, 5)] * 2
    targets = np.linspace(-1.0, 1.0, len(histories))
    chains = group_into_chains(histories, targets)
    torch.manual_seed(3)
    module = LSTMNextValueModule(9, 3, 5, num_layers=1, dropout=0.0)
    torch.nn.init.normal_(module.output.weight)
    module.train()
    outputs = {}
    for flat in (True, False):
        X, y = collate(chains, np.arange(chains.n_chains), flat=flat)
        assert "targets" not in X  # numbers go to the loss
        torch.manual_seed(5)
        outputs[flat] = (module(**X), y["target"])
    padded, target = outputs[False]
    valid = torch.arange(padded.size(1)) < torch.as_tensor(chains.n_entries_per_chain)[:, None]
    assert torch.equal(outputs[True][1], target[valid])
    torch.testing.assert_close(outputs[True][0], padded[valid], rtol=1e-6, atol=1e-6)


def test_training_dropout_draws_a_mask_for_the_entries_only():
    # One wide chain (the shared prefix serves 9 histories) and narrow ones: the
    # padded grid is mostly padding, and no mask is drawn for it.
    histories = [(START, 4)] * 6 + [(START, 4, 5)] * 3 + [(START, 6), (START, 7, 8)]
    chains = group_into_chains(histories, np.linspace(-1.0, 1.0, len(histories)))
    X, _ = collate(chains, np.arange(chains.n_chains))
    rows, columns = valid_cells(X["positions"], X["n_entries"])
    assert X["positions"].numel() > 2 * len(rows)
    torch.manual_seed(3)
    module = LSTMNextValueModule(9, 3, 16, num_layers=1, dropout=0.4)

    def hidden():
        return module.entry_hidden(X["tokens"], X["positions"], rows, columns)

    module.eval()
    plain = hidden()
    assert (plain != 0).all()
    module.train()
    torch.manual_seed(5)
    dropped = hidden()
    kept = dropped != 0
    torch.testing.assert_close(dropped[kept], plain[kept] / 0.6)
    # The generator moves by one float32 draw per unit of each entry, padding none.
    after = torch.rand(1)
    torch.manual_seed(5)
    torch.rand(len(rows), 16)
    assert torch.equal(after, torch.rand(1))
    # Each unit is dropped with probability 0.4: 200 masks of 16 x 11 units.
    torch.manual_seed(0)
    rate = torch.stack([hidden() == 0 for _ in range(200)]).double().mean().item()
    assert abs(rate - 0.4) < 0.01


@pytest.mark.parametrize("shuffle", [False, True])
def test_loader_yields_every_chain_once(shuffle):
    histories = [(START, *range(4, 4 + n)) for n in range(30)] + [(START, 9, 9)]
    chains = group_into_chains(histories, targets=[0] * len(histories))
    loader = ChainLoader(
        ChainDataset(chains), batch_size=4, shuffle=shuffle, random_state=np.random.RandomState(0)
    )
    seen = np.concatenate(loader.batches())
    assert sorted(seen.tolist()) == list(range(chains.n_chains))
    assert len(loader.batches()) == len(loader)


def test_copy_from_history_reads_the_running_class_counts():
    # Events 4, 5, 6 are classes 0, 1, 2; event 7 is no class.
    module = LSTMNextEventModule(8, 3, 2, 3, 1, 0.0, token_class=[-1, -1, -1, -1, 0, 1, 2, -1])
    tokens = torch.tensor([[START, 4, 4, 7, 6, 0]])  # right-padded with PAD = 0
    classes = module.token_class[tokens] + 1
    positions = torch.tensor([[0, 1, 2, 3, 4]])
    expected = [[0, 0, 0], [1, 0, 0], [2, 0, 0], [2, 0, 0], [2, 0, 1]]
    assert module._counts(classes, positions)[0].tolist() == expected
    assert module._seen(classes, positions)[0].tolist() == [
        [float(c > 0) for c in row] for row in expected
    ]
    targets = torch.tensor([[2, 0, 0, 1, 2]])
    assert module._target_counts(classes, positions, targets)[0].tolist() == [0, 1, 2, 0, 1]


def _counts_by_comparison(classes, positions, targets):
    """Each target's count among tokens 0..t, position by token: the O(L^2) reference."""
    steps = torch.arange(classes.size(1))
    match = classes.unsqueeze(1) == (targets + 1).unsqueeze(-1)
    return (match & (steps <= positions.unsqueeze(-1))).sum(dim=-1).float()


class _ComparingModule(LSTMNextEventModule):
    """The module with its target counts taken by the reference comparison."""

    def _entry_target_counts(self, classes, rows, positions, targets):
        counts = _counts_by_comparison(classes[rows], positions[:, None], targets[:, None])
        return counts[:, 0]


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_target_counts_by_binary_search_equal_the_comparison(data):
    n_classes = data.draw(st.integers(1, 4))
    # Tokens 4..8; each a class or no class (-1), so some chains have nothing to copy.
    token_class = [-1] * 4 + data.draw(
        st.lists(st.integers(-1, n_classes - 1), min_size=5, max_size=5)
    )
    batch, length = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 9))
    n_positions = data.draw(st.integers(1, 12))
    chains = []
    for _ in range(batch):  # right-padded with PAD, as collate pads
        size = data.draw(st.integers(1, length))
        chain = [
            START,
            *data.draw(st.lists(st.integers(4, 8), min_size=size - 1, max_size=size - 1)),
        ]
        chains.append(chain + [0] * (length - size))
    tokens = torch.tensor(chains)

    def draw_matrix(high):  # (batch, n_positions) integers in 0..high
        row = st.lists(st.integers(0, high), min_size=n_positions, max_size=n_positions)
        return torch.tensor(data.draw(st.lists(row, min_size=batch, max_size=batch)))

    positions = draw_matrix(length - 1)
    targets = draw_matrix(n_classes - 1)
    kwargs = {
        "n_tokens": 9,
        "n_classes": n_classes,
        "embedding_dim": 3,
        "hidden_size": 4,
        "num_layers": 1,
        "dropout": 0.3,
        "token_class": token_class,
    }
    torch.manual_seed(0)
    module = LSTMNextEventModule(**kwargs)
    reference = _ComparingModule(**kwargs)
    reference.load_state_dict(module.state_dict())
    classes = module.token_class[tokens] + 1
    counts = module._target_counts(classes, positions, targets)
    assert torch.equal(counts, _counts_by_comparison(classes, positions, targets))
    assert torch.equal(
        counts, module._counts(classes, positions).gather(-1, targets[..., None])[..., 0]
    )
    # The training outputs are the same to the bit: full softmax, sampled softmax (the
    # same negatives and dropout from the same seed) and the evaluation mode.
    for n_negatives, training in [(None, True), (2, True), (None, False)]:
        module.n_negatives = reference.n_negatives = n_negatives
        module.train(training)
        reference.train(training)
        outputs = []
        for model in (module, reference):
            torch.manual_seed(1)
            outputs.append(model(tokens, positions, targets))
        assert torch.equal(*outputs)


def test_target_log_proba_is_read_off_the_full_distribution():
    torch.manual_seed(0)
    module = LSTMNextEventModule(8, 3, 2, 3, 1, 0.0, token_class=[-1, -1, -1, -1, 0, 1, 2, -1])
    with torch.no_grad():  # a shift and a gate away from their initial values
        module.repeat_shift.bias.fill_(-2.0)
        module.gate.bias.fill_(0.5)
    module.eval()
    tokens = torch.tensor([[START, 4, 4, 7, 6, 5], [START, 6, 0, 0, 0, 0]])
    positions = torch.tensor([[0, 1, 2, 3, 4], [0, 1, 1, 1, 1]])
    targets = torch.tensor([[2, 0, 0, 1, 2], [1, 2, 0, 0, 0]])
    full = module(tokens, positions)
    torch.testing.assert_close(full.exp().sum(-1), torch.ones(2, 5))
    torch.testing.assert_close(
        module(tokens, positions, targets), full.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    )


# Events of mixed kinds, so that prefix runs and their ends come in every layout.
event_strategy = st.one_of(st.sampled_from(["a", "b", "c"]), st.integers(0, 2))


@settings(max_examples=150, deadline=None)
@given(histories=st.lists(st.lists(event_strategy, max_size=5).map(tuple), max_size=30))
def test_distinct_events_reads_run_ends_and_finds_every_event(histories):
    # Only the histories that are no prefix of the next are read: the set must still
    # hold every event of every history, also when check_histories' list remembers
    # which history is a prefix of the next.
    assert distinct_events(histories) == set().union(*histories)
    if histories:
        checked = check_histories(histories)
        assert distinct_events(checked) == set().union(*histories)
        assert distinct_events(checked) == set().union(*histories)  # from the cache


@pytest.mark.parametrize(
    ("X", "error", "where"),
    [
        ([["a"], ["a", ["b"]]], TypeError, r"X\[1\]\[1\]"),
        ([["a"], ["a", np.array([1, 2])]], TypeError, r"X\[1\]\[1\]"),
        ([["a", None], ["a", None, "b"]], ValueError, r"X\[0\]\[1\]"),
        ([["a"], ["a", pd.NA]], ValueError, r"X\[1\]\[1\]"),
    ],
)
def test_bad_events_in_prefix_runs_are_named_where_they_first_occur(X, error, where):
    with pytest.raises(error, match=where):
        check_histories(X)


@given(
    st.integers(0, 40),
    st.integers(0, 3),
    st.integers(0, 3),
    st.data(),
)
@settings(max_examples=100, deadline=None)
def test_distinct_rows_rank_rows_as_numpy_unique(n_rows, n_cats, n_nums, data):
    """The same ranks as np.unique over rows, without its copies of the table."""
    small = st.integers(-3, 3)
    tokens = np.array(data.draw(st.lists(small, min_size=n_rows, max_size=n_rows)), np.int64)
    cats = np.array(
        data.draw(
            st.lists(
                st.lists(small, min_size=n_cats, max_size=n_cats), min_size=n_rows, max_size=n_rows
            )
        ),
        dtype=np.int64,
    ).reshape(n_rows, n_cats)
    bits = np.array(
        data.draw(
            st.lists(
                st.lists(
                    st.integers(-(2**31), 2**31 - 1) | small, min_size=n_nums, max_size=n_nums
                ),
                min_size=n_rows,
                max_size=n_rows,
            )
        ),
        dtype=np.int32,
    ).reshape(n_rows, n_nums)
    columns = [tokens, *cats.T, *bits.T]
    table = np.column_stack([tokens, cats, bits.astype(np.int64)])
    expected = np.unique(table, axis=0, return_inverse=True)[1].reshape(-1)
    np.testing.assert_array_equal(distinct_rows(columns), expected)
