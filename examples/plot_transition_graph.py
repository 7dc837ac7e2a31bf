"""
=================================================
The network graph of an event log, before a model
=================================================

Before training a sequence model, draw which event follows which. Each event is a
node, sized by how often it occurs; each consecutive pair in a case adds to an
edge. Groups of events that lead to one another stand out as *communities*: if the
data have such structure, a model of sequences has something to learn.

The log here is a real one: the Helpdesk log, the tickets of an Italian software
company's help desk, one of the open process logs that
:func:`~sklearn_seqlstm.fetch_process_log` downloads (once, then reads from its
cache).
"""

# %%
# The Helpdesk log
# ----------------
# One row per event: the case (a ticket), the activity and its time, who did it.
# The training split holds the oldest 64% of the tickets. Its columns
# ``case:variant`` and ``case:variant-index`` name the whole path of the ticket,
# known only once it is closed: they are never inputs of a model.
import matplotlib.pyplot as plt
import networkx as nx

from sklearn_seqlstm import (
    MarkovChainClassifier,
    TransitionGraphDisplay,
    fetch_process_log,
    samples_from_log,
)

log = fetch_process_log("helpdesk", split="train")
columns = dict(
    sequence_col="case:concept:name", order_col="time:timestamp", event_col="concept:name"
)
print(f"{log['case:concept:name'].nunique()} tickets, {len(log)} events")
log[["case:concept:name", "concept:name", "time:timestamp", "org:resource"]].head()

# %%
# The graph of consecutive activities
# -----------------------------------
# :meth:`~sklearn_seqlstm.TransitionGraphDisplay.from_log` counts the consecutive
# pairs of each ticket's activities. ``normalize="row"`` weighs each edge by its
# share of the events that follow the activity (the estimated transition
# probability), and ``min_weight`` drops the faint edges. Communities are found by
# networkx's Louvain method and the layout is a seeded spring layout: the picture
# is the same on every run.
fig, ax = plt.subplots(figsize=(8, 7))
display = TransitionGraphDisplay.from_log(log, **columns, normalize="row", min_weight=0.05, ax=ax)
_ = ax.set_title("Helpdesk: which activity follows which")
for community in display.communities_:
    print(community)

# %%
# The graph separates the ordinary life of a ticket (its seriousness is assigned,
# someone takes it in charge, it waits) from its end (resolved, closed), and both
# from the tickets that turn out to be software anomalies, which need an upgrade.
# The rare activities, a few tickets each, form small groups of their own.
#
# The graph is a networkx ``DiGraph``
# -----------------------------------
# ``graph_`` is there for your own analysis: here, the activities that most of the
# flow goes into (PageRank over the share-weighted edges).
pagerank = nx.pagerank(display.graph_, weight="weight")
print(sorted(pagerank, key=pagerank.get, reverse=True)[:3])

# %%
# What a model learned
# --------------------
# :meth:`~sklearn_seqlstm.TransitionGraphDisplay.from_estimator` draws a fitted
# model's mean next-event distribution after each event instead. Any classifier of
# histories will do (an LSTM too); a first-order Markov chain is fast. The end of a
# ticket is an event too (``end_event="[END]"``), so the model's graph shows where
# tickets end: after "Closed".
X, y, groups = samples_from_log(log, **columns, end_event="[END]")
markov = MarkovChainClassifier(order=1).fit(X, y)
fig, ax = plt.subplots(figsize=(8, 7))
model_display = TransitionGraphDisplay.from_estimator(markov, X, min_weight=0.05, ax=ax)
_ = ax.set_title("Mean predicted next activity, Markov chain")
