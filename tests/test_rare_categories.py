"""Rare categorical values: seen fewer than ``min_frequency`` times, they share one vector.

A value the network has seen a handful of times gets a vector fitted to noise, and a
value first met when predicting has no vector of its own. With ``min_frequency`` both
read as the rare code, whose vector is learned from the rare values of fit (and stays
at zero when fit has none).
"""

import json
import zipfile

import numpy as np
import pandas as pd
import pytest

from sklearn_seqlstm import NextEventClassifier, NextValueRegressor, load, samples_from_log
from sklearn_seqlstm.neural._steps import MISSING, UNSEEN

COLUMNS = dict(sequence_col="case", order_col="time", event_col="activity", time_col="time")
FAST = dict(max_epochs=2, hidden_size=8, embedding_dim=4, random_state=0)


def _log(n_frequent=80, n_rare=40, seed=0):
    """After "assign", "done" follows one of two frequent resources and "escalate" any
    other: each of the ``n_rare`` others handles one case only."""
    rng = np.random.RandomState(seed)
    start = pd.Timestamp("2024-03-01 08:00", tz="UTC")
    rows = []
    for case in range(n_frequent + n_rare):
        rare = case >= n_frequent
        resource = f"temp{case}" if rare else ["ann", "bob"][case % 2]
        now = start + pd.Timedelta(hours=int(rng.randint(0, 24 * 30)))
        for step, (activity, who) in enumerate(
            [("open", "desk"), ("assign", resource), ("escalate" if rare else "done", "desk")]
        ):
            rows.append(
                dict(
                    case=f"c{case}",
                    time=now + pd.Timedelta(minutes=10 * step),
                    activity=activity,
                    resource=who,
                    channel="fax" if case < 5 else "web",
                )
            )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def samples():
    X, y, _ = samples_from_log(
        _log(), **COLUMNS, event_attributes=["resource"], sequence_attributes=["channel"]
    )
    return X, y


def _with_resource(X, rows, resource):
    """The histories ``X[rows]`` as a frame, the resource of every event replaced."""
    frame = X[rows].to_frame()
    frame["resource"] = [[resource] * len(events) for events in frame["events"]]
    return frame


def test_values_seen_fewer_times_are_not_categories(samples):
    X, y = samples
    clf = NextEventClassifier(**FAST).fit(X, y)
    # "desk" is on 240 events, "ann" and "bob" on 40 each, every "temp" on one.
    assert clf._steps.encodings["resource"]["categories"] == ["ann", "bob", "desk"]
    everything = NextEventClassifier(**FAST, min_frequency=1).fit(X, y)
    assert len(everything._steps.encodings["resource"]["categories"]) == 3 + 40


def test_sequence_attributes_are_counted_once_per_sequence(samples):
    X, y = samples
    # "fax" is the channel of 5 cases, on every one of their 15 events.
    assert NextEventClassifier(**FAST).fit(X, y)._steps.encodings["channel"]["categories"] == [
        "web"
    ]
    kept = NextEventClassifier(**FAST, min_frequency=5).fit(X, y)
    assert kept._steps.encodings["channel"]["categories"] == ["fax", "web"]


def test_a_rare_value_reads_as_a_value_never_seen(samples):
    X, y = samples
    clf = NextEventClassifier(**FAST).fit(X, y)
    rows = np.flatnonzero(X.lengths == 2)[:10]
    np.testing.assert_array_equal(
        clf.predict_proba(_with_resource(X, rows, "temp100")),
        clf.predict_proba(_with_resource(X, rows, "somebody new")),
    )
    assert not np.array_equal(
        clf.predict_proba(_with_resource(X, rows, "ann")),
        clf.predict_proba(_with_resource(X, rows, "somebody new")),
    )


@pytest.mark.parametrize("min_frequency, learned", [(10, True), (1, False)])
def test_the_rare_vector_is_learned_from_the_rare_values(samples, min_frequency, learned):
    X, y = samples
    clf = NextEventClassifier(**FAST, min_frequency=min_frequency).fit(X, y)
    vectors = clf.net_.module_.attribute_embeddings[0].weight.detach()
    # Nothing in fit is rare when every value is kept: the vector stays at zero, and
    # so does the vector of missing values, which fit never had.
    assert bool(vectors[UNSEEN].any()) is learned
    assert not vectors[MISSING].any()


def test_the_regressor_pools_rare_values_too():
    X, y, _ = samples_from_log(
        _log(), **COLUMNS, event_attributes=["resource"], target="time_to_next"
    )
    reg = NextValueRegressor(**FAST).fit(X, y)
    assert reg._steps.encodings["resource"]["categories"] == ["ann", "bob", "desk"]


def _document(path):
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    return members, json.loads(members["model.json"])


def _rewrite(path, members, document):
    members["model.json"] = json.dumps(document).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)


def test_save_and_load_keep_min_frequency(samples, tmp_path):
    X, y = samples
    clf = NextEventClassifier(**FAST, min_frequency=3).fit(X, y)
    clf.save(tmp_path / "model")
    loaded = load(tmp_path / "model")
    assert loaded.min_frequency == 3 and loaded._steps.min_frequency == 3
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


def test_a_model_saved_before_min_frequency_keeps_every_value(samples, tmp_path):
    X, y = samples
    clf = NextEventClassifier(**FAST, min_frequency=1).fit(X, y)
    path = tmp_path / "model"
    clf.save(path)
    members, document = _document(path)
    del document["params"]["min_frequency"]
    del document["attributes"]["steps"]["min_frequency"]
    _rewrite(path, members, document)
    loaded = load(path)
    assert loaded.min_frequency == 1 and loaded._steps.min_frequency == 1
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


@pytest.mark.parametrize("value", [0, -3, 2.5, "10", True, None])
def test_a_tampered_min_frequency_is_refused(samples, tmp_path, value):
    X, y = samples
    path = tmp_path / "model"
    NextEventClassifier(**FAST).fit(X, y).save(path)
    members, document = _document(path)
    document["attributes"]["steps"]["min_frequency"] = value
    _rewrite(path, members, document)
    with pytest.raises(ValueError, match="min_frequency"):
        load(path)


def test_rare_values_keep_the_invariances(samples):
    X, y = samples
    expected = NextEventClassifier(**FAST).fit(X, y).predict_proba(X)
    shuffled = np.random.RandomState(0).permutation(len(y))
    np.testing.assert_array_equal(
        NextEventClassifier(**FAST).fit(X[shuffled], y[shuffled]).predict_proba(X), expected
    )
    twice = np.r_[np.arange(len(y)), np.arange(len(y))]
    np.testing.assert_array_equal(
        NextEventClassifier(**FAST).fit(X[twice], y[twice]).predict_proba(X),
        NextEventClassifier(**FAST).fit(X, y, sample_weight=np.full(len(y), 2)).predict_proba(X),
    )
    # Samples of weight 0 are absent: "ann", left on 5 cases of weight 1, is rare.
    ann = [s for s, who in enumerate(X.event_attributes["resource"]) if "ann" in list(who)]
    weights = np.where(np.isin(X.sequence_index, ann[5:]), 0.0, 1.0)
    np.testing.assert_array_equal(
        NextEventClassifier(**FAST).fit(X, y, sample_weight=weights).predict_proba(X),
        NextEventClassifier(**FAST).fit(X[weights > 0], y[weights > 0]).predict_proba(X),
    )
    kept = NextEventClassifier(**FAST).fit(X, y, sample_weight=weights)
    assert kept._steps.encodings["resource"]["categories"] == ["bob", "desk"]


def test_the_default_keeps_values_seen_ten_times():
    from sklearn_seqlstm.neural._steps import _fit_encoding

    default = NextEventClassifier().min_frequency
    assert default == NextValueRegressor().min_frequency == 10
    values = np.array(["nine"] * 9 + ["ten"] * 10 + [None] * 20, dtype=object)
    assert _fit_encoding(values, default)["categories"] == ["ten"]
