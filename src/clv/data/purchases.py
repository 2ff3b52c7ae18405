"""Purchases derived once from a cleaned log and kept with it: customer-days, and when each product was first bought.

Summaries and feature tables at many cutoffs (a run computes them at about ten dates) all start from the customer's
purchase days; building that table once, instead of grouping every line again at each cutoff, is what keeps a
10M-line log's run cheap. Both tables live in the log's DuckDB connection (spilled to disk under a memory limit).
"""

from __future__ import annotations

from clv.data.transactions import Transactions

MONEY_SQL_TYPE = "DECIMAL(38, 9)"
"""Money is summed as decimals to 1e-9 of the currency unit: the same bits whatever order DuckDB's (or Spark's)
threads add in, so two runs on one log give identical fits. Cast to DOUBLE once, where a result leaves SQL."""


def purchase_days(log: Transactions) -> str:
    """Table of one row per customer and calendar day of ``log``, created on first use.

    Columns: customer_id, day (DATE), value (sum of amounts, a :data:`MONEY_SQL_TYPE` decimal), first_time and last_time (TIMESTAMP), orders (distinct
    invoice ids that day; 1 per day without invoice ids), lines, when the log has them quantity (sum) and country
    (of the day's latest line), and gap_days (days since the customer's previous purchase day, NULL on the first)
    and first_day (the customer's first purchase day). Neither depends on a cutoff: a day on or before a cutoff
    has its previous and first days before it too, so every cutoff reads them as they are.
    """
    return log.derived_table(
        "days",
        f"""
        SELECT *,
               date_diff('day', lag(day) OVER by_customer, day) AS gap_days,
               min(day) OVER (PARTITION BY customer_id) AS first_day
        FROM ({_days_sql(log)})
        WINDOW by_customer AS (PARTITION BY customer_id ORDER BY day)
        """,
    )


def purchase_days_source(log: Transactions) -> str:
    """Customer-days for a FROM clause: the table of :func:`purchase_days` once it exists, else the same days as a
    subquery (without gap_days and first_day), so a one-off summary does not pay for building and keeping it."""
    return log.derived_table_if_built("days") or f"({_days_sql(log)})"


def _days_sql(log: Transactions) -> str:
    """The customer-days query. With invoice ids the lines are summed per invoice first, then per day: two plain
    aggregations are several times cheaper than a per-group ``count(DISTINCT ...)``."""
    invoice = "invoice_id" if log.has("invoice_id") else "1"
    per_invoice = [
        f"sum(CAST(amount AS {MONEY_SQL_TYPE})) AS value",
        'min("timestamp") AS first_time',
        'max("timestamp") AS last_time',
        "count(*) AS lines",
    ]
    per_day = [
        "sum(value) AS value",
        "min(first_time) AS first_time",
        "max(last_time) AS last_time",
        "count(invoice) AS orders",
        "CAST(sum(lines) AS BIGINT) AS lines",
    ]
    if log.has("quantity"):
        per_invoice.append("sum(quantity) AS quantity")
        per_day.append("sum(quantity) AS quantity")
    if log.has("country"):
        per_invoice.append('arg_max(country, "timestamp") AS country')
        per_day.append("arg_max(country, last_time) AS country")
    return f"""
        SELECT customer_id, day, {", ".join(per_day)}
        FROM (
            SELECT customer_id, CAST("timestamp" AS DATE) AS day, {invoice} AS invoice, {", ".join(per_invoice)}
            FROM {log.table}
            GROUP BY customer_id, day, invoice
        )
        GROUP BY customer_id, day
    """


def first_product_days(log: Transactions) -> str:
    """Table of one row per customer and product of ``log``: the day the customer first bought it (``first_day``).

    The distinct products a customer bought up to a cutoff are the rows with ``first_day`` on or before it.
    """
    return log.derived_table(
        "products",
        f"""
        SELECT customer_id, product_id, min(CAST("timestamp" AS DATE)) AS first_day
        FROM {log.table} WHERE product_id IS NOT NULL
        GROUP BY customer_id, product_id
        """,
    )
