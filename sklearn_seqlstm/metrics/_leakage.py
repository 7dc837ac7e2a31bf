"""Is a benchmark fair? How much of the test set was seen verbatim in training.

In process-mining benchmarks many test histories are exact copies of training
histories (the same first events of a routine case), so a model that merely looks
them up scores close to a deep one ("example leakage", Abb et al. 2023). The report
here counts it, so that a score can be read beside it.
"""

from dataclasses import dataclass

import numpy as np

from ..histories._histories import check_histories
from ..histories._prefix_trie import PrefixTrie, whole_sequences

__all__ = ["LeakageReport", "leakage_report"]


@dataclass(frozen=True)
class LeakageReport:
    """How much of a test set is a verbatim copy of its training set.

    Attributes
    ----------
    n_histories : int
        Test histories.
    n_histories_seen : int
        Test histories that some training sequence begins with, event for event.
    history_share : float
        ``n_histories_seen / n_histories``.
    n_sequences : int
        Whole test sequences (see :func:`leakage_report`).
    n_sequences_seen : int
        Whole test sequences equal to a whole training sequence.
    sequence_share : float
        ``n_sequences_seen / n_sequences``.
    n_samples_seen : int or None
        Test samples whose history *and* label are those of a training sample:
        a lookup of the training set can get them right. None without ``y``.
    sample_share : float or None
        ``n_samples_seen / n_histories``; None without ``y``.
    """

    n_histories: int
    n_histories_seen: int
    history_share: float
    n_sequences: int
    n_sequences_seen: int
    sequence_share: float
    n_samples_seen: int | None = None
    sample_share: float | None = None

    def __str__(self):
        lines = [
            f"test histories seen in training: {self.n_histories_seen} of "
            f"{self.n_histories} ({self.history_share:.1%})",
            f"whole test sequences seen in training: {self.n_sequences_seen} of "
            f"{self.n_sequences} ({self.sequence_share:.1%})",
        ]
        if self.n_samples_seen is not None:
            lines.append(
                f"test samples (history and label) seen in training: {self.n_samples_seen} "
                f"of {self.n_histories} ({self.sample_share:.1%})"
            )
        return "\n".join(lines)


def leakage_report(
    X_train, X_test, *, y_train=None, y_test=None, groups_train=None, groups_test=None
):
    """Share of test histories, and of whole test sequences, seen verbatim in training.

    A test history counts as *seen* when some training sequence begins with the
    same events in the same order: the history itself, or a longer one, was in
    the training data. Histories compare by their events only: the times and
    attributes of :class:`AttributedHistories` are ignored, as are a 2-D table's
    column names.

    A *whole sequence* is what one case or visitor did, as far as the data show:

    - of a :class:`PrefixHistories` (or :class:`AttributedHistories`), each
      stored sequence that some history uses, up to and including the next event
      of its longest history in the set (so a split that keeps a case's last
      events for testing counts only the first ones as training data);
    - of a list of histories, each stretch of histories that are each a prefix of
      the next (the layout of :func:`samples_from_log` and
      :meth:`MarkovMemorySampler.make_dataset`): its longest history followed by
      that history's label, when ``y`` is given and holds next events; without
      ``y``, the longest history alone. A history that is no prefix of its
      neighbours is a sequence of its own. Where one sequence's longest history
      is a prefix of the next sequence's first, the list alone cannot show the
      border: pass ``groups_train`` / ``groups_test`` (the sequence of each
      history) and a sequence also ends where its group does.

    A whole test sequence is seen when it equals a whole training sequence.

    Parameters
    ----------
    X_train, X_test : list of histories, PrefixHistories or 2-D array-like
        The histories of the training and the test set.
    y_train, y_test : array-like of shape (n_samples,), default=None
        Their labels (next events). With both, the report also counts the test
        samples whose history and label both occur in one training sample.
    groups_train, groups_test : array-like of shape (n_samples,), default=None
        The sequence of each history of a list (ignored for a
        :class:`PrefixHistories`, which knows its sequences).

    Returns
    -------
    report : LeakageReport
        Counts and shares; ``print(report)`` gives one line each.

    Examples
    --------
    >>> from sklearn_seqlstm import leakage_report
    >>> X_train = [["a"], ["a", "b"], ["c"]]
    >>> y_train = ["b", "c", "a"]
    >>> X_test = [["a"], ["a", "b"], ["d"]]
    >>> y_test = ["b", "d", "a"]
    >>> report = leakage_report(X_train, X_test, y_train=y_train, y_test=y_test)
    >>> report.n_histories_seen, report.n_sequences_seen, report.n_samples_seen
    (2, 0, 1)
    >>> print(report)
    test histories seen in training: 2 of 3 (66.7%)
    whole test sequences seen in training: 0 of 2 (0.0%)
    test samples (history and label) seen in training: 1 of 3 (33.3%)
    """
    if (y_train is None) != (y_test is None):
        raise ValueError(
            "Pass both y_train and y_test, or neither: the labels are compared between "
            "the two sets."
        )
    train = check_histories(X_train)
    test = check_histories(X_test)
    y_train = _check_y(y_train, len(train), "y_train")
    y_test = _check_y(y_test, len(test), "y_test")
    groups_train = _check_y(groups_train, len(train), "groups_train")
    groups_test = _check_y(groups_test, len(test), "groups_test")

    trie = PrefixTrie()
    train_sequences, _ = whole_sequences(train, y_train, groups_train)
    whole_train = set(trie.add(train_sequences).tolist())
    test_nodes = trie.nodes(test)
    n_histories = len(test)
    n_histories_seen = int(np.count_nonzero(test_nodes >= 0))

    test_sequences, _ = whole_sequences(test, y_test, groups_test)
    sequence_nodes = trie.find(test_sequences)
    n_sequences_seen = sum(node in whole_train for node in sequence_nodes.tolist())

    n_samples_seen = sample_share = None
    if y_train is not None:
        train_pairs = set(zip(trie.nodes(train).tolist(), y_train.tolist(), strict=True))
        n_samples_seen = sum(
            node >= 0 and (node, label) in train_pairs
            for node, label in zip(test_nodes.tolist(), y_test.tolist(), strict=True)
        )
        sample_share = n_samples_seen / n_histories
    return LeakageReport(
        n_histories=n_histories,
        n_histories_seen=n_histories_seen,
        history_share=n_histories_seen / n_histories,
        n_sequences=len(test_sequences),
        n_sequences_seen=int(n_sequences_seen),
        sequence_share=n_sequences_seen / len(test_sequences),
        n_samples_seen=n_samples_seen,
        sample_share=sample_share,
    )


def _check_y(y, n_samples, name):
    if y is None:
        return None
    y = np.asarray(y, dtype=object).reshape(-1) if not isinstance(y, np.ndarray) else y
    if y.ndim != 1 or len(y) != n_samples:
        raise ValueError(
            f"{name} must hold one value per history: {n_samples} histories but "
            f"{y.shape[0] if y.ndim else 0} labels."
        )
    return y
