"""Histories with times, event attributes and sequence context."""

import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, GroupKFold

from sklearn_seqlstm import (
    AttributedHistories,
    MarkovChainClassifier,
    NextEventClassifier,
    samples_from_log,
)
from sklearn_seqlstm.neural._chains import collate
from sklearn_seqlstm.neural._module import WeightedEntryLoss

COLUMNS = dict(sequence_col="case", order_col="time", event_col="activity")
FAST = dict(max_epochs=2, hidden_size=8, embedding_dim=4, random_state=0)


def _log(n_cases=40, seed=0, missing_amount=False):
    """A small log whose next activity depends on the gap, the resource and the channel.

    After "check", the next activity is "fast" when the check came within an hour of
    the previous event and "slow" otherwise; after "route" it is "A" when the
    resource of "route" is r1 and "B" otherwise; after "open" it is "web" or "phone",
    the case's channel. Without the right attribute the best accuracy on those is 1/2.
    """
    rng = np.random.RandomState(seed)
    rows = []
    start = pd.Timestamp("2024-03-01 08:00", tz="UTC")
    for case in range(n_cases):
        channel = rng.choice(["web", "phone"])
        now = start + pd.Timedelta(hours=int(rng.randint(0, 24 * 30)))
        quick = rng.rand() < 0.5
        resource = rng.choice(["r1", "r2"])
        steps = [
            ("open", "r0", now),
            (channel, "r0", now + pd.Timedelta(minutes=5)),
            ("check", "r3", now + pd.Timedelta(minutes=35 if quick else 300)),
            ("fast" if quick else "slow", "r0", now + pd.Timedelta(minutes=400)),
            ("route", resource, now + pd.Timedelta(minutes=410)),
            ("A" if resource == "r1" else "B", "r0", now + pd.Timedelta(minutes=420)),
        ]
        for activity, who, when in steps:
            amount = rng.rand() * 100
            if missing_amount and rng.rand() < 0.3:
                amount = np.nan
            rows.append(
                dict(
                    case=f"c{case}",
                    time=when,
                    activity=activity,
                    resource=who,
                    amount=amount,
                    channel=channel,
                )
            )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def log():
    return _log()


@pytest.fixture(scope="module")
def attributed(log):
    return samples_from_log(
        log,
        **COLUMNS,
        time_col="time",
        event_attributes=["resource", "amount"],
        sequence_attributes=["channel"],
    )


@pytest.fixture(scope="module")
def fitted(attributed):
    X, y, _ = attributed
    return NextEventClassifier(**FAST).fit(X, y)


# --- What the model learns from ----------------------------------------------------------


def _accuracy_at(clf, X, y, previous):
    """Accuracy on the samples whose last event is ``previous``."""
    at = np.array([history[-1] == previous for history in X])
    return np.mean(clf.predict(X[np.flatnonzero(at)]) == y[at])


@pytest.mark.parametrize(
    "options, previous",
    [
        (dict(time_col="time"), "check"),
        (dict(event_attributes=["resource"]), "route"),
        (dict(sequence_attributes=["channel"]), "open"),
    ],
    ids=["time", "event attribute", "sequence attribute"],
)
def test_the_attribute_that_decides_the_next_event_is_learned(options, previous):
    train, test = _log(120, seed=1), _log(60, seed=2)
    X, y, _ = samples_from_log(train, **COLUMNS, **options)
    X_test, y_test, _ = samples_from_log(test, **COLUMNS, **options)
    settings = dict(max_epochs=60, hidden_size=16, lr=0.02, random_state=0)
    with_it = NextEventClassifier(**settings).fit(X, y)
    without = NextEventClassifier(**settings, time_features=False, attributes=False).fit(X, y)
    assert _accuracy_at(with_it, X_test, y_test, previous) >= 0.95
    # Without it, the next event is a coin flip: at most chance plus noise.
    assert _accuracy_at(without, X_test, y_test, previous) <= 0.75


# --- One pass per chain still holds ------------------------------------------------------


def test_chain_gradients_match_per_sample_training_with_attributes(fitted, attributed):
    X, y, _ = attributed
    X = X[:40]
    targets = np.searchsorted(fitted.classes_, y[:40])
    weights = np.linspace(0.5, 2.0, len(targets))
    module = fitted.net_.module_
    module.train()
    for parameter in module.parameters():
        parameter.grad = None
    with torch.no_grad():  # a nonzero repeat shift, so that it is exercised too
        module.repeat_shift.bias.fill_(-1.0)

    chains = fitted._chains(X, targets, weights)
    assert chains.n_chains < len(targets)  # prefixes do share chains
    inputs, y_batch = collate(chains, np.arange(chains.n_chains))
    module.dropout.p, dropout = 0.0, module.dropout.p
    try:
        (WeightedEntryLoss()(module(**inputs), y_batch) * weights.sum()).backward()
        chain_grads = [p.grad.clone() for p in module.parameters()]
        module.zero_grad()
        total = torch.zeros(())
        for i in range(len(targets)):  # each history run on its own
            one = fitted._chains(X[[i]], targets[[i]], weights[[i]])
            assert one.n_chains == 1
            inputs_i, y_i = collate(one, np.arange(1))
            total = total + WeightedEntryLoss()(module(**inputs_i), y_i) * weights[i]
        total.backward()
    finally:
        module.dropout.p = dropout
        module.eval()
    for got, expected in zip(chain_grads, module.parameters(), strict=True):
        torch.testing.assert_close(got, expected.grad, rtol=1e-4, atol=1e-6)


# --- Input forms -------------------------------------------------------------------------


def test_the_dataframe_form_gives_the_same_probabilities(fitted, attributed):
    X, _, _ = attributed
    frame = X[:30].to_frame()
    assert list(frame.columns) == ["events", "time", "resource", "amount", "channel"]
    np.testing.assert_allclose(
        fitted.predict_proba(frame), fitted.predict_proba(X[:30]), rtol=1e-6, atol=1e-7
    )


def test_splitters_index_without_losing_the_attributes(attributed):
    X, y, groups = attributed
    train, test = next(GroupKFold(3).split(X, y, groups))
    assert isinstance(X[train], AttributedHistories)
    assert X[train].event_attribute_names == ["resource", "amount"]
    assert X[train].sequences is X.sequences  # shared, not copied


def test_grid_search_over_the_switches_with_groups(attributed):
    X, y, groups = attributed
    search = GridSearchCV(
        NextEventClassifier(max_epochs=1, hidden_size=4, embedding_dim=2, random_state=0),
        {"attributes": [True, False], "time_features": [True, False]},
        cv=GroupKFold(2),
    ).fit(X, y, groups=groups)
    assert len(search.cv_results_["params"]) == 4
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


def test_clone_and_pickle_keep_the_model(fitted, attributed):
    X, _, _ = attributed
    assert clone(fitted).get_params() == fitted.get_params()
    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(again.predict_proba(X[:20]), fitted.predict_proba(X[:20]))


def test_fitted_attributes_say_what_was_used(fitted):
    assert fitted.event_attributes_ == ["resource", "amount"]
    assert fitted.sequence_attributes_ == ["channel"]
    assert fitted.time_kind_ == "datetime"


def test_markov_chains_read_the_events_and_ignore_attributes(attributed):
    X, y, _ = attributed
    plain = [tuple(history) for history in X]
    np.testing.assert_array_equal(
        MarkovChainClassifier(order=2).fit(X, y).predict_proba(X),
        MarkovChainClassifier(order=2).fit(plain, y).predict_proba(plain),
    )


@pytest.mark.parametrize("context", ["every_step", "first_step"])
def test_both_places_of_the_sequence_context_train(attributed, context):
    X, y, _ = attributed
    proba = NextEventClassifier(**FAST, sequence_context=context).fit(X, y).predict_proba(X)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_max_history_cuts_attributed_histories_too(attributed):
    X, y, _ = attributed
    clf = NextEventClassifier(**FAST, max_history=2).fit(X, y)
    assert np.isfinite(clf.predict_proba(X)).all()


# --- Numeric steps only ------------------------------------------------------------------


def test_histories_of_numbers_only():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 5, 3))
    y = np.where(X[:, -1, 0] > 0, "up", "down")
    clf = NextEventClassifier(max_epochs=40, hidden_size=8, random_state=0).fit(X, y)
    assert clf.score(X, y) >= 0.9
    ragged = [X[i, : 2 + i % 4] for i in range(60)]
    assert clf.predict_proba(ragged).shape == (60, 2)
    assert clf.event_attributes_ == ["x0", "x1", "x2"]


def test_numeric_steps_of_different_widths_are_refused():
    with pytest.raises(ValueError, match="same number of features"):
        NextEventClassifier(**FAST).fit([np.zeros((3, 2)), np.zeros((2, 3))], ["a", "b"])


# --- Missing and unseen values -----------------------------------------------------------


def test_missing_numeric_values_are_imputed_with_an_indicator():
    log = _log(30, missing_amount=True)
    X, y, _ = samples_from_log(log, **COLUMNS, event_attributes=["amount"])
    clf = NextEventClassifier(**FAST).fit(X, y)
    table, _ = clf._steps.transform(X, clf._event_ids)
    amount = np.concatenate(X.event_attributes["amount"])
    assert np.isnan(amount).any()
    indicator = table.nums[table.tokens >= 4, 1]  # the rows of events
    assert indicator.sum() > 0
    assert np.isfinite(table.nums).all()
    assert np.isfinite(clf.predict_proba(X)).all()


def test_unseen_categories_at_predict_time_are_allowed(fitted, attributed):
    X, _, _ = attributed
    frame = X[:5].to_frame()
    frame["resource"] = [["nobody"] * len(events) for events in frame["events"]]
    frame["channel"] = "fax"
    proba = fitted.predict_proba(frame)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


# --- Fit and predict must see the same columns -------------------------------------------


def test_plain_histories_for_a_model_fitted_with_attributes_are_refused(fitted, attributed):
    X, _, _ = attributed
    with pytest.raises(
        ValueError, match="fitted on histories with datetime time, the event attribute"
    ):
        fitted.predict_proba([list(history) for history in X[:3]])


def test_a_missing_attribute_column_at_predict_time_is_named(fitted, attributed):
    X, _, _ = attributed
    frame = X[:3].to_frame().drop(columns=["amount"])
    with pytest.raises(ValueError, match="lacks the event attribute 'amount'"):
        fitted.predict_proba(frame)


def test_an_attribute_column_absent_in_fit_is_refused_at_predict_time(log):
    X, y, _ = samples_from_log(log, **COLUMNS, event_attributes=["resource"])
    clf = NextEventClassifier(**FAST).fit(X, y)
    X_more, _, _ = samples_from_log(log, **COLUMNS, event_attributes=["resource", "amount"])
    with pytest.raises(ValueError, match="carries the event attribute 'amount', which was absent"):
        clf.predict_proba(X_more[:3])


def test_attributes_absent_in_fit_are_refused_at_predict_time(attributed):
    X, y, _ = attributed
    plain = [list(history) for history in X]
    clf = NextEventClassifier(**FAST).fit(plain, y)
    with pytest.raises(ValueError, match="absent in fit"):
        clf.predict_proba(X[:3])


# --- Bad logs ----------------------------------------------------------------------------


def test_times_that_go_back_within_a_sequence_are_refused(log):
    bad = log.copy()
    bad["when"] = bad["time"]
    bad.loc[2, "when"] = bad.loc[2, "when"] - pd.Timedelta(days=1)
    frozen = bad.copy()
    with pytest.raises(ValueError, match=r"'when' goes back in time within sequence 'c0' at row 2"):
        samples_from_log(bad, **COLUMNS, time_col="when")
    pd.testing.assert_frame_equal(bad, frozen)


def test_unparseable_timestamps_are_refused(log):
    bad = log.assign(when=log["time"].astype(str)).astype({"when": object})
    bad.loc[4, "when"] = "the day after"
    with pytest.raises(ValueError, match=r"'when' has a value that is not a time at row 4"):
        samples_from_log(bad, **COLUMNS, time_col="when")


def test_a_sequence_attribute_that_varies_is_refused(log):
    bad = log.copy()
    bad.loc[3, "channel"] = "mail"
    with pytest.raises(ValueError, match=r"'channel' varies within sequence 'c0'.*row 3"):
        samples_from_log(bad, **COLUMNS, sequence_attributes=["channel"])


def test_infinite_numeric_attributes_are_refused(log):
    bad = log.copy()
    bad.loc[5, "amount"] = np.inf
    with pytest.raises(ValueError, match=r"'amount' has an infinite value at row 5"):
        samples_from_log(bad, **COLUMNS, event_attributes=["amount"])


@pytest.mark.parametrize("column", ["case", "time", "activity"])
@pytest.mark.parametrize("role", ["event_attributes", "sequence_attributes"])
def test_an_attribute_that_is_a_key_column_is_refused(log, column, role):
    with pytest.raises(ValueError, match=f"{role}: column '{column}' is also"):
        samples_from_log(log, **COLUMNS, **{role: [column]})


def test_attributes_with_max_history_point_to_the_classifier(log):
    with pytest.raises(ValueError, match="Pass max_history to NextEventClassifier"):
        samples_from_log(log, **COLUMNS, time_col="time", max_history=3)


def test_end_event_adds_the_end_of_each_case(log):
    X, y, groups = samples_from_log(log, **COLUMNS, end_event="[END]")
    n_cases = log["case"].nunique()
    assert (y == "[END]").sum() == n_cases
    assert len(y) == len(log)  # every prefix of every case, the whole case included
    whole = [len(history) for history, label in zip(X, y, strict=True) if label == "[END]"]
    assert whole == log.groupby("case", sort=True).size().tolist()


# --- Serving with attributed models -------------------------------------------


def test_save_and_load_keep_an_attributed_model(fitted, attributed, tmp_path):
    from sklearn_seqlstm import load

    X, _, _ = attributed
    path = tmp_path / "model.seqlstm"
    fitted.save(path)
    loaded = load(path)
    np.testing.assert_array_equal(loaded.predict_proba(X), fitted.predict_proba(X))
    np.testing.assert_array_equal(loaded.recommend(X[:30], k=3), fitted.recommend(X[:30], k=3))
    assert loaded.event_attributes_ == fitted.event_attributes_
    assert loaded.sequence_attributes_ == fitted.sequence_attributes_
    assert loaded.time_kind_ == fitted.time_kind_
    with pytest.raises(ValueError, match="X has none"):
        loaded.predict_proba([["open"]])


@pytest.mark.parametrize("options", [dict(attributes=False), dict(time_features=False)])
def test_save_and_load_keep_models_of_times_or_attributes_only(attributed, options, tmp_path):
    from sklearn_seqlstm import load

    X, y, _ = attributed
    clf = NextEventClassifier(**FAST, **options, sequence_context="first_step").fit(X, y)
    clf.save(tmp_path / "model")
    np.testing.assert_array_equal(load(tmp_path / "model").predict_proba(X), clf.predict_proba(X))


def test_a_tampered_step_encoder_is_refused(fitted, tmp_path):
    import json
    import zipfile

    from sklearn_seqlstm import load

    path = tmp_path / "model"
    fitted.save(path)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    document = json.loads(members["model.json"])
    document["attributes"]["steps"]["encodings"].pop()
    members["model.json"] = json.dumps(document).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    with pytest.raises(ValueError, match="one encoding per attribute"):
        load(path)


def test_a_stream_of_a_log_case_equals_predict_proba(fitted, attributed, log):
    """A case of the log pushed event by event, with its time and attributes."""
    X, _, _ = attributed
    rows = np.flatnonzero(X.sequence_index == 0)  # the samples of the first case, "c0"
    case = log[log["case"] == "c0"].sort_values("time")
    assert list(X.sequences[0]) == case["activity"].tolist()
    stream = fitted.stream(context={"channel": case["channel"].iloc[0]})
    expected = fitted.predict_proba(X[rows])  # histories of 1, 2, ... events
    compared = 0
    for t, row in enumerate(case.itertuples()):
        stream.push(
            row.activity,
            time=row.time,
            attributes={"resource": row.resource, "amount": row.amount},
        )
        position = np.flatnonzero(X.lengths[rows] == t + 1)
        if len(position):
            np.testing.assert_allclose(stream.predict_proba(), expected[position[0]], atol=1e-6)
            compared += 1
    assert compared == len(rows)


def test_onnx_of_an_attributed_model_equals_predict_proba(fitted, attributed, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    X, _, _ = attributed
    path = fitted.to_onnx(tmp_path / "model.onnx")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (proba,) = session.run(None, fitted.encode_for_onnx(X))
    np.testing.assert_allclose(proba, fitted.predict_proba(X), rtol=0, atol=1e-5)


# --- Your own validation set ------------------------------------------


def test_early_stopping_monitors_the_validation_set_given(attributed):
    from sklearn.metrics import log_loss

    X, y, groups = attributed
    held_out = np.isin(groups, np.unique(groups)[-8:])  # the last 8 cases
    train, valid = np.flatnonzero(~held_out), np.flatnonzero(held_out)
    clf = NextEventClassifier(**{**FAST, "max_epochs": 1}).fit(
        X[train], y[train], X_val=X[valid], y_val=y[valid]
    )
    assert clf.early_stopping_  # "auto" turns it on when a validation set is given
    # One epoch, and fewer validation chains than a batch: the recorded loss is the
    # mean log-loss of the model on exactly that set.
    assert 8 <= clf.batch_size_
    expected = log_loss(y[valid], clf.predict_proba(X[valid]), labels=clf.classes_)
    assert clf.net_.history[-1, "valid_loss"] == pytest.approx(expected, rel=1e-4)


def test_validation_labels_unseen_in_fit_are_left_out_with_a_warning(attributed):
    X, y, _ = attributed
    y_val = y[:20].copy().astype(object)
    y_val[:5] = "never seen"
    with pytest.warns(UserWarning, match="5 of 20 validation samples"):
        NextEventClassifier(**FAST).fit(X, y, X_val=X[:20], y_val=y_val)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"X_val": [["a"]]}, "y_val is missing"),
        ({"y_val": ["a"]}, "X_val is missing"),
        ({"sample_weight_val": [1.0]}, "without X_val"),
    ],
)
def test_half_a_validation_set_is_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        NextEventClassifier(**FAST).fit([["a"], ["b"]], ["b", "a"], **kwargs)
