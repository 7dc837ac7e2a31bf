"""
=====================================================
Next-event models against the Bayes limit, as m grows
=====================================================

The synthetic process of :class:`~sklearn_seqlstm.MarkovMemorySampler` follows a
transition map, except that with probability ``memory_influence`` (m) it copies
an event from earlier in the same chain. Because the process is known, so is the
best possible prediction of the next event: the Bayes limit.

This example sweeps m from 0 to 1, fits an LSTM and two baselines at each value,
and draws them beside the limit. Note that the limit itself is not monotone: it
dips around m = 0.4, where neither the transition map nor the history's counts
dominate the next event. A dip of the models there is not a training failure.
"""

# %%
# Sweep the memory influence
# --------------------------
# :func:`~sklearn_seqlstm.memory_sweep` samples training and test chains at each
# m, fits every model and scores it, the Bayes limit included, with the same
# code. The sizes are small so that the example runs in seconds; the
# ``seqlstm demo`` command runs the same sweep on more data.
import matplotlib.pyplot as plt
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_seqlstm import (
    KRetrievalCurveDisplay,
    LossCurveDisplay,
    MarkovChainClassifier,
    MarkovMemorySampler,
    MemorySweepDisplay,
    NextEventClassifier,
    SequenceFeaturizer,
    TransitionMatrixDisplay,
    memory_sweep,
)

estimators = {
    "LSTM": NextEventClassifier(
        hidden_size=32, max_epochs=20, early_stopping=True, num_threads=1, random_state=0
    ),
    "Markov (order 1)": MarkovChainClassifier(order=1),
    "Logistic regression": make_pipeline(
        SequenceFeaturizer(), StandardScaler(with_mean=False), LogisticRegression(max_iter=1000)
    ),
}
results, fitted = memory_sweep(
    estimators,
    memory_influences=[0.0, 0.2, 0.4, 0.6, 0.8, 1.0],
    n_train_sequences=500,
    n_test_sequences=500,
    return_estimators=True,
    random_state=0,
)
results.query("k == 1").pivot(index="memory_influence", columns="model", values="top_k_accuracy")

# %%
# Accuracy against memory influence
# ---------------------------------
# The grey band is the Bayes limit. The first-order Markov chain only sees the
# last event, so it falls away from the limit as the history matters more; the
# LSTM and the logistic regression on event counts follow the limit down into
# its dip and back up.
fig, (ax_top1, ax_topk) = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained")
MemorySweepDisplay.from_sweep(results, k=1, ax=ax_top1)
MemorySweepDisplay.from_sweep(results, k=[1, 3, 5], models=["LSTM", "Bayes limit"], ax=ax_topk)
ax_top1.set_title("Top-1 accuracy")
_ = ax_topk.set_title("Top-k accuracy of the LSTM")

# %%
# Top-k accuracy against k, in the dip
# ------------------------------------
# On new chains at m = 0.4, how often is the true next event among the k most
# probable?
X_test, y_test, _ = MarkovMemorySampler(memory_influence=0.4, random_state=1).make_dataset(300, 20)
fig, ax = plt.subplots()
for model in ["LSTM", "Markov (order 1)", "Bayes limit"]:
    KRetrievalCurveDisplay.from_estimator(fitted[0.4, model], X_test, y_test, name=model, ax=ax)

# %%
# What the LSTM learned, and how it trained
# -----------------------------------------
# At m = 0 the process is a plain Markov chain: after a single event, the LSTM's
# next-event distribution should be the transition matrix (about 90% of chains
# at D go on to A). Its loss curve shows where early stopping kept the weights.
TransitionMatrixDisplay.from_estimator(
    fitted[0.0, "LSTM"], MarkovMemorySampler(memory_influence=0.0), name="LSTM at m = 0"
)
LossCurveDisplay.from_estimator(fitted[0.4, "LSTM"], name="LSTM at m = 0.4")
plt.show()
