"""The probabilistic forecast: the purchase models compared and one chosen, the spend model, and their product
per customer over a horizon (Fader, Hardie & Lee 2005; Fader & Hardie 2013). Time in weeks; money in the log's
currency; undiscounted revenue."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from clv.errors import ConvergenceError
from clv.forecast.learned import LearnedModel
from clv.models import GammaGamma, PurchaseModel, compare_models
from clv.models.compare import PURCHASE_MODELS, ModelComparison

if TYPE_CHECKING:
    from clv.forecast.training import LearnedFit


@dataclass
class Forecast:
    """Per-customer forecasts at one cutoff, the fitted models, and notes on what was done."""

    cutoff: pd.Timestamp
    horizon_weeks: float
    summary: pd.DataFrame
    probabilistic: pd.DataFrame
    purchase_model: PurchaseModel
    spend_model: GammaGamma
    comparison: pd.DataFrame
    all_probabilistic: dict[str, pd.Series]
    learned: pd.Series | None = None
    learned_fit: LearnedFit | None = None
    features: pd.DataFrame | None = None
    learned_base: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def purchase_model_name(self) -> str:
        """The chosen purchase model's name among ``clv.models.compare.PURCHASE_MODELS``."""
        return model_name_of(self.purchase_model)

    @property
    def learned_model(self) -> LearnedModel | None:
        """The learned model applied (None when none could be trained)."""
        return self.learned_fit.model if self.learned_fit is not None else None

    @property
    def weights(self) -> dict[str, float]:
        """The blend weights of the probabilistic and learned forecasts (empty without a learned model)."""
        return self.learned_fit.weights if self.learned_fit is not None else {}

    @property
    def window_weeks(self) -> float | None:
        """The learned model's target window in weeks (None without a learned model)."""
        return self.learned_fit.window_weeks if self.learned_fit is not None else None

    @property
    def training_cutoffs(self) -> list[pd.Timestamp]:
        """The cutoffs of the learned model's training windows, latest first."""
        return self.learned_fit.training_cutoffs if self.learned_fit is not None else []

    @property
    def ensemble(self) -> pd.Series:
        """The blended forecast (the probabilistic one when no learned model could be trained)."""
        probabilistic = self.probabilistic["clv"]
        if self.learned is None:
            return probabilistic.rename("ensemble")
        blend = self.weights["probabilistic"] * probabilistic + self.weights["learned"] * self.learned
        return blend.rename("ensemble")


def model_name_of(purchase_model: PurchaseModel) -> str:
    return next(name for name, kind in PURCHASE_MODELS.items() if type(purchase_model) is kind)


def fit_spend_model(summary: pd.DataFrame, notes: list[str], weights: np.ndarray | None = None) -> GammaGamma:
    """Gamma-Gamma on the repeat buyers with positive mean spend; the others are counted in ``notes``. ``weights``
    counts identical rows (e.g. distinct customer statistics); one customer per row by default."""
    model, left_out = spend_model_of(summary, weights)
    note_left_out(left_out, notes)
    return model


def fit_on_statistics(
    statistics: pd.DataFrame, candidates: tuple[str, ...], horizon_weeks: float, notes: list[str]
) -> tuple[PurchaseModel, GammaGamma, pd.DataFrame]:
    """The spend model, the purchase models compared and the one chosen (:func:`choose_purchase_model`), fitted on
    the distinct (frequency, recency, T, monetary_value) rows of a summary in weeks with their number of customers
    (``weight``): exactly the likelihoods and forecasts of the fits on every customer (the estimators compress
    identical customers the same way). Returns the chosen purchase model, the spend model and the comparison table."""
    weights = statistics["weight"].to_numpy()
    comparison = compare_models(statistics, candidates, weights)
    spend_model = fit_spend_model(statistics, notes, weights)
    forecasts = choose_purchase_model(comparison, spend_model, statistics, horizon_weeks, notes, weights)
    return comparison.models[next(iter(forecasts))], spend_model, comparison.table


def spend_model_of(summary: pd.DataFrame, weights: np.ndarray | None = None) -> tuple[GammaGamma, int]:
    counts = np.ones(len(summary)) if weights is None else np.asarray(weights, dtype="float64")
    repeat = (summary["frequency"] > 0).to_numpy()
    usable = repeat & (summary["monetary_value"] > 0).to_numpy()
    model = GammaGamma().fit(
        summary.loc[usable, "frequency"],
        summary.loc[usable, "monetary_value"],
        weights=None if weights is None else counts[usable],
    )
    return model, int(counts[repeat & ~usable].sum())


def note_left_out(left_out: int, notes: list[str]) -> None:
    if left_out:
        notes.append(f"{left_out:,} repeat buyer(s) with zero spend were left out of the spend model")


def expected_revenue(
    purchase_model: PurchaseModel, spend_model: GammaGamma, summary: pd.DataFrame, weeks: float
) -> pd.DataFrame:
    """Expected purchases in the next ``weeks``, expected spend per purchase, and their product (undiscounted
    revenue, currency), per customer of ``summary`` (Fader, Hardie & Lee 2005)."""
    frequency, recency, age = summary["frequency"], summary["recency"], summary["T"]
    purchases = purchase_model.expected_purchases(weeks, frequency, recency, age)
    spend = spend_model.expected_average_value(frequency, summary["monetary_value"])
    return pd.DataFrame(
        {"expected_purchases": purchases, "expected_avg_value": spend, "clv": purchases * spend},
        index=summary.index,
    )


def probabilistic_forecast(
    summary: pd.DataFrame,
    comparison: ModelComparison,
    spend_model: GammaGamma,
    cutoff: pd.Timestamp,
    horizon_weeks: float,
    notes: list[str],
) -> Forecast:
    """The probabilistic part of a forecast: every fitted purchase model x ``spend_model`` over the horizon, the
    lowest-BIC model with a finite forecast for every customer chosen (:func:`choose_purchase_model`).
    ``summary`` is in weeks, indexed by customer_id."""
    forecasts = choose_purchase_model(comparison, spend_model, summary, horizon_weeks, notes)
    best_name = next(iter(forecasts))
    chosen = customer_forecast(
        summary, comparison.models[best_name], spend_model, cutoff, horizon_weeks, forecasts[best_name]
    )
    return replace(
        chosen,
        comparison=comparison.table,
        all_probabilistic={name: values["clv"] for name, values in forecasts.items()},
        notes=notes,
    )


def choose_purchase_model(
    comparison: ModelComparison,
    spend_model: GammaGamma,
    summary: pd.DataFrame,
    horizon_weeks: float,
    notes: list[str],
    weights: np.ndarray | None = None,
) -> dict[str, pd.DataFrame]:
    """Each fitted purchase model's :func:`expected_revenue` over the horizon for the rows of ``summary`` (each
    counting ``weights`` customers, one by default), best BIC first, leaving out (with a note) any model whose
    forecast is not a finite number for some customer, and those whose optimiser did not converge unless no
    converged one is left. The first is the chosen model (the choice is noted)."""
    if not comparison.models:
        raise ConvergenceError("none of the purchase models could be fitted on this data")
    counts = np.ones(len(summary)) if weights is None else np.asarray(weights, dtype="float64")
    fitted = [str(name) for name in comparison.table.index if name in comparison.models]
    converged = [name for name in fitted if comparison.models[name].converged_]
    forecasts = _finite_forecasts(converged, comparison, spend_model, summary, horizon_weeks, counts, notes)
    if (
        not forecasts
    ):  # a fit that stopped short is used only when no converged one gives a forecast, and said so
        others = [name for name in fitted if name not in converged]
        forecasts = _finite_forecasts(others, comparison, spend_model, summary, horizon_weeks, counts, notes)
        notes.extend(
            f"{name}: its optimiser stopped without converging ({comparison.models[name].optimizer_message_}); "
            "it is used because no converged purchase model gives a finite forecast: read its figures with care"
            for name in list(forecasts)[:1]
        )
    notes.extend(
        f"{name} left out: its optimiser stopped without converging ({comparison.models[name].optimizer_message_})"
        for name in fitted
        if name not in converged and name not in list(forecasts)[:1]
    )
    if not forecasts:
        raise ConvergenceError(
            f"no purchase model gives a finite forecast over {horizon_weeks:.0f} weeks for every customer"
        )
    best_name = next(iter(forecasts))
    notes.append(
        f"purchase model: {best_name}, the lowest BIC of {', '.join(forecasts)} "
        f"({comparison.table['bic'].astype(float)[best_name]:,.1f})"
    )
    note_uncertain(comparison.models[best_name], best_name, notes)
    note_uncertain(spend_model, "Gamma-Gamma", notes)
    return forecasts


def _finite_forecasts(
    names: list[str],
    comparison: ModelComparison,
    spend_model: GammaGamma,
    summary: pd.DataFrame,
    horizon_weeks: float,
    counts: np.ndarray,
    notes: list[str],
) -> dict[str, pd.DataFrame]:
    """:func:`expected_revenue` of each purchase model of ``names`` (in order) whose forecast is a finite number for
    every customer; the others are left out with a note."""
    forecasts = {}
    for name in names:
        values = expected_revenue(comparison.models[name], spend_model, summary, horizon_weeks)
        broken = int(counts[(~np.isfinite(values.to_numpy())).any(axis=1)].sum())
        if broken:
            notes.append(
                f"{name} left out: its forecast over {horizon_weeks:.0f} weeks is not a finite number for "
                f"{broken:,} customer(s) (parameters {comparison.models[name].params_})"
            )
            continue
        forecasts[name] = values
    return forecasts


def note_uncertain(model: PurchaseModel | GammaGamma, name: str, notes: list[str]) -> None:
    """Note when ``model``'s Hessian was not positive definite: no standard errors, and intervals that cover only
    the parameters the data determine."""
    if not model.hessian_positive_definite_:
        notes.append(
            f"{name}: the log-likelihood is flat or saddle-shaped at the fitted parameters (its Hessian is not "
            "positive definite), so the parameters have no standard errors and the intervals cover only the "
            "directions the data determine: read them as too narrow"
        )


def customer_forecast(
    summary: pd.DataFrame,
    purchase_model: PurchaseModel,
    spend_model: GammaGamma,
    cutoff: pd.Timestamp,
    horizon_weeks: float,
    expected: pd.DataFrame | None = None,
) -> Forecast:
    """The probabilistic forecast of the chosen ``purchase_model`` x ``spend_model`` for the customers of
    ``summary`` (in weeks, indexed by customer_id), with P(alive) at the cutoff. Every row depends on its customer
    alone, so any part of the customers gives the same rows (the Spark engine's executors forecast partitions with
    it). ``expected``: the models' :func:`expected_revenue` over the horizon when already computed."""
    if expected is None:
        expected = expected_revenue(purchase_model, spend_model, summary, horizon_weeks)
    probabilistic = expected.copy()
    probabilistic["p_alive"] = purchase_model.probability_alive(
        summary["frequency"], summary["recency"], summary["T"]
    )
    return Forecast(
        cutoff=cutoff,
        horizon_weeks=horizon_weeks,
        summary=summary,
        probabilistic=probabilistic,
        purchase_model=purchase_model,
        spend_model=spend_model,
        comparison=pd.DataFrame(),
        all_probabilistic={},
    )
