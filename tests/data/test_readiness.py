"""A log that cannot be modelled is said to be so, with the cause, as soon as it is loaded."""

from __future__ import annotations

import pandas as pd

from clv.data import load_transactions
from clv.data.readiness import MIN_MODEL_CUSTOMERS, modelling_problems
from clv.datasets import load_cdnow
from clv.models.base import MIN_CUSTOMERS


def _log(frame: pd.DataFrame, name: str = "orders.csv") -> list[str]:
    log, _ = load_transactions(frame, file_name=name)
    return modelling_problems(log)


def test_the_cdnow_sample_can_be_modelled() -> None:
    assert _log(load_cdnow("sample")) == []


def test_one_day_of_purchases_is_named() -> None:
    day = pd.DataFrame(
        {"customer_id": [f"c{i % 46}" for i in range(1000)], "date": "2010-12-01", "amount": 5.0}
    )
    (problem,) = _log(day, "online_retail_excerpt.csv")
    assert problem.startswith("online_retail_excerpt.csv: every purchase is on one day (2010-12-01)")


def test_no_repeat_buyers_and_too_few_customers_are_named() -> None:
    once = pd.DataFrame(
        {"customer_id": ["a", "b", "c"], "date": ["2024-01-01", "2024-02-01", "2024-03-01"], "amount": 1.0}
    )
    problems = _log(once)
    assert "none of the 3 customers bought on a second day" in problems[0]
    assert problems[1] == f"orders.csv: 3 customer(s); the models need at least {MIN_MODEL_CUSTOMERS}"


def test_the_threshold_is_the_models() -> None:
    assert MIN_MODEL_CUSTOMERS == MIN_CUSTOMERS
