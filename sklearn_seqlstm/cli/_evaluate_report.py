"""The printed report and the chart of ``seqlstm evaluate``."""

import sys
import textwrap

import numpy as np
import pandas as pd

from ..metrics._uncertainty import bootstrap_interval
from ..utils._files import replacing
from ._evaluate_fit import TIME_UNITS
from ._evaluate_options import (
    GROUP_K_FOLD,
    LEAVE_LAST_OUT,
    LSTM,
    METRICS,
    NEXT_EVENT,
    PROTOCOL_SCORES,
    TEST_FILE,
    TIME_ORDERED,
    TIME_TARGETS,
    _attribute_names,
    _main_lstm,
)


def _report_regression(args, frame, splits, notes, results, per_sample, models, unit):
    """Print the report of a time target: header, MAE table, intervals, comparison."""
    print(_header(args, frame, splits, notes, unit=unit[0]))
    print()
    print(_regression_table(results, args.protocol, unit[0]))
    print()
    print(_regression_intervals(per_sample, args.protocol, args.random_state))
    print()
    print(_regression_comparison(results, args.protocol, unit[0], models, per_sample, args))
    for warning in _regression_warnings(args, splits):
        print(f"warning: {warning}", file=sys.stderr)


def _mae_summary(results, protocol):
    """One row per model: the test MAE, or its mean over the folds (groupkfold)."""
    if protocol != GROUP_K_FOLD:
        summary = results[results["split"] == "test"].set_index("model")
    else:
        summary = results.groupby("model", sort=False).mean(numeric_only=True)
    return summary[["mae", "fit_seconds"]]


def _regression_table(results, protocol, unit):
    heading = f"MAE ({unit})"
    summary = _mae_summary(results, protocol).rename(
        columns={"mae": heading, "fit_seconds": "fit (s)"}
    )
    summary.index.name = None
    where = PROTOCOL_SCORES[protocol]
    formats = {heading: "{:.3f}".format, "fit (s)": "{:.1f}".format}
    return (
        f"Mean absolute error (lower is better) {where}:\n{summary.to_string(formatters=formats)}"
    )


def _regression_intervals(per_sample, protocol, seed):
    where = (
        "the test samples of every fold, pooled" if protocol == GROUP_K_FOLD else "the test samples"
    )
    lines = [f"95% intervals (bootstrap over sequences, 1,000 resamples), on {where}:"]
    width = max(map(len, per_sample), default=0)
    for name, scores in per_sample.items():
        values, groups = _pooled(scores, "mae")
        interval = bootstrap_interval(values, groups, random_state=seed)
        lines.append(
            f"  {name:<{width}}  MAE {interval.estimate:.3f} "
            f"[{interval.low:.3f}, {interval.high:.3f}]"
        )
    return "\n".join(lines)


def _regression_comparison(results, protocol, unit, models, per_sample, args):
    """The LSTM against the baseline of lowest MAE, with the paired interval of the
    per-sample differences of absolute errors (negative: the LSTM errs less)."""
    summary = _mae_summary(results, protocol)
    lstms = [name for name, (key, _) in models.items() if key == "lstm"]
    baselines = summary.drop(index=lstms, errors="ignore")
    if not lstms or baselines.empty:
        return "No comparison: it needs the LSTM and at least one baseline (--models)."
    main = lstms[0]
    best = baselines["mae"].idxmin()
    lstm, reference = summary.loc[main, "mae"], baselines.loc[best, "mae"]
    line = (
        f"  MAE ({unit}) LSTM {lstm:.3f}, best baseline {reference:.3f} ({best}): "
        f"{lstm - reference:+.3f}"
    )
    ours, groups = _pooled(per_sample[main], "mae")
    theirs, _ = _pooled(per_sample[best], "mae")
    paired = bootstrap_interval(ours - theirs, groups, random_state=args.random_state)
    verdict = (
        "a tie" if paired.low <= 0 <= paired.high else ("better" if paired.high < 0 else "worse")
    )
    line += f", paired {paired.estimate:+.3f} [{paired.low:+.3f}, {paired.high:+.3f}]: {verdict}"
    return "\n".join(
        ["LSTM against the best baseline (the lowest MAE; below 0, the LSTM errs less):", line]
    )


def _regression_warnings(args, splits):
    if args.target == "remaining_time" and args.protocol == LEAVE_LAST_OUT:
        yield (
            "with --protocol leave-last-out, each test history stops one event before the "
            "end, so its remaining time is its time to the next event, and the training "
            "targets are measured to the test event; --protocol groupkfold scores every "
            "prefix of sequences kept out of training, and --protocol time every prefix of the "
            "latest sequences."
        )
    yield from _small_test_warning(splits)


# Reporting ----------------------------------------------------------------------------


def _summary(results, protocol):
    """One row per model: the test scores, or their mean over folds (groupkfold)."""
    if protocol != GROUP_K_FOLD:
        summary = results[results["split"] == "test"].set_index("model")
    else:
        summary = results.groupby("model", sort=False).mean(numeric_only=True)
    return summary[[*METRICS, "fit_seconds"]]


def seen_label(exclude_seen):
    """Which ranking the scores come from: each table and the header say it."""
    return "seen items masked" if exclude_seen else "seen items not masked"


def _seen_line(exclude_seen):
    """The header's sentence on the masking of the events each history holds."""
    if exclude_seen:
        return (
            "Seen items masked (--exclude-seen): every model ranks only the events absent "
            "from each test history; a true next event that the history holds is a miss."
        )
    return (
        "Seen items not masked: every model ranks every event, those of the history "
        "included (--exclude-seen masks them)."
    )


def _table(results, protocol, exclude_seen=False):
    summary = _summary(results, protocol).rename(columns={**METRICS, "fit_seconds": "fit (s)"})
    summary.index.name = None
    where = PROTOCOL_SCORES[protocol]
    formats = {column: "{:.3f}".format for column in METRICS.values()}
    formats["fit (s)"] = "{:.1f}".format
    seen = seen_label(exclude_seen)
    return f"Scores {where}, {seen}:\n{summary.to_string(formatters=formats)}"


def _pooled(scores, metric):
    """(per-sample scores, sequence of each) of one model and metric, over the test folds."""
    return np.concatenate(scores[metric]), np.concatenate(scores["groups"])


def _intervals(per_sample, protocol, seed, exclude_seen=False):
    """Each model's scores with 95% intervals, by a bootstrap over the test sequences."""
    where = (
        "the test samples of every fold, pooled" if protocol == GROUP_K_FOLD else "the test samples"
    )
    lines = [
        f"95% intervals (bootstrap over sequences, 1,000 resamples), on {where}, "
        f"{seen_label(exclude_seen)}:"
    ]
    width = max(map(len, per_sample), default=0)
    for name, scores in per_sample.items():
        cells = []
        for metric, title in METRICS.items():
            values, groups = _pooled(scores, metric)
            interval = bootstrap_interval(values, groups, random_state=seed)
            cells.append(
                f"{title} {interval.estimate:.3f} [{interval.low:.3f}, {interval.high:.3f}]"
            )
        lines.append(f"  {name:<{width}}  " + "  ".join(cells))
    return "\n".join(lines)


def _warnings(splits, exclude_seen=False):
    """What makes some figures meaningless, misleading or too noisy to read: k at least the
    number of classes (top-k is then 1 by construction, unless seen items are masked),
    test targets mostly unlike the training targets, and test sets of fewer than 100
    samples."""
    n_classes = len(pd.unique(np.concatenate([train.y for _, train, _ in splits])))
    trivial = [] if exclude_seen else [k for k in (5, 10) if k >= n_classes]
    if trivial:
        yield (
            f"top-{trivial[0]}{' and top-10' if len(trivial) > 1 else ''} accuracy is 1 by "
            f"construction for events seen in training: there are only {n_classes} of them."
        )
    yield from _unlike_training_warning(splits)
    yield from _small_test_warning(splits)


#: A test target is unlike the training targets when its event is absent from them or at
#: least this many times rarer there than among the test targets.
_RARER = 10


def _unlike_training_warning(splits):
    """A warning when most test targets are events absent or rare among the training targets.

    Leave-last-out on a process log tests every case's last activity (closed,
    declined), which ends cases and so is seldom or never a training target: on the
    four public process logs measured, 61% to 100% of the test targets were such
    events, and the scores then rank the models by a task none was trained on.
    """
    tested = [(train.y, test.y) for split, train, test in splits if split != "valid"]
    train_share = pd.Series(np.concatenate([y for y, _ in tested])).value_counts(normalize=True)
    test_share = pd.Series(np.concatenate([y for _, y in tested])).value_counts(normalize=True)
    ratio = train_share.reindex(test_share.index, fill_value=0.0) / test_share
    unlike = test_share[ratio.to_numpy() * _RARER < 1]
    if unlike.sum() > 0.5:
        top = ", ".join(repr(_plain(event)) for event in unlike.index[:3])
        yield (
            f"{unlike.sum():.0%} of the test targets are events absent from the training "
            f"targets or at least {_RARER} times rarer there (most often {top}): the scores "
            "measure a task the models were not trained on. On a process log, where cases "
            "end with their own activities, use --protocol time or --test-file."
        )


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def _small_test_warning(splits):
    smallest = min(len(test.y) for split, _, test in splits if split != "valid")
    if smallest < 100:
        yield (
            f"a test set holds {smallest} samples only (fewer than 100): read the intervals, "
            "not the figures."
        )


def _comparison(results, protocol, models=None, per_sample=None, seed=0, exclude_seen=False):
    """The LSTM against the best baseline, metric by metric: a score means little alone.

    With attributes, the LSTM is the one with them, and the baselines are every
    model but an LSTM (the logistic regression with the attributes among them).
    With ``per_sample``, each difference comes with its paired 95% interval
    (a bootstrap over the test sequences of the per-sample differences); an
    interval that holds 0 is a tie.
    """
    summary = _summary(results, protocol)
    models = models if models is not None else {LSTM: ("lstm", None)}
    main = _main_lstm(models)
    lstms = [name for name, (key, _) in models.items() if key == "lstm"]
    baselines = summary.drop(index=lstms, errors="ignore")
    if main not in summary.index or baselines.empty:
        return "No comparison: it needs the LSTM and at least one baseline (--models)."
    which = "" if main == LSTM else f" ({main.removeprefix(LSTM + ', ')})"
    seen = seen_label(exclude_seen)
    lines = [f"LSTM{which} against the best baseline on each metric, {seen}:"]
    for column, title in METRICS.items():
        best = baselines[column].idxmax()
        lstm, reference = summary.loc[main, column], baselines.loc[best, column]
        line = (
            f"  {title:<7} LSTM {lstm:.3f}, best baseline {reference:.3f} ({best}): "
            f"{lstm - reference:+.3f}"
        )
        if per_sample is not None and main in per_sample and best in per_sample:
            ours, groups = _pooled(per_sample[main], column)
            theirs, _ = _pooled(per_sample[best], column)
            paired = bootstrap_interval(ours - theirs, groups, random_state=seed)
            verdict = (
                "a tie"
                if paired.low <= 0 <= paired.high
                else ("better" if paired.low > 0 else "worse")
            )
            line += (
                f", paired {paired.estimate:+.3f} [{paired.low:+.3f}, {paired.high:+.3f}]: "
                f"{verdict}"
            )
        lines.append(line)
    return "\n".join(lines)


def _header(args, frame, splits, notes, unit=None):
    first = splits[0]
    if args.protocol == LEAVE_LAST_OUT:
        split_text = (
            f"leave-last-out: {len(first[1].y):,} training samples, {len(splits[1][2].y):,} "
            "validation and test samples (one each per sequence)"
        )
    elif args.protocol in (TIME_ORDERED, TEST_FILE):
        train, test = first[1], first[2]
        n_train, n_test = (len(pd.unique(samples.groups)) for samples in (train, test))
        tested = (
            f"the latest {args.test_size:.0%} by start"
            if args.protocol == TIME_ORDERED
            else f"those of --test-file {args.test_file.name}"
        )
        split_text = (
            f"{args.protocol}: {len(train.y):,} training samples from {n_train:,} sequences, "
            f"{len(test.y):,} test samples (every event) from {n_test:,} sequences, {tested}"
        )
    else:
        split_text = (
            f"GroupKFold with {args.n_splits} folds by sequence: "
            f"{sum(len(s[2].y) for s in splits):,} samples in all"
        )
    lines = [
        f"seqlstm evaluate: {args.events.name}, {len(frame):,} events in "
        f"{frame[args.sequence_col].nunique():,} sequences, "
        f"{frame[args.event_col].nunique():,} distinct events; {split_text}.",
        *notes,
    ]
    if args.target == NEXT_EVENT:
        lines.append(_seen_line(getattr(args, "exclude_seen", False)))
    if args.target != NEXT_EVENT:
        lines.append(_regression_header(args, unit))
    elif _attribute_names(args):
        read = []
        if args.time_col:
            read.append(f"time from {args.time_col!r}")
        if args.event_attributes:
            read.append(f"event attributes {', '.join(map(repr, args.event_attributes))}")
        if args.sequence_attributes:
            read.append(f"sequence attributes {', '.join(map(repr, args.sequence_attributes))}")
        lines.append(
            f"With {'; '.join(read)}: the LSTM and the logistic regression are scored with and "
            f"without them; the Markov chains and popularity read the events only, as do the "
            f"prefix lookup and the theory."
        )
    return "\n".join(lines)


def _regression_header(args, unit):
    unit_text = "in the time column's own units" if unit == TIME_UNITS else f"in {unit}"
    read = ["the events", f"their time ({args.time_col!r})"]
    if args.event_attributes:
        read.append(f"event attributes {', '.join(map(repr, args.event_attributes))}")
    if args.sequence_attributes:
        read.append(f"sequence attributes {', '.join(map(repr, args.sequence_attributes))}")
    return (
        f"Target ({args.target}): {TIME_TARGETS[args.target]}, {unit_text}. The LSTM "
        f"(NextValueRegressor) and the gradient-boosted trees read {', '.join(read[:-1])} and "
        f"{read[-1]}; the training mean and median predict one number for every history."
    )


def _draw_chart(curves, args, output, main=LSTM):
    """Write k_retrieval.png; return (file name or None, reason skipped or None).

    The curve of ``main`` (the LSTM compared with the baselines) is drawn thicker.
    """
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return None, 'it needs matplotlib: pip install "sklearn-seqlstm[plot]"'
    from ..inspection._plot import KRetrievalCurveDisplay

    # A Figure made without pyplot renders with Agg and leaves no global state behind.
    figure = Figure(figsize=(6.5, 4.5), layout="constrained")
    ax = figure.subplots()
    for name, curve in curves.groupby("model", sort=False):
        KRetrievalCurveDisplay(
            ks=curve["k"].to_numpy(), accuracies=curve["top_k_accuracy"].to_numpy(), name=name
        ).plot(ax=ax, curve_kwargs={"linewidth": 2.5} if name == main else None)
    ax.set_title(_chart_title(args), fontsize="medium")
    name = "k_retrieval.png"
    with replacing(output / name) as path:
        figure.savefig(path, dpi=100)
    return name, None


#: Characters of a title line that fit the chart's width at the title's size.
_TITLE_WIDTH = 70


def _chart_title(args):
    """The chart's title: the metric, then the log and the protocol, wrapped to fit.

    In one line, a long file name ran past the figure's edges and was cut off.
    """
    name = args.events.name
    where = {
        LEAVE_LAST_OUT: f"{name} (last event of each sequence)",
        TIME_ORDERED: f"{name} (every event of the latest sequences)",
        GROUP_K_FOLD: f"{name} (pooled folds)",
    }.get(args.protocol)
    if args.protocol == TEST_FILE:
        where = f"trained on {name}, tested on every event of {args.test_file.name}"
    detail = textwrap.wrap(where, _TITLE_WIDTH, break_on_hyphens=False)
    metric = "Top-k accuracy against k"
    if getattr(args, "exclude_seen", False):
        metric += ", seen items masked"
    return "\n".join([metric, *detail])
