"""clv.run end to end on CDNOW master, customer-level input, edge cases, and save/load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import clv
from clv.data import load_customer_summary
from clv.errors import DataValidationError
from clv.pipeline import PREDICTION_COLUMNS
from tests.shared import SHARED_DATA

SHARED = SHARED_DATA


def test_predictions_table_has_the_documented_columns(cdnow_run: clv.Results) -> None:
    predictions = cdnow_run.predictions
    assert list(predictions.columns[: len(PREDICTION_COLUMNS)]) == list(PREDICTION_COLUMNS)
    assert len(predictions) == 23_570
    assert predictions["customer_id"].is_unique
    numeric = predictions[["p_alive", "clv", "clv_low", "clv_high", "expected_purchases"]]
    assert np.isfinite(numeric.to_numpy()).all()
    assert (predictions["clv_low"] <= predictions["clv"]).all() and (
        predictions["clv"] <= predictions["clv_high"]
    ).all()
    assert predictions["p_alive"].between(0, 1).all()
    assert (predictions["expected_next_purchase"] > pd.Timestamp("1998-06-30")).all()
    low, high = cdnow_run.total[1], cdnow_run.total[2]
    assert low < predictions["clv"].sum() < high


def test_run_reports_model_choice_backtest_segments_and_insights(cdnow_run: clv.Results) -> None:
    metadata = cdnow_run.metadata
    assert metadata["purchase_model"] in {"BG/NBD", "Pareto/NBD", "MBG/NBD"}
    assert any("lowest BIC" in note for note in metadata["notes"])
    assert any("carried to" in note for note in metadata["notes"])
    assert "ensemble" in cdnow_run.metrics.index
    assert set(cdnow_run.segments) == {"value_tiers", "churn_risk", "rfm"}
    tiers = cdnow_run.segments["value_tiers"]
    assert list(tiers["segment"]) == ["Top 1%", "Top 5%", "Top 20%", "Top 50%", "Rest"]
    assert tiers["predicted_value_share"].sum() == pytest.approx(1.0)
    assert tiers["recommended_action"].str.len().min() > 10
    assert len(cdnow_run.insights) >= 4
    assert cdnow_run.drivers["importance"]["mean_abs_contribution"].is_monotonic_decreasing


def test_discounting_and_margin_scale_the_value(
    cdnow_master_log: clv.data.Transactions, cdnow_run: clv.Results
) -> None:
    settings = clv.Settings(horizon=12, time_unit="M", margin=0.3, annual_discount_rate=0.1, backtest=False)
    discounted = clv.run(cdnow_master_log, settings)
    ratio = discounted.predictions["clv"].sum() / cdnow_run.predictions["clv"].sum()
    assert 0.3 * 0.9 < ratio < 0.3


def test_save_and_load_round_trip(cdnow_run: clv.Results, tmp_path: Path) -> None:
    folder = cdnow_run.save(tmp_path / "run")
    assert not list(folder.rglob("*.pkl")) and (folder / "learned_model.txt").exists()
    loaded = clv.Results.load(folder)
    pd.testing.assert_frame_equal(
        loaded.predictions, cdnow_run.predictions, check_dtype=False, check_categorical=False
    )
    pd.testing.assert_frame_equal(loaded.metrics, cdnow_run.metrics, check_names=False)
    assert loaded.learned_model is not None
    features = cdnow_run.learned_model.features  # type: ignore[union-attr]
    assert loaded.learned_model.features == features
    assert loaded.settings == cdnow_run.settings


def test_customer_level_input_runs_the_probabilistic_path_and_says_so() -> None:
    summary = load_customer_summary(SHARED / "cdnow_customers_summary_with_transactions.csv", time_unit="W")
    results = clv.run(summary, clv.Settings(horizon=39, time_unit="W"))
    assert results.metrics.empty and results.learned_model is None
    assert any("customer-level input" in note for note in results.metadata["notes"])
    assert results.predictions["clv_learned"].isna().all()
    assert (results.predictions["clv"] == results.predictions["clv_probabilistic"]).all()


def test_edge_cases_get_clear_messages(small_log: pd.DataFrame) -> None:
    one = small_log[small_log["customer_id"] == small_log["customer_id"].iloc[0]]
    with pytest.raises(DataValidationError, match="needs at least 10"):
        clv.run(one)
    no_repeat = small_log.drop_duplicates("customer_id")
    with pytest.raises(DataValidationError, match="no repeat purchases"):
        clv.run(no_repeat)


def test_short_history_skips_backtest_and_learned_model_with_notes(small_log: pd.DataFrame) -> None:
    early = small_log[small_log["timestamp"] <= "1997-03-15"]
    results = clv.run(early, clv.Settings(horizon=24, time_unit="M"))
    notes = " ".join(results.metadata["notes"])
    assert "learned model skipped" in notes
    assert "backtest skipped" in notes or results.metrics.empty is False
    assert np.isfinite(results.predictions["clv"]).all()


def test_constant_feature_does_not_break_the_learned_model(small_log: pd.DataFrame) -> None:
    constant = small_log.assign(amount=12.0)
    results = clv.run(constant, clv.Settings(horizon=6, time_unit="M", backtest=False))
    assert np.isfinite(results.predictions["clv"]).all()
