"""The Spark summary against the DuckDB one on CDNOW master, and the statistics the models are fitted on."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import pytest

from clv.data import Transactions, summarize
from clv.spark.source import canonical_log
from clv.spark.summary import customer_statistics, observation_end, to_pandas
from clv.spark.summary import summarize as spark_summarize

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

pytestmark = pytest.mark.spark
EXACT = ["customer_id", "frequency", "recency", "T", "n_orders", "first_purchase", "last_purchase"]
MONEY = ["total_revenue", "monetary_value"]


@pytest.fixture(scope="module")
def spark_log(cdnow_master_spark: DataFrame) -> DataFrame:
    log, report = canonical_log(cdnow_master_spark, drop_zero_amounts=False)
    assert report.rows_in == report.rows_kept == 69_659
    return log


@pytest.mark.parametrize("time_unit", ["W", "M"])
def test_summary_equals_duckdb_on_cdnow_master(
    spark_log: DataFrame, cdnow_master_log: Transactions, time_unit: str
) -> None:
    end = observation_end(spark_log)
    ours = to_pandas(spark_summarize(spark_log, end, time_unit), time_unit, end)
    duckdb = summarize(cdnow_master_log, time_unit=time_unit)
    assert len(ours) == 23_570
    assert ours.attrs == duckdb.attrs
    assert list(ours.columns) == list(duckdb.columns)
    assert (ours.dtypes == duckdb.dtypes).all()
    # Everything is equal bit for bit: counts, times and dates, and the money, which both engines sum exactly (as
    # decimals), so the order in which they add does not matter.
    pd.testing.assert_frame_equal(ours[EXACT + MONEY], duckdb[EXACT + MONEY], check_exact=True)


def test_compressed_statistics_carry_every_customer(
    spark_log: DataFrame, cdnow_master_log: Transactions
) -> None:
    end = observation_end(spark_log)
    statistics = customer_statistics(spark_summarize(spark_log, end, "W"))
    duckdb = summarize(cdnow_master_log, time_unit="W")
    columns = ["frequency", "recency", "T", "monetary_value"]
    assert statistics["weight"].sum() == len(duckdb) == 23_570
    assert statistics.equals(statistics.sort_values(columns).reset_index(drop=True))
    assert not statistics.duplicated(columns).any()
    # The purchase models' input: every (frequency, recency, T) history with its count, exactly.
    histories = statistics.groupby(["frequency", "recency", "T"])["weight"].sum()
    expected = duckdb.groupby(["frequency", "recency", "T"]).size()
    assert len(histories) == len(expected) == 11_104
    pd.testing.assert_series_equal(histories, expected.astype(float), check_names=False)
    # And every row with its count: Gamma-Gamma's input (frequency, monetary value) included.
    expected_rows = duckdb.groupby(columns).size().astype(float)
    pd.testing.assert_series_equal(statistics.set_index(columns)["weight"], expected_rows, check_names=False)
