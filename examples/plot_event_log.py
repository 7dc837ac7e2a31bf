"""
==========================================
Next-event models on an event log (CSV)
==========================================

Real data seldom come as lists of histories. They come as an *event log*: one
row per event, with a sequence key (a user, a session, a bidder), an order key
(a timestamp) and the event itself (a page, an item, a make and model).

This example writes a small event log to CSV, reads it back as a user would,
cuts it into (history, next event) samples with the *leave-last-out* split of
sequential recommendation (per sequence, the last event is the test target and
the second-to-last the validation target), fits the LSTM and the baselines, and
draws how often each puts the true next event among its k most probable.

The ``seqlstm evaluate`` command does all of this for any CSV or Parquet log::

    seqlstm evaluate events.csv --sequence-col user --order-col timestamp --event-col page
"""

# %%
# Write an event log
# ------------------
# :meth:`~sklearn_seqlstm.MarkovMemorySampler.sample_frame` draws synthetic
# chains as a long table (``sequence_id``, ``position``, ``event``). We add a fake
# timestamp (each user starts on some day of January and acts every few minutes),
# shuffle the rows as a database export would, and write the CSV.
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_seqlstm import (
    BayesOracleClassifier,
    KRetrievalCurveDisplay,
    MarkovChainClassifier,
    MarkovMemorySampler,
    NextEventClassifier,
    SequenceFeaturizer,
    leave_last_out_split,
    reciprocal_rank,
    top_k_accuracy,
)

sampler = MarkovMemorySampler(memory_influence=0.4, random_state=0)
frame = sampler.sample_frame(n_sequences=1500, length=(5, 30))

rng = np.random.default_rng(0)
first_day = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 31, 1500), unit="D")
gaps = pd.Series(rng.integers(1, 10, len(frame)))  # minutes between two events of a user
minutes = gaps.groupby(frame["sequence_id"]).cumsum()
log = pd.DataFrame(
    {
        "user": "user" + frame["sequence_id"].astype(str),
        "timestamp": first_day[frame["sequence_id"]] + pd.to_timedelta(minutes, unit="min"),
        "page": frame["event"],
    }
).sample(frac=1, random_state=0)

path = Path(tempfile.mkdtemp()) / "events.csv"
log.to_csv(path, index=False)
log.head()

# %%
# Read it back and split it
# -------------------------
# :func:`~sklearn_seqlstm.leave_last_out_split` orders each user's events by
# timestamp (rows with equal timestamps keep their order in the file) and
# returns three ``(X, y, groups)`` named tuples. The test history of a user is
# every event before the last one, the validation event included; no training
# sample contains a validation or test target.
events = pd.read_csv(path, parse_dates=["timestamp"])
train, valid, test = leave_last_out_split(
    events, sequence_col="user", order_col="timestamp", event_col="page"
)
print(f"{len(train.y)} training samples, {len(valid.y)} validation and {len(test.y)} test samples")
print("A test history:", test.X[0], "-> next event:", test.y[0])

# %%
# Fit the LSTM and the baselines
# ------------------------------
# All models see the same training samples. On synthetic data the best possible
# model is known, so :class:`~sklearn_seqlstm.BayesOracleClassifier` places every
# score beside the Bayes limit. (On real data, the best baseline on the same
# split plays that part.)
models = {
    "LSTM": NextEventClassifier(hidden_size=32, max_epochs=15, random_state=0),
    "Markov (order 1)": MarkovChainClassifier(order=1),
    "Markov (order 2)": MarkovChainClassifier(order=2),
    "Logistic regression": make_pipeline(
        SequenceFeaturizer(), StandardScaler(with_mean=False), LogisticRegression(max_iter=1000)
    ),
    "Popularity": MarkovChainClassifier(order=0),
    "Bayes limit": BayesOracleClassifier(sampler),
}
scores = {}
for name, model in models.items():
    model.fit(train.X, train.y)
    proba = model.predict_proba(test.X)
    scores[name] = {
        "top-1": top_k_accuracy(test.y, proba, classes=model.classes_, k=1),
        "top-3": top_k_accuracy(test.y, proba, classes=model.classes_, k=3),
        "MRR": reciprocal_rank(test.y, proba, classes=model.classes_),
    }
pd.DataFrame(scores).T.round(3)

# %%
# Top-k accuracy against k
# ------------------------
# How often is the true last event of a user among the k most probable? With
# 1,500 test samples, differences of a few points are within noise.
fig, ax = plt.subplots(figsize=(6.5, 4.5), layout="constrained")
for name, model in models.items():
    KRetrievalCurveDisplay.from_estimator(
        model,
        test.X,
        test.y,
        name=name,
        ax=ax,
        curve_kwargs={"color": "black", "linewidth": 2.5} if name == "Bayes limit" else None,
    )
_ = ax.set_title("Top-k accuracy on the last event of each user")
