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

The process here is a real one: the tickets of an Italian software company's help
desk (the Helpdesk log, one of the open process logs that
:func:`~sklearn_seqlstm.fetch_process_log` downloads).
"""

# %%
# Train on the older tickets
# --------------------------
# The log comes in ordered splits: the model learns from the training and
# validation tickets (the oldest 80%) and meets the newest ones as live cases. The
# end of a case is a predicted event too: ``samples_from_log(...,
# end_event="[END]")`` makes it the target after a case's last event.
import matplotlib.pyplot as plt
import numpy as np

from sklearn_seqlstm import NextEventClassifier, fetch_process_log, samples_from_log

columns = dict(
    sequence_col="case:concept:name", order_col="time:timestamp", event_col="concept:name"
)
train = fetch_process_log("helpdesk", split=["train", "val"])
X, y, groups = samples_from_log(train, **columns, end_event="[END]")
clf = NextEventClassifier(num_threads=1, random_state=0).fit(X, y)
print(f"{len(X)} training samples, {len(clf.classes_)} events")

# %%
# A live ticket
# -------------
# A ticket of the test split, as the help desk saw it after its third activity,
# and what actually happened to it afterwards.
test = fetch_process_log("helpdesk", split="test").sort_values("time:timestamp", kind="stable")
cases = test.groupby("case:concept:name", sort=False)["concept:name"].agg(list)
long_cases = cases[cases.map(len) >= 6]
case = long_cases.iloc[0]
live = [case[:3]]
print("so far:  ", live[0])
print("actually:", [*case[3:], "[END]"])

# %%
# The most likely rest of the case
# --------------------------------
# Greedy decoding takes the most probable event at each step; beam search keeps
# the five most probable continuations at each step and returns the most probable
# whole suffix.
print("greedy:", clf.predict_suffix(live, max_steps=15, stop_event="[END]")[0])
print(
    "beam:  ",
    clf.predict_suffix(live, max_steps=15, stop_event="[END]", method="beam", beam_width=5)[0],
)

# %%
# Possible futures
# ----------------
# Drawing 500 continuations of the same ticket gives the distribution of its
# length: how many more activities before it ends. The tickets that wait,
# or are taken in charge once more, make the long tail.
futures = clf.sample_continuations(
    live, n_steps=30, n_samples=500, stop_event="[END]", random_state=0
)[0]
remaining = np.array([len(f) - 1 for f in futures if f[-1] == "[END]"])
fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
ax.hist(remaining, bins=np.arange(remaining.min(), remaining.max() + 2) - 0.5)
ax.axvline(len(case) - 3, color="black", linestyle="--", label="what happened")
ax.set_xlabel("activities left before the ticket ends")
ax.set_ylabel("continuations drawn")
ax.set_title("500 possible futures of an open ticket")
ax.legend()
print(f"{len(remaining)} of 500 continuations ended within 30 events")
print("share in which the ticket waits:", np.mean(["Wait" in f for f in futures]).round(3))
