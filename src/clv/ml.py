"""The learned CLV model: a LightGBM regressor of future revenue on the customer features, with drivers.

The objective (squared error, Poisson or Tweedie) is chosen on a validation window; training is deterministic
(fixed seed, at most two threads). Models are saved in LightGBM's own text format, never pickled. Each prediction is
explained by LightGBM's SHAP contributions (``pred_contrib=True``), turned into a customer's top drivers in words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd

from clv.errors import DataValidationError, ModelFileError

OBJECTIVES: tuple[str, ...] = ("regression", "poisson", "tweedie")
MIN_TRAINING_ROWS = 50
FEATURE_WORDS: dict[str, str] = {
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


def _params(objective: str, seed: int) -> dict[str, object]:
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
        "num_threads": 2,
        "verbosity": -1,
    }
    if objective == "tweedie":
        params["tweedie_variance_power"] = 1.3
    return params


@dataclass
class LearnedModel:
    """A fitted LightGBM booster, its objective, feature names and the words for its drivers."""

    booster: lgb.Booster
    objective: str
    features: list[str]
    validation: dict[str, float] = field(default_factory=dict)

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """Predicted revenue over the training window's length (currency), never negative."""
        return np.maximum(self.booster.predict(features[self.features]), 0.0)

    def contributions(self, features: pd.DataFrame) -> pd.DataFrame:
        """SHAP contributions per customer and feature (currency units for L2; log scale for Poisson/Tweedie)."""
        values = np.asarray(self.booster.predict(features[self.features], pred_contrib=True))
        return pd.DataFrame(values[:, :-1], index=features.index, columns=self.features)

    def save(self, path: str | Path) -> None:
        """Write the booster in LightGBM's text format (the objective and features travel inside it)."""
        self.booster.save_model(str(path))

    @classmethod
    def load(cls, path: str | Path) -> LearnedModel:
        """Read a booster written by :meth:`save`."""
        try:
            booster = lgb.Booster(model_file=str(path))
        except lgb.basic.LightGBMError as error:
            raise ModelFileError(f"{path} is not a LightGBM text model: {error}") from error
        objective = str(booster.params.get("objective", "regression"))
        return cls(booster=booster, objective=objective, features=list(booster.feature_name()))


def train(
    features: pd.DataFrame,
    target: pd.Series,
    validation: tuple[pd.DataFrame, pd.Series] | None = None,
    objective: str | None = None,
    seed: int = 0,
    rounds: int = 300,
) -> LearnedModel:
    """Fit LightGBM on ``features`` -> ``target`` (revenue, >= 0).

    With ``validation`` and no ``objective``, each of squared error, Poisson and Tweedie is trained with early stopping
    on the validation rows, and the one with the lowest validation RMSE wins; the winner is then refitted on all rows
    with its best number of rounds.
    """
    if len(features) < MIN_TRAINING_ROWS:
        raise DataValidationError(
            f"only {len(features)} customers to train the learned model on; it needs at least {MIN_TRAINING_ROWS}"
        )
    names = list(features.columns)
    scores: dict[str, float] = {}
    best_rounds: dict[str, int] = {}
    candidates = [objective] if objective else list(OBJECTIVES)
    if validation is not None and len(candidates) > 1:
        valid_x, valid_y = validation
        for candidate in candidates:
            train_set = lgb.Dataset(features, target.to_numpy(float), free_raw_data=False)
            valid_set = lgb.Dataset(valid_x[names], valid_y.to_numpy(float), reference=train_set)
            booster = lgb.train(
                {**_params(candidate, seed), "metric": "rmse"},
                train_set,
                num_boost_round=rounds,
                valid_sets=[valid_set],
                callbacks=[lgb.early_stopping(30, verbose=False)],
            )
            prediction = np.maximum(
                booster.predict(valid_x[names], num_iteration=booster.best_iteration), 0.0
            )
            scores[candidate] = float(np.sqrt(np.mean((prediction - valid_y.to_numpy(float)) ** 2)))
            best_rounds[candidate] = max(int(booster.best_iteration or rounds), 20)
        chosen = min(scores, key=lambda name: scores[name])
    else:
        chosen = candidates[0]
        best_rounds[chosen] = rounds // 2
    booster = lgb.train(
        _params(chosen, seed),
        lgb.Dataset(features, target.to_numpy(float)),
        num_boost_round=best_rounds[chosen],
    )
    return LearnedModel(booster=booster, objective=chosen, features=names, validation=scores)


def global_importance(contributions: pd.DataFrame) -> pd.DataFrame:
    """Mean absolute SHAP contribution per feature, largest first, with the feature described in words."""
    importance = contributions.abs().mean().sort_values(ascending=False)
    return pd.DataFrame(
        {
            "feature": importance.index,
            "description": [FEATURE_WORDS.get(name, name) for name in importance.index],
            "mean_abs_contribution": importance.to_numpy(),
        }
    )


def top_drivers(contributions: pd.DataFrame, n: int = 3) -> pd.Series:
    """Each customer's ``n`` strongest drivers in words, e.g. "+ spend in the last 90 days; - days since the last
    purchase" (+ raises the prediction, - lowers it)."""
    values = contributions.to_numpy()
    order = np.argsort(-np.abs(values), axis=1)[:, :n]
    names = np.asarray([FEATURE_WORDS.get(c, c) for c in contributions.columns])
    texts = []
    for row, columns in zip(values, order, strict=True):
        parts = [f"{'+' if row[c] >= 0 else '-'} {names[c]}" for c in columns if abs(row[c]) > 1e-12]
        texts.append("; ".join(parts))
    return pd.Series(texts, index=contributions.index, name="drivers")
