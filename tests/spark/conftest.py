"""One local SparkSession for the whole test run (a JVM starts once), and CDNOW as Spark DataFrames."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from clv.datasets import load_cdnow

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    pytest.importorskip("pyspark", reason="PySpark is not installed: pip install 'clv-platform[spark]'")
    from clv.spark import spark_session

    # Python workers must run this interpreter (the virtual environment's), or pyarrow is missing in them.
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("PYSPARK_PYTHON", sys.executable)
    monkeypatch.setenv("PYSPARK_DRIVER_PYTHON", sys.executable)
    session = spark_session("local[2]")
    session.sparkContext.setLogLevel("ERROR")
    configuration = session.sparkContext.getConf()
    assert session.sparkContext.master == "local[2]"
    assert configuration.get("spark.ui.enabled") == "false"
    assert configuration.get("spark.driver.bindAddress") == "127.0.0.1"
    yield session
    session.stop()
    monkeypatch.undo()


@pytest.fixture(scope="session")
def cdnow_master_spark(spark: SparkSession) -> DataFrame:
    """CDNOW master converted from pandas (string ids, datetime64 timestamps, float amounts), cached."""
    return spark.createDataFrame(load_cdnow("master")).cache()
