"""The coefficient table of a purchase model with covariates, with each effect in words."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

if TYPE_CHECKING:
    from clv.models.covariate_state import CovariateFit

TABLE_COLUMNS = ("process", "covariate", "reference", "coefficient", "se", "z", "p_value", "effect")


def coefficient_table(fit: CovariateFit, phrases: dict[str, str]) -> pd.DataFrame:
    """One row per (process, feature) coefficient; features constant over the training customers come last with
    coefficient 0 and no standard error (the effect says why).

    ``phrases[process]`` reads the multiplier ``m = exp(coefficient)``, e.g. ``"buy {m:.2f}x as often"``; a
    categorical feature is compared with its column's reference level, a numeric one per unit.
    """
    encoding = fit.encoding
    variances = np.diag(fit.covariance)[4:]
    rows: list[dict[str, object]] = []
    for process, feature, index in fit.layout.entries:
        coefficient = float(fit.coefficients[index])
        se = float(np.sqrt(variances[index])) if variances[index] >= 0 else float("nan")
        z = coefficient / se if se > 0 else float("nan")
        column = encoding.feature_column(feature)
        reference = encoding.reference(column)
        reads = phrases[process].format(m=float(np.exp(coefficient)))
        effect = (
            f"customers with {feature} {reads} as customers with {reference}"
            if reference
            else f"per +1 of {feature}, customers {reads}"
        )
        shared = [p for p, f, i in fit.layout.entries if i == index and p != process]
        if shared:
            effect += f" (coefficient constrained equal in {', '.join(shared)})"
        rows.append(
            {
                "process": process,
                "covariate": feature,
                "reference": reference,
                "coefficient": coefficient,
                "se": se,
                "z": z,
                "p_value": float(2.0 * stats.norm.sf(abs(z))) if np.isfinite(z) else float("nan"),
                "effect": effect,
            }
        )
    for feature in fit.fixed:
        rows.append(
            {
                "process": "none",
                "covariate": feature,
                "reference": encoding.reference(encoding.feature_column(feature)),
                "coefficient": 0.0,
                "se": float("nan"),
                "z": float("nan"),
                "p_value": float("nan"),
                "effect": f"{feature} is constant over the training customers: no effect can be estimated",
            }
        )
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
