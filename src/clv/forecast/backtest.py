"""Honest time-split backtests: every model scored on a holdout period that no model saw.

Metrics (per model): Spearman rank correlation; normalised Gini (Wang, Liu & Miao 2019, "A deep probabilistic model
for customer lifetime value prediction": the Gini of actual value ordered by the prediction over the Gini of actual
value ordered by itself); decile MAPE (the mean absolute percentage error of mean predicted vs mean actual value over
the ten prediction deciles); MAE and RMSE (currency); the share of holdout revenue captured by the top 10 % and 20 %
of customers by prediction; predicted and actual totals. Also the BG/NBD paper's views (Fader, Hardie & Lee 2005):
cumulative repeat purchases predicted vs actual by week, and holdout purchases by calibration frequency.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from clv.data.summary import calibration_holdout
from clv.data.transactions import Transactions
from clv.errors import DataValidationError
from clv.forecast.ensemble import forecast
from clv.forecast.history import TIME_UNIT, History
from clv.forecast.probabilistic import Forecast
from clv.models.compare import PURCHASE_MODELS

# A log may end on a quiet day: a holdout may end up to a week after its last transaction.
HOLDOUT_END_SLACK_DAYS = 7
METRIC_COLUMNS: tuple[str, ...] = (
    "spearman",
    "gini",
    "decile_mape",
    "mae",
    "rmse",
    "top10_share",
    "top20_share",
    "predicted_total",
    "actual_total",
)


def gini(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Gini of ``actual`` when customers are ordered by ``predicted``, highest first."""
    order = np.argsort(-np.asarray(predicted), kind="stable")
    ordered = np.asarray(actual, dtype="float64")[order]
    total = ordered.sum()
    if total <= 0:
        return 0.0
    n = ordered.size
    return float(np.cumsum(ordered).sum() / total / n - (n + 1) / (2.0 * n))


def normalised_gini(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Gini by prediction over the Gini of the perfect ordering (1 = perfect ranking, 0 = random)."""
    perfect = gini(actual, actual)
    return gini(actual, predicted) / perfect if perfect > 0 else 0.0


def decile_table(actual: np.ndarray, predicted: np.ndarray) -> pd.DataFrame:
    """Mean predicted and actual value in each decile of the prediction (decile 1 = highest predictions)."""
    ranks = stats.rankdata(-np.asarray(predicted), method="ordinal")
    decile = np.ceil(ranks / len(ranks) * 10).astype(int)
    frame = pd.DataFrame({"decile": decile, "predicted": predicted, "actual": actual})
    table = frame.groupby("decile").agg(
        customers=("actual", "size"), mean_predicted=("predicted", "mean"), mean_actual=("actual", "mean")
    )
    return table.reset_index()


def score(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """Every metric of the module for one model's predictions against the holdout actuals (currency)."""
    actual = np.asarray(actual, dtype="float64")
    predicted = np.asarray(predicted, dtype="float64")
    deciles = decile_table(actual, predicted)
    with_actual = deciles[deciles["mean_actual"] > 0]
    mape = float(
        np.mean(
            np.abs(with_actual["mean_predicted"] - with_actual["mean_actual"]) / with_actual["mean_actual"]
        )
    )
    order = np.argsort(-predicted, kind="stable")
    total = actual.sum()

    def top_share(fraction: float) -> float:
        count = max(round(fraction * actual.size), 1)
        return float(actual[order[:count]].sum() / total) if total > 0 else 0.0

    spearman = (
        stats.spearmanr(predicted, actual).statistic if np.ptp(predicted) > 0 and np.ptp(actual) > 0 else 0.0
    )
    return {
        "spearman": float(spearman),
        "gini": normalised_gini(actual, predicted),
        "decile_mape": mape,
        "mae": float(np.mean(np.abs(predicted - actual))),
        "rmse": float(np.sqrt(np.mean((predicted - actual) ** 2))),
        "top10_share": top_share(0.1),
        "top20_share": top_share(0.2),
        "predicted_total": float(predicted.sum()),
        "actual_total": float(total),
    }


@dataclass
class Backtest:
    """The scores of every model on the holdout, with the views behind them."""

    metrics: pd.DataFrame
    deciles: pd.DataFrame
    tracking: pd.DataFrame
    conditional: pd.DataFrame
    forecast: Forecast
    predictions: pd.DataFrame
    calibration_end: pd.Timestamp
    holdout_end: pd.Timestamp


def backtest(
    transactions: Transactions,
    calibration_end: str | pd.Timestamp,
    holdout_end: str | pd.Timestamp,
    *,
    candidates: tuple[str, ...] = tuple(PURCHASE_MODELS),
    learned: bool = True,
    seed: int = 0,
    history: History | None = None,
) -> Backtest:
    """Fit every model on transactions up to ``calibration_end`` and score its revenue forecast for
    ``(calibration_end, holdout_end]`` against what each customer actually spent then.

    Rows of ``metrics``: each purchase model x Gamma-Gamma, ``learned`` (when trained), ``ensemble`` and
    ``baseline`` (each customer's historical revenue per week times the holdout length). ``history`` shares
    per-cutoff work with other forecasts on the same log (:class:`clv.forecast.ensemble.History`).
    """
    start, end = _day(calibration_end, "calibration_end"), _day(holdout_end, "holdout_end")
    if end <= start:
        raise DataValidationError(
            f"the holdout end ({end.date()}) must be after the calibration end ({start.date()})"
        )
    last_day = transactions.date_range()[1].normalize()
    if end > last_day + pd.Timedelta(days=HOLDOUT_END_SLACK_DAYS):
        raise DataValidationError(
            f"the holdout end ({end.date()}) is after the last transaction ({last_day.date()}): purchases after "
            "it cannot be seen, so the holdout would look emptier than it was; end the holdout on or before "
            f"{last_day.date()}"
        )
    horizon = (end - start).days / 7.0
    holdout = calibration_holdout(transactions, start, end, time_unit=TIME_UNIT).set_index("customer_id")
    result = forecast(
        transactions, start, horizon, candidates=candidates, learned=learned, seed=seed, history=history
    )
    actual = holdout["revenue_holdout"].reindex(result.probabilistic.index).fillna(0.0)
    predictions = pd.DataFrame(
        {
            f"{name} x Gamma-Gamma": result.all_probabilistic[name]
            for name in PURCHASE_MODELS
            if name in result.all_probabilistic
        }
    )
    if result.learned is not None:
        predictions["learned"] = result.learned
    predictions["ensemble"] = result.ensemble
    weeks = np.maximum(holdout["T"].reindex(predictions.index).to_numpy(), 1.0)
    predictions["baseline"] = holdout["total_revenue"].reindex(predictions.index).to_numpy() / weeks * horizon
    metrics = pd.DataFrame(
        {name: score(actual.to_numpy(), predictions[name].to_numpy()) for name in predictions}
    ).T
    metrics.index.name = "model"
    predictions["actual"] = actual
    return Backtest(
        metrics=metrics[list(METRIC_COLUMNS)],
        deciles=decile_table(actual.to_numpy(), predictions["ensemble"].to_numpy()),
        tracking=tracking(transactions, result, end),
        conditional=conditional_by_frequency(holdout, result),
        forecast=result,
        predictions=predictions,
        calibration_end=start,
        holdout_end=end,
    )


def _day(value: str | pd.Timestamp, name: str) -> pd.Timestamp:
    try:
        day = pd.Timestamp(str(value)).normalize()
    except ValueError as error:
        raise DataValidationError(f"{name} {value!r} is not a date: use YYYY-MM-DD") from error
    if pd.isna(day):
        raise DataValidationError(f"{name} is missing: give a date as YYYY-MM-DD")
    return day


def tracking(transactions: Transactions, result: Forecast, end: pd.Timestamp) -> pd.DataFrame:
    """Cumulative repeat purchases of the calibration customers by week: actual vs the chosen purchase model.

    The prediction for week ``w`` sums each customer's unconditional expectation ``E[X(w - acquisition week)]``
    (Fader, Hardie & Lee 2005, figure 2).
    """
    summary = result.summary
    first_day = summary["first_purchase"].dt.normalize()
    origin = first_day.min()
    weeks = np.arange(0, int(np.ceil((end - origin).days / 7.0)) + 1, dtype="float64")
    acquisition = ((first_day - origin).dt.days / 7.0).to_numpy()
    cohorts, counts = np.unique(acquisition, return_counts=True)
    elapsed = np.clip(weeks[:, None] - cohorts[None, :], 0.0, None)
    flat = result.purchase_model.expected_purchases_new_customer(elapsed.reshape(-1)).reshape(elapsed.shape)
    predicted = (flat * counts[None, :]).sum(axis=1)
    connection = transactions.connection
    connection.register("tracking_customers", pd.DataFrame({"customer_id": summary.index.astype(str)}))
    query = f"""
        WITH days AS (
            SELECT customer_id, CAST("timestamp" AS DATE) AS day
            FROM {transactions.table} JOIN tracking_customers USING (customer_id)
            WHERE CAST("timestamp" AS DATE) <= DATE '{end.date()}'
            GROUP BY ALL
        ),
        repeats AS (
            SELECT day FROM (SELECT day, row_number() OVER (PARTITION BY customer_id ORDER BY day) AS n FROM days)
            WHERE n > 1
        )
        SELECT date_diff('day', DATE '{origin.date()}', day) / 7.0 AS week FROM repeats
    """
    try:
        repeat_weeks = connection.execute(query).df()["week"].to_numpy()
    finally:
        connection.unregister("tracking_customers")
    actual = np.array([(repeat_weeks <= w).sum() for w in weeks], dtype="float64")
    return pd.DataFrame(
        {
            "week": weeks,
            "date": origin + pd.to_timedelta(weeks * 7, unit="D"),
            "actual": actual,
            "predicted": predicted,
            "calibration": origin + pd.to_timedelta(weeks * 7, unit="D") <= result.cutoff,
        }
    )


def conditional_by_frequency(holdout: pd.DataFrame, result: Forecast, cap: int = 7) -> pd.DataFrame:
    """Mean holdout purchases by calibration frequency (``cap``+ pooled): actual vs the model's conditional
    expectation (Fader, Hardie & Lee 2005, figure 3)."""
    expected = result.probabilistic["expected_purchases"].reindex(holdout.index).to_numpy()
    frame = pd.DataFrame(
        {
            "frequency": np.minimum(holdout["frequency"].to_numpy(), cap),
            "actual": holdout["frequency_holdout"].to_numpy(),
            "predicted": expected,
        }
    )
    table = frame.groupby("frequency").agg(
        customers=("actual", "size"), actual=("actual", "mean"), predicted=("predicted", "mean")
    )
    table.index = [f"{int(i)}+" if i == cap else str(int(i)) for i in table.index]
    table.index.name = "calibration_frequency"
    return table.reset_index()
