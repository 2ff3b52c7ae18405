"""The predictions table: its documented columns and their order, and the segments added to scored rows."""

from __future__ import annotations

import pandas as pd

from clv.explain.segments import churn_bands, rfm, segment_table, value_tiers
from clv.settings import Settings

PREDICTION_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "frequency",
    "recency",
    "T",
    "monetary_value",
    "total_revenue",
    "p_alive",
    "expected_purchases",
    "expected_avg_value",
    "clv_probabilistic",
    "clv_learned",
    "clv",
    "clv_low",
    "clv_high",
    "value_tier",
    "churn_risk",
    "rfm_score",
    "rfm_segment",
    "expected_next_purchase",
)
SEGMENT_COLUMNS: tuple[str, ...] = ("value_tier", "churn_risk", "rfm_score", "rfm_segment")
SEGMENT_INPUTS: tuple[str, ...] = ("clv", "p_alive", "total_revenue", "frequency", "weeks_since_last")
FINGERPRINT_COLUMNS: tuple[str, ...] = ("customer_id", "frequency", "recency", "T", "monetary_value")


def add_segments(predictions: pd.DataFrame, settings: Settings) -> None:
    """Add the value tier, churn band and RFM score and segment (they rank every customer) to scored rows, in place
    and where the documented order puts them (before ``expected_next_purchase`` when the rows have it; inserting
    copies no other column), dropping the RFM recency input ``weeks_since_last``."""
    mean_order = predictions["total_revenue"] / (predictions["frequency"] + 1)
    scores = rfm(
        predictions.pop("weeks_since_last"),
        predictions["frequency"],
        mean_order,
        predictions["p_alive"],
        settings.churn_thresholds[0],
    )
    segments = {
        "value_tier": value_tiers(predictions["clv"], settings.tier_cutoffs).array,
        "churn_risk": churn_bands(predictions["p_alive"], settings.churn_thresholds).array,
        "rfm_score": scores["rfm_score"].array,
        "rfm_segment": scores["rfm_segment"].array,
    }
    columns = list(predictions.columns)
    position = (
        columns.index("expected_next_purchase") if "expected_next_purchase" in columns else len(columns)
    )
    for offset, (name, values) in enumerate(segments.items()):
        predictions.insert(position + offset, name, values)


def in_column_order(predictions: pd.DataFrame) -> pd.DataFrame:
    """``predictions`` with the documented columns first, in their order."""
    ordered = [c for c in PREDICTION_COLUMNS if c in predictions] + [
        c for c in predictions if c not in PREDICTION_COLUMNS
    ]
    return predictions[ordered]


def segment_tables(predictions: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {
        "value_tiers": segment_table(predictions, "value_tier"),
        "churn_risk": segment_table(predictions, "churn_risk"),
        "rfm": segment_table(predictions, "rfm_segment"),
    }
