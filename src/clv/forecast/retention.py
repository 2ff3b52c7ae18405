"""From subscription lifetimes to retention forecasts: both retention models fitted and one chosen by BIC, the
discount rate per period, and what a subscriber alive after ``n`` renewals is expected to do next.

Time is counted in whole contract periods (see :mod:`clv.models.contractual`).

References
----------
Fader, P. S. & Hardie, B. G. S. (2007), "How to project customer retention", Journal of Interactive Marketing
21(1), 76-90 (the sBG model).

Fader, P. S., Hardie, B. G. S., Liu, Y., Davin, J. & Steenburgh, T. (2018), "'How to project customer retention'
revisited: the role of duration dependence", Journal of Interactive Marketing 43, 1-16 (the BdW model).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from clv.errors import ConvergenceError
from clv.models import BetaDiscreteWeibull, ShiftedBetaGeometric
from clv.models.contractual import ContractualModel

RETENTION_MODELS: tuple[type[ContractualModel], ...] = (ShiftedBetaGeometric, BetaDiscreteWeibull)
DAYS_PER_YEAR = 365.25
REMAINING_CAP_YEARS = 100.0


@dataclass
class RetentionFit:
    """The retention models fitted on the same lifetimes: the ``chosen`` one (lowest BIC), every fitted one by
    name (``models``) and their ``comparison`` (``model``, ``log_likelihood``, ``bic``, parameters, ``chosen``)."""

    chosen: ContractualModel
    models: dict[str, ContractualModel]
    comparison: pd.DataFrame


def fit_retention(lifetimes: pd.DataFrame, notes: list[str]) -> RetentionFit:
    """Fit the sBG and the BdW model on ``lifetimes`` (``periods``, ``churned``) and choose the lower BIC.

    A model that does not converge is noted and left out. Bad data (too few customers, no churn) raises
    :class:`~clv.errors.DataValidationError` from the models.
    """
    fitted: list[ContractualModel] = []
    for kind in RETENTION_MODELS:
        try:
            fitted.append(kind().fit(lifetimes))
        except ConvergenceError as error:
            notes.append(f"{kind.model_type} model not fitted: {error}")
    if not fitted:
        raise ConvergenceError("neither retention model (sBG, BdW) could be fitted on these subscriptions")
    chosen = min(fitted, key=lambda model: model.bic_)
    comparison = pd.DataFrame(
        [
            {
                "model": model.model_type,
                "log_likelihood": model.log_likelihood_,
                "bic": model.bic_,
                **model.params_,
                "chosen": model is chosen,
            }
            for model in fitted
        ]
    )
    others = ", ".join(f"{m.model_type} {m.bic_:,.1f}" for m in fitted if m is not chosen)
    notes.append(
        f"retention model: {chosen.model_type}, the lower BIC ({chosen.bic_:,.1f}"
        + (f" against {others})" if others else "; the only one fitted)")
    )
    return RetentionFit(chosen, {model.model_type: model for model in fitted}, comparison)


def period_discount_rate(annual_rate: float, period_days: float) -> float:
    """The discount rate per period equivalent to ``annual_rate`` a year: ``(1 + annual) ** (days / 365.25) - 1``."""
    return math.expm1(math.log1p(annual_rate) * period_days / DAYS_PER_YEAR)


def survival_ahead(model: ContractualModel, renewals: np.ndarray, ahead: np.ndarray) -> np.ndarray:
    """``S(n + j) / S(n)``: the probability that a subscriber alive after ``n`` renewals survives ``j`` more renewal
    decisions, one row per subscriber, one column per ``j`` in ``ahead`` (computed once per distinct ``n``)."""
    distinct, inverse = np.unique(np.asarray(renewals, dtype="float64"), return_inverse=True)
    steps = np.asarray(ahead, dtype="float64")
    later = (distinct[:, None] + steps[None, :]).ravel()
    ratio = model.survival(later).reshape(distinct.size, steps.size) / model.survival(distinct)[:, None]
    return np.asarray(ratio[inverse.reshape(-1)])


def expected_remaining(
    model: ContractualModel, renewals: np.ndarray, period_days: float, notes: list[str]
) -> np.ndarray:
    """Expected periods still to be paid (the current one included) by subscribers alive after ``renewals``.

    Where the model's mean lifetime is infinite (a heavy tail: ``alpha <= 1`` for the sBG, ``c * alpha <= 1`` for
    the BdW), the expectation is taken over the next ``REMAINING_CAP_YEARS`` years and a note says so."""
    try:
        remaining = model.expected_remaining_lifetime(renewals)
    except ConvergenceError:
        remaining = np.full(np.shape(renewals), np.inf)
    endless = ~np.isfinite(remaining)
    if endless.any():
        cap = round(REMAINING_CAP_YEARS * DAYS_PER_YEAR / period_days)
        remaining = remaining.copy()
        remaining[endless] = survival_ahead(model, renewals[endless], np.arange(cap)).sum(axis=1)
        notes.append(
            f"the {model.model_type} model's mean lifetime is infinite (a heavy tail of very loyal subscribers): "
            f"expected remaining periods are counted over the next {REMAINING_CAP_YEARS:g} years"
        )
    return remaining


CURVE_COLUMNS: tuple[str, ...] = ("cohort", "period", "curve", "survival", "low", "high", "at_risk")


def retention_curves(
    lifetimes: pd.DataFrame, model: ContractualModel, projected_periods: int, level: float
) -> pd.DataFrame:
    """Per cohort, the share still subscribed after ``t`` renewals: ``curve`` ``"actual"`` (Kaplan-Meier from
    :func:`clv.data.subscriptions.survival_table`, while anyone is at risk), ``"fitted"`` (the model's ``S(t)`` over
    the same periods, with its ``level`` interval) and ``"projected"`` (``S(t)`` for ``projected_periods`` more).

    Long format, columns ``CURVE_COLUMNS``; the actual curve's bounds equal its value and ``at_risk`` is 0 on the
    model's rows."""
    from clv.data.subscriptions import survival_table

    observed = survival_table(lifetimes[["cohort", "periods", "churned"]])
    observed = observed[observed["at_risk"] > 0]
    parts = [
        observed.assign(curve="actual", low=observed["survival"], high=observed["survival"])[
            list(CURVE_COLUMNS)
        ]
    ]
    for cohort, rows in observed.groupby("cohort", sort=True):
        last = int(rows["period"].max())
        for curve, periods in (
            ("fitted", np.arange(last + 1)),
            ("projected", np.arange(last, last + projected_periods + 1)),
        ):
            estimate, low, high = model.survival_interval(periods, level)
            parts.append(
                pd.DataFrame(
                    {
                        "cohort": cohort,
                        "period": periods,
                        "curve": curve,
                        "survival": estimate,
                        "low": low,
                        "high": high,
                        "at_risk": 0.0,
                    }
                )
            )
    curves = pd.concat(parts, ignore_index=True)
    curves["cohort"] = curves["cohort"].astype(str)
    return curves
