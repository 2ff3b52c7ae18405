"""Per-customer sufficient statistics (frequency, recency, T, monetary value), computed in DuckDB SQL.

Conventions, as in Fader, Hardie & Lee (2005) "Counting your customers the easy way" and the CDNOW literature:

- a *purchase* is a customer-day: several transactions of one customer on one calendar day count once, their amounts
  summed;
- ``frequency`` is the number of repeat purchases (purchase days after the first);
- ``recency`` is the time from the first to the last purchase day and ``T`` the time from the first purchase day to
  the observation end, both in the requested time unit (days, weeks, months of 365.25/12 days, or years);
- ``monetary_value`` is the mean value of the repeat purchase days (the Gamma-Gamma convention of Fader & Hardie
  2013), 0 for customers without a repeat purchase.

The observation end day itself is inside the observation window. Everything runs as SQL over the DuckDB table of a
:class:`~clv.data.transactions.Transactions`, so logs larger than memory are summarised out of core. Money is summed
exactly (as decimals to 1e-9 of the currency unit, rounded once to a float at the end): a float sum's last bits
depend on the order in which DuckDB's threads add, and the spend model's fit turned such last bits into differences
of 1e-7 between two runs on the same log.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from clv.config import days_per_unit, normalise_time_unit
from clv.data.purchases import purchase_days_source
from clv.data.transactions import Transactions
from clv.errors import DataValidationError

SUMMARY_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "frequency",
    "recency",
    "T",
    "monetary_value",
    "total_revenue",
    "n_orders",
    "first_purchase",
    "last_purchase",
)
HOLDOUT_COLUMNS: tuple[str, ...] = ("frequency_holdout", "revenue_holdout", "duration_holdout")


def summarize(
    transactions: Transactions | pd.DataFrame,
    observation_end: object = None,
    time_unit: str = "D",
) -> pd.DataFrame:
    """One row per customer: frequency, recency, T, monetary_value, total_revenue, n_orders, first/last purchase.

    ``observation_end`` (a date; default the last transaction's day) closes the window: later rows are ignored and
    customers whose first purchase is later are left out. ``recency`` and ``T`` are in ``time_unit`` ("D", "W", "M"
    of 365.25/12 days, "Y"); the result's ``attrs`` record ``time_unit`` and ``observation_end``.
    """
    log = _as_transactions(transactions)
    unit = normalise_time_unit(time_unit)
    end = _observation_end(log, observation_end)
    frame = _execute(log, f"{summary_sql(log, unit)} ORDER BY customer_id", [end.date()])
    return summary_frame(frame, unit, end)


def summary_statistics(log: Transactions, observation_end: pd.Timestamp, time_unit: str) -> pd.DataFrame:
    """The distinct (frequency, recency, T, monetary_value) rows of the summary at ``observation_end`` with their
    number of customers (``weight``, a float), sorted: all the probabilistic models' fits need, computed in DuckDB
    (a few thousand rows whatever the number of customers)."""
    unit = normalise_time_unit(time_unit)
    columns = 'frequency, recency, "T", monetary_value'
    query = f"""
        SELECT {columns}, count(*) AS weight FROM ({summary_sql(log, unit)})
        GROUP BY {columns} ORDER BY {columns}
    """
    frame = _execute(log, query, [pd.Timestamp(observation_end).date()])
    frame["frequency"] = frame["frequency"].astype("int64")
    for column in ("recency", "T", "monetary_value", "weight"):
        frame[column] = frame[column].astype("float64")
    frame.attrs["time_unit"] = unit
    return frame


def calibration_holdout(
    transactions: Transactions | pd.DataFrame,
    calibration_end: object,
    holdout_end: object = None,
    time_unit: str = "D",
) -> pd.DataFrame:
    """The calibration summary at ``calibration_end`` plus what each customer did in the holdout period.

    Adds ``frequency_holdout`` (purchase days in (calibration_end, holdout_end]), ``revenue_holdout`` (their value,
    summed per purchase day exactly like the calibration side) and ``duration_holdout`` (the holdout length in
    ``time_unit``). ``holdout_end`` defaults to the last transaction's day.
    """
    log = _as_transactions(transactions)
    unit = normalise_time_unit(time_unit)
    calibration = _as_timestamp(calibration_end, "calibration_end")
    holdout = _observation_end(log, holdout_end)
    if holdout <= calibration:
        raise DataValidationError(
            f"the holdout end ({holdout.date()}) must be after the calibration end ({calibration.date()})"
        )
    query = f"""
        WITH calibration AS ({summary_sql(log, unit)}),
        holdout AS (
            SELECT customer_id, count(*) AS frequency_holdout, CAST(sum(value) AS DOUBLE) AS revenue_holdout
            FROM {purchase_days_source(log)}
            WHERE day > $1::DATE AND day <= $2::DATE
            GROUP BY customer_id
        )
        SELECT calibration.*,
               coalesce(holdout.frequency_holdout, 0) AS frequency_holdout,
               coalesce(holdout.revenue_holdout, 0.0) AS revenue_holdout
        FROM calibration LEFT JOIN holdout USING (customer_id)
        ORDER BY customer_id
    """
    frame = _execute(log, query, [calibration.date(), holdout.date()])
    frame["duration_holdout"] = (holdout - calibration).days / days_per_unit(unit)
    frame["frequency_holdout"] = frame["frequency_holdout"].astype("int64")
    frame["revenue_holdout"] = frame["revenue_holdout"].astype("float64")
    result = summary_frame(frame, unit, calibration)
    result.attrs["holdout_end"] = holdout
    return result


def weekly_activity(log: Transactions) -> pd.DataFrame:
    """Revenue and customers buying per calendar week (weeks start on Monday), every week from the first purchase
    to the last, weeks without purchases as zeros: ``week``, ``revenue``, ``customers``. Computed once per log."""
    table = log.derived_table(
        "weekly_activity",
        f"""WITH weekly AS (
                SELECT date_trunc('week', "timestamp") AS week, sum(amount) AS revenue,
                       count(DISTINCT customer_id) AS customers
                FROM {log.table} GROUP BY week
            ),
            weeks AS (SELECT unnest(generate_series(min(week), max(week), INTERVAL 7 DAY)) AS week FROM weekly)
            SELECT week, coalesce(revenue, 0) AS revenue, coalesce(customers, 0) AS customers
            FROM weeks LEFT JOIN weekly USING (week)""",
    )
    return log.connection.execute(f"SELECT * FROM {table} ORDER BY week").df()


def _execute(log: Transactions, query: str, parameters: list[object]) -> pd.DataFrame:
    try:
        return log.connection.execute(query, parameters).df()
    except duckdb.DataError as error:
        raise DataValidationError(
            f"{log.source_name}, column 'amount': an amount or a customer's total is too large to sum exactly "
            f"(10^29 or more; is the column in the right unit?): {error}"
        ) from error


def _as_transactions(transactions: Transactions | pd.DataFrame) -> Transactions:
    if isinstance(transactions, Transactions):
        return transactions
    if isinstance(transactions, pd.DataFrame):
        return Transactions.from_pandas(transactions)
    raise DataValidationError(
        f"expected a Transactions log or a DataFrame with customer_id, timestamp and amount; got {type(transactions).__name__}"
    )


def _as_timestamp(value: object, name: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as error:
        raise DataValidationError(f"{name} {value!r} is not a date: use YYYY-MM-DD") from error
    if pd.isna(stamp):
        raise DataValidationError(f"{name} is missing: give a date as YYYY-MM-DD")
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp.normalize()


def _observation_end(log: Transactions, value: object) -> pd.Timestamp:
    if value is None:
        return log.date_range()[1].normalize()
    return _as_timestamp(value, "observation_end")


def summary_sql(log: Transactions, unit: str, customers: str = "TRUE") -> str:
    """SQL of the summary at the observation end bound to parameter ``$1`` (a DATE), unordered, for the customers
    meeting the SQL condition ``customers`` on ``customer_id`` (all by default); ``unit`` is a normalised time unit
    ("D", "W", "M" or "Y")."""
    scale = days_per_unit(unit)
    return f"""
        WITH customers AS (
            SELECT customer_id,
                   min(day) AS first_day,
                   max(day) AS last_day,
                   count(*) AS n_days,
                   CAST(sum(value) AS DOUBLE) AS total_revenue,
                   CAST(arg_min(value, day) AS DOUBLE) AS first_value,
                   CAST(sum(orders) AS BIGINT) AS n_orders,
                   min(first_time) AS first_purchase,
                   max(last_time) AS last_purchase
            FROM {purchase_days_source(log)}
            WHERE day <= $1::DATE AND ({customers})
            GROUP BY customer_id
        )
        SELECT customer_id,
               n_days - 1 AS frequency,
               date_diff('day', first_day, last_day) / {scale} AS recency,
               date_diff('day', first_day, $1::DATE) / {scale} AS "T",
               CASE WHEN n_days > 1 THEN (total_revenue - first_value) / (n_days - 1) ELSE 0.0 END
                   AS monetary_value,
               total_revenue,
               n_orders,
               first_purchase,
               last_purchase
        FROM customers
    """


def summary_frame(frame: pd.DataFrame, unit: str, end: pd.Timestamp) -> pd.DataFrame:
    """Rows of :func:`summary_sql` with fixed dtypes (the order is kept), the time unit and observation end recorded
    in ``attrs``."""
    frame["customer_id"] = frame["customer_id"].astype(str)
    for column in ("frequency", "n_orders"):
        frame[column] = frame[column].astype("int64")
    for column in ("recency", "T", "monetary_value", "total_revenue"):
        frame[column] = frame[column].astype("float64")
    frame.attrs["time_unit"] = unit
    frame.attrs["observation_end"] = end
    return frame
