"""Score customers at the observation end: each one's forecasts, value with its interval, next purchase and drivers.

Fitting needs little memory whatever the size of the log: the probabilistic models see the distinct histories (a few
thousand rows) and the learned model a sample of customers. Scoring sees every customer, so it runs on parts:
:func:`customer_parts` reads the summary and features of about ``PART_CUSTOMERS`` customers at a time, a range of
customer ids per DuckDB query, and :func:`score_part` scores a part. Every row depends on
its customer alone, so the parts give the rows the whole would give; the Spark engine's executors score their
partitions with the same function. Time is in weeks in the summary, in the settings' unit in the output; money in
the log's currency.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

from clv.config import days_per_unit
from clv.data.purchases import purchase_days
from clv.data.summary import SUMMARY_COLUMNS, summary_frame, summary_sql
from clv.data.transactions import Transactions
from clv.forecast.features import feature_frame, feature_sql
from clv.forecast.history import TIME_UNIT
from clv.forecast.learned import top_drivers
from clv.forecast.probabilistic import Forecast, customer_forecast
from clv.forecast.training import LearnedFit, apply_learned
from clv.models import GammaGamma, PurchaseModel
from clv.models.predictive import revenue_variance
from clv.models.value import total_interval, value_with_gradients

if TYPE_CHECKING:
    from clv.settings import Settings

PART_CUSTOMERS = 200_000


@dataclass
class ScoredPart:
    """One part of the customers scored: the per-customer columns of the predictions table (all but the segments)
    plus ``weeks_since_last`` (the RFM recency), each customer's weighted gradients of the total's interval (rows x
    model parameters), and with drivers asked for and a learned model: each customer's top drivers in words and the
    part's sum of each feature's absolute SHAP contribution; with a process share, the customers of the part in the
    sample that estimates the randomness of the total (see :func:`process_rows`)."""

    predictions: pd.DataFrame
    gradients: np.ndarray
    drivers: pd.Series | None = None
    contribution_sums: pd.Series | None = None
    process_rows: pd.DataFrame | None = None


def customer_parts(
    log: Transactions, end: pd.Timestamp, with_features: bool, customers: int
) -> Iterator[tuple[pd.DataFrame, pd.DataFrame | None]]:
    """Every customer with a purchase on or before ``end`` (``customers`` of them), in customer order, about
    ``PART_CUSTOMERS`` at a time: the summary in weeks (indexed by customer_id, the column
    kept) and, with ``with_features``, the feature table (:func:`clv.forecast.features.feature_table`) of the same customers in
    the same order. Each part is a range of customer ids read by a query of its own, so no query holds more than a
    part. Reads on a cursor of its own."""
    day = pd.Timestamp(end).normalize()
    in_part = "($2::VARCHAR IS NULL OR customer_id >= $2) AND ($3::VARCHAR IS NULL OR customer_id < $3)"
    summary_query = summary_sql(log, TIME_UNIT, in_part)
    if with_features:
        query = f"""
            WITH summary AS ({summary_query}), features AS ({feature_sql(log, day, in_part)})
            SELECT summary.*, features.* FROM summary JOIN features USING (customer_id)
            ORDER BY summary.customer_id
        """
    else:
        query = f"{summary_query} ORDER BY customer_id"
    summary_width = len(SUMMARY_COLUMNS)  # the summary's columns come first, then the features'
    cursor = log.connection.cursor()
    try:
        for low, high in _id_ranges(replace(log, connection=cursor), day, customers, PART_CUSTOMERS):
            table = cursor.sql(query, params=[day.date(), low, high]).to_arrow_table()
            summary = summary_frame(table.select(range(summary_width)).to_pandas(), TIME_UNIT, day)
            features = None
            if with_features:
                names = table.column_names[summary_width:]
                columns = {"customer_id": table.column(0)}
                columns |= {name: table.column(summary_width + i) for i, name in enumerate(names)}
                features = feature_frame(pa.table(columns))
            yield summary.set_index("customer_id", drop=False), features
    finally:
        cursor.close()


def _id_ranges(
    log: Transactions, day: pd.Timestamp, customers: int, part_size: int
) -> list[tuple[str | None, str | None]]:
    """Ranges [low, high) of customer ids (None: open) that divide the ``customers`` seen by ``day`` into parts of
    about ``part_size``: cut at evenly spaced ids of a fixed hash sample of about 200 ids a part."""
    parts = math.ceil(customers / part_size)
    if parts <= 1:
        return [(None, None)]
    buckets = 1_000_000
    chosen = max(min(round(200 * parts / customers * buckets), buckets), 1)
    sample = [
        row[0]
        for row in log.connection.execute(
            f"""SELECT DISTINCT customer_id FROM {purchase_days(log)}
                WHERE day <= $1 AND hash(customer_id) % {buckets} < {chosen} ORDER BY customer_id""",
            [day.date()],
        ).fetchall()
    ]
    cuts = sorted({sample[round(i * len(sample) / parts)] for i in range(1, parts)} if sample else set())
    bounds: list[str | None] = [None, *cuts, None]
    return list(itertools.pairwise(bounds))


def score_part(
    summary: pd.DataFrame,
    features: pd.DataFrame | None,
    end: pd.Timestamp,
    settings: Settings,
    models: tuple[PurchaseModel, GammaGamma],
    fit: LearnedFit | None,
    drivers: bool = False,
    process_share: float = 0.0,
) -> ScoredPart:
    """Score the customers of ``summary`` (in weeks, indexed by customer_id) at ``end``: the purchase and spend
    ``models``' forecast, the learned one from ``features`` when ``fit`` is given, their blend, values with
    discounting, margin and interval, the next purchase date, the country when the features have it, with
    ``drivers`` each customer's top drivers, and with a ``process_share`` (0 to 1) that share of its customers for
    the estimate of the randomness of the total (:func:`process_rows`)."""
    result = customer_forecast(summary, *models, end, settings.horizon_weeks)
    if fit is not None and features is not None:
        apply_learned(result, fit, features)
    predictions, gradients = value_customers(result, settings)
    predictions["weeks_since_last"] = (summary["T"] - summary["recency"]).to_numpy()
    if features is not None and "country" in features:
        predictions["country"] = features["country"].reindex(summary.index).astype(object).to_numpy()
    part = ScoredPart(predictions, gradients)
    if process_share > 0:
        part.process_rows = process_rows(summary, predictions, settings, process_share)
    if (
        drivers
        and result.learned_model is not None
        and result.features is not None
        and result.learned_base is not None
    ):
        contributions = result.learned_model.contributions(result.features, result.learned_base)
        part.drivers = top_drivers(contributions).reindex(summary.index).fillna("")
        part.contribution_sums = contributions.abs().sum()
    return part


def process_rows(
    summary: pd.DataFrame, predictions: pd.DataFrame, settings: Settings, share: float
) -> pd.DataFrame:
    """The customers of a part in the sample on which the randomness of purchases and spend is estimated: about
    ``share`` of them, chosen by a hash of the id (so the sample does not depend on how the customers are divided
    into parts), with their history (weeks), their value's discounting and margin per unit of undiscounted revenue
    (``factor``) and the weight ``1 / share`` that carries the sample to every customer."""
    hashed = pd.util.hash_pandas_object(summary["customer_id"].astype(str), index=False).to_numpy()
    chosen = (hashed % 1_000_003) / 1_000_003 < share
    rows = predictions[chosen]
    undiscounted = (rows["expected_purchases"] * rows["expected_avg_value"]).to_numpy()
    factor = np.divide(
        rows["clv_probabilistic"].to_numpy(),
        undiscounted,
        out=np.full(undiscounted.shape, settings.margin),
        where=undiscounted > 0,
    )
    sample = summary.loc[chosen, ["frequency", "recency", "T", "monetary_value"]].reset_index(drop=True)
    return sample.assign(factor=factor, weight=1.0 / share)


def process_variance(
    rows: pd.DataFrame, models: tuple[PurchaseModel, GammaGamma], settings: Settings
) -> float:
    """The sum over every customer of the variance of their value over the horizon (currency squared), from the
    sample :func:`process_rows` chose: each sampled customer's variance of revenue
    (:func:`clv.models.predictive.revenue_variance`) with its discounting and margin, times its weight."""
    if rows.empty:
        return 0.0
    variance = revenue_variance(*models, rows, settings.horizon_weeks, np.random.default_rng(settings.seed))
    return float((variance * rows["factor"].to_numpy() ** 2 * rows["weight"].to_numpy()).sum())


def value_customers(result: Forecast, settings: Settings) -> tuple[pd.DataFrame, np.ndarray]:
    """Every column of the predictions table that depends on the customer alone (all but the segments and country):
    the probabilistic value with discounting and margin, and the blend carried likewise; and each customer's part of
    the total's interval (:func:`clv.models.value.value_with_gradients`). Any subset of customers gives the same
    rows, so the Spark engine scores partitions with it."""
    summary = result.summary.reset_index(drop=True)
    valued, weighted_gradients = value_with_gradients(
        result.purchase_model,
        result.spend_model,
        summary,
        settings.horizon,
        settings.time_unit,
        annual_discount_rate=settings.annual_discount_rate,
        margin=settings.margin,
        interval=settings.interval,
    )
    valued = valued.set_index("customer_id")
    undiscounted = result.probabilistic["clv"].reindex(valued.index).to_numpy()
    # Discounting and margin as a per-customer factor, applied to every forecast alike.
    factor = np.divide(
        valued["clv"].to_numpy(),
        undiscounted,
        out=np.full(undiscounted.shape, settings.margin),
        where=undiscounted > 0,
    )
    blended = result.ensemble.reindex(valued.index).to_numpy() * factor
    relative_low = np.divide(
        valued["clv_low"], valued["clv"], out=np.ones(len(valued)), where=valued["clv"] > 0
    )
    relative_high = np.divide(
        valued["clv_high"], valued["clv"], out=np.ones(len(valued)), where=valued["clv"] > 0
    )
    unit_weeks = days_per_unit(settings.time_unit) / 7.0
    waiting_weeks = result.purchase_model.time_to_next_purchase(
        summary["frequency"], summary["recency"], summary["T"]
    )
    p_alive = result.probabilistic["p_alive"].reindex(valued.index).to_numpy()
    predictions = pd.DataFrame(
        {
            "customer_id": valued.index.astype(str).to_numpy(),
            "frequency": summary["frequency"].to_numpy(),
            "recency": summary["recency"].to_numpy() / unit_weeks,
            "T": summary["T"].to_numpy() / unit_weeks,
            "monetary_value": summary["monetary_value"].to_numpy(),
            "total_revenue": summary["total_revenue"].to_numpy(),
            "p_alive": p_alive,
            "expected_purchases": valued["expected_purchases"].to_numpy(),
            "expected_avg_value": valued["expected_avg_value"].to_numpy(),
            "clv_probabilistic": valued["clv"].to_numpy(),
            "clv_learned": (
                result.learned.reindex(valued.index).to_numpy() * factor
                if result.learned is not None
                else np.nan
            ),
            "clv": blended,
            "clv_low": blended * relative_low,
            "clv_high": blended * relative_high,
            "expected_next_purchase": _next_purchase_dates(
                result.cutoff, waiting_weeks, p_alive < settings.churn_thresholds[0]
            ),
        }
    )
    return predictions, weighted_gradients


def total_value(
    blended_total: float,
    probabilistic_total: float,
    weighted_gradients: np.ndarray,
    models: tuple[PurchaseModel, GammaGamma],
    interval: float,
) -> tuple[float, float, float]:
    """The blended total with the interval of the probabilistic total scaled alike, from sums over customers (so
    partial sums from parts of the customers add up)."""
    _, low, high = total_interval(probabilistic_total, weighted_gradients, *models, interval)
    scale = blended_total / probabilistic_total if probabilistic_total > 0 else 1.0
    return blended_total, low * scale, high * scale


def _next_purchase_dates(
    cutoff: pd.Timestamp, waiting_weeks: np.ndarray, likely_lost: np.ndarray
) -> pd.DatetimeIndex:
    """Observation end plus the median waiting time of an active customer, as dates; missing when the end date is
    unknown, and for the customers who have very probably left (``likely_lost``: P(alive) below the high-risk
    threshold), whose next purchase would be a guess conditional on an unlikely premise."""
    if pd.isna(cutoff):
        return pd.DatetimeIndex([pd.NaT] * len(waiting_weeks))
    dates = (cutoff + pd.to_timedelta(np.round(waiting_weeks * 7.0), unit="D")).normalize()
    return pd.DatetimeIndex(dates.where(~likely_lost))
