"""The protocols of ``seqlstm evaluate``: the (name, train, test) samples it scores."""

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupKFold

from ..histories._eventlog import _all_samples, _leave_last_out, _SortedLog
from ..histories._prefixes import PrefixHistories
from ._evaluate_load import EvaluateInputError
from ._evaluate_options import (
    LEAVE_LAST_OUT,
    TEST_FILE,
    TIME_ORDERED,
    _attribute_names,
)

# Splits -------------------------------------------------------------------------------


def _splits(frame, args, test_frame=None):
    """The (name, train, test) triples of the protocol, the notes for the header, and the
    kind of the times ("datetime" or "numeric"; None without ``--time-col``).

    ``test_frame`` is the event log of ``--test-file`` (protocol ``TEST_FILE``).
    """
    columns = {
        "sequence_col": args.sequence_col,
        "order_col": args.order_col,
        "event_col": args.event_col,
    }
    if _attribute_names(args):
        columns.update(
            time_col=args.time_col,
            event_attributes=list(args.event_attributes),
            sequence_attributes=list(args.sequence_attributes),
        )
    try:
        log = _SortedLog(frame, **columns, target=args.target)
        time_kind = getattr(log, "time_kind", None)
        if args.protocol == LEAVE_LAST_OUT:
            train, valid, test, n_short = _leave_last_out(log, args.min_history, args.max_history)
            notes = _skipped_note(
                n_short,
                log.n_sequences,
                f"fewer than {args.min_history + 2} events, too short for leave-last-out",
            )
            return [("valid", train, valid), ("test", train, test)], notes, time_kind
        if args.protocol == TIME_ORDERED:
            train, test, n_short = _time_ordered(log, frame, args)
            notes = _skipped_note(n_short, log.n_sequences, _too_short(args.min_history))
            return [("test", train, test)], notes, time_kind
        samples, n_short = _all_samples(log, args.min_history, args.max_history)
    except ValueError as exc:
        raise EvaluateInputError(str(exc)) from None
    notes = _skipped_note(n_short, log.n_sequences, _too_short(args.min_history))
    if args.protocol == TEST_FILE:
        test, test_notes = _test_file_samples(test_frame, columns, args, time_kind)
        return [("test", samples, test)], notes + test_notes, time_kind
    n_groups = len(pd.unique(samples.groups))
    if n_groups < args.n_splits:
        raise EvaluateInputError(
            f"--protocol groupkfold --n-splits {args.n_splits} needs at least {args.n_splits} "
            f"sequences with a sample; the event log has {n_groups}."
        )
    folds = GroupKFold(n_splits=args.n_splits).split(samples.X, samples.y, samples.groups)
    splits = [
        (f"fold {fold}", _subset(samples, train), _subset(samples, test))
        for fold, (train, test) in enumerate(folds)
    ]
    return splits, notes, time_kind


def _too_short(min_history):
    events = "event" if min_history == 1 else "events"
    return f"at most {min_history} {events}, too short for a sample"


def _time_ordered(log, frame, args):
    """Train and test samples of whole sequences ordered by their first event's order key.

    The latest ``args.test_size`` of the sequences (by the order key of their first
    event; ties in the order of their keys) give every one of their events as a test
    target, the others train: as in the process-mining benchmarks, a case is on one side
    only, and the test cases started after every training case. Returns ``(train, test,
    number of sequences too short for a sample)``.
    """
    starts = frame[args.order_col].iloc[log.rows[log.starts]].reset_index(drop=True)
    by_start = starts.sort_values(kind="stable").index.to_numpy()
    n_sequences = log.n_sequences
    n_test = int(round(args.test_size * n_sequences))
    if not 0 < n_test < n_sequences:
        raise ValueError(
            f"--protocol time --test-size {args.test_size} leaves "
            f"{'no test sequence' if n_test == 0 else 'no training sequence'} among the "
            f"{n_sequences} sequences of the event log: it needs more sequences, or another "
            "--test-size."
        )
    tested = np.zeros(n_sequences, dtype=bool)
    tested[by_start[n_sequences - n_test :]] = True
    in_test = np.repeat(tested, log.lengths)
    targets = log.position >= args.min_history
    for name, side in [("training", targets & ~in_test), ("test", targets & in_test)]:
        if not side.any():
            raise ValueError(
                f"--protocol time leaves no {name} sample: every {name} sequence has at most "
                f"--min-history {args.min_history} events."
            )
    n_short = int(np.count_nonzero(log.lengths <= args.min_history))
    return (
        log.samples(np.flatnonzero(targets & ~in_test), args.max_history),
        log.samples(np.flatnonzero(targets & in_test), args.max_history),
        n_short,
    )


def _test_file_samples(frame, columns, args, time_kind):
    """Every sample of the ``--test-file`` log, and the notes on it for the header."""
    name = args.test_file.name
    try:
        log = _SortedLog(frame, **columns, target=args.target)
        samples, n_short = _all_samples(log, args.min_history, args.max_history)
    except ValueError as exc:
        raise EvaluateInputError(f"--test-file {name}: {exc}") from None
    test_kind = getattr(log, "time_kind", None)
    if test_kind != time_kind:
        raise EvaluateInputError(
            f"--test-file {name}: its times are {test_kind}, those of {args.events.name} "
            f"{time_kind}; give the two files times of one kind."
        )
    notes = _skipped_note(n_short, log.n_sequences, _too_short(args.min_history))
    return samples, [note.replace("Skipped", f"Skipped (in {name})", 1) for note in notes]


def _subset(samples, index):
    X = samples.X
    # A PrefixHistories (with its attributes, if any) is indexed without copying.
    X = X[index] if isinstance(X, PrefixHistories) else [X[i] for i in index]
    return type(samples)(X, samples.y[index], samples.groups[index])


def _skipped_note(n_short, n_sequences, reason):
    if not n_short:
        return []
    return [f"Skipped {n_short} of {n_sequences} sequences: {reason}."]
