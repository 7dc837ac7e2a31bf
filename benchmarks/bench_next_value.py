"""One-step-ahead forecasts of real series: naive, seasonal naive, ETS, SARIMA and the LSTM.

Run with ``OMP_NUM_THREADS=1 python benchmarks/bench_next_value.py`` (``--quick`` for a
smoke run). Needs statsmodels, whose datasets are the data and whose models are two
of the rows: ``pip install -c constraints.txt -e ".[bench]"``.

Data: three series that ship with statsmodels.

- ``co2``: atmospheric CO2 at Mauna Loa (ppm), 1958-2001, weekly, averaged by month
  (the 5 months without any measurement are interpolated); trend and a 12-month season.
- ``elnino``: monthly sea surface temperature of the El Nino region (deg C), 1950-2010;
  a strong 12-month season and irregular multi-year swings.
- ``sunspots``: yearly sunspot activity, 1700-2008; a cycle of about 11 years, whose
  length varies, so no fixed season: the "seasonal naive" row repeats the value 11
  years before, and MASE is scaled by the naive (lag 1) forecast, as for any series
  without a season.

Protocol: the last ``--test-fraction`` (20%) of each series is held out; everything
before it is the training part. Each series is one long sequence and every prefix
is a sample: the history is the values so far (with the month as the event, for the
monthly series) and the target is the next value. Each point of the held-out
stretch is forecast one step ahead, from all the values before it.

- Naive and seasonal naive: :class:`SeasonalNaiveRegressor` with season 1 and m.
- ETS (``statsmodels.tsa.exponential_smoothing.ets.ETSModel``) and SARIMA
  (``statsmodels.tsa.statespace.sarimax.SARIMAX``), of fixed specifications chosen
  before looking at the held-out stretch (below). Their parameters are estimated
  once, on the training part; the fitted model then filters the held-out values
  with those parameters, so each forecast uses every value before it but the
  parameters are not re-estimated as the origin rolls. ``--refit-every K``
  re-estimates them on all the values before the origin every K held-out points
  (1: a refit at every origin, the classical rolling protocol, slower).
- LSTM: :class:`NextValueRegressor` over the last ``max_history`` = 3 seasons of
  steps (for the monthly series, each step's event is its month). The network sees
  each step's level and change (difference from the step before), both standardised
  with the training part's mean and deviation, and learns the next change: the
  forecast is the last value plus the predicted change. A trending series (CO2)
  leaves the range of the training levels in the held-out stretch, which a network
  fitted to levels cannot extrapolate to; the change stays in range. Settings:
  ``hidden_size=32``, ``batch_size=32``, ``max_epochs=100`` (``--hidden-size``,
  ``--max-epochs``), the default squared-error loss, and no early stopping
  (``"auto"`` keeps it off below 2,000 chains; these series give about 250 to 590
  training samples). They were fixed before the regressor existed and are not tuned
  on the held-out stretch. One seed (``--seed``).

Scores: MAE, with a 95% interval from a block bootstrap over the held-out stretch
(:func:`bootstrap_interval`, blocks of one season of consecutive points resampled
with replacement; the errors of nearby points are correlated), and MASE: MAE divided
by the in-sample MAE of the seasonal naive forecast on the training part (Hyndman and
Koehler, 2006; m = 12 for the monthly series, 1 for sunspots). "fit s" is the wall
time of fitting (and, for ETS and SARIMA, filtering). The verdicts compare each model
with the seasonal naive forecast by the paired difference of absolute errors: a model
"beats" it when the 95% interval of its MAE minus the seasonal naive MAE lies below 0.
The LSTM is also compared, by the same paired difference, with the better of ETS and
SARIMA on each series.
"""

import argparse
import time
import warnings

import numpy as np

from sklearn_seqlstm import (
    AttributedHistories,
    NextValueRegressor,
    SeasonalNaiveRegressor,
    bootstrap_interval,
)

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


def load_co2():
    from statsmodels.datasets import co2

    weekly = co2.load_pandas().data["co2"]
    monthly = weekly.resample("MS").mean().interpolate()
    months = np.array([MONTHS[m - 1] for m in monthly.index.month])
    return monthly.to_numpy(dtype=np.float64), months


def load_elnino():
    from statsmodels.datasets import elnino

    table = elnino.load_pandas().data
    values = table[list(MONTHS)].to_numpy(dtype=np.float64).ravel()  # year by year
    return values, np.tile(np.array(MONTHS), len(table))


def load_sunspots():
    from statsmodels.datasets import sunspots

    values = sunspots.load_pandas().data["SUNACTIVITY"].to_numpy(dtype=np.float64)
    return values, np.full(len(values), "YEAR")


# season: the seasonal naive lag; mase_season: the lag of the MASE scale.
SERIES = {
    "co2": dict(
        load=load_co2,
        season=12,
        mase_season=12,
        ets=("ETS(A,A,A)", dict(error="add", trend="add", seasonal="add", seasonal_periods=12)),
        sarima=("SARIMA(0,1,1)(0,1,1)12", dict(order=(0, 1, 1), seasonal_order=(0, 1, 1, 12))),
    ),
    "elnino": dict(
        load=load_elnino,
        season=12,
        mase_season=12,
        ets=("ETS(A,N,A)", dict(error="add", seasonal="add", seasonal_periods=12)),
        sarima=("SARIMA(1,0,0)(0,1,1)12", dict(order=(1, 0, 0), seasonal_order=(0, 1, 1, 12))),
    ),
    "sunspots": dict(
        load=load_sunspots,
        season=11,
        mase_season=1,
        ets=("ETS(A,Ad,N)", dict(error="add", trend="add", damped_trend=True)),
        sarima=("ARIMA(9,0,0)+c", dict(order=(9, 0, 0), trend="c")),
    ),
}


def prefixes(events, attributes, lengths):
    """The histories ``series[:length]`` of one series, stored once, as AttributedHistories."""
    return AttributedHistories(
        [events.tolist()],
        np.zeros(len(lengths), dtype=np.int64),
        lengths,
        event_attributes={name: [values] for name, values in attributes.items()},
    )


def seasonal_scale(train, lag):
    """In-sample MAE of the seasonal naive forecast on the training part (the MASE scale)."""
    return float(np.mean(np.abs(train[lag:] - train[:-lag])))


def statsmodels_forecasts(kind, spec, values, n_train, refit_every):
    """One-step-ahead forecasts of ``values[n_train:]``, fit time, and fit warnings.

    Parameters are estimated on ``values[:origin]`` at the first origin and every
    ``refit_every`` origins after it (0: never again); between refits the model
    filters the new values with the parameters it has.
    """
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    if kind == "ets":
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel as Model

        def fit(y):
            return Model(y, **spec).fit(disp=False, maxiter=2000).params

        def one_step(y, params):
            return Model(y, **spec).smooth(params).fittedvalues
    else:
        from statsmodels.tsa.statespace.sarimax import SARIMAX as Model

        def fit(y):
            return Model(y, **spec).fit(disp=False, maxiter=200).params

        def one_step(y, params):
            return Model(y, **spec).filter(params).fittedvalues

    n = len(values)
    step = refit_every or n
    forecasts = np.empty(n - n_train)
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        for origin in range(n_train, n, step):
            end = min(origin + step, n)
            params = fit(values[:origin])
            # fittedvalues[t] is the forecast of values[t] from values[:t].
            forecasts[origin - n_train : end - n_train] = np.asarray(
                one_step(values[:end], params)
            )[origin:end]
    seconds = time.perf_counter() - start
    warned = sorted({w.category.__name__ for w in caught if issubclass(w.category, Warning)})
    return forecasts, seconds, warned


def lstm_forecasts(values, events, n_train, season, args):
    """The LSTM's one-step-ahead forecasts of ``values[n_train:]``, and its fit time."""
    train = values[:n_train]
    change = np.concatenate([[np.nan], np.diff(values)])  # the first step has none
    features = {
        "level": (values - train.mean()) / train.std(),
        "change": (change - np.nanmean(change[:n_train])) / np.nanstd(change[:n_train]),
    }
    lengths = np.arange(1, len(values))  # history values[:t], target values[t]
    X = prefixes(events, features, lengths)
    target = values[1:] - values[:-1]  # the next change
    is_train = lengths < n_train
    model = NextValueRegressor(
        hidden_size=args.hidden_size,
        max_history=3 * season,
        max_epochs=args.max_epochs,
        batch_size=32,
        random_state=args.seed,
    )
    start = time.perf_counter()
    model.fit(X[np.flatnonzero(is_train)], target[is_train])
    seconds = time.perf_counter() - start
    last = values[lengths[~is_train] - 1]
    return last + model.predict(X[np.flatnonzero(~is_train)]), seconds


def evaluate(name, config, args):
    """Rows (model, absolute errors, fit seconds, note) for one series, and its header."""
    values, events = config["load"]()
    n = len(values)
    n_test = round(args.test_fraction * n)
    n_train = n - n_test
    season = config["season"]
    y_test = values[n_train:]
    rows = []

    naive_input = prefixes(events, {"value": values}, np.arange(1, n))
    lengths = naive_input.lengths
    is_train = lengths < n_train
    for label, lag in [("naive (last value)", 1), (f"seasonal naive (m={season})", season)]:
        model = SeasonalNaiveRegressor(season=lag, attribute="value")
        start = time.perf_counter()
        model.fit(naive_input[np.flatnonzero(is_train)], values[1:][is_train])
        seconds = time.perf_counter() - start
        forecasts = model.predict(naive_input[np.flatnonzero(~is_train)])
        rows.append((label, np.abs(forecasts - y_test), seconds, ""))

    for kind in ("ets", "sarima"):
        label, spec = config[kind]
        forecasts, seconds, warned = statsmodels_forecasts(
            kind, spec, values, n_train, args.refit_every
        )
        rows.append((label, np.abs(forecasts - y_test), seconds, ", ".join(warned)))

    forecasts, seconds = lstm_forecasts(values, events, n_train, season, args)
    rows.append(("LSTM (NextValueRegressor)", np.abs(forecasts - y_test), seconds, ""))

    scale = seasonal_scale(values[:n_train], config["mase_season"])
    header = (
        f"{name}: {n} points, train {n_train}, held out {n_test} one-step forecasts; "
        f"MASE scale {scale:.4g} (in-sample seasonal naive MAE, m={config['mase_season']})"
    )
    return header, rows, scale, season


def interval(errors, season, args):
    """MAE (or mean difference) with its block-bootstrap 95% interval."""
    blocks = np.arange(len(errors)) // season  # consecutive points, one season a block
    return bootstrap_interval(errors, blocks, n_resamples=args.n_resamples, random_state=args.seed)


def _verdict(difference):
    """How a model compares with a reference, from the interval of MAE(model) - MAE(reference)."""
    if difference.high < 0:
        return "beats"
    if difference.low > 0:
        return "loses to"
    return "does not clearly differ from"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a fast smoke run")
    parser.add_argument("--series", nargs="+", choices=list(SERIES), default=list(SERIES))
    parser.add_argument("--test-fraction", type=float, default=0.2)
    parser.add_argument(
        "--refit-every",
        type=int,
        default=0,
        help="re-estimate ETS and SARIMA every K held-out points (0: once, on the train part)",
    )
    parser.add_argument("--max-epochs", type=int, default=100)
    parser.add_argument("--hidden-size", type=int, default=32)
    parser.add_argument("--n-resamples", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.quick:
        args.max_epochs = min(args.max_epochs, 5)
        args.n_resamples = min(args.n_resamples, 200)

    try:
        import statsmodels
    except ImportError:
        print(
            "statsmodels is not installed: it holds the data of this benchmark. "
            'Install it with: pip install -c constraints.txt -e ".[bench]"'
        )
        return
    print(f"statsmodels {statsmodels.__version__}; one-step-ahead forecasts")

    verdicts = []
    started = time.perf_counter()
    for name in args.series:
        header, rows, scale, season = evaluate(name, SERIES[name], args)
        print(f"\n{header}")
        print(f"{'model':<28} {'MAE [95% interval]':>30} {'MASE':>7} {'fit s':>8}  note")
        for label, errors, seconds, note in rows:
            mae = interval(errors, season, args)
            mae_text = f"{mae.estimate:.4g} [{mae.low:.4g}, {mae.high:.4g}]"
            print(f"{label:<28} {mae_text:>30} {mae.estimate / scale:7.3f} {seconds:8.2f}  {note}")
        verdicts.append((name, season, rows))

    print()
    lstm_beats, statistical_wins = [], []
    for name, season, rows in verdicts:
        naive, seasonal = rows[0][1], rows[1][1]
        best = min(rows, key=lambda row: row[1].mean())
        for label, errors, _, _ in rows[2:]:
            against_seasonal = interval(errors - seasonal, season, args)
            against_naive = interval(errors - naive, season, args)
            print(
                f"{name}: {label} {_verdict(against_seasonal)} the seasonal naive forecast "
                f"(MAE difference {against_seasonal}) and {_verdict(against_naive)} the "
                f"naive one ({against_naive})"
            )
            beats = _verdict(against_seasonal) == "beats"
            if label.startswith("LSTM") and beats:
                lstm_beats.append(name)
            if not label.startswith("LSTM") and beats and label == best[0]:
                statistical_wins.append(f"{name} ({label})")
        statistical = min(rows[2:4], key=lambda row: row[1].mean())
        against_best = interval(rows[4][1] - statistical[1], season, args)
        print(
            f"{name}: {rows[4][0]} {_verdict(against_best)} {statistical[0]}, the better of "
            f"ETS and SARIMA (MAE difference {against_best})"
        )
        print(f"{name}: lowest MAE: {best[0]}")
    if lstm_beats:
        lstm_line = f"the LSTM beats the seasonal naive forecast on {', '.join(lstm_beats)}"
    else:
        lstm_line = "the LSTM beats the seasonal naive forecast on no series"
    wins = ", ".join(statistical_wins) or "no series"
    print(
        f"\nSummary: {lstm_line}; ETS/SARIMA win (the lowest MAE, and beat the seasonal naive "
        f"forecast) on {wins}. Total {time.perf_counter() - started:.1f} s."
    )


if __name__ == "__main__":
    main()
