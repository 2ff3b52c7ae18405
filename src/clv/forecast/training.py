"""The learned model for a cutoff: trained on stacked past windows of the history, validated one window earlier,
blended with the probabilistic forecast by non-negative least squares, and applied customer by customer
(:mod:`clv.forecast.ensemble` describes the method)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import nnls

from clv.errors import ConvergenceError, DataValidationError
from clv.forecast.history import History
from clv.forecast.learned import LearnedModel, TrainingSet, choose_objective, train
from clv.forecast.probabilistic import Forecast, expected_revenue, model_name_of
from clv.models import GammaGamma, PurchaseModel

MIN_WINDOW_WEEKS = 4.0
MIN_LEARNING_CUSTOMERS = 200
STACKED_WINDOWS = 3


@dataclass
class LearnedFit:
    """The learned model trained for a cutoff: its target window (weeks), the blend weights, the cutoffs of its
    training windows (latest first) and notes on how it was trained and blended."""

    model: LearnedModel
    window_weeks: float
    weights: dict[str, float]
    training_cutoffs: list[pd.Timestamp]
    notes: list[str]


def train_learned(
    history: History,
    cutoff: pd.Timestamp,
    horizon_weeks: float,
    models: tuple[PurchaseModel, GammaGamma],
    customers: pd.DataFrame,
    seed: int,
    notes: list[str],
) -> LearnedFit | None:
    """Train the learned model for ``cutoff`` on the windows of ``history`` before it, and the blend weights (module
    docstring, steps 2 and 3). ``models`` are the purchase and spend models chosen at the cutoff and ``customers``
    the summary there (in weeks; or its distinct rows): the learned model is only trained when their forecast over
    the window, its starting point, is finite for every customer. Returns None, with the reason in ``notes``, when
    the history is too short, too few customers are in a window or a forecast is not finite."""
    purchase_model, spend_model = models
    model_name = model_name_of(purchase_model)
    history_weeks = history.weeks_before(cutoff)
    window = float(np.floor(min(horizon_weeks, history_weeks / 3.0)))
    if window < MIN_WINDOW_WEEKS:
        notes.append(
            f"learned model skipped: {history_weeks:.0f} weeks of history leave no target window of at least "
            f"{MIN_WINDOW_WEEKS:.0f} weeks before the cutoff"
        )
        return None
    step = pd.Timedelta(weeks=window)
    cutoffs = [
        cutoff - k * step
        for k in range(1, STACKED_WINDOWS + 2)
        if history.weeks_before(cutoff - k * step) >= MIN_WINDOW_WEEKS
    ]
    try:
        sets = [_training_set(history, earlier, window, model_name) for earlier in cutoffs]
    except (DataValidationError, ConvergenceError) as error:
        notes.append(f"learned model skipped: {error}")
        return None
    if len(sets) < 2 or min(len(sets[0]), len(sets[1])) < MIN_LEARNING_CUSTOMERS:
        notes.append(
            f"learned model skipped: fewer than two training windows of {window:.0f} weeks with at least "
            f"{MIN_LEARNING_CUSTOMERS} customers before the cutoff"
        )
        return None
    base = expected_revenue(purchase_model, spend_model, customers, window)["clv"]
    if not np.isfinite(base.to_numpy()).all():
        notes.append(
            f"learned model skipped: the {model_name} forecast over {window:.0f} weeks is not finite"
        )
        return None
    validation = sets[0]
    choice = choose_objective(_stack(sets[1 : STACKED_WINDOWS + 1]), validation, seed=seed)
    recent = _stack(sets[:STACKED_WINDOWS])
    final = train(recent, choice.objective, choice.rounds, seed=seed)
    final.validation = choice.scores
    weights = _blend_weights(validation, choice.validation_prediction)
    used = cutoffs[: min(len(cutoffs), STACKED_WINDOWS)]
    return LearnedFit(
        model=final,
        window_weeks=window,
        weights=weights,
        training_cutoffs=used,
        notes=[
            f"learned model: LightGBM boosted from the {model_name} x Gamma-Gamma forecast ({final.objective}, "
            f"{choice.rounds} trees, chosen by validation Poisson deviance among "
            f"{', '.join(f'{k} {v:,.3f}' for k, v in choice.scores.items())} on the window ending "
            f"{cutoff.date()}), trained on {len(recent):,} customer-windows (features at "
            f"{', '.join(str(c.date()) for c in used)} against revenue in the next {window:.0f} weeks), carried "
            f"to {horizon_weeks:.1f} weeks with the {purchase_model.model_type} expected-purchase curve",
            f"blend weights (non-negative least squares on the window ending {cutoff.date()}): "
            f"probabilistic {weights['probabilistic']:.3f}, learned {weights['learned']:.3f}",
        ],
    )


def apply_learned(result: Forecast, fit: LearnedFit, features: pd.DataFrame) -> None:
    """Set ``result``'s learned forecast: ``fit`` applied to ``features`` (:func:`clv.forecast.features.feature_table` at the
    cutoff for the customers of ``result``), starting from ``result``'s models' forecast over the window, and
    carried from the window to the horizon customer by customer. Every row depends on its customer alone, so the
    Spark engine's executors apply it to parts of the customers."""
    current, base = _learned_inputs(
        features, result.summary, result.purchase_model, result.spend_model, fit.window_weeks
    )
    per_window = pd.Series(fit.model.predict(current, base), index=current.index)
    ratio = _horizon_ratio(result, fit.window_weeks).reindex(current.index).fillna(0.0)
    result.learned = (per_window * ratio).reindex(result.probabilistic.index).fillna(0.0).rename("learned")
    result.learned_fit = fit
    result.features = current
    result.learned_base = base
    result.notes.extend(fit.notes)


def _training_set(history: History, cutoff: pd.Timestamp, window: float, model_name: str) -> TrainingSet:
    """Features at ``cutoff``, revenue in the next ``window`` weeks, and the probabilistic forecast of it made at
    ``cutoff`` (the purchase and spend models refitted there)."""
    features, base = _learned_inputs(
        history.features(cutoff),
        history.summary(cutoff),
        history.purchase_model(cutoff, model_name),
        history.spend_model(cutoff)[0],
        window,
    )
    if not np.isfinite(base).all():
        raise ConvergenceError(f"the {model_name} forecast at {cutoff.date()} is not a finite number")
    target = history.revenue(cutoff, cutoff + pd.Timedelta(weeks=window)).reindex(features.index).fillna(0.0)
    return TrainingSet(features, target, base)


def _learned_inputs(
    features: pd.DataFrame,
    summary: pd.DataFrame,
    purchase_model: PurchaseModel,
    spend_model: GammaGamma,
    window: float,
) -> tuple[pd.DataFrame, np.ndarray]:
    """The learned model's inputs at a cutoff: ``features`` (the feature table there) with the purchase and spend
    models' P(alive), expected purchases over ``window`` weeks and expected spend per purchase; and those models'
    revenue forecast over the window (its starting point) for the same customers, in the same order."""
    rows = summary.reindex(features.index)
    frequency, recency, age = rows["frequency"], rows["recency"], rows["T"]
    features = features.copy()
    features["p_alive"] = purchase_model.probability_alive(frequency, recency, age)
    features["expected_purchases"] = purchase_model.expected_purchases(window, frequency, recency, age)
    features["expected_avg_value"] = spend_model.expected_average_value(frequency, rows["monetary_value"])
    # DuckDB's parallel sums differ in their last bits from run to run; rounding keeps LightGBM reproducible.
    numeric = features.select_dtypes("number").columns
    features[numeric] = features[numeric].round(6)
    base = expected_revenue(purchase_model, spend_model, summary, window)["clv"]
    return features, base.reindex(features.index).to_numpy()


def _stack(sets: list[TrainingSet]) -> TrainingSet:
    features = pd.concat([s.features for s in sets], ignore_index=True)
    if "country" in features:
        features["country"] = features["country"].astype("category")
    target = pd.concat([s.target for s in sets], ignore_index=True)
    return TrainingSet(features, target, np.concatenate([s.base for s in sets]))


def _horizon_ratio(result: Forecast, window: float) -> pd.Series:
    """Expected purchases over the horizon / over the training window, per customer (0 when both are 0)."""
    summary = result.summary
    over_window = result.purchase_model.expected_purchases(
        window, summary["frequency"], summary["recency"], summary["T"]
    )
    over_horizon = result.probabilistic["expected_purchases"].to_numpy()
    ratio = np.divide(over_horizon, over_window, out=np.zeros_like(over_horizon), where=over_window > 0)
    return pd.Series(ratio, index=summary.index)


def _blend_weights(validation: TrainingSet, learned: np.ndarray) -> dict[str, float]:
    """NNLS weights of the validation window's actual revenue on its probabilistic and learned forecasts."""
    design = np.column_stack([validation.base, learned])
    weights, _ = nnls(design, validation.target.to_numpy(float))
    if not np.any(weights > 0):
        weights = np.array([1.0, 0.0])
    return {"probabilistic": float(weights[0]), "learned": float(weights[1])}
