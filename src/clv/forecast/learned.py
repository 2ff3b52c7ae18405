"""The learned CLV model: LightGBM boosted from the probabilistic forecast, with drivers.

The model predicts each customer's revenue over a window from the customer features. It does not start from zero:
its starting point (LightGBM's ``init_score``) is the probabilistic models' forecast of that same revenue (purchase
model x Gamma-Gamma), and the trees learn how far to move away from it: a factor on the log scale for the Poisson
and Tweedie objectives, an amount for squared error. Customers unlike any training example (older, or quiet for
longer, than anyone at the training cutoffs) therefore keep the probabilistic model's decay instead of a frozen tree
leaf (gradient boosting from an offset, as in a GLM; Friedman 2001).

The objective (squared error, Poisson or Tweedie) and the number of trees are chosen on a validation window by mean
Poisson deviance, a proper score for a non-negative mean that the few largest customers do not dominate as they do
RMSE. Training is deterministic (fixed seed, bounded threads). Models are saved in LightGBM's own text format, never
pickled. Each prediction is explained by LightGBM's SHAP contributions (``pred_contrib=True``) plus the starting
forecast's own share, turned into a customer's top drivers in words.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from pathlib import Path
from typing import ParamSpec, TypeVar

import lightgbm as lgb
import numpy as np
import pandas as pd

from clv.errors import DataValidationError, ModelFileError

OBJECTIVES: tuple[str, ...] = ("regression", "poisson", "tweedie")
MIN_TRAINING_ROWS = 50
MAX_ROUNDS = 300
EARLY_STOPPING_ROUNDS = 20
MIN_ROUNDS = 10
# Below this many rows one thread trains as fast as two and is not slowed down by a busy machine.
SINGLE_THREAD_ROWS = 200_000
FLOOR = 1e-9
BASE_FEATURE = "probabilistic_forecast"
FEATURE_WORDS: dict[str, str] = {
    BASE_FEATURE: "the purchase and spend models' forecast",
    "frequency": "number of repeat purchases",
    "recency_days": "time between first and last purchase",
    "tenure_days": "time as a customer",
    "days_since_last": "days since the last purchase",
    "monetary_mean": "average order value",
    "monetary_std": "variability of order values",
    "monetary_max": "largest order",
    "total_revenue": "total spend so far",
    "first_order_value": "first order value",
    "gap_mean_days": "usual time between purchases",
    "gap_std_days": "regularity of purchases",
    "revenue_trend": "spending trend (recent vs earlier)",
    "distinct_products": "number of different products bought",
    "mean_basket_quantity": "items per order",
    "country": "country",
    "p_alive": "probability of still being active",
    "expected_purchases": "expected number of purchases",
    "expected_avg_value": "expected order value",
}
for _window in (30, 90, 180, 365):
    FEATURE_WORDS[f"orders_{_window}d"] = f"purchases in the last {_window} days"
    FEATURE_WORDS[f"revenue_{_window}d"] = f"spend in the last {_window} days"


@dataclass
class TrainingSet:
    """Customer-windows: features at a cutoff, the revenue in the window after it (currency), and the
    probabilistic models' forecast of that revenue made at the cutoff (the learned model's starting point)."""

    features: pd.DataFrame
    target: pd.Series
    base: np.ndarray

    def __len__(self) -> int:
        return len(self.features)


def poisson_deviance(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Mean Poisson deviance ``2 * mean(y log(y / mu) - (y - mu))`` of non-negative predictions ``mu``."""
    y = np.asarray(actual, dtype="float64")
    mu = np.maximum(np.asarray(predicted, dtype="float64"), FLOOR)
    log_ratio = np.log(np.where(y > 0, y, 1.0) / mu)
    return float(2.0 * np.mean(np.where(y > 0, y * log_ratio, 0.0) - (y - mu)))


def _params(objective: str, seed: int, rows: int) -> dict[str, object]:
    params: dict[str, object] = {
        "objective": objective,
        "learning_rate": 0.05,
        "num_leaves": 15,
        "min_data_in_leaf": 40,
        "feature_fraction": 0.9,
        "bagging_fraction": 0.9,
        "bagging_freq": 1,
        "lambda_l2": 1.0,
        "seed": seed,
        "deterministic": True,
        "force_row_wise": True,
        "num_threads": 1 if rows < SINGLE_THREAD_ROWS else 2,
        "verbosity": -1,
    }
    if objective == "tweedie":
        params["tweedie_variance_power"] = 1.3
    return params


def _init_score(objective: str, base: np.ndarray) -> np.ndarray:
    """The starting raw score: the forecast itself for squared error, its log for the log-link objectives."""
    base = np.asarray(base, dtype="float64")
    return base if objective == "regression" else np.log(np.maximum(base, FLOOR))


def _from_raw(objective: str, raw: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Revenue from the trees' raw score and the starting forecast, never negative."""
    start = _init_score(objective, base)
    return np.maximum(raw + start, 0.0) if objective == "regression" else np.exp(raw + start)


P = ParamSpec("P")
R = TypeVar("R")
# LightGBM is not safe to call from two threads at once: it sets OpenMP's thread count for the whole process, and
# training on one thread while another predicted crashed the interpreter (a run's backtest thread). Every call into
# LightGBM holds this lock; DuckDB queries and model fits still overlap.
_LIGHTGBM_LOCK = threading.RLock()


def one_lightgbm_call_at_a_time(function: Callable[P, R]) -> Callable[P, R]:
    """Run ``function`` holding the process-wide LightGBM lock."""

    @wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with _LIGHTGBM_LOCK:
            return function(*args, **kwargs)

    return wrapper


@dataclass
class LearnedModel:
    """A fitted LightGBM booster, its objective, feature names, the validation scores of the objectives, and the
    mean starting score of its training rows (the reference of the starting forecast's contribution; None for a
    model read from text, whose contributions are then relative to the explained customers' mean)."""

    booster: lgb.Booster
    objective: str
    features: list[str]
    validation: dict[str, float] = field(default_factory=dict)
    base_reference: float | None = None

    @one_lightgbm_call_at_a_time
    def predict(self, features: pd.DataFrame, base: np.ndarray) -> np.ndarray:
        """Predicted revenue over the training window's length (currency), given the probabilistic ``base``
        forecast of that revenue for the same customers."""
        raw = self.booster.predict(features[self.features], raw_score=True)
        return _from_raw(self.objective, np.asarray(raw), base)

    @one_lightgbm_call_at_a_time
    def contributions(self, features: pd.DataFrame, base: np.ndarray) -> pd.DataFrame:
        """Each feature's contribution to each customer's raw score (log scale for Poisson/Tweedie, currency for
        squared error): LightGBM's SHAP values, plus ``probabilistic_forecast``, the starting forecast's
        distance from the training rows' mean (so a customer's contributions do not depend on who else is
        explained)."""
        # Rows are explained independently (the same values on any number of threads); no other LightGBM work runs
        # meanwhile (the lock), so use every core.
        values = np.asarray(
            self.booster.predict(features[self.features], pred_contrib=True, num_threads=os.cpu_count() or 1)
        )
        frame = pd.DataFrame(values[:, :-1], index=features.index, columns=self.features)
        start = _init_score(self.objective, base)
        reference = self.base_reference if self.base_reference is not None else start.mean()
        frame.insert(0, BASE_FEATURE, start - reference)
        return frame

    @one_lightgbm_call_at_a_time
    def save(self, path: str | Path) -> None:
        """Write the booster in LightGBM's text format (the objective and features travel inside it)."""
        self.booster.save_model(str(path))

    @one_lightgbm_call_at_a_time
    def to_text(self) -> str:
        """The booster in LightGBM's text format, as :meth:`save` writes it."""
        return str(self.booster.model_to_string())

    @classmethod
    @one_lightgbm_call_at_a_time
    def load(cls, path: str | Path) -> LearnedModel:
        """Read a booster written by :meth:`save`."""
        try:
            return cls._of(lgb.Booster(model_file=str(path)))
        except lgb.basic.LightGBMError as error:
            raise ModelFileError(f"{path} is not a LightGBM text model: {error}") from error

    @classmethod
    @one_lightgbm_call_at_a_time
    def from_text(cls, text: str) -> LearnedModel:
        """The model from :meth:`to_text` output."""
        try:
            return cls._of(lgb.Booster(model_str=text))
        except lgb.basic.LightGBMError as error:
            raise ModelFileError(f"not a LightGBM text model: {error}") from error

    @classmethod
    def _of(cls, booster: lgb.Booster) -> LearnedModel:
        objective = str(booster.params.get("objective", "regression"))
        return cls(booster=booster, objective=objective, features=list(booster.feature_name()))


@dataclass
class ObjectiveChoice:
    """The objective with the lowest validation deviance, its number of trees, every objective's score, and the
    chosen model (trained on the earlier windows) with its predictions for the validation rows."""

    objective: str
    rounds: int
    scores: dict[str, float]
    model: LearnedModel
    validation_prediction: np.ndarray


def choose_objective(data: TrainingSet, validation: TrainingSet, seed: int = 0) -> ObjectiveChoice:
    """Train each objective on ``data`` with early stopping on ``validation`` (mean Poisson deviance) and keep the
    best; its number of trees is the early-stopping optimum (at least ``MIN_ROUNDS``)."""
    _check_rows(data)
    names = list(data.features.columns)
    fitted: dict[str, tuple[lgb.Booster, int, np.ndarray]] = {}
    scores: dict[str, float] = {}
    # Binned once for all objectives; only the starting scores change between them.
    with _LIGHTGBM_LOCK:
        train_set = lgb.Dataset(
            data.features,
            data.target.to_numpy(float),
            params=_params(OBJECTIVES[0], seed, len(data)),
            free_raw_data=False,
        ).construct()
        valid_set = lgb.Dataset(
            validation.features[names],
            validation.target.to_numpy(float),
            reference=train_set,
            free_raw_data=False,
        ).construct()
    for objective in OBJECTIVES:
        with _LIGHTGBM_LOCK:  # one objective at a time, so another thread's LightGBM work can come in between
            train_set.set_init_score(_init_score(objective, data.base))
            valid_set.set_init_score(_init_score(objective, validation.base))
            booster = lgb.train(
                {**_params(objective, seed, len(data)), "metric": "poisson"},
                train_set,
                num_boost_round=MAX_ROUNDS,
                valid_sets=[valid_set],
                callbacks=[lgb.early_stopping(EARLY_STOPPING_ROUNDS, verbose=False)],
            )
            rounds = max(int(booster.best_iteration or MAX_ROUNDS), MIN_ROUNDS)
            raw = booster.predict(validation.features[names], num_iteration=rounds, raw_score=True)
        prediction = _from_raw(objective, np.asarray(raw), validation.base)
        scores[objective] = poisson_deviance(validation.target.to_numpy(float), prediction)
        fitted[objective] = (booster, rounds, prediction)
    chosen = min(scores, key=lambda name: scores[name])
    booster, rounds, prediction = fitted[chosen]
    model = LearnedModel(booster=booster, objective=chosen, features=names, validation=scores)
    return ObjectiveChoice(chosen, rounds, scores, model, prediction)


@one_lightgbm_call_at_a_time
def train(data: TrainingSet, objective: str, rounds: int, seed: int = 0) -> LearnedModel:
    """Fit LightGBM with ``objective`` for ``rounds`` trees, starting from ``data.base``."""
    _check_rows(data)
    booster = lgb.train(
        _params(objective, seed, len(data)),
        lgb.Dataset(data.features, data.target.to_numpy(float), init_score=_init_score(objective, data.base)),
        num_boost_round=rounds,
    )
    start = _init_score(objective, data.base)
    return LearnedModel(
        booster=booster,
        objective=objective,
        features=list(data.features.columns),
        base_reference=float(start.mean()),
    )


def _check_rows(data: TrainingSet) -> None:
    if len(data) < MIN_TRAINING_ROWS:
        raise DataValidationError(
            f"only {len(data)} customers to train the learned model on; it needs at least {MIN_TRAINING_ROWS}"
        )


def global_importance(mean_absolute: pd.Series) -> pd.DataFrame:
    """The features by their mean absolute contribution over the customers (``mean_absolute``, indexed by
    feature), largest first, each described in words."""
    importance = mean_absolute.sort_values(ascending=False)
    return pd.DataFrame(
        {
            "feature": importance.index,
            "description": [FEATURE_WORDS.get(name, name) for name in importance.index],
            "mean_abs_contribution": importance.to_numpy(),
        }
    )


def top_drivers(contributions: pd.DataFrame, n: int = 3) -> pd.Series:
    """Each customer's ``n`` strongest drivers in words, strongest first, e.g. "spend in the last 90 days (raises);
    days since the last purchase (lowers)": whether the feature raises or lowers this customer's prediction."""
    values = contributions.to_numpy()
    order = np.argsort(-np.abs(values), axis=1, kind="stable")[:, :n]
    picked = np.take_along_axis(values, order, axis=1)
    names = np.asarray([FEATURE_WORDS.get(c, c) for c in contributions.columns], dtype=object)
    parts = names[order] + np.where(picked >= 0, " (raises)", " (lowers)").astype(object)
    # Ordered by size, so once a contribution is zero every later one is too.
    texts = np.full(len(values), "", dtype=object)
    for column in range(order.shape[1]):
        shown = np.abs(picked[:, column]) > 1e-12
        separator = np.where(texts == "", "", "; ").astype(object)
        texts = np.where(shown, texts + separator + parts[:, column], texts)
    # Few distinct texts: keep one string object per text, not one per customer.
    codes, distinct = pd.factorize(texts)
    return pd.Series(np.asarray(distinct, dtype=object)[codes], index=contributions.index, name="drivers")
