"""The contractual run's backtest: hold out the last ``k`` periods, refit both retention models on the contracts as
they stood at the calibration end, and compare what they predict for the subscribers then active with what they did.

``k`` is ``Settings.backtest_weeks`` in whole periods when given, else a quarter of the history (at least 1 period).
A subscriber alive after ``n`` renewals at the calibration end survives ``j`` more renewal decisions with probability
``S(n + j) / S(n)`` (Fader & Hardie 2007); the holdout's residual revenue is the price times the renewals made in the
``k`` periods, predicted ``price x sum_{j <= k} S(n + j) / S(n)``, scored with :func:`clv.forecast.backtest.score`
and :func:`clv.forecast.backtest.decile_table`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from clv.data.subscriptions import period_days, subscription_lifetimes
from clv.errors import DataValidationError
from clv.forecast.backtest import decile_table, score
from clv.forecast.retention import RetentionFit, fit_retention, survival_ahead
from clv.settings import Settings

MIN_CALIBRATION_PERIODS = 2


@dataclass
class RetentionBacktest:
    """The backtest's tables: ``metrics`` (one row per refitted model, indexed by ``model``, on holdout revenue),
    ``deciles`` (the chosen model's), ``tracking`` (survivors by holdout period), ``survivors`` (per cohort), and
    ``window`` (calibration and holdout end dates, periods held out)."""

    metrics: pd.DataFrame
    deciles: pd.DataFrame
    tracking: pd.DataFrame
    survivors: pd.DataFrame
    window: dict[str, object]


def holdout_periods(history_periods: float, settings: Settings, days: float) -> int:
    """Periods held out: ``backtest_weeks`` rounded to whole periods, else a quarter of the history; at least 1."""
    if settings.backtest_weeks:
        return max(round(settings.backtest_weeks * 7.0 / days), 1)
    return max(round(history_periods / 4.0), 1)


def retention_backtest(
    table: pd.DataFrame, period: str, end: pd.Timestamp, settings: Settings, notes: list[str]
) -> RetentionBacktest | None:
    """The backtest of a contracts table (see the module docstring), or None with the reason in ``notes``."""
    days = period_days(period)
    price = "price" if "price" in table else None
    history = (end - pd.to_datetime(table["start"]).min()).days / days
    k = holdout_periods(history, settings, days)
    if history - k < MIN_CALIBRATION_PERIODS:
        notes.append(
            f"backtest skipped: {history:.0f} periods of history are too short to hold back {k} and keep "
            f"{MIN_CALIBRATION_PERIODS} to fit on"
        )
        return None
    calibration_end = end - pd.Timedelta(days=k * days)
    early = table[pd.to_datetime(table["start"]) <= calibration_end]
    try:
        before = subscription_lifetimes(early, period, calibration_end, price=price)
        fit = fit_retention(before, [])
    except DataValidationError as error:
        notes.append(f"backtest skipped: {error}")
        return None
    holdout = _holdout(table, before, period, end, calibration_end, k)
    notes.append(
        f"backtest: {fit.chosen.model_type} refitted on contracts to {calibration_end.date()}, predicting the "
        f"{len(holdout.alive):,} then active over the last {k} period(s) to {end.date()}"
    )
    window = {
        "calibration_end": str(calibration_end.date()),
        "holdout_end": str(end.date()),
        "holdout_periods": k,
        "model": fit.chosen.model_type,
    }
    return _tables(fit, holdout, _cohorts(table, holdout.alive.index), window)


@dataclass
class _Holdout:
    """The subscribers active at the calibration end (``alive``: their lifetimes then, by customer), whether each
    was still subscribed after ``j = 1..k`` periods (``stayed``, one column per ``j``) and the revenue of the
    renewals they made in the holdout (``actual``)."""

    alive: pd.DataFrame
    stayed: np.ndarray
    actual: np.ndarray

    @property
    def renewals(self) -> np.ndarray:
        return self.alive["periods"].to_numpy(dtype="float64")


def _holdout(
    table: pd.DataFrame,
    before: pd.DataFrame,
    period: str,
    end: pd.Timestamp,
    calibration_end: pd.Timestamp,
    k: int,
) -> _Holdout:
    days = period_days(period)
    price = "price" if "price" in table else None
    after = subscription_lifetimes(table, period, end, price=price).set_index("customer_id")
    alive = before[~before["churned"].to_numpy(dtype=bool)].set_index("customer_id")
    later = after.loc[alive.index]
    ends = pd.to_datetime(later["end"])
    stayed = np.column_stack(
        [
            (~later["churned"] | (ends > calibration_end + pd.Timedelta(days=j * days))).to_numpy()
            for j in range(1, k + 1)
        ]
    )
    # Renewals made in the holdout: a churned lifetime of t periods renewed t - 1 times in all.
    renewed = np.where(later["churned"], later["periods"] - 1.0, later["periods"]).astype("float64")
    renewed -= alive["periods"].to_numpy(dtype="float64")
    return _Holdout(alive, stayed, alive_price(alive) * np.clip(renewed, 0.0, float(k)))


def _tables(
    fit: RetentionFit, holdout: _Holdout, cohorts: np.ndarray, window: dict[str, object]
) -> RetentionBacktest:
    """Every refitted model scored on the holdout revenue; survivors by period and by cohort for the chosen one."""
    steps = np.arange(1, holdout.stayed.shape[1] + 1)
    price = alive_price(holdout.alive)
    predicted = {name: survival_ahead(model, holdout.renewals, steps) for name, model in fit.models.items()}
    metrics = {name: score(holdout.actual, price * ahead.sum(axis=1)) for name, ahead in predicted.items()}
    chosen = predicted[fit.chosen.model_type]
    survivors = (
        pd.DataFrame(
            {
                "cohort": cohorts,
                "predicted_survivors": chosen[:, -1],
                "actual_survivors": holdout.stayed[:, -1],
            }
        )
        .groupby("cohort", sort=True)
        .agg(
            active_at_calibration=("actual_survivors", "size"),
            predicted_survivors=("predicted_survivors", "sum"),
            actual_survivors=("actual_survivors", "sum"),
        )
        .reset_index()
    )
    return RetentionBacktest(
        metrics=pd.DataFrame.from_dict(metrics, orient="index").rename_axis("model"),
        deciles=decile_table(holdout.actual, price * chosen.sum(axis=1)),
        tracking=pd.DataFrame(
            {
                "period": steps,
                "predicted_survivors": chosen.sum(axis=0),
                "actual_survivors": holdout.stayed.sum(axis=0),
            }
        ),
        survivors=survivors,
        window=window,
    )


def alive_price(alive: pd.DataFrame) -> np.ndarray:
    """Price per period of each subscriber (1.0 where the table has none)."""
    price = alive["price"].to_numpy(dtype="float64")
    return np.where(np.isfinite(price), price, 1.0)


def _cohorts(table: pd.DataFrame, customers: pd.Index) -> np.ndarray:
    """The cohort of each of ``customers`` as the run labels it (its column, else the signup year)."""
    ordered = table.assign(start=pd.to_datetime(table["start"])).sort_values("start", kind="stable")
    first = ordered.drop_duplicates("customer_id").set_index("customer_id")
    labels = first["cohort"] if "cohort" in first else first["start"].dt.year
    return labels.astype(str).reindex(customers).to_numpy()
