"""``clv predict --engine spark``: Parquet in, Parquet folder and run description out, JSON summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

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


def test_predict_with_the_spark_engine(spark: SparkSession, tmp_path: Path) -> None:
    source = tmp_path / "cdnow.parquet"
    load_cdnow("sample").to_parquet(source)
    output = tmp_path / "predictions"
    arguments = ["predict", str(source), "-o", str(output), "--engine", "spark", "--master", "local[2]"]
    result = runner.invoke(app, [*arguments, "--horizon", "6", "--no-backtest", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["engine"] == "spark" and summary["master"] == "local[2]"
    assert summary["learned_training"] == "the whole log, on the driver"
    predictions = pd.read_parquet(output)
    assert summary["customers"] == len(predictions) == 2_349
    assert summary["total"] == pytest.approx(predictions["clv"].sum(), rel=1e-9)
    assert summary["total_low"] < summary["total"] < summary["total_high"]
    assert json.loads((output / METADATA_FILE).read_text())["settings"]["horizon"] == 6


def test_spark_engine_refuses_what_it_cannot_write(spark: SparkSession, tmp_path: Path) -> None:
    result = runner.invoke(app, ["predict", "orders.parquet", "-o", "p.csv", "--engine", "spark"])
    assert result.exit_code == EXIT_BAD_INPUT and "the Spark engine writes Parquet" in result.output
    result = runner.invoke(app, ["predict", str(tmp_path / "none.parquet"), "-o", "p", "--engine", "spark"])
    assert result.exit_code == EXIT_BAD_INPUT and "Spark could not read" in result.output
