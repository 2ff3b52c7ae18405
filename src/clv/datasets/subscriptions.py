"""Simulated subscriptions with known retention parameters, for parameter-recovery checks and benchmarks.

Each customer has a churn parameter ``theta ~ Beta(alpha, beta)`` and survives ``t`` renewal decisions with
probability ``(1 - theta) ** (t ** c)`` (the beta-discrete-Weibull process of Fader et al. 2018; ``c = 1`` is the
shifted-beta-geometric process of Fader & Hardie 2007). Their lifetime is drawn by inversion,
``T = max(1, ceil((log U / log(1 - theta)) ** (1 / c)))`` with ``U ~ Uniform(0, 1)``. Customers join at different
times: each is observed for ``k`` whole periods, ``k`` uniform on ``0..max_periods``, and is right-censored after
``k`` renewals when ``T > k``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from clv.data.subscriptions import period_days
from clv.errors import DataValidationError

MAX_LIFETIME = 1e9  # periods; lifetimes beyond are all censored anyway


def _lifetimes(rng: np.random.Generator, n: int, alpha: float, beta: float, c: float) -> np.ndarray:
    if min(alpha, beta, c) <= 0 or n < 1:
        raise DataValidationError("alpha, beta and c must be positive and n_customers at least 1")
    theta = rng.beta(alpha, beta, n)
    with np.errstate(divide="ignore"):
        scale = np.log(rng.uniform(size=n)) / np.log1p(-theta)
    return np.maximum(1.0, np.ceil(np.minimum(scale, MAX_LIFETIME) ** (1.0 / c)))


def simulate_lifetimes(
    n_customers: int, alpha: float, beta: float, c: float = 1.0, max_periods: int = 24, seed: int = 0
) -> pd.DataFrame:
    """Per customer ``periods`` and ``churned`` (the retention models' input) from the process above."""
    rng = np.random.default_rng(seed)
    lifetime = _lifetimes(rng, n_customers, alpha, beta, c)
    observed = rng.integers(0, max_periods + 1, n_customers).astype("float64")
    churned = lifetime <= observed
    return pd.DataFrame(
        {"periods": np.where(churned, lifetime, observed).astype(np.int64), "churned": churned}
    )


def simulate_subscriptions(
    n_customers: int,
    alpha: float,
    beta: float,
    c: float = 1.0,
    period: str = "M",
    max_periods: int = 24,
    observation_end: str = "2025-01-01",
    seed: int = 0,
) -> pd.DataFrame:
    """A subscriptions table (``customer_id``, ``start``, ``end``, ``plan``, ``price``) from the process above.

    Starts fall ``k`` periods and a few days (3 to ``p - 3``, clear of the calendar slack) before the observation
    end; a churned contract ends ``T`` periods after its start (whole days); active contracts have no end. The true
    ``periods`` and ``churned`` are returned too, as columns ``true_periods`` and ``true_churned``.
    """
    days = period_days(period)
    rng = np.random.default_rng(seed)
    lifetime = _lifetimes(rng, n_customers, alpha, beta, c)
    observed = rng.integers(0, max_periods + 1, n_customers).astype("float64")
    offset = rng.uniform(3.0, days - 3.0, n_customers)
    close = pd.Timestamp(observation_end)
    start = close - pd.to_timedelta(np.round(observed * days + offset), unit="D")
    churned = lifetime <= observed
    length = pd.to_timedelta(np.round(np.where(churned, lifetime, 0.0) * days), unit="D")
    plan = np.where(rng.uniform(size=n_customers) < 0.5, "basic", "premium")
    return pd.DataFrame(
        {
            "customer_id": np.arange(1, n_customers + 1),
            "start": start,
            "end": (start + length).where(churned),
            "plan": plan,
            "price": np.where(plan == "basic", 9.99, 19.99),
            "true_periods": np.where(churned, lifetime, observed).astype(np.int64),
            "true_churned": churned,
        }
    )


EXAMPLE_TRUTH: dict[str, float] = {"alpha": 1.4, "beta": 3.0, "c": 0.7}
"""The beta-discrete-Weibull parameters of :func:`load_subscriptions_example` (``c < 1``: churn falls with tenure)."""
EXAMPLE_CUSTOMERS = 5_000
EXAMPLE_OBSERVATION_END = "2025-01-01"
EXAMPLE_SEED = 12


def load_subscriptions_example() -> pd.DataFrame:
    """A bundled, deterministic subscriptions table: 5,000 monthly subscribers who joined from January 2022 to
    December 2024 (cohorts by signup year), observed to 1 January 2025, on two plans (basic 9.99, premium 19.99 per
    month).

    The lifetimes follow the beta-discrete-Weibull process of :func:`simulate_subscriptions` with
    ``EXAMPLE_TRUTH`` (Fader, Hardie, Liu, Davin & Steenburgh 2018), so a run on it should recover those parameters.
    Columns: ``customer_id``, ``start``, ``end`` (empty while active), ``cohort`` (the signup year), ``plan``,
    ``price`` (per month). ``attrs`` holds ``truth`` (model and parameters) and ``observation_end``.
    """
    table = simulate_subscriptions(
        EXAMPLE_CUSTOMERS,
        period="M",
        max_periods=35,  # joined at most 35 months and a few days before the end: from January 2022
        observation_end=EXAMPLE_OBSERVATION_END,
        seed=EXAMPLE_SEED,
        **EXAMPLE_TRUTH,
    )
    table["customer_id"] = [f"S{number:05d}" for number in table["customer_id"]]
    table["start"] = table["start"].dt.normalize()
    table["end"] = table["end"].dt.normalize()
    table.insert(3, "cohort", table["start"].dt.year.astype(str))
    out = table.drop(columns=["true_periods", "true_churned"])
    out.attrs = {
        "truth": {"model": "BdW", **EXAMPLE_TRUTH},
        "observation_end": EXAMPLE_OBSERVATION_END,
    }
    return out
