"""Is ``seqlstm evaluate``'s comparison fair, and what does a simple theory explain?

- The leakage of the split (:func:`~sklearn_seqlstm.leakage_report`): how many test
  histories, whole test sequences and (history, next event) samples were seen
  verbatim in training. Where most were, a lookup of the training set
  (``prefix_lookup``) scores close to any model, and a lead means little.
- The fitted theory (``theory``): :meth:`MarkovMemorySampler.from_histories` on the
  training sequences, scored through :class:`BayesOracleClassifier` as any model,
  and the share of the LSTM's lift over the order-1 Markov chain that it explains.
- The network graph of the log's consecutive events
  (:class:`~sklearn_seqlstm.TransitionGraphDisplay`).
"""

import textwrap

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin

from ..baselines._oracle import BayesOracleClassifier
from ..histories._histories import check_histories
from ..histories._prefix_trie import whole_sequences
from ..metrics._leakage import LeakageReport, leakage_report
from ..synthetic._fit import observed_events
from ..synthetic._sampler import MarkovMemorySampler
from ..utils._files import replacing

#: The files written for the fairness report (next-event target).
LEAKAGE_FILE = "leakage.csv"
GRAPH_FILE = "transition_graph.png"

#: Below this, the LSTM's lift over Markov-1 is no lift: its share is not given.
_NO_LIFT = 0.001


class FittedTheory(ClassifierMixin, BaseEstimator):
    """A :class:`MarkovMemorySampler` fitted to the training sequences, as a classifier.

    ``fit`` rebuilds each training sequence from its (history, next event)
    samples, fits the sampler on them (:meth:`MarkovMemorySampler.from_histories`)
    and scores through :class:`BayesOracleClassifier`, which refuses events the
    sampler does not know: ``events`` must hold every event of the training and
    the test samples.
    """

    def __init__(self, events=None, random_state=None):
        self.events = events
        self.random_state = random_state

    def fit(self, X, y):
        chains = training_chains(X, y)
        sampler = MarkovMemorySampler.from_histories(
            chains, events=self.events, random_state=self.random_state
        )
        self.oracle_ = BayesOracleClassifier(sampler).fit(X, y)
        self.sampler_ = self.oracle_.sampler_
        self.classes_ = self.oracle_.classes_
        return self

    def predict_proba(self, X):
        return self.oracle_.predict_proba(X)

    def predict(self, X):
        return self.oracle_.predict(X)


def training_chains(X, y, groups=None):
    """The sequences that the samples ``(X, y)`` were cut from, as far as they show them.

    A sequence of a :class:`PrefixHistories` is cut after the next event of its
    longest history; a list of histories (``--max-history``) gives each run of
    prefixes its longest history and that history's next event.
    """
    chains, _ = whole_sequences(check_histories(X), np.asarray(y, dtype=object), groups)
    return chains


def split_events(train, test):
    """Every event of the histories and the next events of both sides of a split."""
    chains = training_chains(train.X, train.y, train.groups)
    chains += training_chains(test.X, test.y, test.groups)
    return observed_events(chains)


def make_theory(train, test, seed):
    """A fresh :class:`FittedTheory` that knows every event of the split."""
    return FittedTheory(events=list(split_events(train, test)), random_state=seed)


# Leakage ------------------------------------------------------------------------------


def split_leakage(splits):
    """The leakage of the test samples (summed over the folds), or None without any."""
    reports = [
        leakage_report(
            train.X,
            test.X,
            y_train=train.y,
            y_test=test.y,
            groups_train=train.groups,
            groups_test=test.groups,
        )
        for split, train, test in splits
        if split != "valid"
    ]
    if not reports:
        return None
    return _summed(reports)


def _summed(reports):
    if len(reports) == 1:
        return reports[0]
    total = {
        name: sum(getattr(report, name) for report in reports)
        for name in ("n_histories", "n_histories_seen", "n_sequences", "n_sequences_seen")
    }
    total["n_samples_seen"] = sum(report.n_samples_seen for report in reports)
    return LeakageReport(
        history_share=total["n_histories_seen"] / max(total["n_histories"], 1),
        sequence_share=total["n_sequences_seen"] / max(total["n_sequences"], 1),
        sample_share=total["n_samples_seen"] / max(total["n_histories"], 1),
        **total,
    )


def leakage_text(report, splits):
    """The report's heading and its three lines, indented."""
    tested = [split for split, _, _ in splits if split != "valid"]
    where = " (summed over the folds)" if len(tested) > 1 else ""
    lines = [f"Leakage: test samples seen verbatim in training{where}:"]
    lines += [f"  {line}" for line in str(report).splitlines()]
    lines.append(
        "  (a lookup of the training set can get the samples seen right: read the scores "
        "beside it, and beside prefix_lookup's)"
    )
    return "\n".join(lines)


def write_leakage(report, path):
    """``report`` as a CSV of what was counted, how many were seen, of how many."""
    frame = pd.DataFrame(
        {
            "what": ["test histories", "whole test sequences", "test samples"],
            "seen_in_training": [
                report.n_histories_seen,
                report.n_sequences_seen,
                report.n_samples_seen,
            ],
            "total": [report.n_histories, report.n_sequences, report.n_histories],
            "share": [report.history_share, report.sequence_share, report.sample_share],
        }
    )
    with replacing(path) as temporary:
        frame.to_csv(temporary, index=False)


# The theory's share of the LSTM's lift ------------------------------------------------


def lift_share(summary, models, main_lstm):
    """The line on the share of the LSTM's top-1 lift over Markov-1 that the theory
    explains; None unless the LSTM, Markov-1 and the theory were all scored.

    ``summary`` holds one row per model (its index), with a ``top_1`` column.
    """
    names = {key: name for name, (key, _) in reversed(list(models.items()))}
    markov, theory = names.get("markov1"), names.get("theory")
    if None in (markov, theory, main_lstm) or not {markov, theory, main_lstm} <= set(summary.index):
        return None
    lstm_acc, markov_acc, theory_acc = (
        float(summary.loc[name, "top_1"]) for name in (main_lstm, markov, theory)
    )
    lift = lstm_acc - markov_acc
    share = "n/a" if abs(lift) < _NO_LIFT else f"{(theory_acc - markov_acc) / lift:.0%}"
    return (
        f"Share of the LSTM's top-1 lift over Markov-1 that the fitted theory explains: {share} "
        f"(theory {theory_acc - markov_acc:+.3f}, LSTM {lift:+.3f} over Markov-1 "
        f"{markov_acc:.3f})"
    )


# The network graph --------------------------------------------------------------------

#: Events drawn at most: a graph of a large catalogue is a blot.
_GRAPH_TOP_N = 40


def draw_transition_graph(frame, args, path):
    """Draw the graph of consecutive events of ``frame`` to ``path``; a one-line reason
    (str) when it is skipped, None when drawn."""
    try:
        import networkx  # noqa: F401
        from matplotlib.figure import Figure
    except ImportError:
        return 'it needs networkx and matplotlib: pip install "sklearn-seqlstm[graph,plot]"'

    from ..inspection._transition_graph import TransitionGraphDisplay

    # Figures made without pyplot render with Agg and leave no global state behind.
    figure = Figure(figsize=(8, 7), layout="constrained")
    display = TransitionGraphDisplay.from_log(
        frame,
        sequence_col=args.sequence_col,
        order_col=args.order_col,
        event_col=args.event_col,
        top_n=_GRAPH_TOP_N,
        random_state=args.random_state,
        ax=figure.subplots(),
    )
    n_events = frame[args.event_col].nunique()
    shown = (
        f"the {_GRAPH_TOP_N} most frequent of {n_events} events"
        if (n_events > _GRAPH_TOP_N)
        else f"{n_events} events"
    )
    # Wrapped: in one line, a long file name ran past the figure's edges.
    title = textwrap.wrap(
        f"Which event follows which in {args.events.name} ({shown})", 60, break_on_hyphens=False
    )
    display.ax_.set_title("\n".join(title), fontsize="medium")
    with replacing(path) as temporary:
        figure.savefig(temporary, dpi=100)
    return None
