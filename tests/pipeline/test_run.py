"""clv.run end to end on CDNOW master, customer-level input, edge cases, and save/load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import clv
from clv.data import load_customer_summary
from clv.errors import DataValidationError
from clv.forecast import scoring
from clv.pipeline import PREDICTION_COLUMNS, fitting


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
    next_purchase = predictions["expected_next_purchase"].dropna()
    assert len(next_purchase) > 0 and (next_purchase > pd.Timestamp("1998-06-30")).all()
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


def test_customer_level_input_runs_the_probabilistic_path_and_says_so(cdnow_files: Path) -> None:
    summary = load_customer_summary(
        cdnow_files / "cdnow_customers_summary_with_transactions.csv", time_unit="W"
    )
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


def test_metadata_records_what_was_done(cdnow_run: clv.Results) -> None:
    metadata = cdnow_run.metadata
    assert len(metadata["fingerprint"]) == 16 and metadata["customers"] == 23_570
    assert metadata["transactions"] == 69_659
    assert clv.Settings.from_dict(metadata["settings"]) == cdnow_run.settings
    assert set(metadata["timings_seconds"]) == {"forecast", "valuation", "backtest", "total"}
    assert all(value > 0 for value in metadata["timings_seconds"].values())
    assert {"clv-platform", "numpy", "lightgbm", "duckdb"} <= set(metadata["versions"])
    learned = metadata["learned_model"]
    assert learned["objective"] in {"regression", "poisson", "tweedie"}
    assert set(learned["validation_poisson_deviance"]) == {"regression", "poisson", "tweedie"}
    # 78 weeks of history: target windows of floor(78 / 3) = 25 weeks; a third cutoff would leave no history.
    assert learned["window_weeks"] == metadata["learned_window_weeks"] == 25
    assert learned["training_cutoffs"] == ["1998-01-06", "1997-07-15"]
    assert learned["carried_to_weeks"] == pytest.approx(52.18, abs=0.01)
    assert metadata["blend_weights"]["learned"] > 0
    notes = " ".join(metadata["notes"])
    assert "boosted from the" in notes and "expected-purchase curve" in notes and "blend weights" in notes


def test_segments_have_counts_shares_and_actions(cdnow_run: clv.Results) -> None:
    expected_names = {
        "value_tiers": ["Top 1%", "Top 5%", "Top 20%", "Top 50%", "Rest"],
        "churn_risk": ["High risk", "Medium risk", "Low risk"],
    }
    rfm_names = {
        "Champions",
        "Loyal",
        "Potential loyalists",
        "New",
        "At risk",
        "Can't lose them",
        "Hibernating",
        "Lost",
    }
    for name, table in cdnow_run.segments.items():
        assert {
            "segment",
            "customers",
            "revenue_share",
            "predicted_value_share",
            "recommended_action",
        } <= set(table.columns)
        assert table["customers"].sum() == 23_570
        assert table["revenue_share"].sum() == pytest.approx(1.0)
        assert table["predicted_value_share"].sum() == pytest.approx(1.0)
        assert (table["recommended_action"].str.len() > 10).all()
        if name in expected_names:
            assert list(table["segment"]) == expected_names[name]
        else:
            assert set(table["segment"]) <= rfm_names and len(table) >= 5
    tiers = cdnow_run.segments["value_tiers"].set_index("segment")
    assert tiers.loc["Top 1%", "customers"] == 235 and tiers.loc["Rest", "customers"] == 11_785
    # A fifth of the customers hold most of the predicted value.
    assert tiers.loc[["Top 1%", "Top 5%", "Top 20%"], "predicted_value_share"].sum() > 0.6
    predictions = cdnow_run.predictions
    assert predictions["rfm_score"].str.fullmatch("[1-5]{3}").all()


def test_insights_are_sentences_built_from_the_run(cdnow_run: clv.Results) -> None:
    text = "\n".join(cdnow_run.insights)
    total = cdnow_run.total[0]
    assert f"${total:,.0f}" in text and "23,570 customers" in text and "12 months" in text
    assert "80 % interval $" in text
    top = cdnow_run.predictions["clv"].nlargest(4_714).sum() / cdnow_run.predictions["clv"].sum()
    assert f"hold {top:.0%} of the predicted value" in text
    assert "at risk of churning" in text and "What drives predicted value most" in text
    assert all(line.endswith(".") for line in cdnow_run.insights)


def test_the_total_has_a_predictive_interval_around_the_parameter_one(cdnow_run: clv.Results) -> None:
    total, low, high = cdnow_run.total
    predictive = cdnow_run.metadata["total_predictive"]
    assert predictive["level"] == 0.8
    assert predictive["low"] < low < total < high < predictive["high"]
    text = "\n".join(cdnow_run.insights)
    assert f"80 % predictive interval ${predictive['low']:,.0f} to ${predictive['high']:,.0f}" in text


def test_customer_drivers_say_in_words_which_way_each_feature_pushes(cdnow_run: clv.Results) -> None:
    drivers = cdnow_run.drivers["customers"]["drivers"]
    words = set(cdnow_run.drivers["importance"]["description"])
    parts = [part for text in drivers[drivers != ""] for part in text.split("; ")]
    assert parts and all(part.endswith((" (raises)", " (lowers)")) for part in parts)
    assert {part.rsplit(" (", 1)[0] for part in parts} <= words
    # Features push some customers up and others down.
    assert any(part.endswith("(lowers)") for part in parts) and any(
        part.endswith("(raises)") for part in parts
    )


def test_large_logs_learn_and_backtest_on_a_hash_sample_and_score_every_customer_in_parts(
    cdnow_master_log: clv.data.Transactions, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = clv.Settings(horizon=12, time_unit="M")
    monkeypatch.setattr(fitting, "SAMPLE_CUSTOMERS", 5_000)
    whole = clv.run(cdnow_master_log, settings)
    monkeypatch.setattr(scoring, "PART_CUSTOMERS", 4_000)  # six parts
    parts = clv.run(cdnow_master_log, settings)
    note = next(n for n in whole.metadata["notes"] if "random" in n)
    assert "21.2% of the 23,570 customers" in note and "every customer was scored" in note
    sampled = int(note.split("; ")[1].split(" of ")[0].replace(",", ""))
    assert 0.15 * len(cdnow_master_log) < sampled < 0.3 * len(cdnow_master_log)
    assert whole.metadata["learned_model"] is not None and not whole.metrics.empty
    learned = whole.predictions["clv_learned"]
    assert len(learned) == 23_570 and np.isfinite(learned).all() and (learned > 0).mean() > 0.5
    # Every row depends on its customer alone: scoring in parts changes nothing.
    pd.testing.assert_frame_equal(whole.predictions, parts.predictions)
    pd.testing.assert_frame_equal(whole.drivers["customers"], parts.drivers["customers"])
    pd.testing.assert_frame_equal(whole.drivers["importance"], parts.drivers["importance"], rtol=1e-12)
    np.testing.assert_allclose(whole.total, parts.total, rtol=1e-12)
    assert whole.metadata["fingerprint"] == parts.metadata["fingerprint"]


def test_saved_learned_model_predicts_like_the_original(cdnow_run: clv.Results, tmp_path: Path) -> None:
    loaded = clv.Results.load(cdnow_run.save(tmp_path / "run"))
    original = cdnow_run.learned_model
    assert original is not None and loaded.learned_model is not None
    assert loaded.learned_model.objective == original.objective
    rng = np.random.default_rng(0)
    features = pd.DataFrame(rng.gamma(1.0, 50.0, (200, len(original.features))), columns=original.features)
    base = rng.gamma(1.0, 20.0, 200)
    np.testing.assert_allclose(loaded.learned_model.predict(features, base), original.predict(features, base))


def test_a_backtest_longer_than_the_history_is_skipped_with_a_note(small_log: pd.DataFrame) -> None:
    results = clv.run(small_log, clv.Settings(horizon=3, time_unit="M", learned=False, backtest_weeks=200))
    assert results.metrics.empty
    assert any("too short to hold back 200 weeks" in note for note in results.metadata["notes"])


def test_results_can_come_before_the_backtest_and_then_equal_the_waited_run(
    cdnow_master_log: clv.data.Transactions, cdnow_run: clv.Results
) -> None:
    early = clv.run(cdnow_master_log, cdnow_run.settings, wait_for_backtest=False)
    assert early.backtest_pending is not None and early.metrics.empty and early.metadata["backtest"] is None
    pd.testing.assert_frame_equal(early.predictions, cdnow_run.predictions)
    assert early.insights == [text for text in cdnow_run.insights if "backtest" not in text]
    done = early.with_backtest()
    assert done.backtest_ready and done.backtest_pending is None and done.with_backtest() is done
    pd.testing.assert_frame_equal(done.metrics, cdnow_run.metrics)
    pd.testing.assert_frame_equal(done.deciles, cdnow_run.deciles)
    assert done.insights == cdnow_run.insights
    assert done.metadata["backtest"] == cdnow_run.metadata["backtest"]
    assert done.metadata["notes"] == cdnow_run.metadata["notes"]
