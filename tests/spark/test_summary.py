"""The Spark summary against the DuckDB one on CDNOW master, and the statistics the models are fitted on."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
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
    # Gamma-Gamma's: the repeat buyers' mean spends with their counts (equal up to the last bits of the sums).
    repeat = statistics[statistics["frequency"] > 0]
    assert repeat["weight"].sum() == (duckdb["frequency"] > 0).sum()
    ours = np.repeat(repeat["monetary_value"].to_numpy(), repeat["weight"].to_numpy().astype(int))
    theirs = duckdb.loc[duckdb["frequency"] > 0].sort_values(columns)["monetary_value"].to_numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-14, atol=0)
