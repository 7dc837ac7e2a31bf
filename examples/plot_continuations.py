"""
=====================================
What comes next in a live case
=====================================

A model trained to predict the next event of a process can also write the rest
of an open case: feed it its own prediction, and it predicts the one after.
:meth:`~sklearn_seqlstm.NextEventClassifier.predict_suffix` gives the most likely
rest, :meth:`~sklearn_seqlstm.NextEventClassifier.sample_continuations` draws
possible futures, in proportion to how likely the model finds them. Both walk the
model one event at a time, whatever the length of the case.
"""

# %%
# A small ticketing process
# -------------------------
# Each ticket is opened and assigned. Some are resolved at once; others wait for
# the customer, once or more, before they are resolved; a resolved ticket is
# sometimes reopened. The end of a case is a predicted event too:
# ``samples_from_log(..., end_event="[END]")`` makes it the target after a case's
# last event. Real logs go in the same way, for example the open process logs of
# ``ERamaM/ProcessMiningDatasets`` on GitHub.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sklearn_seqlstm import NextEventClassifier, samples_from_log

rng = np.random.RandomState(0)
rows = []
for case in range(400):
    path = ["open", "assign"]
    while rng.rand() < 0.45:
        path += ["wait for customer", "customer replied"]
    path.append("resolve")
    if rng.rand() < 0.2:
        path += ["reopen", "assign", "resolve"]
    path.append("close")
    rows += [dict(case=case, step=i, activity=event) for i, event in enumerate(path)]
log = pd.DataFrame(rows)
X, y, groups = samples_from_log(
    log, sequence_col="case", order_col="step", event_col="activity", end_event="[END]"
)
clf = NextEventClassifier(random_state=0).fit(X, y)

# %%
# The most likely rest of an open case
# ------------------------------------
# Greedy decoding takes the most probable event at each step; beam search keeps
# the five most probable continuations at each step and returns the most probable
# whole suffix.
live = [["open", "assign", "wait for customer"]]
print("greedy:", clf.predict_suffix(live, max_steps=15, stop_event="[END]")[0])
print(
    "beam:  ",
    clf.predict_suffix(live, max_steps=15, stop_event="[END]", method="beam", beam_width=5)[0],
)

# %%
# Possible futures
# ----------------
# Drawing 500 continuations of the same case gives the distribution of its length:
# how many more events before it closes. The tickets that wait once more make the
# long tail.
futures = clf.sample_continuations(
    live, n_steps=30, n_samples=500, stop_event="[END]", random_state=0
)[0]
remaining = np.array([len(f) - 1 for f in futures if f[-1] == "[END]"])
fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
ax.hist(remaining, bins=np.arange(remaining.min(), remaining.max() + 2) - 0.5)
ax.set_xlabel("events left before the case ends")
ax.set_ylabel("continuations drawn")
ax.set_title("500 possible futures of an open ticket")
print(f"{len(remaining)} of 500 continuations ended within 30 events")
print("share that reopen the ticket:", np.mean(["reopen" in f for f in futures]).round(3))
