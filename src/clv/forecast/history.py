"""One transaction log's per-cutoff work, each piece computed once (summaries, fitted models, feature tables,
revenue windows), so the learned model's stacked windows, its validation window, the blend and the backtest share them."""

from __future__ import annotations

import pandas as pd

from clv.data.summary import summarize
from clv.data.transactions import Transactions
from clv.forecast.features import feature_table, revenue_between
from clv.forecast.probabilistic import spend_model_of
from clv.models import GammaGamma, PurchaseModel, compare_models
from clv.models.compare import PURCHASE_MODELS, ModelComparison

TIME_UNIT = "W"
"""The forecasting layer's time unit: every summary, horizon and window inside it is in weeks."""


def day_of(cutoff: pd.Timestamp | str) -> pd.Timestamp:
    return pd.Timestamp(cutoff).normalize()


class History:
    """One transaction log's per-cutoff work, each piece computed once: the weekly summary, the fitted purchase
    and spend models, the feature table, and revenue between two days."""

    def __init__(self, log: Transactions) -> None:
        self.log = log
        self.first_day = log.date_range()[0].normalize()
        self._summaries: dict[pd.Timestamp, pd.DataFrame] = {}
        self._purchase_models: dict[tuple[pd.Timestamp, str], PurchaseModel] = {}
        self._spend_models: dict[pd.Timestamp, tuple[GammaGamma, int]] = {}
        self._features: dict[pd.Timestamp, pd.DataFrame] = {}
        self._revenue: dict[tuple[pd.Timestamp, pd.Timestamp], pd.Series] = {}

    def weeks_before(self, cutoff: pd.Timestamp) -> float:
        """Weeks of history from the first transaction day to ``cutoff``."""
        return (day_of(cutoff) - self.first_day).days / 7.0

    def summary(self, cutoff: pd.Timestamp) -> pd.DataFrame:
        """The customer summary at ``cutoff`` in weeks, indexed by customer_id (the column is kept)."""
        day = day_of(cutoff)
        if day not in self._summaries:
            summary = summarize(self.log, day, time_unit=TIME_UNIT)
            self._summaries[day] = summary.set_index("customer_id", drop=False)
        return self._summaries[day]

    def compare(self, cutoff: pd.Timestamp, candidates: tuple[str, ...]) -> ModelComparison:
        """Fit every candidate purchase model at ``cutoff`` (kept for later use) and compare them by BIC."""
        comparison = compare_models(self.summary(cutoff), candidates)
        for name, model in comparison.models.items():
            self._purchase_models[(day_of(cutoff), name)] = model
        return comparison

    def purchase_model(self, cutoff: pd.Timestamp, name: str) -> PurchaseModel:
        """Purchase model ``name`` fitted on the summary at ``cutoff``."""
        key = (day_of(cutoff), name)
        if key not in self._purchase_models:
            self._purchase_models[key] = PURCHASE_MODELS[name]().fit(self.summary(cutoff))
        return self._purchase_models[key]

    def spend_model(self, cutoff: pd.Timestamp) -> tuple[GammaGamma, int]:
        """Gamma-Gamma at ``cutoff`` on the repeat buyers with positive mean spend, and how many repeat buyers
        were left out for spending nothing."""
        day = day_of(cutoff)
        if day not in self._spend_models:
            self._spend_models[day] = spend_model_of(self.summary(day))
        return self._spend_models[day]

    def features(self, cutoff: pd.Timestamp) -> pd.DataFrame:
        """The DuckDB feature table at ``cutoff`` (:func:`clv.forecast.features.feature_table`)."""
        day = day_of(cutoff)
        if day not in self._features:
            self._features[day] = feature_table(self.log, day)
        return self._features[day]

    def revenue(self, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
        """Each customer's revenue on the days in ``(start, end]``."""
        key = (day_of(start), day_of(end))
        if key not in self._revenue:
            self._revenue[key] = revenue_between(self.log, *key)
        return self._revenue[key]
