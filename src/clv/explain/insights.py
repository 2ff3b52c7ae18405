"""Plain-language findings from a run, for people who will not read the tables."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from clv.settings import Settings


def money(value: float) -> str:
    """A currency amount for people, in the data's currency shown as dollars: ``$12,345``, cents only under 100."""
    return f"${value:,.0f}" if abs(value) >= 100 else f"${value:,.2f}"


def insights(
    predictions: pd.DataFrame,
    total: tuple[float, float, float],
    settings: Settings,
    drivers: pd.DataFrame | None = None,
    metrics: pd.DataFrame | None = None,
    predictive: tuple[float, float] | None = None,
) -> list[str]:
    """Findings: value concentration, valuable customers at risk and the value at stake, expected revenue with its
    intervals (of the expected value; with ``predictive``, of the value the customers will bring), the main
    drivers, and how the ensemble did in the backtest."""
    findings = []
    estimate, low, high = total
    realised = (
        f"; {settings.interval_text.replace('interval', 'predictive interval')} {money(predictive[0])} to "
        f"{money(predictive[1])} for what they will bring, adding the randomness of purchases and spend"
        if predictive is not None
        else ""
    )
    findings.append(
        f"Expected value of the {len(predictions):,} customers over {settings.horizon_text}: {money(estimate)} "
        f"({settings.interval_text} {money(low)} to {money(high)} for the expected value, from the parameters' "
        f"uncertainty{realised})."
    )
    values = predictions["clv"].to_numpy(dtype=float)
    if values.sum() > 0:
        top = max(round(0.2 * len(values)), 1)
        top_value = np.partition(values, len(values) - top)[len(values) - top :].sum()
        findings.append(
            f"The top 20 % of customers ({top:,}) hold {top_value / values.sum():.0%} of the predicted value."
        )
    # Whole-column operations on arrays: a run may hold millions of customers.
    valuable = values >= np.quantile(values, 0.8)
    at_risk = valuable & (predictions["churn_risk"] != "Low risk").to_numpy()
    if at_risk.any():
        findings.append(
            f"{int(at_risk.sum()):,} high-value customers are at risk of churning; they carry "
            f"{money(float(values[at_risk].sum()))} of predicted value: contact them first."
        )
    if drivers is not None and not drivers.empty:
        names = ", ".join(drivers["description"].head(3))
        findings.append(f"What drives predicted value most: {names}.")
    if metrics is not None and "ensemble" in metrics.index:
        row = metrics.loc["ensemble"]
        ratio = row["predicted_total"] / row["actual_total"] if row["actual_total"] else float("nan")
        findings.append(
            f"In the backtest the ranking reached a normalised Gini of {row['gini']:.2f} and the predicted total was "
            f"{ratio:.0%} of what customers actually spent."
        )
    return findings
