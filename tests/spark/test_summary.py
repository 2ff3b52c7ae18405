"""The Spark summary against the DuckDB one on CDNOW master, and the statistics the models are fitted on."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest

from clv.data import Transactions, summarize
from clv.spark.source import canonical_log
from clv.spark.summary import observation_end, purchase_statistics, spend_statistics, to_pandas
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
    # Counts, times and dates are equal bit for bit: the models' inputs (frequency, recency, T) are identical.
    pd.testing.assert_frame_equal(ours[EXACT], duckdb[EXACT], check_exact=True)
    # Sums of amounts are equal up to the order of floating-point additions, which neither engine fixes (DuckDB's
    # own order is not the day order): a few units in the last place.
    np.testing.assert_allclose(ours[MONEY], duckdb[MONEY], rtol=1e-14, atol=0)
    assert (ours[MONEY].to_numpy() == duckdb[MONEY].to_numpy()).mean() > 0.85


def test_compressed_statistics_carry_every_customer(
    spark_log: DataFrame, cdnow_master_log: Transactions
) -> None:
    end = observation_end(spark_log)
    summary = spark_summarize(spark_log, end, "W")
    histories = purchase_statistics(summary)
    spends = spend_statistics(summary)
    duckdb = summarize(cdnow_master_log, time_unit="W")
    expected = duckdb.groupby(["frequency", "recency", "T"]).size()
    assert len(histories) == len(expected) == 11_104
    counts = histories.set_index(["frequency", "recency", "T"])["weight"]
    pd.testing.assert_series_equal(counts, expected.astype(float), check_names=False)
    assert histories.equals(histories.sort_values(["frequency", "recency", "T"]).reset_index(drop=True))
    assert spends["weight"].sum() == (duckdb["frequency"] > 0).sum()
    assert (spends["frequency"] > 0).all()
