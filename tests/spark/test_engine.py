"""The Spark engine against clv.run (the DuckDB engine): same predictions, total, segments and notes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest

import clv
from clv.data import load_transactions
from clv.datasets import load_cdnow, synthetic
from clv.pipeline import PREDICTION_COLUMNS
from clv.spark import SparkOptions, SparkRun, run
from clv.spark.engine import METADATA_FILE

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

pytestmark = pytest.mark.spark


def assert_same_predictions(ours: pd.DataFrame, theirs: pd.DataFrame) -> None:
    """Customers in one order; numbers to 1e-9 relative, everything else equal."""
    ours = ours.sort_values("customer_id").reset_index(drop=True)
    theirs = theirs.sort_values("customer_id").reset_index(drop=True)
    assert list(ours.columns) == list(theirs.columns)
    for column in theirs.columns:
        if theirs[column].dtype.kind == "f":
            np.testing.assert_allclose(ours[column], theirs[column], rtol=1e-9, atol=0, err_msg=column)
        elif theirs[column].dtype.kind == "M":
            pd.testing.assert_series_equal(ours[column], theirs[column], check_dtype=False, obj=column)
        else:
            assert ours[column].astype(str).tolist() == theirs[column].astype(str).tolist(), column


def assert_same_segments(ours: SparkRun, theirs: clv.Results) -> None:
    assert set(ours.segments) == set(theirs.segments)
    for name, table in theirs.segments.items():
        mine = ours.segments[name]
        assert mine["segment"].tolist() == table["segment"].tolist(), name
        numeric = table.select_dtypes("number").columns
        np.testing.assert_allclose(mine[numeric].astype(float), table[numeric].astype(float), rtol=1e-9)


def test_predictions_match_the_duckdb_engine_on_cdnow_master(
    spark: SparkSession, cdnow_master_spark: DataFrame, cdnow_run: clv.Results, tmp_path: Path
) -> None:
    # cdnow_run's settings; the backtest does not change the predictions, so it is left out here.
    settings = clv.Settings(horizon=12, time_unit="M", backtest=False)
    assert settings.to_dict() == {**cdnow_run.settings.to_dict(), "backtest": False}
    output = tmp_path / "predictions.parquet"
    result = run(
        cdnow_master_spark,
        str(output),
        settings,
        spark=spark,
        # CDNOW's $0 orders are purchases in the literature (cdnow_run keeps them); four scoring tasks.
        options=SparkOptions(drop_zero_amounts=False, rows_per_task=20_000),
    )
    ours = pd.read_parquet(output)
    assert list(ours.columns) == list(PREDICTION_COLUMNS)
    assert_same_predictions(ours, cdnow_run.predictions)
    np.testing.assert_allclose(result.total, cdnow_run.total, rtol=1e-9)
    assert_same_segments(result, cdnow_run)
    metadata = json.loads((output / METADATA_FILE).read_text())
    assert metadata["purchase_model"] == cdnow_run.metadata["purchase_model"]
    assert metadata["blend_weights"] == pytest.approx(cdnow_run.metadata["blend_weights"], rel=1e-12)
    assert metadata["learned_training"] == {"statement": "the whole log, on the driver"}
    assert metadata["customers"] == 23_570 and metadata["transactions"] == 69_659
    rows = len(cdnow_run.predictions[["frequency", "recency", "T", "monetary_value"]].drop_duplicates())
    fitted_on = (
        f"models fitted on {rows:,} distinct (frequency, recency, T, monetary value) rows of 23,570 customers"
    )
    assert any(note.startswith(fitted_on) for note in metadata["notes"])
    ours, theirs = metadata["learned_model"], cdnow_run.metadata["learned_model"]
    deviance = "validation_poisson_deviance"
    assert ours[deviance] == pytest.approx(theirs[deviance], rel=1e-12)
    assert {**ours, deviance: None} == {**theirs, deviance: None}
    assert [n for n in cdnow_run.metadata["notes"] if n in metadata["notes"]] == cdnow_run.metadata["notes"]


def test_online_retail_parquet_with_countries_discounting_and_margin(
    spark: SparkSession, tmp_path: Path
) -> None:
    path = tmp_path / "orders.parquet"
    synthetic(2_000, seed=5).transactions.to_parquet(path)
    settings = clv.Settings(
        horizon=6, annual_discount_rate=0.1, margin=0.3, backtest=False, purchase_models=("BG/NBD",)
    )
    duckdb = clv.run(load_transactions(path)[0], settings)
    result = run(
        str(path), str(tmp_path / "out"), settings, spark=spark, options=SparkOptions(rows_per_task=4_000)
    )
    ours = result.predictions(spark).toArrow().to_pandas()
    assert "country" in ours and ours["country"].notna().all()
    assert_same_predictions(ours, duckdb.predictions)
    np.testing.assert_allclose(result.total, duckdb.total, rtol=1e-9)
    assert result.cleaning.dropped["cancellation"] > 0 and result.cleaning.dropped["missing_customer_id"] > 0


def test_probabilistic_only_run_scores_with_map_in_pandas(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "cdnow_sample.parquet"
    load_cdnow("sample").to_parquet(path)
    settings = clv.Settings(horizon=26, time_unit="W", learned=False, backtest=False, interval=0.9)
    duckdb = clv.run(load_transactions(path)[0], settings)
    result = run(str(path), str(tmp_path / "out"), settings, spark=spark)
    ours = result.predictions(spark).toArrow().to_pandas()
    assert ours["clv_learned"].isna().all()
    assert_same_predictions(ours, duckdb.predictions)
    np.testing.assert_allclose(result.total, duckdb.total, rtol=1e-9)
    assert result.learned_model is None and result.metrics.empty
    assert result.metadata["learned_training"] == {"statement": "no learned model"}
