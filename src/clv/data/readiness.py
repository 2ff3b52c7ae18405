"""Whether a cleaned transaction log can be modelled, said in words as soon as it is loaded (before anyone presses
Predict): the purchase models learn repeat buying, so they need purchases on more than one day, some customers who
came back, and enough customers to estimate four parameters."""

from __future__ import annotations

from clv.data.purchases import purchase_days_source
from clv.data.transactions import Transactions

MIN_MODEL_CUSTOMERS = 10
"""Fewest customers the purchase models are fitted on (:data:`clv.models.base.MIN_CUSTOMERS`)."""


def modelling_problems(log: Transactions) -> list[str]:
    """Why ``log`` cannot be modelled, one sentence per cause (empty when it can): all purchases on one day, no
    customer with a purchase on a second day, or fewer than ten customers."""
    customers, repeat_buyers, first_day, last_day = log.connection.execute(
        f"""
        SELECT count(*), count(*) FILTER (WHERE days > 1), min(first_day), max(last_day)
        FROM (
            SELECT customer_id, count(DISTINCT day) AS days, min(day) AS first_day, max(day) AS last_day
            FROM {purchase_days_source(log)} GROUP BY customer_id
        )
        """
    ).fetchone() or (0, 0, None, None)
    problems = []
    if first_day is not None and first_day == last_day:
        problems.append(
            f"{log.source_name}: every purchase is on one day ({first_day}), so there is no history of customers "
            "coming back to learn from: the models need purchases on at least two different days"
        )
    elif customers and not repeat_buyers:
        problems.append(
            f"{log.source_name}: none of the {customers:,} customers bought on a second day, so there is no repeat "
            "buying to learn from (a longer stretch of the log, or one with returning customers, is needed)"
        )
    if customers < MIN_MODEL_CUSTOMERS:
        problems.append(
            f"{log.source_name}: {customers:,} customer(s); the models need at least {MIN_MODEL_CUSTOMERS}"
        )
    return problems
