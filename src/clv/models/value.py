"""Customer lifetime value from a purchase model and a spend model, with intervals.

For a horizon of ``H`` periods of ``time_unit`` (days, weeks, months of 365.25/12 days, years), CLV is the
discounted sum over periods ``k = 1..H`` of the expected purchases in period ``k`` (from the purchase model, given the
customer's history) times the expected spend per purchase (Gamma-Gamma) times the margin (Fader, Hardie & Lee 2005,
"RFM and CLV: using iso-value curves for customer base analysis", with discrete discounting). The discount factor of
period ``k`` is ``(1 + annual_discount_rate) ** -(years to the end of period k)``.

Intervals come from the parameters' sampling distribution: the log-parameters of each model are asymptotically
normal (covariance from the Hessian), and the log of each prediction is propagated linearly (delta method), the two
models being independent. Purchases are computed once per distinct customer history, so a million customers take
about a second.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy import stats

from clv.config import days_per_unit, normalise_time_unit
from clv.errors import DataValidationError
from clv.models.base import quadratic_forms, single_blas_thread
from clv.models.gamma_gamma import GammaGamma
from clv.models.histories import Histories
from clv.models.purchase import PurchaseModel, purchase_inputs

CLV_COLUMNS: tuple[str, ...] = (
    "expected_purchases",
    "expected_purchases_low",
    "expected_purchases_high",
    "expected_avg_value",
    "clv",
    "clv_low",
    "clv_high",
)


def customer_lifetime_value(
    purchase_model: PurchaseModel,
    spend_model: GammaGamma,
    summary: pd.DataFrame,
    horizon: float,
    time_unit: str = "M",
    annual_discount_rate: float = 0.0,
    margin: float = 1.0,
    interval: float = 0.8,
) -> pd.DataFrame:
    """Per-customer expected purchases, expected spend and CLV over ``horizon`` periods of ``time_unit``.

    ``summary`` holds frequency, recency, T (in the purchase model's time unit) and monetary_value per customer.
    Returns a DataFrame aligned with ``summary`` (customer_id kept when present) with the columns of
    ``CLV_COLUMNS``: expected purchases over the horizon (undiscounted) and CLV (discounted, x margin, in the
    currency of monetary_value), each with its ``interval`` bounds. ``attrs['total']`` holds the total CLV with its
    interval (the customers' predictions share the parameters, so the total's interval is not a sum of theirs).
    """
    return value_with_gradients(
        purchase_model, spend_model, summary, horizon, time_unit, annual_discount_rate, margin, interval
    )[0]


@single_blas_thread
def value_with_gradients(
    purchase_model: PurchaseModel,
    spend_model: GammaGamma,
    summary: pd.DataFrame,
    horizon: float,
    time_unit: str = "M",
    annual_discount_rate: float = 0.0,
    margin: float = 1.0,
    interval: float = 0.8,
) -> tuple[pd.DataFrame, np.ndarray]:
    """:func:`customer_lifetime_value` and, per customer, ``clv * d log(clv) / d log(params)`` (one column per
    purchase-model parameter, then per spend-model parameter): summed over any customers, the input of
    :func:`total_interval`."""
    purchase_model._check_fitted()
    spend_model._check_fitted()
    _check_settings(horizon, annual_discount_rate, margin, interval)
    model_unit = _model_time_unit(purchase_model, summary)
    unit = normalise_time_unit(time_unit)
    x, t_x, age, _ = purchase_inputs(summary, None, None)
    monetary = np.asarray(summary["monetary_value"], dtype="float64")

    n_periods = math.ceil(horizon - 1e-12)
    ends = np.minimum(np.arange(1, n_periods + 1, dtype="float64"), horizon)
    ends_in_model_units = ends * days_per_unit(unit) / days_per_unit(model_unit)
    discount = (1.0 + annual_discount_rate) ** -(ends * days_per_unit(unit) / 365.25)

    histories = Histories.from_customers(x, t_x, age, np.ones(x.size))
    history = histories.customer_history

    def discounted_purchases(params: np.ndarray) -> np.ndarray:
        cumulative = purchase_model._conditional_curve(params, ends_in_model_units, histories)
        per_period = np.diff(cumulative, axis=1, prepend=0.0)
        return per_period @ discount

    def purchases_over_horizon(params: np.ndarray) -> np.ndarray:
        return purchase_model._conditional_curve(params, ends_in_model_units[-1:], histories)[:, 0]

    own_spend = np.where(x > 0, monetary, 0.0)

    def spend(params: np.ndarray) -> np.ndarray:
        return GammaGamma._expected(params, x, own_spend)

    horizon_purchases, horizon_gradient = _with_gradient(purchase_model, purchases_over_horizon)
    if annual_discount_rate == 0.0:
        # Undiscounted, the per-period sum is the expectation at the horizon's end: one evaluation, not one a period.
        purchases, purchases_gradient = horizon_purchases, horizon_gradient
    else:
        purchases, purchases_gradient = _with_gradient(purchase_model, discounted_purchases)
    spend_values, spend_gradient = _with_gradient(spend_model, spend)

    z = stats.norm.ppf(0.5 + interval / 2.0)
    clv = purchases[history] * spend_values * margin
    clv_sd = np.sqrt(
        quadratic_forms(purchases_gradient, purchase_model.covariance_log_)[history]
        + quadratic_forms(spend_gradient, spend_model.covariance_log_)
    )
    horizon_sd = np.sqrt(quadratic_forms(horizon_gradient, purchase_model.covariance_log_))[history]
    expected = horizon_purchases[history]
    result = pd.DataFrame(
        {
            "expected_purchases": expected,
            "expected_purchases_low": expected * np.exp(-z * horizon_sd),
            "expected_purchases_high": expected * np.exp(z * horizon_sd),
            "expected_avg_value": spend_values,
            "clv": clv,
            "clv_low": clv * np.exp(-z * clv_sd),
            "clv_high": clv * np.exp(z * clv_sd),
        },
        index=summary.index,
    )
    if "customer_id" in summary:
        result.insert(0, "customer_id", summary["customer_id"].to_numpy())
    weighted_gradients = clv[:, None] * np.hstack([purchases_gradient[history], spend_gradient])
    result.attrs.update(
        horizon=horizon,
        time_unit=unit,
        annual_discount_rate=annual_discount_rate,
        margin=margin,
        interval=interval,
        total=total_interval(
            float(clv.sum()), weighted_gradients.sum(axis=0), purchase_model, spend_model, interval
        ),
    )
    return result, weighted_gradients


def _with_gradient(
    model: PurchaseModel | GammaGamma, predict: Callable[[np.ndarray], np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    estimate = predict(np.exp(model.log_params_))
    return estimate, model.log_prediction_gradient(predict, estimate)


def total_interval(
    total: float,
    weighted_gradients: np.ndarray,
    purchase_model: PurchaseModel,
    spend_model: GammaGamma,
    interval: float = 0.8,
) -> tuple[float, float, float]:
    """Total CLV and its ``interval`` from the total and ``sum_i clv_i * d log(clv_i) / d log(params)``
    (purchase-model parameters first, then the spend model's; per customer from :func:`value_with_gradients`).

    d log(total) / d log(params) is the CLV-weighted mean of the customers' gradients; both inputs are sums over
    customers, so parts of the customers (e.g. Spark partitions) combine by addition.
    """
    if total <= 0:
        return 0.0, 0.0, 0.0
    split = purchase_model.n_params
    g_purchase = weighted_gradients[:split] / total
    g_spend = weighted_gradients[split:] / total
    z = stats.norm.ppf(0.5 + interval / 2.0)
    sd = math.sqrt(
        max(float(g_purchase @ purchase_model.covariance_log_ @ g_purchase), 0.0)
        + max(float(g_spend @ spend_model.covariance_log_ @ g_spend), 0.0)
    )
    return total, total * math.exp(-z * sd), total * math.exp(z * sd)


def _model_time_unit(model: PurchaseModel, summary: pd.DataFrame) -> str:
    unit = getattr(model, "time_unit_", None) or summary.attrs.get("time_unit")
    if unit is None:
        raise DataValidationError(
            "the purchase model's time unit is unknown: fit it on a summary from clv.data.summarize, or set "
            "model.time_unit_ to 'D', 'W', 'M' or 'Y'"
        )
    return normalise_time_unit(unit)


def _check_settings(horizon: float, annual_discount_rate: float, margin: float, interval: float) -> None:
    if not (np.isfinite(horizon) and horizon > 0):
        raise DataValidationError(f"the horizon must be a positive number of periods; got {horizon!r}")
    if not (np.isfinite(annual_discount_rate) and annual_discount_rate > -1):
        raise DataValidationError(
            f"the annual discount rate must be above -100 %; got {annual_discount_rate!r}"
        )
    if not (np.isfinite(margin) and margin >= 0):
        raise DataValidationError(f"the margin must be a non-negative share; got {margin!r}")
    if not 0 < interval < 1:
        raise DataValidationError(f"the interval level must be between 0 and 1 (e.g. 0.8); got {interval!r}")
