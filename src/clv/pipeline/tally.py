"""Scoring every customer a part at a time, and the sums over the parts a run reports (totals, the total's interval,
feature importance, a fingerprint of the customers)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import numpy as np
import pandas as pd

from clv.config import release_freed_memory
from clv.data.transactions import Transactions
from clv.forecast.learned import global_importance
from clv.forecast.scoring import ScoredPart, customer_parts, process_variance, score_part, total_value
from clv.models.predictive import predictive_interval
from clv.pipeline.fitting import Fitted
from clv.pipeline.progress import Progress
from clv.settings import Settings

FINGERPRINT_COLUMNS: tuple[str, ...] = ("customer_id", "frequency", "recency", "T", "monetary_value")
PROCESS_CUSTOMERS = 20_000
"""About this many customers, at random, estimate the randomness of purchases and spend in the predictive interval
of the total (all of them in smaller runs)."""


def process_share(customers: int) -> float:
    """The share of ``customers`` whose purchases and spend are drawn for the total's predictive interval."""
    return min(1.0, PROCESS_CUSTOMERS / max(customers, 1))


def scored_parts(
    log: Transactions, fitted: Fitted, settings: Settings, report: Progress, drivers: bool
) -> Iterator[ScoredPart]:
    """Every customer scored (:func:`clv.forecast.scoring.score_part`), a part at a time, with progress; what a part freed is
    returned to the system before the next (so the parts' scratch memory does not pile up)."""
    with_features = fitted.fit is not None or log.has("country")
    done = 0
    for summary, features in customer_parts(log, fitted.end, with_features, fitted.customers):
        yield score_part(
            summary,
            features,
            fitted.end,
            settings,
            (fitted.purchase_model, fitted.spend_model),
            fitted.fit,
            drivers,
            process_share(fitted.customers),
        )
        done += len(summary)
        del summary, features
        release_freed_memory()
        report(
            f"Valuing customers over the horizon: {done:,} of {fitted.customers:,}",
            0.55 + 0.15 * done / fitted.customers,
        )


class Tally:
    """Sums over scored parts: customers, blended and probabilistic totals, weighted gradients of the total's
    interval, the customers' variances of their value (for the predictive interval), absolute SHAP contributions, and a fingerprint of the customers' statistics."""

    def __init__(self) -> None:
        self.customers = 0
        self._blended = 0.0
        self._probabilistic = 0.0
        self._gradients: np.ndarray | float = 0.0
        self._process_rows: list[pd.DataFrame] = []
        self._predictive: tuple[float, float] | None = None
        self._contributions: pd.Series | None = None
        self._digests = {column: hashlib.sha256() for column in FINGERPRINT_COLUMNS}

    def add(self, part: ScoredPart) -> None:
        """Count ``part`` in."""
        rows = part.predictions
        self.customers += len(rows)
        self._blended += float(rows["clv"].sum())
        self._probabilistic += float(rows["clv_probabilistic"].sum())
        self._gradients = self._gradients + part.gradients.sum(axis=0)
        self._process_rows += [part.process_rows] if part.process_rows is not None else []
        if part.contribution_sums is not None:
            previous = self._contributions
            self._contributions = (
                part.contribution_sums
                if previous is None
                else previous.add(part.contribution_sums, fill_value=0.0)
            )
        for column, digest in self._digests.items():
            digest.update(pd.util.hash_pandas_object(rows[column], index=False).to_numpy().tobytes())

    def total(self, fitted: Fitted, settings: Settings) -> tuple[float, float, float]:
        """The blended total with its interval (:func:`clv.forecast.scoring.total_value`)."""
        return total_value(
            self._blended,
            self._probabilistic,
            np.asarray(self._gradients, dtype=float),
            (fitted.purchase_model, fitted.spend_model),
            settings.interval,
        )

    def predictive(self, fitted: Fitted, settings: Settings) -> tuple[float, float]:
        """The predictive interval of the blended total (:func:`clv.models.predictive.predictive_interval`): the
        parameters' uncertainty plus the randomness of purchases and spend, scaled like the total; computed once,
        when every part is in."""
        if self._predictive is not None:
            return self._predictive
        blended, low, high = self.total(fitted, settings)
        scale = blended / self._probabilistic if self._probabilistic > 0 else 1.0
        rows = pd.concat(self._process_rows, ignore_index=True) if self._process_rows else pd.DataFrame()
        variance = process_variance(rows, (fitted.purchase_model, fitted.spend_model), settings)
        self._predictive = predictive_interval(blended, (low, high), scale**2 * variance, settings.interval)
        return self._predictive

    def importance(self) -> pd.DataFrame | None:
        """The features by mean absolute contribution (None without contributions)."""
        if self._contributions is None:
            return None
        return global_importance(self._contributions / max(self.customers, 1))

    @property
    def fingerprint(self) -> str:
        """A short hash of every customer's id, frequency, recency, T and monetary value, in customer order (the
        same however the customers were divided into parts)."""
        combined = hashlib.sha256(b"".join(digest.digest() for digest in self._digests.values()))
        return combined.hexdigest()[:16]
