"""The protocols of ``seqlstm evaluate``: the (name, train, test) samples it scores."""

import pandas as pd
from sklearn.model_selection import GroupKFold

from ..histories._eventlog import _all_samples, _leave_last_out, _SortedLog
from ..histories._prefixes import PrefixHistories
from ._evaluate_load import EvaluateInputError
from ._evaluate_options import LEAVE_LAST_OUT, _attribute_names

# Splits -------------------------------------------------------------------------------


def _splits(frame, args):
    """The (name, train, test) triples of the protocol, the notes for the header, and the
    kind of the times ("datetime" or "numeric"; None without ``--time-col``)."""
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
        samples, n_short = _all_samples(log, args.min_history, args.max_history)
    except ValueError as exc:
        raise EvaluateInputError(str(exc)) from None
    n_groups = len(pd.unique(samples.groups))
    if n_groups < args.n_splits:
        raise EvaluateInputError(
            f"--protocol groupkfold --n-splits {args.n_splits} needs at least {args.n_splits} "
            f"sequences with a sample; the event log has {n_groups}."
        )
    notes = _skipped_note(
        n_short, log.n_sequences, f"at most {args.min_history} events, too short for a sample"
    )
    folds = GroupKFold(n_splits=args.n_splits).split(samples.X, samples.y, samples.groups)
    splits = [
        (f"fold {fold}", _subset(samples, train), _subset(samples, test))
        for fold, (train, test) in enumerate(folds)
    ]
    return splits, notes, time_kind


def _subset(samples, index):
    X = samples.X
    # A PrefixHistories (with its attributes, if any) is indexed without copying.
    X = X[index] if isinstance(X, PrefixHistories) else [X[i] for i in index]
    return type(samples)(X, samples.y[index], samples.groups[index])


def _skipped_note(n_short, n_sequences, reason):
    if not n_short:
        return []
    return [f"Skipped {n_short} of {n_sequences} sequences: {reason}."]
