"""
===================================================
Tomorrow's temperature: a daily series as a history
===================================================

A weather station records one temperature a day. Forecasting tomorrow's value
from the days before is a *next value* problem: the history is the series so far
and the target is the number that follows it. That is the shape of every
problem in this package, with a number instead of an event to predict.

This example turns a daily series into an event log (one sequence, one row per
day), cuts it into (history, next value) samples with
:func:`~sklearn_seqlstm.samples_from_log`, holds out the last year, and compares
:class:`~sklearn_seqlstm.NextValueRegressor` with the forecast every forecast
must beat: persistence, "tomorrow will be like today"
(:class:`~sklearn_seqlstm.SeasonalNaiveRegressor` with ``season=1``).
"""

# %%
# A realistic daily temperature series
# ------------------------------------
# Four years of daily mean temperatures, drawn rather than downloaded so that
# the example runs anywhere: a yearly cycle (coldest in mid-January, warmest in
# mid-July, 11 °C on average, 18 °C between the two) plus day-to-day weather.
# The weather is an AR(1) anomaly: each day keeps 60% of yesterday's departure
# from the seasonal norm and adds fresh noise, which is how warm and cold spells
# last a few days. There is no weekly rhythm, as in real weather.
#
# Because we wrote the generator, we also know the best possible forecast: the
# seasonal norm of tomorrow plus 60% of today's anomaly. Its error is the floor
# that no model can go below on average; we keep it as a yardstick.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sklearn_seqlstm import (
    NextValueRegressor,
    SeasonalNaiveRegressor,
    bootstrap_interval,
    samples_from_log,
)

rng = np.random.default_rng(0)
dates = pd.date_range("2021-01-01", periods=4 * 365, freq="D")
day_of_year = dates.day_of_year.to_numpy()
norm = 11.0 - 9.0 * np.cos(2 * np.pi * (day_of_year - 15) / 365.25)
persistence, noise = 0.6, 2.0
anomaly = np.zeros(len(dates))
for t in range(1, len(dates)):
    anomaly[t] = persistence * anomaly[t - 1] + rng.normal(0.0, noise)
temperature = np.round(norm + anomaly, 1)  # stations report tenths of a degree

# %%
# From a series to an event log
# -----------------------------
# An event log has one row per event, a sequence key, an order key and the
# event. A single station is a single sequence (a constant key); the date is the
# order; the value goes into its own column. What is "the event" of a day? It
# can be any category known on that day; here we take the *month*, which tells
# the model where in the year each day lies (the persistence forecast ignores
# it). With ``time_col="date"`` the model would also see the weekday and the gaps
# between rows, useless here: the days are regular and the weather knows no
# weekends.
log = pd.DataFrame(
    {
        "station": "station 1",
        "date": dates,
        "month": dates.strftime("%b"),
        "temperature": temperature,
    }
)
log.head()

# %%
# Histories and next values
# -------------------------
# :func:`~sklearn_seqlstm.samples_from_log` with ``target="next_value"`` makes one
# sample per day after the first: its history is the days before it (their month
# and, since ``"temperature"`` is also named in ``event_attributes``, their
# temperature) and its target is that day's temperature. The histories are
# prefixes of the one series, stored once (:class:`~sklearn_seqlstm.AttributedHistories`),
# so 1,459 histories cost no more memory than the series itself. The samples
# come out in date order, so a chronological split is a cut of the arrays.
X, y, groups = samples_from_log(
    log,
    sequence_col="station",
    order_col="date",
    event_col="month",
    event_attributes=["temperature"],
    target="next_value",
    value_col="temperature",
)
target_dates = dates[1:]  # the day each sample's target falls on
n_test = 365
train, test = np.arange(len(y) - n_test), np.arange(len(y) - n_test, len(y))
print(f"{len(y)} samples: {len(train)} to train on, the last {n_test} days to test on")

# %%
# Two forecasts
# -------------
# Persistence needs no training (``fit`` only learns a fallback for an empty
# history). The LSTM reads the history step by step (each step's month and
# temperature; the temperature is standardised inside the model) and predicts
# tomorrow's temperature. ``max_history=28`` keeps the last four weeks of each
# history: older weather tells little about tomorrow, and short histories train
# quickly (the window is cut inside the model, so the samples above stay
# whole). MAE is what we score, so the LSTM minimises the absolute error
# (``loss="absolute_error"``, a forecast of the median). With about a thousand
# samples, early stopping stays off by default and the network trains for
# ``max_epochs``.
#
# Every forecast of the test year is one step ahead: its history holds the true
# temperatures up to the day before, test days included, as a forecaster would
# have them. The model itself is never refitted on test days.
naive = SeasonalNaiveRegressor(season=1).fit(X[train], y[train])
lstm = NextValueRegressor(
    loss="absolute_error", hidden_size=32, max_history=28, max_epochs=40, random_state=0
).fit(X[train], y[train])

y_test = y[test]
forecasts = {
    "persistence (today's value)": naive.predict(X[test]),
    "LSTM": lstm.predict(X[test]),
}
# The best possible forecast, known only because we drew the data ourselves:
# tomorrow's norm plus 60% of today's anomaly. The sample whose target falls on
# day t + 1 has day t, "today", last in its history.
today = test
best = norm[today + 1] + persistence * (temperature[today] - norm[today])

# %%
# Mean absolute errors, with intervals
# ------------------------------------
# One year of errors leaves each MAE uncertain. Errors on nearby days are
# correlated (a cold spell fools every model for several days), so
# :func:`~sklearn_seqlstm.bootstrap_interval` resamples whole blocks of 30
# consecutive days rather than single days. The paired difference of two models
# (the same days resampled for both) is much more precise than their two
# intervals side by side: an interval of the difference that lies below 0 means
# a real gain; one that holds 0 is a tie.
#
# Expect the LSTM to beat persistence clearly, and to come within noise of the
# best possible forecast: persistence throws away the pull back towards the
# seasonal norm, which the LSTM learns from the months and the recent values.
blocks = np.arange(n_test) // 30
errors = {name: np.abs(forecast - y_test) for name, forecast in forecasts.items()}
errors["best possible (the true model)"] = np.abs(best - y_test)
for name, error in errors.items():
    print(f"{name:<32} MAE {bootstrap_interval(error, blocks, random_state=0)} °C")
for name in ["persistence (today's value)", "best possible (the true model)"]:
    difference = bootstrap_interval(errors["LSTM"] - errors[name], blocks, random_state=0)
    print(f"LSTM - {name}: {difference} °C")

# %%
# The test year, day by day
# -------------------------
# The truth and both forecasts over the held-out year, with a zoom on two winter
# months. Persistence is the truth shifted by one day; it is late at every turn
# of the weather. The LSTM pulls each forecast part of the way back towards the
# seasonal norm, which it learned from the months: after an unusually warm day,
# tomorrow is likely a little cooler.
fig, axes = plt.subplots(2, 1, figsize=(9, 6.5), layout="constrained")
zoom = (target_dates[test] >= "2024-01-01") & (target_dates[test] < "2024-03-01")
for ax, shown in [(axes[0], slice(None)), (axes[1], zoom)]:
    ax.plot(target_dates[test][shown], y_test[shown], color="black", lw=1.2, label="truth")
    for (name, forecast), color in zip(forecasts.items(), ["tab:orange", "tab:blue"], strict=True):
        mae = errors[name].mean()
        ax.plot(
            target_dates[test][shown],
            forecast[shown],
            color=color,
            lw=1,
            label=f"{name}, MAE {mae:.2f} °C",
        )
    ax.set_ylabel("temperature (°C)")
axes[0].set_title("One-step-ahead forecasts of the held-out year")
axes[1].set_title("Zoom on two winter months")
axes[0].legend(loc="upper left", fontsize="small")
plt.show()
