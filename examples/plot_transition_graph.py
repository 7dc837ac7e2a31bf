"""
=================================================
The network graph of an event log, before a model
=================================================

Before training a sequence model, draw which event follows which. Each event is a
node, sized by how often it occurs; each consecutive pair in a sequence adds to an
edge. Groups of events that lead to one another stand out as *communities*: if the
data have such structure, a model of sequences has something to learn.

This example builds an event log of car auctions: each bidder bids on a few makes
in a row, and bidders mostly stay within their taste (European sports cars, or
American muscle cars). The graph finds those two tastes without being told.
"""

# %%
# An event log of bids
# --------------------
# :class:`~sklearn_seqlstm.MarkovMemorySampler` draws the log: from each make, the
# next bid goes mostly to a make of the same group. A real log goes in the same way:
# one row per event, with a sequence key, an order key and the event. The open
# process logs of ``ERamaM/ProcessMiningDatasets`` on GitHub (``CSV/splits/``), for
# example, have ``case:concept:name``, ``time:timestamp`` and ``concept:name``.
import matplotlib.pyplot as plt
import networkx as nx

from sklearn_seqlstm import MarkovChainClassifier, MarkovMemorySampler, TransitionGraphDisplay

european = ["Porsche 911", "BMW M3", "Audi RS4", "Mercedes AMG GT", "Alfa Giulia"]
american = ["Ford Mustang", "Chevy Camaro", "Dodge Challenger", "Chevy Corvette"]


def taste(group, stay=0.85):
    """Spread ``stay`` over the other makes of the group; the rest goes anywhere."""
    return {
        make: {other: stay / (len(group) - 1) for other in group if other != make} for make in group
    }


sampler = MarkovMemorySampler(
    events=european + american,
    transitions={**taste(european), **taste(american)},
    memory_influence=0.2,  # bidders come back to makes they bid on before
    random_state=0,
)
log = sampler.sample_frame(n_sequences=2000, length=(2, 12)).rename(
    columns={"sequence_id": "bidder", "position": "bid", "event": "make"}
)
log.head()

# %%
# The graph of consecutive bids
# -----------------------------
# :meth:`~sklearn_seqlstm.TransitionGraphDisplay.from_log` counts the consecutive
# pairs of each bidder's bids. ``normalize="row"`` weighs each edge by its share of
# the bids that follow the make (the estimated transition probability), and
# ``min_weight`` drops the faint edges. Communities are found by networkx's Louvain
# method and the layout is a seeded spring layout: the picture is the same on every
# run.
display = TransitionGraphDisplay.from_log(
    log, sequence_col="bidder", order_col="bid", event_col="make", normalize="row", min_weight=0.05
)
display.ax_.set_title("Consecutive bids: two tastes")
print(display.communities_)

# %%
# The graph is a networkx ``DiGraph``
# -----------------------------------
# ``graph_`` is there for your own analysis: here, the makes that most bids flow
# into (PageRank over the share-weighted edges).
pagerank = nx.pagerank(display.graph_, weight="weight")
print(sorted(pagerank, key=pagerank.get, reverse=True)[:3])

# %%
# What a model learned
# --------------------
# :meth:`~sklearn_seqlstm.TransitionGraphDisplay.from_estimator` draws a fitted
# model's mean next-event distribution after each event instead. Any classifier of
# histories will do (an LSTM too); a first-order Markov chain is fast. Its graph
# matches the data's: it learned the two tastes.
X, y, groups = sampler.make_dataset(n_sequences=2000, length=(2, 12))
markov = MarkovChainClassifier(order=1).fit(X, y)
fig, ax = plt.subplots(figsize=(7, 6))
model_display = TransitionGraphDisplay.from_estimator(markov, X, min_weight=0.05, ax=ax)
_ = ax.set_title("Mean predicted next bid, Markov chain")
