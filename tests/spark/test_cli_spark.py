"""``clv predict --engine spark``: Parquet in, Parquet folder and run description out, JSON summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from clv.cli import EXIT_BAD_INPUT, app
from clv.datasets import load_cdnow
from clv.spark.engine import METADATA_FILE

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.spark
runner = CliRunner()


def test_predict_with_the_spark_engine_trains_on_a_sample_beyond_driver_rows(
    spark: SparkSession, tmp_path: Path
) -> None:
    source = tmp_path / "cdnow.parquet"
    load_cdnow("sample").to_parquet(source)
    output = tmp_path / "predictions"
    arguments = ["predict", str(source), "-o", str(output), "--engine", "spark", "--master", "local[2]"]
    result = runner.invoke(app, [*arguments, "--horizon", "6", "--driver-rows", "3500", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["engine"] == "spark" and summary["master"] == "local[2]"
    predictions = pd.read_parquet(output)
    assert summary["customers"] == len(predictions) == 2_349 and predictions["customer_id"].is_unique
    assert summary["total"] == pytest.approx(predictions["clv"].sum(), rel=1e-9)
    assert summary["total_low"] < summary["total"] < summary["total_high"]
    assert np.isfinite(predictions["clv_learned"]).all() and (predictions["clv_learned"] >= 0).all()
    metadata = json.loads((output / METADATA_FILE).read_text())
    sample = metadata["learned_training"]
    assert summary["learned_training"] == sample["statement"] and "random" in sample["statement"]
    assert 0.4 < sample["share_of_customers"] < 0.6
    assert sample["customers"] < metadata["customers"] and sample["transactions"] < metadata["transactions"]
    assert sample["statement"] in metadata["notes"]
    assert any(note.startswith("the backtest ran on the driver's sample") for note in metadata["notes"])
    assert metadata["backtest"]["holdout_end"] == "1998-06-30"


def test_spark_engine_refuses_what_it_cannot_write(spark: SparkSession, tmp_path: Path) -> None:
    result = runner.invoke(app, ["predict", "orders.parquet", "-o", "p.csv", "--engine", "spark"])
    assert result.exit_code == EXIT_BAD_INPUT and "the Spark engine writes Parquet" in result.output
    result = runner.invoke(app, ["predict", str(tmp_path / "none.parquet"), "-o", "p", "--engine", "spark"])
    assert result.exit_code == EXIT_BAD_INPUT and "Spark could not read" in result.output
