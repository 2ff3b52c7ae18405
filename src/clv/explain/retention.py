"""Plain-language findings from a contractual (subscriptions) run."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from clv.explain.insights import money

if TYPE_CHECKING:
    from clv.settings import Settings


def retention_insights(
    predictions: pd.DataFrame,
    total: tuple[float, float, float],
    settings: Settings,
    model: Mapping[str, object],
    survivors: pd.DataFrame | None = None,
) -> list[str]:
    """Findings: the residual value with its interval, its concentration, what the chosen model says about churn
    over tenure, valuable subscribers at risk, and predicted against actual survivors in the backtest.

    ``model`` holds ``model`` (``"sBG"`` or ``"BdW"``), ``period`` (in words, e.g. ``"months"``) and the parameters;
    ``survivors`` is the backtest's per-cohort table (``predicted_survivors``, ``actual_survivors``)."""
    estimate, low, high = total
    active = predictions["active"].to_numpy(dtype=bool)
    values = predictions["clv"].to_numpy(dtype=float)
    findings = [
        f"Residual value of the {int(active.sum()):,} active subscribers (of {len(predictions):,}): "
        f"{money(estimate)} ({settings.interval_text} {money(low)} to {money(high)}), the discounted revenue "
        "of their renewals to come."
    ]
    if values.sum() > 0 and active.sum() > 1:
        top = max(round(0.2 * active.sum()), 1)
        share = np.sort(values[active])[::-1][:top].sum() / values.sum()
        findings.append(
            f"The top 20 % of active subscribers ({top:,}) hold {share:.0%} of the residual value."
        )
    c = model.get("c")
    if model.get("model") == "BdW" and isinstance(c, float):
        trend = "falls" if c < 1 else "rises"
        findings.append(
            f"The beta-discrete-Weibull model fits best (c = {c:.2f}): each subscriber's churn probability "
            f"{trend} with tenure, on top of the loyal staying longer."
        )
    else:
        findings.append(
            "The shifted-beta-geometric model fits best: each subscriber keeps a constant churn probability; "
            "retention rises with tenure across the base only because the likely churners leave first."
        )
    risky = active & (values >= np.quantile(values[active], 0.8) if active.any() else active)
    risky &= (predictions["churn_risk"].astype(str) != "Low risk").to_numpy()
    if risky.any():
        findings.append(
            f"{int(risky.sum()):,} high-value subscribers may not stay {settings.horizon_text}; they carry "
            f"{money(float(values[risky].sum()))} of residual value: contact them first."
        )
    if survivors is not None and not survivors.empty:
        predicted, actual = survivors["predicted_survivors"].sum(), survivors["actual_survivors"].sum()
        findings.append(
            f"In the backtest the model predicted {predicted:,.0f} surviving subscribers against {actual:,.0f} "
            f"actual ({predicted / max(actual, 1e-12):.0%})."
        )
    return findings
