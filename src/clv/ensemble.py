"""Forecast each customer's revenue over a horizon: probabilistic models, a learned model, and their blend.

Everything is computed at a cutoff ``E`` for a horizon of ``H`` weeks, and sees only transactions up to ``E``:

1. BG/NBD, Pareto/NBD and MBG/NBD are fitted on the summary at ``E``; the one with the lowest BIC is chosen (a
   criterion that uses no holdout data). Gamma-Gamma is fitted on the repeat buyers with positive spend. Their product
   is the probabilistic forecast.
2. The learned model (LightGBM, :mod:`clv.ml`) needs a target window the features never saw. With a target window
   of ``h = min(H, history / 3)`` weeks, it is trained on the features at ``E - h`` against the revenue in
   ``(E - h, E]``, stacked with the same pairs one and two windows earlier (so one season does not dominate), then
   applied to the features at ``E`` and carried from ``h`` to ``H`` with each customer's ratio of
   expected purchases over ``H`` and over ``h`` under the chosen purchase model (not a flat multiplier, which would
   ignore customers dropping out). The objective is chosen on the same step one window earlier (features at
   ``E - 2h``, validated on ``(E - h, E]``).
3. The blend weights are non-negative least squares of the revenue in ``(E - h, E]`` on the two forecasts made at
   ``E - h`` (probabilistic models refitted there; the learned model trained one window earlier).

Time is in weeks inside this module; money in the log's currency; forecasts are undiscounted revenue.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import nnls

from clv.data.summary import summarize
from clv.data.transactions import Transactions
from clv.errors import ConvergenceError, DataValidationError
from clv.features import feature_table, revenue_between
from clv.ml import LearnedModel, train
from clv.models import GammaGamma, ModelComparison, PurchaseModel, compare_models, customer_lifetime_value
from clv.models.compare import PURCHASE_MODELS

TIME_UNIT = "W"
MIN_WINDOW_WEEKS = 4.0
MIN_LEARNING_CUSTOMERS = 200


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
    learned_model: LearnedModel | None = None
    features: pd.DataFrame | None = None
    weights: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    window_weeks: float | None = None

    @property
    def ensemble(self) -> pd.Series:
        """The blended forecast (the probabilistic one when no learned model could be trained)."""
        probabilistic = self.probabilistic["clv"]
        if self.learned is None:
            return probabilistic.rename("ensemble")
        blend = self.weights["probabilistic"] * probabilistic + self.weights["learned"] * self.learned
        return blend.rename("ensemble")


def fit_spend_model(summary: pd.DataFrame, notes: list[str], weights: np.ndarray | None = None) -> GammaGamma:
    """Gamma-Gamma on the repeat buyers with positive mean spend; the others are counted in ``notes``. ``weights``
    counts identical rows (e.g. distinct (frequency, monetary_value) pairs); one customer per row by default."""
    counts = np.ones(len(summary)) if weights is None else np.asarray(weights, dtype="float64")
    usable = ((summary["frequency"] > 0) & (summary["monetary_value"] > 0)).to_numpy()
    left_out = int(counts[(summary["frequency"] > 0).to_numpy() & ~usable].sum())
    if left_out:
        notes.append(f"{left_out:,} repeat buyer(s) with zero spend were left out of the spend model")
    return GammaGamma().fit(
        summary.loc[usable, "frequency"],
        summary.loc[usable, "monetary_value"],
        weights=None if weights is None else counts[usable],
    )


def choose_purchase_model(
    summary: pd.DataFrame, candidates: tuple[str, ...], notes: list[str], weights: np.ndarray | None = None
) -> ModelComparison:
    """Fit the ``candidates`` on ``summary`` (rows weighted by ``weights``) and note the one with the lowest BIC,
    a criterion that uses no holdout data. Raises :class:`~clv.errors.ConvergenceError` when none can be fitted."""
    comparison = compare_models(summary, candidates, weights)
    if not comparison.models:
        raise ConvergenceError("none of the purchase models could be fitted on this data")
    best = comparison.best
    notes.append(
        f"purchase model: {best}, the lowest BIC of {', '.join(map(str, comparison.table.index))} "
        f"({comparison.table['bic'].astype(float)[best]:,.1f})"
    )
    return comparison


def probabilistic_forecast(
    purchase_model: PurchaseModel,
    spend_model: GammaGamma,
    summary: pd.DataFrame,
    horizon_weeks: float,
    interval: float = 0.8,
) -> pd.DataFrame:
    """Undiscounted revenue over ``horizon_weeks`` per customer of ``summary`` (in weeks), indexed by customer_id:
    the columns of :func:`clv.models.customer_lifetime_value` plus ``p_alive`` at the summary's end."""
    probabilistic = customer_lifetime_value(
        purchase_model, spend_model, summary, horizon_weeks, TIME_UNIT, interval=interval
    ).set_index(summary["customer_id"])
    probabilistic["p_alive"] = purchase_model.probability_alive(
        summary["frequency"], summary["recency"], summary["T"]
    )
    return probabilistic


def forecast(
    log: Transactions,
    cutoff: pd.Timestamp,
    horizon_weeks: float,
    *,
    candidates: tuple[str, ...] = tuple(PURCHASE_MODELS),
    learned: bool = True,
    seed: int = 0,
    interval: float = 0.8,
) -> Forecast:
    """All forecasts of revenue in ``(cutoff, cutoff + horizon_weeks]`` from transactions up to ``cutoff``."""
    cutoff = pd.Timestamp(cutoff).normalize()
    notes: list[str] = []
    summary = summarize(log, cutoff, time_unit=TIME_UNIT)
    comparison = choose_purchase_model(summary, candidates, notes)
    best_name = comparison.best
    spend_model = fit_spend_model(summary, notes)
    all_probabilistic = {
        name: customer_lifetime_value(
            model, spend_model, summary, horizon_weeks, TIME_UNIT, interval=interval
        ).set_index(summary["customer_id"])["clv"]
        for name, model in comparison.models.items()
    }
    purchase_model = comparison.models[best_name]
    result = Forecast(
        cutoff=cutoff,
        horizon_weeks=horizon_weeks,
        summary=summary.set_index("customer_id", drop=False),
        probabilistic=probabilistic_forecast(purchase_model, spend_model, summary, horizon_weeks, interval),
        purchase_model=purchase_model,
        spend_model=spend_model,
        comparison=comparison.table,
        all_probabilistic=all_probabilistic,
        notes=notes,
    )
    if learned:
        fit = train_learned(log, cutoff, horizon_weeks, type(purchase_model), seed, notes)
        if fit is not None:
            apply_learned(result, fit, feature_table(log, cutoff))
    return result


@dataclass
class LearnedFit:
    """The learned model trained for a cutoff: its target window (weeks), the blend weights and notes on both."""

    model: LearnedModel
    window_weeks: float
    weights: dict[str, float]
    notes: list[str]


def train_learned(
    log: Transactions,
    cutoff: pd.Timestamp,
    horizon_weeks: float,
    model_class: type[PurchaseModel],
    seed: int,
    notes: list[str],
) -> LearnedFit | None:
    """Train the learned model for ``cutoff`` on the stacked windows before it, and the blend weights (module
    docstring, steps 2 and 3). Returns None, with the reason in ``notes``, when the history is too short or too
    few customers are in a window."""
    first_day, _ = log.date_range()
    history_weeks = (cutoff - first_day.normalize()).days / 7.0
    window = float(np.floor(min(horizon_weeks, history_weeks / 3.0)))
    if window < MIN_WINDOW_WEEKS:
        notes.append(
            f"learned model skipped: {history_weeks:.0f} weeks of history leave no target window of at least "
            f"{MIN_WINDOW_WEEKS:.0f} weeks before the cutoff"
        )
        return None
    step = pd.Timedelta(weeks=window)
    try:
        latest = _training_set(log, cutoff - step, window, model_class)
        earlier = _stacked_training_sets(log, cutoff - 2 * step, window, model_class, first_day)
        recent = _stacked_training_sets(log, cutoff - step, window, model_class, first_day)
    except (DataValidationError, ConvergenceError) as error:
        notes.append(f"learned model skipped: {error}")
        return None
    if min(len(earlier[0]), len(latest[0])) < MIN_LEARNING_CUSTOMERS:
        notes.append(
            f"learned model skipped: fewer than {MIN_LEARNING_CUSTOMERS} customers in a training window"
        )
        return None
    inner = train(*earlier, validation=latest, seed=seed)
    final = train(*recent, objective=inner.objective, seed=seed)
    weights = _blend_weights(log, cutoff - step, window, model_class, inner, latest[1])
    return LearnedFit(
        model=final,
        window_weeks=window,
        weights=weights,
        notes=[
            f"learned model: LightGBM ({final.objective}, chosen by validation RMSE among "
            f"{', '.join(f'{k} {v:,.2f}' for k, v in inner.validation.items())}), trained on {len(recent[0]):,} "
            f"customer-windows (features at a cutoff against revenue in the next {window:.0f} weeks, windows "
            f"ending {cutoff.date()} and earlier), carried to "
            f"{horizon_weeks:.1f} weeks with the {model_class.model_type} expected-purchase curve",
            f"blend weights (non-negative least squares on the window ending {cutoff.date()}): "
            f"probabilistic {weights['probabilistic']:.3f}, learned {weights['learned']:.3f}",
        ],
    )


def apply_learned(result: Forecast, fit: LearnedFit, features: pd.DataFrame) -> None:
    """Set ``result``'s learned forecast from ``fit`` applied to ``features`` (:func:`clv.features.feature_table` at
    the cutoff, for the customers of ``result``), carried from the window to the horizon customer by customer."""
    current = _with_model_features(
        features, result.summary, result.purchase_model, result.spend_model, fit.window_weeks
    )
    per_window = pd.Series(fit.model.predict(current), index=current.index)
    ratio = _horizon_ratio(result, fit.window_weeks).reindex(current.index).fillna(0.0)
    result.learned = (per_window * ratio).reindex(result.probabilistic.index).fillna(0.0).rename("learned")
    result.learned_model = fit.model
    result.features = current
    result.window_weeks = fit.window_weeks
    result.weights = fit.weights
    result.notes.extend(fit.notes)


def _refitted_at(
    log: Transactions, cutoff: pd.Timestamp, window: float, model_class: type[PurchaseModel]
) -> tuple[pd.DataFrame, pd.Series]:
    """At ``cutoff``: the feature table with the purchase and spend models refitted there, and those models'
    revenue forecast over the next ``window`` weeks."""
    summary = summarize(log, cutoff, time_unit=TIME_UNIT)
    purchase_model = model_class().fit(summary)
    spend_model = fit_spend_model(summary, [])
    features = _with_model_features(
        feature_table(log, cutoff),
        summary.set_index("customer_id", drop=False),
        purchase_model,
        spend_model,
        window,
    )
    valued = customer_lifetime_value(purchase_model, spend_model, summary, window, TIME_UNIT)
    return features, valued.set_index(summary["customer_id"])["clv"]


def _training_set(
    log: Transactions, cutoff: pd.Timestamp, window: float, model_class: type[PurchaseModel]
) -> tuple[pd.DataFrame, pd.Series]:
    """Features at ``cutoff`` (with the purchase and spend models refitted there) and revenue in the next window."""
    features, _ = _refitted_at(log, cutoff, window, model_class)
    target = (
        revenue_between(log, cutoff, cutoff + pd.Timedelta(weeks=window)).reindex(features.index).fillna(0.0)
    )
    return features, target


def _stacked_training_sets(
    log: Transactions,
    last_cutoff: pd.Timestamp,
    window: float,
    model_class: type[PurchaseModel],
    first_day: pd.Timestamp,
    max_windows: int = 3,
) -> tuple[pd.DataFrame, pd.Series]:
    """Training sets at ``last_cutoff`` and up to ``max_windows - 1`` earlier cutoffs a window apart, stacked, so no
    single season dominates; cutoffs with less than ``MIN_WINDOW_WEEKS`` of history are skipped."""
    step = pd.Timedelta(weeks=window)
    parts = []
    for k in range(max_windows):
        cutoff = last_cutoff - k * step
        if (cutoff - first_day.normalize()).days / 7.0 < MIN_WINDOW_WEEKS:
            break
        parts.append(_training_set(log, cutoff, window, model_class))
    if not parts:
        raise DataValidationError("no training window has enough history before it")
    features = pd.concat([p[0] for p in parts], ignore_index=True)
    target = pd.concat([p[1] for p in parts], ignore_index=True)
    if "country" in features:
        features["country"] = features["country"].astype("category")
    return features, target


def _with_model_features(
    features: pd.DataFrame,
    summary: pd.DataFrame,
    purchase_model: PurchaseModel,
    spend_model: GammaGamma,
    window: float,
) -> pd.DataFrame:
    rows = summary.reindex(features.index)
    frequency, recency, age = rows["frequency"], rows["recency"], rows["T"]
    features = features.copy()
    features["p_alive"] = purchase_model.probability_alive(frequency, recency, age)
    features["expected_purchases"] = purchase_model.expected_purchases(window, frequency, recency, age)
    features["expected_avg_value"] = spend_model.expected_average_value(frequency, rows["monetary_value"])
    # DuckDB's parallel sums differ in their last bits from run to run; rounding keeps LightGBM reproducible.
    numeric = features.select_dtypes("number").columns
    features[numeric] = features[numeric].round(6)
    return features


def _horizon_ratio(result: Forecast, window: float) -> pd.Series:
    """Expected purchases over the horizon / over the training window, per customer (0 when both are 0)."""
    summary = result.summary
    over_window = result.purchase_model.expected_purchases(
        window, summary["frequency"], summary["recency"], summary["T"]
    )
    over_horizon = result.probabilistic["expected_purchases"].to_numpy()
    ratio = np.divide(over_horizon, over_window, out=np.zeros_like(over_horizon), where=over_window > 0)
    return pd.Series(ratio, index=summary.index)


def _blend_weights(
    log: Transactions,
    cutoff: pd.Timestamp,
    window: float,
    model_class: type[PurchaseModel],
    inner: LearnedModel,
    actual: pd.Series,
) -> dict[str, float]:
    """NNLS weights of actual revenue in (cutoff, cutoff + window] on the two forecasts made at ``cutoff``."""
    features, probabilistic = _refitted_at(log, cutoff, window, model_class)
    learned = pd.Series(inner.predict(features), index=features.index)
    design = np.column_stack(
        [probabilistic.reindex(actual.index).fillna(0.0), learned.reindex(actual.index).fillna(0.0)]
    )
    weights, _ = nnls(design, actual.to_numpy(float))
    if not np.any(weights > 0):
        weights = np.array([1.0, 0.0])
    return {"probabilistic": float(weights[0]), "learned": float(weights[1])}
