"""The predictive interval of a total value: what the customers will bring, not only what they are expected to bring.

The parameter interval of a total (:func:`clv.models.value.total_interval`) says how well the *expected* total is
known from the data. The total that is realised also varies because purchases and spend are random: given the
parameters the customers are independent, so that randomness adds the sum of the customers' variances. Each
customer's variance is estimated from draws of their purchases and spend from the posterior predictive distribution
(:meth:`clv.models.purchase.PurchaseModel.draw_purchases`, :meth:`clv.models.gamma_gamma.GammaGamma.draw_revenue`);
the two variances add, and the interval is that of a log-normal total with that mean and variance.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from clv.models.gamma_gamma import GammaGamma
from clv.models.purchase import PurchaseModel

PROCESS_DRAWS = 32
"""Draws per customer of the estimate of the variance of its revenue."""


def revenue_variance(
    purchase_model: PurchaseModel,
    spend_model: GammaGamma,
    summary: pd.DataFrame,
    t: float,
    rng: np.random.Generator,
    draws: int = PROCESS_DRAWS,
) -> np.ndarray:
    """Each customer's variance (currency squared) of the undiscounted revenue in the next ``t`` time units of the
    purchase model, at the fitted parameters, from ``draws`` draws of its purchases and their values. ``summary``
    holds frequency, recency, T (in the purchase model's time unit) and monetary_value."""
    frequency, recency, age = summary["frequency"], summary["recency"], summary["T"]
    purchases = purchase_model.draw_purchases(t, frequency, recency, age, draws, rng)
    revenue = spend_model.draw_revenue(purchases, frequency, summary["monetary_value"], rng)
    variance: np.ndarray = revenue.var(axis=0, ddof=1)
    return variance


def predictive_interval(
    total: float, parameter_interval: tuple[float, float], process_variance: float, level: float = 0.8
) -> tuple[float, float]:
    """The ``level`` predictive interval of a total whose expectation is ``total``: the parameters' uncertainty (the
    log-normal ``parameter_interval`` of the expected total, centred on it) plus the randomness of purchases and
    spend (``process_variance``, the sum of the customers' variances), as a log-normal with that mean and variance.
    """
    if total <= 0:
        return 0.0, 0.0
    z = stats.norm.ppf(0.5 + level / 2.0)
    high = parameter_interval[1]
    parameter_sd = math.log(high / total) / z if high > total else 0.0
    # The expected total is log-normal with median ``total`` under the parameters' uncertainty; the randomness of
    # purchases and spend adds its variance around it.
    mean = total * math.exp(parameter_sd**2 / 2.0)
    variance = mean**2 * math.expm1(parameter_sd**2) + max(process_variance, 0.0)
    log_variance = math.log1p(variance / mean**2)
    median = mean * math.exp(-log_variance / 2.0)
    spread = math.exp(z * math.sqrt(log_variance))
    return median / spread, median * spread
