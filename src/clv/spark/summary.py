"""The customer summary as Spark aggregations, with exactly the definitions of :mod:`clv.data.summary`.

A purchase is a customer-day (its lines' amounts summed); ``frequency`` counts the purchase days after the first;
``recency`` and ``T`` run from the first purchase day to the last one and to the observation end (which is inside
the window), divided by the length of the time unit in days (a month is 365.25/12 days); ``monetary_value`` is the
mean value of the repeat purchase days (0 without one). The expressions are those of the DuckDB SQL, money summed
exactly as decimals in both (:data:`clv.data.purchases.MONEY_SQL_TYPE`), so both engines give the same numbers bit for
bit, whatever the order in which they add.

What the models need travels to the driver compressed: the distinct (frequency, recency, T, monetary value) rows with
their counts. The purchase models depend on (frequency, recency, T) and Gamma-Gamma on (frequency, monetary value)
alone (Fader, Hardie & Lee 2005), and :mod:`clv.models` takes the counts as weights, so the fits are those on every
customer; the rows also tell which models forecast a finite value for every customer. One-time buyers share their
row with everyone who started on the same day; a repeat buyer's mean spend is rarely shared, so there is about one
row per repeat buyer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from clv.config import days_per_unit, normalise_time_unit
from clv.data.purchases import MONEY_SQL_TYPE
from clv.data.summary import SUMMARY_COLUMNS, _as_timestamp, summary_frame
from clv.errors import DataValidationError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

MONEY_SPARK_TYPE = MONEY_SQL_TYPE.replace(" ", "").lower()


def observation_end(log: DataFrame, value: object = None) -> pd.Timestamp:
    """``value`` as a day, or the day of the log's last purchase."""
    if value is not None:
        return _as_timestamp(value, "observation_end")
    from pyspark.sql import functions as F

    last = log.agg(F.max("timestamp")).first()
    if last is None or last[0] is None:
        raise DataValidationError("the transaction log is empty")
    return pd.Timestamp(last[0]).normalize()


def summarize(log: DataFrame, end: pd.Timestamp, time_unit: str = "D") -> DataFrame:
    """One row per customer with a purchase on or before ``end``: the columns of
    :data:`clv.data.summary.SUMMARY_COLUMNS`, ``recency`` and ``T`` in ``time_unit`` ("D", "W", "M", "Y"), and
    ``country`` (the most recent one, as the predictions table has it) when the log has countries."""
    from pyspark.sql import functions as F

    scale = days_per_unit(normalise_time_unit(time_unit))
    last_day = F.lit(end.date())
    orders = F.countDistinct("invoice_id") if "invoice_id" in log.columns else F.lit(1)
    with_country = "country" in log.columns
    days = log.groupBy("customer_id", F.to_date("timestamp").alias("day")).agg(
        F.sum(F.col("amount").cast(MONEY_SPARK_TYPE)).alias("value"),
        F.min("timestamp").alias("first_time"),
        F.max("timestamp").alias("last_time"),
        orders.cast("long").alias("orders"),
        *([F.max_by("country", "timestamp").alias("country")] if with_country else []),
    )
    customers = (
        days.filter(F.col("day") <= last_day)
        .groupBy("customer_id")
        .agg(
            F.min("day").alias("first_day"),
            F.max("day").alias("last_day"),
            F.count(F.lit(1)).alias("n_days"),
            F.sum("value").cast("double").alias("total_revenue"),
            F.min_by("value", "day").cast("double").alias("first_value"),
            F.sum("orders").alias("n_orders"),
            F.min("first_time").alias("first_purchase"),
            F.max("last_time").alias("last_purchase"),
            *([F.max_by("country", "last_time").alias("country")] if with_country else []),
        )
    )
    return customers.select(
        "customer_id",
        (F.col("n_days") - 1).alias("frequency"),
        (F.datediff("last_day", "first_day") / F.lit(scale)).alias("recency"),
        (F.datediff(last_day, "first_day") / F.lit(scale)).alias("T"),
        F.when(F.col("n_days") > 1, (F.col("total_revenue") - F.col("first_value")) / (F.col("n_days") - 1))
        .otherwise(F.lit(0.0))
        .alias("monetary_value"),
        "total_revenue",
        "n_orders",
        "first_purchase",
        "last_purchase",
        *(["country"] if with_country else []),
    )


def to_pandas(summary: DataFrame, time_unit: str, end: pd.Timestamp) -> pd.DataFrame:
    """The summary on the driver, ordered, typed and annotated exactly like :func:`clv.data.summarize` (for
    summaries that fit in memory: tests, small data)."""
    frame = summary.select(*SUMMARY_COLUMNS).toArrow().to_pandas()
    frame = frame.sort_values("customer_id", kind="stable", ignore_index=True)
    return summary_frame(frame, normalise_time_unit(time_unit), end)


def customer_statistics(summary: DataFrame) -> pd.DataFrame:
    """The distinct (frequency, recency, T, monetary_value) rows with their number of customers (``weight``), in one
    order whatever Spark's partitioning (so the optimisers always see the same input)."""
    columns = ["frequency", "recency", "T", "monetary_value"]
    frame = summary.groupBy(*columns).count().toArrow().to_pandas()
    frame = frame.rename(columns={"count": "weight"}).sort_values(columns, kind="stable")
    frame["frequency"] = frame["frequency"].astype("int64")
    frame["weight"] = frame["weight"].astype("float64")
    return frame.reset_index(drop=True)
