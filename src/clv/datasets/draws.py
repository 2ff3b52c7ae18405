"""Customers drawn from the purchase models themselves, with per-customer parameters: the ground truth for
parameter-recovery tests and benchmarks (for example of covariate effects, where ``alpha_i`` differs by customer).

Both return a summary (``frequency``, ``recency``, ``T``) in the time unit of the parameters.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def simulate_bg_nbd(
    rng: np.random.Generator,
    r: float,
    alpha: float | np.ndarray,
    a: float | np.ndarray,
    b: float | np.ndarray,
    age: np.ndarray,
) -> pd.DataFrame:
    """BG/NBD customers (Fader, Hardie & Lee 2005): Poisson purchases at rate ``lambda ~ Gamma(r, alpha_i)`` (per
    time unit, ``alpha_i`` a rate parameter); after each repeat purchase the customer leaves with probability
    ``p ~ Beta(a_i, b_i)``. ``age`` is each customer's observation length ``T``.

    Simulated purchase by purchase, all customers at once: as many rounds as the largest frequency.
    """
    n = age.size
    rate = rng.gamma(r, 1.0 / np.broadcast_to(alpha, (n,)))
    leave = rng.beta(np.broadcast_to(a, (n,)), np.broadcast_to(b, (n,)))
    clock, x, t_x = np.zeros(n), np.zeros(n), np.zeros(n)
    active = np.ones(n, dtype=bool)
    while active.any():
        clock = clock + rng.exponential(1.0 / rate)
        bought = active & (clock <= age)
        x[bought] += 1
        t_x[bought] = clock[bought]
        active = bought & (rng.random(n) >= leave)
    return pd.DataFrame({"frequency": x, "recency": t_x, "T": age})


def simulate_pareto_nbd(
    rng: np.random.Generator,
    r: float,
    alpha: float | np.ndarray,
    s: float,
    beta: float | np.ndarray,
    age: np.ndarray,
) -> pd.DataFrame:
    """Pareto/NBD customers (Schmittlein, Morrison & Colombo 1987): Poisson purchases at rate
    ``lambda ~ Gamma(r, alpha_i)`` during an exponential lifetime whose rate is ``mu ~ Gamma(s, beta_i)``, observed
    for ``age``. Given ``x`` purchases in the active time ``min(lifetime, T)``, the last is the largest of ``x``
    uniform times."""
    n = age.size
    rate = rng.gamma(r, 1.0 / np.broadcast_to(alpha, (n,)))
    death = rng.gamma(s, 1.0 / np.broadcast_to(beta, (n,)))
    active_until = np.minimum(rng.exponential(1.0 / death), age)
    x = rng.poisson(rate * active_until).astype("float64")
    last = active_until * rng.random(n) ** (1.0 / np.maximum(x, 1.0))
    return pd.DataFrame({"frequency": x, "recency": np.where(x > 0, last, 0.0), "T": age})


def simulate_calibration_and_holdout(
    rng: np.random.Generator,
    purchase: tuple[float, float, float, float],
    spend: tuple[float, float, float],
    age: np.ndarray,
    holdout: float,
) -> tuple[pd.DataFrame, np.ndarray]:
    """BG/NBD customers with Gamma-Gamma spend, followed past their calibration period: the ground truth for
    checking predictive intervals. ``purchase`` is BG/NBD's (r, alpha, a, b), ``spend`` Gamma-Gamma's (p, q, gamma):
    each customer's purchase values are ``Gamma(p, nu)`` with ``nu ~ Gamma(q, gamma)`` (Fader & Hardie 2013).
    Returns the calibration summary (frequency, recency, T = ``age``, monetary_value: the mean of the repeat
    purchases' values) and each customer's revenue in the ``holdout`` time units after ``age``."""
    r, alpha, a, b = purchase
    p, q, gamma = spend
    n = age.size
    rate = rng.gamma(r, 1.0 / alpha, size=n)
    leave = rng.beta(a, b, size=n)
    scale = rng.gamma(q, 1.0 / gamma, size=n)
    clock, x, t_x = np.zeros(n), np.zeros(n), np.zeros(n)
    spent, later = np.zeros(n), np.zeros(n)
    active = np.ones(n, dtype=bool)
    while active.any():
        clock = clock + rng.exponential(1.0 / rate)
        value = rng.gamma(p, 1.0 / scale)
        bought = active & (clock <= age + holdout)
        calibration = bought & (clock <= age)
        x[calibration] += 1
        t_x[calibration] = clock[calibration]
        spent[calibration] += value[calibration]
        later[bought & ~calibration] += value[bought & ~calibration]
        active = bought & (rng.random(n) >= leave)
    monetary = np.divide(spent, x, out=np.zeros(n), where=x > 0)
    summary = pd.DataFrame({"frequency": x, "recency": t_x, "T": age, "monetary_value": monetary})
    return summary, later
