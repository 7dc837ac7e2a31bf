"""TransitionGraphDisplay: the network of consecutive events, with its communities.

Drawing which event follows which, before training anything, shows whether the
data have structure worth a sequence model: groups of events that lead to each
other (communities), hubs, dead ends. The same drawing of a fitted model's
predictions shows what it learned. networkx builds, clusters and lays out the
graph; it and matplotlib are optional dependencies
(``pip install "sklearn-seqlstm[graph,plot]"``), imported only when used.
"""

import numbers
from itertools import chain

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from ..histories._eventlog import samples_from_log
from ..histories._histories import check_histories, sorted_labels
from ..histories._prefix_trie import whole_sequences
from ..histories._prefixes import PrefixHistories

__all__ = ["TransitionGraphDisplay"]

_INSTALL_HINT = 'pip install "sklearn-seqlstm[graph,plot]"'
_EDGE_COLUMNS = ["event", "next_event", "weight"]
# Node areas and edge widths, in points, of the lightest and the heaviest.
_NODE_SIZES = (80.0, 1500.0)
_EDGE_WIDTHS = (0.5, 4.0)


def _import(caller):
    """Import networkx and matplotlib, or raise an ImportError that says how to install them."""
    try:
        import matplotlib  # noqa: F401
        import networkx
    except ImportError as exc:
        raise ImportError(
            f"{caller} needs networkx and matplotlib, optional dependencies of "
            f"sklearn-seqlstm. Install them with: {_INSTALL_HINT}"
        ) from exc
    return networkx


class TransitionGraphDisplay:
    """The directed graph of which event follows which, its communities coloured.

    Node size follows the event's frequency, edge width the edge's weight (a
    count of consecutive pairs, or a probability). Communities come from
    networkx's Louvain method with a seed, and the layout from a seeded spring
    layout, so the same data draw the same picture.

    It is recommended to use :meth:`from_histories`, :meth:`from_log` or
    :meth:`from_estimator` to create one. All parameters are stored as
    attributes.

    Parameters
    ----------
    edges : pandas.DataFrame
        One row per edge, columns ``event``, ``next_event`` and ``weight``
        (positive).

    event_counts : pandas.Series
        The frequency of each event (index: the events), which sizes the nodes.
        Every event of ``edges`` must be in it.

    weight : str, default="count"
        What the weights are, for the legend: ``"count"``, ``"share"`` or
        ``"probability"``.

    Attributes
    ----------
    graph_ : networkx.DiGraph
        The drawn graph, after pruning: nodes carry ``count`` and ``community``
        (its index in ``communities_``), edges carry ``weight``. For your own
        analysis with networkx.

    communities_ : list of list
        The communities, largest first, each a sorted list of events.

    positions_ : dict
        The position of each node, from networkx's ``spring_layout``.

    nodes_ : matplotlib PathCollection
        The nodes.

    edges_ : list of matplotlib FancyArrowPatch
        The edges.

    ax_ : matplotlib Axes
        Axes with the graph.

    figure_ : matplotlib Figure
        Figure containing the graph.

    See Also
    --------
    TransitionMatrixDisplay : The same pairs as a heat map.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sklearn_seqlstm import MarkovMemorySampler, TransitionGraphDisplay
    >>> chains = MarkovMemorySampler(random_state=0).sample(n_sequences=200, length=20)
    >>> display = TransitionGraphDisplay.from_histories(chains, normalize="row", min_weight=0.2)
    >>> sorted(display.graph_.successors("D"))
    ['A']
    >>> round(display.graph_["D"]["A"]["weight"], 1)
    0.9
    >>> plt.close("all")
    """

    def __init__(self, *, edges, event_counts, weight="count"):
        self.edges = edges
        self.event_counts = event_counts
        self.weight = weight

    def plot(
        self,
        ax=None,
        *,
        min_weight=0.0,
        top_n=None,
        random_state=0,
        labels=True,
        legend=True,
        node_kwargs=None,
        edge_kwargs=None,
    ):
        """Prune the graph, find its communities, lay it out and draw it.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on. None creates a new figure and axes.

        min_weight : float, default=0.0
            Drop the edges whose weight is below this.

        top_n : int, default=None
            Keep only the ``top_n`` most frequent events (ties by label order)
            and the edges between them. None keeps every event.

        random_state : int, RandomState instance or None, default=0
            Seeds the community detection and the layout. An int draws the same
            picture every time.

        labels : bool, default=True
            Whether to write each event's label on its node.

        legend : bool, default=True
            Whether to list the communities in a legend.

        node_kwargs, edge_kwargs : dict, default=None
            Keyword arguments for networkx's ``draw_networkx_nodes`` and
            ``draw_networkx_edges``, overriding the defaults.

        Returns
        -------
        display : TransitionGraphDisplay
            The display, with ``graph_``, ``communities_``, ``positions_``,
            ``nodes_``, ``edges_``, ``ax_`` and ``figure_`` set.
        """
        nx = _import(f"{type(self).__name__}.plot")
        if (
            isinstance(min_weight, bool)
            or not isinstance(min_weight, numbers.Real)
            or not np.isfinite(min_weight)
        ):
            raise ValueError(f"min_weight must be a finite number; got {min_weight!r}.")
        if top_n is not None and (
            isinstance(top_n, bool) or not isinstance(top_n, int | np.integer) or top_n < 1
        ):
            raise ValueError(f"top_n must be a positive integer or None; got {top_n!r}.")
        if isinstance(random_state, int | np.integer) and not isinstance(random_state, bool):
            random_state = int(random_state)  # a seed must not be consumed between calls
        counts = self.event_counts
        if top_n is not None:
            order = sorted(range(len(counts)), key=lambda i: (-counts.iloc[i], i))
            counts = counts.iloc[sorted(order[:top_n])]
        kept = set(counts.index.tolist())
        edges = self.edges[
            (self.edges["weight"] >= min_weight)
            & self.edges["event"].isin(kept)
            & self.edges["next_event"].isin(kept)
        ]

        graph = nx.DiGraph()
        for event, count in counts.items():
            graph.add_node(event, count=count)
        for event, next_event, weight in edges[_EDGE_COLUMNS].itertuples(index=False):
            graph.add_edge(event, next_event, weight=float(weight))

        if not len(graph):
            raise ValueError(f"top_n={top_n!r} leaves no event to draw.")
        communities = nx.community.louvain_communities(graph, weight="weight", seed=random_state)
        rank = {event: i for i, event in enumerate(sorted_labels(kept))}
        communities = sorted(
            (sorted_labels(c) for c in communities), key=lambda c: (-len(c), rank[c[0]])
        )
        for index, community in enumerate(communities):
            for event in community:
                graph.nodes[event]["community"] = index
        self.graph_ = graph
        self.communities_ = communities

        heaviest = max((w for _, _, w in graph.edges(data="weight")), default=1.0)
        self.positions_ = _layout(nx, counts, self.edges, kept, random_state)

        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 6))
        self.ax_, self.figure_ = ax, ax.figure
        colours = plt.get_cmap("tab10" if len(communities) <= 10 else "tab20")
        nodes = list(graph.nodes)
        node_counts = np.array([graph.nodes[n]["count"] for n in nodes], dtype=float)
        low, high = _NODE_SIZES
        sizes = low + (high - low) * node_counts / max(node_counts.max(initial=0), 1e-300)
        node_style = {
            "nodelist": nodes,
            "node_size": sizes,
            "node_color": [colours(graph.nodes[n]["community"] % colours.N) for n in nodes],
            "edgecolors": "white",
            "ax": ax,
        }
        node_style.update(node_kwargs or {})
        self.nodes_ = nx.draw_networkx_nodes(graph, self.positions_, **node_style)
        edge_list = list(graph.edges)
        weights = np.array([graph.edges[e]["weight"] for e in edge_list], dtype=float)
        low, high = _EDGE_WIDTHS
        edge_style = {
            "edgelist": edge_list,
            "width": low + (high - low) * weights / heaviest if len(weights) else 1.0,
            "edge_color": "0.45",
            "alpha": 0.7,
            "arrows": True,
            "arrowstyle": "-|>",
            "connectionstyle": "arc3,rad=0.12",  # a -> b and b -> a drawn apart
            "node_size": sizes,
            "nodelist": nodes,
            "ax": ax,
        }
        edge_style.update(edge_kwargs or {})
        self.edges_ = nx.draw_networkx_edges(graph, self.positions_, **edge_style)
        if labels:
            nx.draw_networkx_labels(
                graph, self.positions_, labels={n: str(n) for n in nodes}, font_size=9, ax=ax
            )
        if legend and communities:
            from matplotlib.patches import Patch

            handles = [
                Patch(color=colours(i % colours.N), label=_community_label(c))
                for i, c in enumerate(communities)
            ]
            title = f"communities (edge width: {self.weight})"
            # Below the graph, where it hides no node.
            ax.legend(
                handles=handles,
                title=title,
                loc="upper center",
                bbox_to_anchor=(0.5, 0.0),
                fontsize=8,
                title_fontsize=8,
            )
        ax.set_axis_off()
        return self

    @classmethod
    def from_histories(
        cls,
        X,
        y=None,
        *,
        groups=None,
        normalize=None,
        min_weight=0.0,
        top_n=None,
        random_state=0,
        ax=None,
        **plot_kwargs,
    ):
        """Count the consecutive pairs of events of sequences and draw their graph.

        Parameters
        ----------
        X : list of sequences of events, PrefixHistories or 2-D array-like
            Whole sequences (each list one case or visitor), or the histories of
            (history, next event) samples. Each sequence is counted once:

            - a :class:`PrefixHistories` (or :class:`AttributedHistories`) gives
              each sequence that its histories use, up to the next event of the
              longest;
            - with ``groups``, the histories of one group are prefixes of one
              sequence, the longest of them followed by its next event in ``y``;
            - otherwise each element of ``X`` is a sequence of its own, followed
              by its next event in ``y`` when ``y`` is given.

        y : array-like of shape (n_samples,), default=None
            The next event of each history, which adds the last pair of each
            sequence.

        groups : array-like of shape (n_samples,), default=None
            The sequence of each history of a list, as from
            :meth:`MarkovMemorySampler.make_dataset`.

        normalize : {None, "row"}, default=None
            None weighs an edge ``a -> b`` by its count; ``"row"`` by its share
            of the pairs that start with ``a``: the estimated transition
            probability.

        min_weight, top_n, random_state
            See :meth:`plot`.

        ax : matplotlib Axes, default=None
            Axes to draw on. None creates a new figure and axes.

        **plot_kwargs
            Further arguments of :meth:`plot`.

        Returns
        -------
        display : TransitionGraphDisplay
            The drawn display.
        """
        _import(f"{cls.__name__}.from_histories")
        if normalize not in (None, "row"):
            raise ValueError(f"normalize must be None or 'row'; got {normalize!r}.")
        histories = check_histories(X)
        if y is not None:
            y = np.asarray(y, dtype=object).reshape(-1)
            if len(y) != len(histories):
                raise ValueError(
                    f"X and y have inconsistent numbers of samples: {len(histories)} "
                    f"histories but {len(y)} labels."
                )
        if isinstance(histories, PrefixHistories) or groups is not None:
            if groups is not None:
                groups = np.asarray(groups).reshape(-1)
                if len(groups) != len(histories):
                    raise ValueError(
                        f"groups has {len(groups)} values but there are {len(histories)} histories."
                    )
            sequences, _ = whole_sequences(histories, y, groups)
        elif y is not None:
            sequences = [(*h, label) for h, label in zip(histories, y.tolist(), strict=True)]
        else:
            sequences = list(histories)
        edges, event_counts = _pair_counts(sequences)
        weight = "count"
        if normalize == "row":
            totals = edges.groupby("event", sort=False)["weight"].transform("sum")
            edges = edges.assign(weight=edges["weight"] / totals)
            weight = "share"
        display = cls(edges=edges, event_counts=event_counts, weight=weight)
        return display.plot(
            ax=ax, min_weight=min_weight, top_n=top_n, random_state=random_state, **plot_kwargs
        )

    @classmethod
    def from_log(
        cls,
        frame,
        *,
        sequence_col,
        order_col,
        event_col,
        normalize=None,
        min_weight=0.0,
        top_n=None,
        random_state=0,
        ax=None,
        **plot_kwargs,
    ):
        """Count the consecutive pairs of events of an event log and draw their graph.

        Parameters
        ----------
        frame : pandas.DataFrame
            The event log, one row per event, in any row order.

        sequence_col, order_col, event_col : hashable
            The columns of the sequence key, the order key (None keeps the row
            order) and the event, as in :func:`samples_from_log`.

        normalize, min_weight, top_n, random_state, ax, **plot_kwargs
            See :meth:`from_histories`.

        Returns
        -------
        display : TransitionGraphDisplay
            The drawn display.

        Examples
        --------
        >>> import matplotlib.pyplot as plt
        >>> import pandas as pd
        >>> from sklearn_seqlstm import TransitionGraphDisplay
        >>> log = pd.DataFrame(
        ...     {
        ...         "case": [1, 1, 1, 2, 2],
        ...         "step": [0, 1, 2, 0, 1],
        ...         "activity": ["open", "review", "close", "open", "close"],
        ...     }
        ... )
        >>> display = TransitionGraphDisplay.from_log(
        ...     log, sequence_col="case", order_col="step", event_col="activity"
        ... )
        >>> sorted(display.graph_.edges(data="weight"))
        [('open', 'close', 1.0), ('open', 'review', 1.0), ('review', 'close', 1.0)]
        >>> plt.close("all")
        """
        _import(f"{cls.__name__}.from_log")
        X, _, _ = samples_from_log(
            frame,
            sequence_col=sequence_col,
            order_col=order_col,
            event_col=event_col,
            min_history=0,
        )
        return cls.from_histories(
            X,
            normalize=normalize,
            min_weight=min_weight,
            top_n=top_n,
            random_state=random_state,
            ax=ax,
            **plot_kwargs,
        )

    @classmethod
    def from_estimator(
        cls, estimator, X, *, min_weight=0.0, top_n=None, random_state=0, ax=None, **plot_kwargs
    ):
        """Draw a fitted model's mean next-event distribution after each event.

        The edge ``a -> b`` weighs the mean, over the histories of ``X`` that
        end with ``a``, of the probability the model gives to ``b``; nodes are
        sized by how many histories end with the event. Beside the graph of
        counts (:meth:`from_histories` with ``normalize="row"``) it shows what the
        model learned, history beyond the last event included.

        Parameters
        ----------
        estimator : fitted classifier or pipeline
            Has ``predict_proba`` and ``classes_``.

        X : list of histories, PrefixHistories or 2-D array-like
            The histories to average over; empty ones are skipped.

        min_weight, top_n, random_state, ax, **plot_kwargs
            See :meth:`plot`. Edges below ``min_weight`` (a probability) are
            dropped; with many events, 0.05 or so keeps the picture readable.

        Returns
        -------
        display : TransitionGraphDisplay
            The drawn display.
        """
        _import(f"{cls.__name__}.from_estimator")
        check_is_fitted(estimator)
        histories = check_histories(X)
        last = [h[-1] if len(h) else None for h in histories]
        rows = np.flatnonzero([len(h) > 0 for h in histories])
        if not len(rows):
            raise ValueError("X holds only empty histories: no event to start an edge from.")
        proba = np.asarray(estimator.predict_proba(X))[rows]
        last = pd.Series([last[i] for i in rows.tolist()], dtype=object)
        events = sorted_labels(set(last))
        codes = pd.Index(events, dtype=object, tupleize_cols=False).get_indexer(last)
        n_histories = np.bincount(codes, minlength=len(events))
        sums = np.zeros((len(events), proba.shape[1]))
        np.add.at(sums, codes, proba)
        mean = sums / n_histories[:, None]
        classes = np.asarray(estimator.classes_).tolist()  # plain labels, not numpy scalars
        row, column = np.nonzero(mean > 0)
        edges = pd.DataFrame(
            {
                "event": pd.Series([events[i] for i in row.tolist()], dtype=object),
                "next_event": pd.Series([classes[j] for j in column.tolist()], dtype=object),
                "weight": mean[row, column],
            }
        )
        counts = dict(zip(events, n_histories.tolist(), strict=True))
        labels = sorted_labels(set(events) | set(classes))
        event_counts = pd.Series(
            [counts.get(label, 0) for label in labels],
            index=pd.Index(labels, dtype=object, tupleize_cols=False),
        )
        display = cls(edges=edges, event_counts=event_counts, weight="probability")
        return display.plot(
            ax=ax, min_weight=min_weight, top_n=top_n, random_state=random_state, **plot_kwargs
        )


def _pair_counts(sequences):
    """Edges (each consecutive pair and its count) and the count of each event."""
    events = sorted_labels(set().union(*sequences))
    if not events:
        raise ValueError("The sequences hold no event: there is no graph to draw.")
    index = {event: code for code, event in enumerate(events)}
    sizes = np.fromiter(map(len, sequences), dtype=np.int64, count=len(sequences))
    flat = np.fromiter(
        map(index.__getitem__, chain.from_iterable(sequences)), dtype=np.int64, count=sizes.sum()
    )
    is_last = np.zeros(len(flat), dtype=bool)
    is_last[np.cumsum(sizes)[sizes > 0] - 1] = True  # no pair starts at a sequence's end
    starts = ~is_last[:-1]
    n_events = len(events)
    keys, counts = np.unique(flat[:-1][starts] * n_events + flat[1:][starts], return_counts=True)
    first, second = np.divmod(keys, n_events)
    edges = pd.DataFrame(
        {
            "event": pd.Series([events[i] for i in first.tolist()], dtype=object),
            "next_event": pd.Series([events[i] for i in second.tolist()], dtype=object),
            "weight": counts.astype(float),
        }
    )
    frequency = np.bincount(flat, minlength=n_events)
    event_counts = pd.Series(frequency, index=pd.Index(events, dtype=object, tupleize_cols=False))
    return edges, event_counts


def _layout(nx, counts, edges, kept, random_state):
    """Seeded spring layout of the events, pulled together by every edge among them.

    The faint edges that ``min_weight`` hides still place the nodes: without them,
    groups joined only by faint edges fly apart and each collapses to a blot. The
    pull of an edge is its weight over the heaviest (counts in the millions would
    collapse the picture to a point), and the natural distance between nodes is
    twice networkx's default, to leave room for the node discs.
    """
    layout = nx.Graph()
    layout.add_nodes_from(counts.index.tolist())
    among = edges[edges["event"].isin(kept) & edges["next_event"].isin(kept)]
    heaviest = among["weight"].max() if len(among) else 1.0
    for event, next_event, weight in among[_EDGE_COLUMNS].itertuples(index=False):
        if event != next_event:
            previous = layout.get_edge_data(event, next_event, {"weight": 0.0})["weight"]
            layout.add_edge(event, next_event, weight=previous + weight / heaviest)
    k = 2.0 / np.sqrt(max(len(layout), 1))
    return nx.spring_layout(layout, k=k, weight="weight", seed=random_state)


def _community_label(community, shown=4):
    names = ", ".join(str(event) for event in community[:shown])
    if len(community) > shown:
        names += f", … (+{len(community) - shown})"
    return names
