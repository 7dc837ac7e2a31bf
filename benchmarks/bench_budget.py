"""Ways to choose NextEventClassifier's default training budget, side by side on the logs.

Each variant is fitted per log, per input form (names only; time, ``org:resource`` and,
for BPI12, ``case:AMOUNT_REQ``) and per seed, with the protocol of
``bench_defaults.py`` (fit on train+val, every test prefix scored, end of case
included). It prints each seed's accuracy and fit time, the mean, and the paired
difference (95% interval from 1,000 bootstrap resamples of the test cases) with the
current default (``base``) and, names only, with the best Markov chain.

Variants:

- ``base``: the default budget (``max_epochs=None``).
- ``es``: hold out a tenth of the train+val cases (drawn with the seed), train the
  default budget on the rest with the loss on the held-out cases monitored each epoch;
  ``restore`` keeps the weights of the epoch of lowest held-out loss, ``refit`` trains
  again on all data for that many epochs.
- ``acc``: as ``es``, but the epoch is the last of highest held-out accuracy
  (``accR`` keeps its weights, ``accF`` refits on all data for that many epochs).
- ``steps0``, ``steps300``, ``steps3000``, ``steps6000``: the default rule with another
  minimum number of optimizer steps, with early stopping or without (``steps0`` is 20
  epochs, whatever the log).

The held-out split here is by case, which lists of histories do not carry: these are
experiments on the rule, not an implementation of it. Run:
``OMP_NUM_THREADS=1 python benchmarks/bench_budget.py --variants base es
[--logs ...] [--forms names attrs] [--seeds 0 1 2]``.
"""

import argparse
import copy
import math
import time

import numpy as np
from _logs import add_data_argument, missing
from bench_defaults import LOGS, TIME, load, paired, samples
from skorch.callbacks import Callback

from sklearn_seqlstm import MarkovChainClassifier, NextEventClassifier
from sklearn_seqlstm.neural import _estimator

STEPS = (0, 300, 3000, 6000)


def fit_base(X, y, groups, seed):
    model = NextEventClassifier(random_state=seed).fit(X, y)
    return {"base": model}, f"{model.n_iter_} epochs, {model.n_steps_} steps"


def held_out_phase(X, y, groups, seed, fraction=0.1):
    """The training and held-out parts, by case, and the default budget of the first."""
    cases = np.unique(groups)
    held = np.random.RandomState(seed).choice(cases, math.ceil(fraction * len(cases)), False)
    val = np.isin(groups, held)
    train, valid = np.flatnonzero(~val), np.flatnonzero(val)
    one = NextEventClassifier(random_state=seed, max_epochs=1, early_stopping=False)
    steps_per_epoch = one.fit(X[train], y[train]).n_steps_
    floor = _estimator.MIN_STEPS_KEEPING_BEST  # the default minimum under early stopping
    steps = min(floor, math.ceil(len(train) / _estimator.SAMPLES_PER_STEP))
    budget = max(_estimator.MIN_EPOCHS, -(-steps // steps_per_epoch))
    return train, valid, budget, steps_per_epoch


def refit(X, y, seed, epochs):
    return NextEventClassifier(random_state=seed, max_epochs=epochs, early_stopping=False).fit(X, y)


def fit_es(X, y, groups, seed):
    train, valid, budget, per_epoch = held_out_phase(X, y, groups, seed)
    # Patience of the whole budget: every epoch runs, the best weights are kept.
    model = NextEventClassifier(
        random_state=seed, max_epochs=budget, early_stopping=True, n_iter_no_change=budget
    ).fit(X[train], y[train], X_val=X[valid], y_val=y[valid])
    best = int(np.argmin([epoch["valid_loss"] for epoch in model.net_.history])) + 1
    info = f"budget {budget} epochs x {per_epoch} steps, best {best}"
    return {"restore": model, "refit": refit(X, y, seed, best)}, info


def fit_acc(X, y, groups, seed):
    train, valid, budget, per_epoch = held_out_phase(X, y, groups, seed)
    model = NextEventClassifier(random_state=seed, max_epochs=budget, early_stopping=False)
    record = {"accuracy": [], "best": None, "state": None}

    class HeldOutAccuracy(Callback):
        def on_epoch_end(self, net, **kwargs):
            accuracy = float(np.mean(np.asarray(model.predict(X[valid])) == y[valid]))
            record["accuracy"].append(accuracy)
            if accuracy >= max(record["accuracy"]):
                record["best"] = len(record["accuracy"])
                record["state"] = copy.deepcopy(net.module_.state_dict())
            net.module_.train()

    model.set_params(callbacks=[HeldOutAccuracy()]).fit(X[train], y[train])
    model.net_.module_.load_state_dict(record["state"])
    model.net_.module_.eval()
    best = record["best"]
    info = f"budget {budget} epochs x {per_epoch} steps, best accuracy at {best}"
    return {"accR": model, "accF": refit(X, y, seed, best)}, info


def fit_steps(n):
    def fit(X, y, groups, seed):
        # Both minimums: with and without early stopping (which "auto" turns on).
        names = ("MIN_STEPS", "MIN_STEPS_KEEPING_BEST")
        defaults = {name: getattr(_estimator, name) for name in names}
        for name in names:
            setattr(_estimator, name, n)
        try:
            model = NextEventClassifier(random_state=seed).fit(X, y)
        finally:
            for name, value in defaults.items():
                setattr(_estimator, name, value)
        return {f"steps{n}": model}, f"{model.n_iter_} epochs, {model.n_steps_} steps"

    return fit


VARIANTS = {"base": fit_base, "es": fit_es, "acc": fit_acc}
VARIANTS.update({f"steps{n}": fit_steps(n) for n in STEPS})


def summary(title, correct, groups, markov):
    base = np.mean(correct["base"], axis=0) if "base" in correct else None
    for name, runs in correct.items():
        mean = np.mean(runs, axis=0)
        line = f"{title} {name:<9} mean {mean.mean():.4f}, seeds "
        line += " ".join(f"{run.mean():.4f}" for run in runs)
        others = {"base": base, "Markov": markov}
        for other, reference in others.items():
            if reference is not None and name != other:
                p = paired(mean - reference, groups)
                line += f" | vs {other} {p.estimate:+.4f} [{p.low:+.4f}, {p.high:+.4f}]"
        print(line, flush=True)


def run_form(key, form, train_log, test_log, args):
    sequence_attributes = LOGS[key][2]
    columns = {}
    if form == "attrs":
        columns = dict(
            time_col=TIME,
            event_attributes=["org:resource"],
            sequence_attributes=sequence_attributes,
        )
    train, test = samples(train_log, **columns), samples(test_log, **columns)
    y, groups, title = np.asarray(train.y), np.asarray(train.groups), f"[{key} {form}]"
    markov = None
    if form == "names":
        scores = {}
        for order in (1, 2, 3):
            predicted = MarkovChainClassifier(order=order).fit(train.X, y).predict(test.X)
            scores[order] = (np.asarray(predicted) == test.y).astype(float)
        best = max(scores, key=lambda order: scores[order].mean())
        markov = scores[best]
        print(f"{title} Markov, best order {best}: {markov.mean():.4f}", flush=True)
    correct = {}
    for seed in args.seeds:
        for variant in args.variants:
            start = time.perf_counter()
            models, info = VARIANTS[variant](train.X, y, groups, seed)
            seconds = time.perf_counter() - start
            for name, model in models.items():
                right = (np.asarray(model.predict(test.X)) == test.y).astype(float)
                correct.setdefault(name, []).append(right)
                print(
                    f"{title} seed {seed} {name:<9} {right.mean():.4f}, "
                    f"fit {seconds:.1f} s, {info}",
                    flush=True,
                )
    summary(title, correct, test.groups, markov)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_data_argument(parser)
    parser.add_argument("--logs", nargs="+", choices=list(LOGS), default=list(LOGS))
    parser.add_argument("--forms", nargs="+", choices=["names", "attrs"], default=["names"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=["base", "es"])
    args = parser.parse_args(argv)
    if missing("bench_budget", args.data):
        return
    # torch builds its compiler stack with the first optimizer: not in the fit times.
    NextEventClassifier(max_epochs=1).fit([["a"], ["b"]], ["b", "a"])
    for key in args.logs:
        train_log, test_log = load(args.data, LOGS[key][0])
        for form in args.forms:
            run_form(key, form, train_log, test_log, args)


if __name__ == "__main__":
    main()
