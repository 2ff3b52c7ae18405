"""Value tiers and RFM scores in Spark equal clv.explain.segments's, ties and small tables included."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest

from clv.explain.segments import rfm, value_tiers
from clv.spark.ranks import rank_windows, segment_columns

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.spark


def customers(n: int, seed: int) -> pd.DataFrame:
    """Customers with many ties in every column, ids not in value order."""
    rng = np.random.default_rng(seed)
    frequency = rng.negative_binomial(0.5, 0.3, n)
    clv = np.where(rng.random(n) < 0.3, 0.0, np.round(rng.lognormal(3, 1, n), 1))
    clv[rng.random(n) < 0.1] = 25.0
    return pd.DataFrame(
        {
            "customer_id": [f"c{i:07d}" for i in rng.permutation(n)],
            "clv": clv,
            "weeks_since_last": rng.integers(0, 400, n) / 7.0,
            "frequency": frequency,
            "mean_order": np.round(rng.gamma(2, 20, n), 0) / (frequency + 1),
            "p_alive": rng.beta(1.0, 1.0, n),
        }
    )


@pytest.mark.parametrize(("n", "seed"), [(700, 1), (40_000, 2)])
def test_tiers_and_rfm_equal_the_pandas_ones(spark: SparkSession, n: int, seed: int) -> None:
    frame = customers(n, seed)
    table = spark.createDataFrame(frame)
    columns = segment_columns(table, n, (0.01, 0.05, 0.2, 0.5), lost_below=0.3)
    ours = (
        table.select("customer_id", *[value.alias(name) for name, value in columns.items()])
        .toArrow()
        .to_pandas()
        .sort_values("customer_id")
        .reset_index(drop=True)
    )
    expected = frame.sort_values("customer_id").reset_index(drop=True)
    scores = rfm(
        expected["weeks_since_last"], expected["frequency"], expected["mean_order"], expected["p_alive"], 0.3
    )
    assert ours["value_tier"].tolist() == value_tiers(expected["clv"]).astype(str).tolist()
    assert ours["rfm_score"].tolist() == scores["rfm_score"].tolist()
    assert ours["rfm_segment"].tolist() == scores["rfm_segment"].tolist()


def test_windows_stay_small_on_larger_tables(spark: SparkSession) -> None:
    n = 40_000
    frame = customers(n, 3)
    targets = {"mean_order": [n * 0.2, n * 0.6], "clv": [n * 0.99]}
    windows = rank_windows(spark.createDataFrame(frame), targets, n)
    for column, positions in targets.items():
        values = np.sort(frame[column].to_numpy())
        for position, window in zip(positions, windows[column], strict=True):
            assert window.counts.sum() < n / 20  # a neighbourhood, not the table
            value, below, equal = window.position_of(int(position))
            assert value == values[int(position) - 1]
            assert below == (values < value).sum() and equal == (values == value).sum()
