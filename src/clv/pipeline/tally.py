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
from clv.forecast.scoring import ScoredPart, customer_parts, score_part, total_value
from clv.pipeline.fitting import Fitted
from clv.pipeline.progress import Progress
from clv.settings import Settings

FINGERPRINT_COLUMNS: tuple[str, ...] = ("customer_id", "frequency", "recency", "T", "monetary_value")


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
    interval, absolute SHAP contributions, and a fingerprint of the customers' statistics."""

    def __init__(self) -> None:
        self.customers = 0
        self._blended = 0.0
        self._probabilistic = 0.0
        self._gradients: np.ndarray | float = 0.0
        self._contributions: pd.Series | None = None
        self._digests = {column: hashlib.sha256() for column in FINGERPRINT_COLUMNS}

    def add(self, part: ScoredPart) -> None:
        """Count ``part`` in."""
        rows = part.predictions
        self.customers += len(rows)
        self._blended += float(rows["clv"].sum())
        self._probabilistic += float(rows["clv_probabilistic"].sum())
        self._gradients = self._gradients + part.gradients.sum(axis=0)
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
