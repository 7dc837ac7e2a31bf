"""One model per dataset: the form and order of the samples never change what fit learns.

The same samples reach ``fit`` as lists in any order, as ``PrefixHistories``, as
``AttributedHistories`` or their DataFrame form, repeated or weighted. Every form is
reduced to one canonical layout of chains before the batch size and the batches are
decided, so the models are the same to the bit on a CPU.
"""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.utils import shuffle

from sklearn_seqlstm import (
    NextEventClassifier,
    NextValueRegressor,
    PrefixHistories,
    samples_from_log,
)
from sklearn_seqlstm.histories._attributed import AttributedHistories
from sklearn_seqlstm.histories._histories import check_histories, scaled_to_unit
from sklearn_seqlstm.neural import _estimator
from sklearn_seqlstm.neural._chains import (
    canonical_chains,
    chains_from_prefixes,
    group_into_chains,
)
from sklearn_seqlstm.neural._module import START

FAST = dict(max_epochs=3, hidden_size=8, embedding_dim=4, random_state=0)


def _log(n_cases=60, seed=0):
    """A small repetitive log: few distinct traces, many cases, times and attributes."""
    rng = np.random.RandomState(seed)
    traces = [("a", "b", "c"), ("a", "b", "d", "c"), ("a", "c"), ("b", "d", "d", "c")]
    rows = []
    for case in range(n_cases):
        trace = traces[rng.randint(len(traces))]
        start = pd.Timestamp("2024-01-01", tz="UTC") + pd.Timedelta(hours=int(rng.randint(500)))
        amount = float(rng.choice([100.0, 250.0]))
        for step, event in enumerate(trace):
            rows.append(
                {
                    "case": f"c{case:03d}",
                    "time": start + pd.Timedelta(minutes=30 * step * int(rng.randint(1, 3))),
                    "event": event,
                    "resource": rng.choice(["r1", "r2"]),
                    "amount": amount,
                }
            )
    return pd.DataFrame(rows)


def _names_only(frame):
    return samples_from_log(
        frame, sequence_col="case", order_col="time", event_col="event", end_event="[END]"
    )


def _attributed(frame):
    return samples_from_log(
        frame,
        sequence_col="case",
        order_col="time",
        event_col="event",
        time_col="time",
        event_attributes=["resource"],
        sequence_attributes=["amount"],
        end_event="[END]",
    )


def _proba(X, y, X_test, **fit_params):
    return NextEventClassifier(**FAST).fit(X, y, **fit_params).predict_proba(X_test)


@pytest.fixture(scope="module")
def names_only():
    X, y, _ = _names_only(_log())
    assert isinstance(X, PrefixHistories)
    return X, y


@pytest.fixture(scope="module")
def expected(names_only):
    X, y = names_only
    return _proba(X, y, list(X))


def test_lists_give_the_model_of_prefix_histories(names_only, expected):
    X, y = names_only
    np.testing.assert_array_equal(_proba([list(h) for h in X], y, list(X)), expected)


def test_predictions_are_the_same_whatever_the_form_of_x(names_only):
    X, y = names_only
    clf = NextEventClassifier(**FAST).fit(X, y)
    as_prefixes = clf.predict_proba(X)
    np.testing.assert_array_equal(clf.predict_proba([list(h) for h in X]), as_prefixes)
    order = np.random.RandomState(0).permutation(len(X))
    np.testing.assert_array_equal(clf.predict_proba(X[order]), as_prefixes[order])


def test_the_order_of_the_samples_changes_nothing(names_only, expected):
    X, y = names_only
    for seed in (0, 1):
        X_shuffled, y_shuffled = shuffle(list(X), y, random_state=seed)
        np.testing.assert_array_equal(_proba(X_shuffled, y_shuffled, list(X)), expected)
        rows = shuffle(np.arange(len(y)), random_state=seed)
        np.testing.assert_array_equal(_proba(X[rows], y[rows], list(X)), expected)


def test_repeating_samples_k_times_is_sample_weight_k(names_only):
    # Exact, not within a tolerance: repeated samples merge into one entry whose
    # weight is their sum, and the weights differ from sample_weight=k's by a power
    # of 2 only, which the loss's weighted mean cancels to the bit.
    X, y = names_only
    k = np.random.RandomState(0).randint(1, 4, size=len(y))
    rows = np.repeat(np.arange(len(y)), k)
    weighted = _proba(X, y, list(X), sample_weight=k)
    np.testing.assert_array_equal(_proba(X[rows], y[rows], list(X)), weighted)
    np.testing.assert_array_equal(_proba([list(X[i]) for i in rows], y[rows], list(X)), weighted)


def test_samples_of_weight_zero_change_nothing(names_only, expected):
    X, y = names_only
    rng = np.random.RandomState(1)
    extra = rng.randint(len(y), size=30)
    # Other targets for histories already there: zero-weighted, they must not count.
    other_y = rng.permutation(y)[:30]
    histories = [list(h) for h in X] + [list(X[i]) for i in extra]
    weights = np.r_[np.ones(len(y)), np.zeros(30)]
    np.testing.assert_array_equal(
        _proba(histories, np.r_[y, other_y], list(X), sample_weight=weights), expected
    )


def test_attributed_histories_in_any_order_give_one_model():
    X, y, _ = _attributed(_log())
    assert isinstance(X, AttributedHistories)
    rows = shuffle(np.arange(len(y)), random_state=0)
    np.testing.assert_array_equal(_proba(X[rows], y[rows], X), _proba(X, y, X))


def test_the_frame_form_in_any_order_gives_one_model():
    # The DataFrame form stores each sample as a sequence of its own, and the step
    # encoder standardises times and numbers over the stored sequences' steps: its
    # model is the same whatever the order of the rows, but not that of the
    # AttributedHistories it came from (whose statistics count each step once).
    X, y, _ = _attributed(_log())
    frame = X.to_frame()
    rows = shuffle(np.arange(len(y)), random_state=0)
    np.testing.assert_array_equal(_proba(frame.iloc[rows], y[rows], X), _proba(frame, y, X))


def test_identical_attributed_histories_are_one_history():
    # Cases with the same events, attributes and times are one history, as in lists.
    X, y, _ = _attributed(_log())
    rows = np.r_[np.arange(len(y)), np.arange(len(y))]
    np.testing.assert_array_equal(
        _proba(X[rows], y[rows], X), _proba(X, y, X, sample_weight=np.full(len(y), 2))
    )


def _layout(chains):
    return [
        getattr(chains, name)
        for name in (
            "tokens",
            "token_offsets",
            "entry_position",
            "entry_target",
            "entry_weight",
            "entry_offsets",
        )
    ]


def test_canonical_chains_of_lists_and_prefixes_are_one_layout(names_only):
    X, y = names_only
    codes = {e: i + 4 for i, e in enumerate(sorted({e for s in X.sequences for e in s}))}
    classes = np.unique(y)
    targets = np.searchsorted(classes, y)
    weights = scaled_to_unit(np.random.RandomState(0).uniform(0.1, 3, size=len(y)))
    sequences = [(START, *map(codes.get, s)) for s in X.used_sequences()]
    from_prefixes = canonical_chains(
        chains_from_prefixes(sequences, X.sequence_index, X.lengths, targets, weights), weights
    )
    rows = shuffle(np.arange(len(y)), random_state=0)
    encoded = [(START, *map(codes.get, h)) for h in check_histories([list(X[i]) for i in rows])]
    from_lists = canonical_chains(
        group_into_chains(encoded, targets[rows], weights[rows]), weights[rows]
    )
    for a, b in zip(_layout(from_prefixes), _layout(from_lists), strict=True):
        np.testing.assert_array_equal(a, b)
    # Each sample still reads its own entry: same target, same history.
    np.testing.assert_array_equal(
        from_lists.entry_target[from_lists.sample_entry],
        from_prefixes.entry_target[from_prefixes.sample_entry][rows],
    )
    assert from_prefixes.n_chains < len(set(X.sequence_index.tolist()))  # merged


def test_the_budget_is_reported(names_only):
    X, y = names_only
    clf = NextEventClassifier(hidden_size=8, embedding_dim=4, random_state=0).fit(X, y)
    steps_per_epoch = len(clf.net_.history[0, "batches"])
    assert clf.n_iter_ == clf.n_epochs_ == len(clf.net_.history) >= 20
    assert clf.n_steps_ == steps_per_epoch * clf.n_iter_
    explicit = NextEventClassifier(**FAST).fit(X, y)
    assert explicit.n_iter_ == 3


def test_a_repetitive_log_trains_the_minimum_steps(monkeypatch):
    # Two distinct chains: one step an epoch, so 20 epochs would be 20 steps.
    monkeypatch.setattr(_estimator, "MIN_STEPS", 60)
    X, y = [["a", "b"], ["b", "a"]] * 200, ["c", "d"] * 200
    clf = NextEventClassifier(hidden_size=8, embedding_dim=4, random_state=0).fit(X, y)
    assert clf.n_steps_ == clf.n_iter_ == 60
    # A small data set: at most a step per SAMPLES_PER_STEP samples, never under 20 epochs.
    small = NextEventClassifier(hidden_size=8, embedding_dim=4, random_state=0).fit(X[:40], y[:40])
    assert small.n_iter_ == 20
    # An explicit max_epochs is what it says.
    assert NextEventClassifier(**FAST).fit(X, y).n_iter_ == FAST["max_epochs"]


def test_early_stopping_raises_the_minimum_steps(monkeypatch):
    # Keeping the best epoch guards a longer run: its minimum is the larger one.
    monkeypatch.setattr(_estimator, "MIN_STEPS", 30)
    monkeypatch.setattr(_estimator, "MIN_STEPS_KEEPING_BEST", 60)
    X, y = [["a", "b"], ["b", "a"]] * 200, ["c", "d"] * 200
    params = dict(hidden_size=8, embedding_dim=4, random_state=0)
    assert NextEventClassifier(**params, early_stopping=False).fit(X, y).n_steps_ == 30
    X_val, y_val = X[:10], y[:10]
    kept = NextEventClassifier(**params).fit(X, y, X_val=X_val, y_val=y_val)
    assert kept.early_stopping_ and kept.n_steps_ == kept.n_iter_ == 60


def test_event_log_files_in_one_chunk_give_the_model_in_memory(tmp_path):
    pytest.importorskip("pyarrow")
    from sklearn_seqlstm import EventLogFiles

    frame = _log().sort_values(["case", "time"], ignore_index=True)
    frame["time"] = frame["time"].astype("int64")
    frame[["case", "time", "event"]].to_csv(tmp_path / "log.csv", index=False)
    files = EventLogFiles(
        tmp_path / "log.csv",
        sequence_col="case",
        order_col="time",
        event_col="event",
        end_event="[END]",
    )
    X, y, _ = _names_only(frame)
    fitted = NextEventClassifier(**FAST).fit(files)
    in_memory = NextEventClassifier(**FAST).fit(X, y)
    assert fitted.batch_size_ == in_memory.batch_size_
    np.testing.assert_array_equal(fitted.predict_proba(list(X)), in_memory.predict_proba(list(X)))


@settings(max_examples=100, deadline=None)
@given(
    histories=st.lists(
        st.lists(st.integers(4, 6), max_size=6).map(lambda h: (START, *h)), min_size=1, max_size=30
    ),
    data=st.data(),
)
def test_canonical_chains_do_not_depend_on_the_order_of_the_samples(histories, data):
    n = len(histories)
    targets = np.array(data.draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)))
    weights = np.array(data.draw(st.lists(st.floats(0.1, 5), min_size=n, max_size=n)))
    order = np.array(data.draw(st.permutations(range(n))), dtype=np.int64)
    a = canonical_chains(group_into_chains(histories, targets, weights), weights)
    shuffled = [histories[i] for i in order]
    b = canonical_chains(
        group_into_chains(shuffled, targets[order], weights[order]), weights[order]
    )
    for x, y in zip(_layout(a), _layout(b), strict=True):
        np.testing.assert_array_equal(x, y)
    # Each sample reads its own history and target off its entry.
    entry_chain = np.repeat(np.arange(a.n_chains), a.n_entries_per_chain)
    for i, history in enumerate(histories):
        entry = a.sample_entry[i]
        start = a.token_offsets[entry_chain[entry]]
        assert tuple(a.tokens[start : start + a.entry_position[entry] + 1]) == history
        assert a.entry_target[entry] == targets[i]
    np.testing.assert_array_equal(b.sample_entry, a.sample_entry[order])


def test_the_regressor_takes_the_budget_when_asked():
    X, y = [["a", "b"], ["b", "a"]] * 200, [1.0, 2.0] * 200
    reg = NextValueRegressor(max_epochs=None, hidden_size=8, embedding_dim=4, random_state=0)
    reg.fit(X, y)
    assert reg.n_iter_ >= 20 and reg.n_steps_ == reg.n_iter_ * len(reg.net_.history[0, "batches"])


def test_the_regressor_over_bins_keeps_the_invariances(names_only):
    # The bins are cut at weighted quantiles, so weights, copies and order agree there
    # too; the network then trains on bin labels as the classifier on classes: exact.
    X, _ = names_only
    rng = np.random.RandomState(2)
    y = rng.choice([0.0, 1.5, 4.0, 30.0], size=len(X)) + rng.exponential(size=len(X)) * (
        rng.rand(len(X)) < 0.5
    )

    def predicted(X_fit, y_fit, **fit_params):
        reg = NextValueRegressor(loss="absolute_error", **FAST).fit(X_fit, y_fit, **fit_params)
        assert reg.bin_edges_ is not None
        return reg.predict(list(X))

    expected = predicted(X, y)
    X_shuffled, y_shuffled = shuffle(list(X), y, random_state=0)
    np.testing.assert_array_equal(predicted(X_shuffled, y_shuffled), expected)
    k = rng.randint(1, 4, size=len(y))
    rows = np.repeat(np.arange(len(y)), k)
    np.testing.assert_array_equal(predicted(X[rows], y[rows]), predicted(X, y, sample_weight=k))
    extra = rng.randint(len(y), size=30)
    histories = [list(h) for h in X] + [list(X[i]) for i in extra]
    # Other targets, far beyond the rest, for histories already there: weight 0.
    other_y = rng.permutation(y)[:30] + 100.0
    weights = np.r_[np.ones(len(y)), np.zeros(30)]
    np.testing.assert_array_equal(
        predicted(histories, np.r_[y, other_y], sample_weight=weights), expected
    )
