"""Fit several purchase models on the same customers and compare them by log-likelihood, AIC and BIC."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from clv.errors import ConvergenceError
from clv.models.beta_geo import BetaGeo
from clv.models.modified_beta_geo import ModifiedBetaGeo
from clv.models.pareto_nbd import ParetoNBD
from clv.models.purchase import PurchaseModel

PURCHASE_MODELS: dict[str, type[PurchaseModel]] = {
    "BG/NBD": BetaGeo,
    "Pareto/NBD": ParetoNBD,
    "MBG/NBD": ModifiedBetaGeo,
}


@dataclass
class ModelComparison:
    """The fit table (one row per model, best BIC first) and the fitted models by name."""

    table: pd.DataFrame
    models: dict[str, PurchaseModel]

    @property
    def best(self) -> str:
        """Name of the converged model with the lowest BIC."""
        return str(self.table.index[0])


def compare_models(
    summary: pd.DataFrame,
    candidates: Sequence[str] = tuple(PURCHASE_MODELS),
    weights: np.ndarray | None = None,
) -> ModelComparison:
    """Fit each of ``candidates`` (names in ``PURCHASE_MODELS``) on ``summary`` (rows weighted by ``weights``, e.g.
    counts of identical customers); models that fail to converge are listed with their error and never chosen as
    best."""
    rows, models = [], {}
    for name in candidates:
        started = time.perf_counter()
        try:
            model = PURCHASE_MODELS[name]().fit(summary, weights=weights)
        except ConvergenceError as error:
            rows.append({"model": name, "converged": False, "note": str(error)})
            continue
        models[name] = model
        rows.append(
            {
                "model": name,
                "log_likelihood": model.log_likelihood_,
                "n_params": model.n_params,
                "aic": model.aic_,
                "bic": model.bic_,
                "converged": model.converged_,
                "fit_seconds": time.perf_counter() - started,
                "note": "" if model.converged_ else model.optimizer_message_,
            }
        )
    table = pd.DataFrame(rows).set_index("model")
    table = table.sort_values(["converged", "bic"], ascending=[False, True])
    return ModelComparison(table=table, models=models)
