"""Subscriptions tables to per-customer lifetimes in whole periods, survival tables, and their errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clv.data.subscriptions import (
    LIFETIME_COLUMNS,
    lifetime_counts,
    lifetimes_from_survivors,
    period_days,
    subscription_lifetimes,
    survival_table,
)
from clv.datasets.subscriptions import simulate_subscriptions
from clv.errors import DataValidationError
from clv.models import BetaDiscreteWeibull

END = "2024-07-01"


def contracts() -> pd.DataFrame:
    """Six monthly customers, worked out by hand in test_lifetimes_by_hand."""
    rows = [
        ("A", "2024-01-01", "2024-03-01", "basic", 10.0),  # churned after 2 months
        ("B", "2024-01-15", None, "basic", 10.0),  # active: renewed Feb 15 .. Jun 15
        ("C", "2024-02-01", "2024-04-01", "basic", 10.0),  # plan change, back to back ...
        ("C", "2024-04-01", None, "premium", 20.0),  # ... still active: renewed Mar 1 .. Jul 1
        ("D", "2024-01-01", "2024-02-01", "premium", 20.0),  # churned after 1 month ...
        ("D", "2024-05-01", None, "premium", 20.0),  # ... and came back: a return, left out
        ("E", "2024-06-01", "2024-12-01", "basic", 10.0),  # ends after the observation end: active
        ("F", "2024-03-10", "2024-03-10", "basic", 10.0),  # cancelled the day it started
    ]
    return pd.DataFrame(rows, columns=["customer_id", "start", "end", "plan", "price"])


def test_lifetimes_by_hand() -> None:
    lifetimes = subscription_lifetimes(contracts(), "M", END, cohort="plan", price="price")
    assert list(lifetimes.columns) == list(LIFETIME_COLUMNS)
    by_customer = lifetimes.set_index("customer_id")
    assert by_customer["periods"].to_dict() == {"A": 2, "B": 5, "C": 5, "D": 1, "E": 1, "F": 1}
    assert by_customer["churned"].to_dict() == {
        "A": True,
        "B": False,
        "C": False,
        "D": True,
        "E": False,
        "F": True,
    }
    assert by_customer.loc["C", "cohort"] == "basic" and by_customer.loc["C", "price"] == 20.0
    assert lifetimes.attrs == {"period": "M", "returns_ignored": 1}


def test_survival_table_by_hand() -> None:
    lifetimes = subscription_lifetimes(contracts(), "M", END).drop(columns="cohort")
    table = survival_table(lifetimes)
    assert table["period"].tolist() == [0, 1, 2, 3, 4, 5]
    assert table["at_risk"].tolist() == [6, 6, 3, 2, 2, 2]
    assert table["churned"].tolist() == [0, 2, 1, 0, 0, 0]
    assert table["censored"].tolist() == [0, 1, 0, 0, 0, 2]
    assert table["alive"].tolist() == [6, 4, 2, 2, 2, 2]
    np.testing.assert_allclose(table["survival"], [1, 4 / 6, 4 / 9, 4 / 9, 4 / 9, 4 / 9])
    by_plan = survival_table(subscription_lifetimes(contracts(), "M", END, cohort="plan"))
    assert set(by_plan["cohort"]) == {"basic", "premium"}
    assert by_plan.groupby("cohort")["churned"].sum().to_dict() == {"basic": 2, "premium": 1}


@pytest.mark.parametrize("period", ["W", "M", "Y"])
def test_simulated_tables_give_the_true_lifetimes(period: str) -> None:
    table = simulate_subscriptions(3000, 0.8, 2.0, 1.3, period=period, max_periods=30, seed=7)
    lifetimes = subscription_lifetimes(table.sample(frac=1.0, random_state=1), period, "2025-01-01")
    np.testing.assert_array_equal(lifetimes["periods"], table["true_periods"])
    np.testing.assert_array_equal(lifetimes["churned"], table["true_churned"])


def test_survival_table_counts_fit_like_the_customers() -> None:
    table = simulate_subscriptions(4000, 0.9, 2.5, 0.8, seed=3)
    lifetimes = subscription_lifetimes(table, "M", "2025-01-01", cohort="plan")
    direct = BetaDiscreteWeibull().fit(lifetimes)
    grouped = BetaDiscreteWeibull().fit(lifetime_counts(survival_table(lifetimes)))
    for name in ("alpha", "beta", "c"):
        assert grouped.params_[name] == pytest.approx(direct.params_[name], rel=1e-9)
    assert direct.time_unit_ == "M" and grouped.n_customers_ == 4000


def test_survivor_counts() -> None:
    frame = lifetimes_from_survivors([1000, 631, 468, 382])
    assert frame["periods"].tolist() == [1, 2, 3, 3]
    assert frame["churned"].tolist() == [True, True, True, False]
    assert frame["customers"].tolist() == [369, 163, 86, 382]
    with pytest.raises(DataValidationError, match=r"must not increase.*period\(s\) 2"):
        lifetimes_from_survivors([1000, 631, 700])
    with pytest.raises(DataValidationError, match="at least two"):
        lifetimes_from_survivors([1000])


def with_rows(index: list[int], rows: list[tuple[object, object, object]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["customer_id", "start", "end"], index=index)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            with_rows(
                [10, 11, 12],
                [(1, "2024-01-01", None), (2, "2024-03-01", "2024-02-01"), (3, "2024-01-01", None)],
            ),
            r"column 'end': the end date is before the start date in 1 row\(s\) \(rows 11\)",
        ),
        (
            with_rows(
                [0, 1, 2], [(1, "2024-01-01", "2024-03-01"), (2, "2024-01-01", None), (1, "2024-02-01", None)]
            ),
            r"column 'start': the contract starts before the customer's previous contract ends .* \(rows 2\)",
        ),
        (
            with_rows([0, 1, 2], [(1, "2024-01-01", None), (1, "2024-02-01", None), (2, "2024-01-01", None)]),
            r"column 'start': .*overlapping.* \(rows 1\)",
        ),
        (
            with_rows([5, 6, 7], [(1, None, None), (2, "2024-01-01", None), (3, "", "2024-02-01")]),
            r"column 'start': the start date is missing in 2 row\(s\) \(rows 5, 7\)",
        ),
        (
            with_rows([0, 1], [(1, "2024-01-01", "soon"), (2, "2024-01-01", None)]),
            r"column 'end': the date cannot be read in 1 row\(s\) \(rows 0\)",
        ),
        (
            with_rows([0, 1], [(1, "2024-01-01", None), (2, "2024-09-01", None)]),
            r"column 'start': the contract starts after the observation end 2024-07-01 .* \(rows 1\)",
        ),
        (
            with_rows([0, 1], [(None, "2024-01-01", None), (2, "2024-01-01", None)]),
            r"column 'customer_id': the customer id is missing .* \(rows 0\)",
        ),
    ],
    ids=[
        "end-before-start",
        "overlap",
        "overlap-with-active",
        "missing-start",
        "unreadable",
        "late",
        "no-id",
    ],
)
def test_table_errors_name_column_and_rows(table: pd.DataFrame, message: str) -> None:
    with pytest.raises(DataValidationError, match=message):
        subscription_lifetimes(table, "M", END)


def test_period_column_and_price_errors() -> None:
    for period in ("D", "Q", ""):
        with pytest.raises(DataValidationError, match="unknown period"):
            subscription_lifetimes(contracts(), period, END)
    assert period_days("M") == pytest.approx(365.25 / 12) and period_days("years") == 365.25
    with pytest.raises(DataValidationError, match="no column\\(s\\) 'begin'"):
        subscription_lifetimes(contracts(), "M", END, start="begin")
    no_plan = contracts().assign(plan=["basic", None, "basic", "premium", None, "premium", "basic", "basic"])
    with pytest.raises(
        DataValidationError, match=r"column 'plan': the cohort is missing in 2 row\(s\) \(rows 1, 4\)"
    ):
        subscription_lifetimes(no_plan, "M", END, cohort="plan")
    bad_price = contracts().assign(price=[10.0, -1.0, 10.0, "free", 20.0, 20.0, 10.0, 10.0])
    with pytest.raises(DataValidationError, match=r"column 'price': .* in 2 row\(s\) \(rows 1, 3\)"):
        subscription_lifetimes(bad_price, "M", END, price="price")
