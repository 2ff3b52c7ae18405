"""The run's description in JSON-ready form: fingerprint, models and their choice, learned model, notes, backtest
window, settings, sizes, timings and library versions."""

from __future__ import annotations

from importlib import metadata as package_metadata
from typing import Any

from clv.forecast.backtest import Backtest
from clv.forecast.training import LearnedFit
from clv.models import PurchaseModel
from clv.pipeline.backtesting import backtest_window
from clv.pipeline.fitting import Fitted
from clv.pipeline.tally import Tally
from clv.settings import Settings


def run_metadata(
    fitted: Fitted,
    tested: Backtest | None,
    settings: Settings,
    tally: Tally,
    transactions: int,
    timings: dict[str, float],
) -> dict[str, Any]:
    """The run's description: data fingerprint, models and their choice, learned model, notes, backtest window,
    settings, sizes, timings (filled to the end of the run) and library versions."""
    fit = fitted.fit
    return {
        "fingerprint": tally.fingerprint,
        "observation_end": str(fitted.end.date()),
        "horizon_weeks": settings.horizon_weeks,
        "purchase_model": fitted.purchase_model.model_type,
        "model_comparison": fitted.comparison.reset_index().to_dict(orient="records"),
        "learned_window_weeks": fit.window_weeks if fit is not None else None,
        "learned_model": learned_metadata(fit, fitted.purchase_model, settings.horizon_weeks),
        "blend_weights": fit.weights if fit is not None else {},
        "notes": fitted.notes,
        "total_predictive": dict(
            zip(("low", "high"), tally.predictive(fitted, settings), strict=True), level=settings.interval
        ),
        "backtest": backtest_window(tested),
        "settings": settings.to_dict(),
        "customers": tally.customers,
        "transactions": transactions,
        "timings_seconds": timings,
        "versions": {
            name: package_version(name)
            for name in ("clv-platform", "numpy", "scipy", "pandas", "duckdb", "lightgbm")
        },
    }


def learned_metadata(
    fit: LearnedFit | None, purchase_model: PurchaseModel, horizon_weeks: float
) -> dict[str, Any] | None:
    """What the learned model is and how it was trained, in JSON-ready form (None when it was not trained)."""
    if fit is None:
        return None
    return {
        "objective": fit.model.objective,
        "trees": fit.model.booster.num_trees(),
        "validation_poisson_deviance": fit.model.validation,
        "started_from": f"{purchase_model.model_type} x Gamma-Gamma forecast over the window",
        "window_weeks": fit.window_weeks,
        "training_cutoffs": [str(cutoff.date()) for cutoff in fit.training_cutoffs],
        "carried_to_weeks": horizon_weeks,
        "carried_with": f"{purchase_model.model_type} expected purchases over the horizon / over the window",
    }


def package_version(name: str) -> str:
    """The installed version of distribution ``name`` ("unknown" when not installed)."""
    try:
        return package_metadata.version(name)
    except package_metadata.PackageNotFoundError:
        return "unknown"
