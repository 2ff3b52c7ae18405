"""Reading and cleaning in Spark against the DuckDB loader: same mapping, same rule counts, same rows."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest

from clv.data import CleaningReport, Transactions, load_transactions
from clv.errors import DataValidationError
from clv.spark.files import read_source
from clv.spark.source import canonical_log
from tests.data.conftest import ONLINE_RETAIL_HEADER, ONLINE_RETAIL_ROWS, write_csv

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

pytestmark = pytest.mark.spark


def assert_same_cleaning(
    spark_result: tuple[DataFrame, CleaningReport], duckdb_result: tuple[Transactions, CleaningReport]
) -> pd.DataFrame:
    (log, report), (expected_log, expected) = spark_result, duckdb_result
    assert report.mapping == expected.mapping
    assert report.columns == expected.columns
    assert (report.rows_in, report.rows_kept) == (expected.rows_in, expected.rows_kept)
    assert report.dropped == expected.dropped
    assert all(examples == [] for examples in report.examples.values())  # no row numbers in Spark
    ours = log.toArrow().to_pandas()
    theirs = expected_log.to_pandas()
    assert list(ours.columns) == list(theirs.columns)
    order = ["customer_id", "timestamp", "amount"]
    ours = ours.sort_values(order).reset_index(drop=True)
    theirs = theirs.sort_values(order).reset_index(drop=True)
    pd.testing.assert_frame_equal(ours, theirs, check_dtype=False)
    return ours


def test_online_retail_csv_text_columns(spark: SparkSession, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "online_retail.csv", ONLINE_RETAIL_HEADER, ONLINE_RETAIL_ROWS)
    ours = assert_same_cleaning(canonical_log(read_source(spark, str(path))), load_transactions(path))
    # Text ids keep no ".0", month-first slash dates are read, quantity x unit price is the amount.
    assert set(ours["customer_id"]) == {"17850", "13047", "12583"}
    assert ours["timestamp"].max() == pd.Timestamp("2010-12-13 09:02")
    assert ours.loc[ours["customer_id"] == "13047", "amount"].tolist() == pytest.approx([32 * 1.69])


def test_parquet_typed_columns_time_zones_and_every_numeric_rule(spark: SparkSession, tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "user_id": [1.0, 1.0, 2.0, np.nan, 3.0, 3.0, 3.0, 4.0],
            "created_at": pd.to_datetime(
                [
                    "2021-03-01 23:30",
                    "2021-03-05 10:00",
                    "2021-03-02 08:00",
                    "2021-03-02 09:00",
                    "2021-03-03 12:00",
                    "2021-03-03 12:00",
                    "2021-03-04 12:00",
                    "2021-03-06 12:00",
                ]
            ).tz_localize("America/New_York"),
            "order_value": [10.0, np.inf, 7.5, 3.0, 4.0, 4.0, -2.0, 0.0],
        }
    )
    path = tmp_path / "orders.parquet"
    frame.to_parquet(path)
    ours = assert_same_cleaning(canonical_log(read_source(spark, str(path))), load_transactions(path))
    # 23:30 in New York on 1 March is 04:30 UTC on 2 March; identical rows without an invoice id are two orders.
    assert ours["timestamp"].iloc[0] == pd.Timestamp("2021-03-02 04:30")
    assert (ours["customer_id"] == "3").sum() == 2


def test_catalog_table_observation_end_and_cancellation_prefix(spark: SparkSession) -> None:
    frame = pd.DataFrame(
        {
            "customer": ["a", "a", "b", "b", "c"],
            "order_id": ["1", "X2", "3", "4", "5"],
            "date": ["2020-01-01", "2020-01-02", "2020-01-03", "2020-02-01", "20200104"],
            "revenue": ["5", "6", "7", "8", "not a number"],
        }
    )
    spark.createDataFrame(frame).createOrReplaceTempView("clv_test_orders")
    options = {"cancellation_prefix": "X", "observation_end": "2020-01-31"}
    result = canonical_log(read_source(spark, "clv_test_orders"), **options)  # type: ignore[arg-type]
    assert_same_cleaning(result, load_transactions(frame, **options))  # type: ignore[arg-type]
    assert result[1].dropped["after_observation_end"] == 1 and result[1].dropped["cancellation"] == 1


def test_unusable_sources_get_the_data_layers_messages(spark: SparkSession, tmp_path: Path) -> None:
    frame = spark.createDataFrame(pd.DataFrame({"customer_id": ["a"], "date": ["soon"], "amount": [1.0]}))
    with pytest.raises(DataValidationError, match=r"all 1 rows .* dropped: 1 date could not be read"):
        canonical_log(frame)
    with pytest.raises(DataValidationError, match="no customer id column found"):
        canonical_log(
            spark.createDataFrame(pd.DataFrame({"who": ["a"], "date": ["2020-01-01"], "amount": [1]}))
        )
    with pytest.raises(DataValidationError, match="Spark could not read"):
        read_source(spark, str(tmp_path / "missing.parquet"))
