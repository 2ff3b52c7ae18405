"""Every pandas <-> Spark conversion the Spark engine uses, under the pinned pandas (3.x, which PySpark 4.3 warns it
"does not yet fully support"): the types the engine sends and receives keep their values.

The conversions: ``mapInPandas`` and cogrouped ``applyInPandas`` (scoring on the executors: Arrow batches to pandas
and back), ``DataFrame.toArrow().to_pandas()`` (the driver's log, statistics and tables), and
``createDataFrame`` from pandas (a pandas log handed to the engine, as tests/spark/conftest.py does).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest

from clv.data import Transactions

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

pytestmark = pytest.mark.spark

# The engine's column types: the summary's and the log's (string ids, bigint counts, doubles, timestamp_ntz).
ROWS = """SELECT * FROM VALUES
    ('0001', 1L, 1.5D, TIMESTAMP_NTZ'2021-03-01 12:34:56.789012', 'France'),
    ('Zoë €', 2L, double('NaN'), NULL, NULL),
    (NULL, 3L, NULL, TIMESTAMP_NTZ'1997-01-01 00:00:00', 'Japan'),
    ('x', 4L, double('Infinity'), TIMESTAMP_NTZ'1998-06-30 23:59:59.999999', 'Chile')
    AS t(customer_id, frequency, amount, timestamp, country)"""
TIMESTAMPS = [
    dt.datetime(2021, 3, 1, 12, 34, 56, 789012),
    None,
    dt.datetime(1997, 1, 1),
    dt.datetime(1998, 6, 30, 23, 59, 59, 999999),
]
OUTPUT = "id string, label string, band string, value double, moment timestamp_ntz, count bigint"


def pinned_pandas() -> None:
    assert int(pd.__version__.split(".")[0]) >= 3, "these tests characterise pandas >= 3, the pinned version"


def outputs() -> pd.DataFrame:
    """What a scoring task returns, in the dtypes pandas 3 makes: the default ``str`` dtype with a missing value,
    an object column holding NaN, a categorical (churn bands start as one), NaN and inf, datetime64[ns] with NaT."""
    return pd.DataFrame(
        {
            "id": pd.Series(["0001", None, "Zoë €", "x"], dtype="str"),
            "label": pd.Series(["a", np.nan, None, "d"], dtype=object),
            "band": pd.Categorical(["low", None, "high", "low"]),
            "value": [np.nan, np.inf, 1.25, -0.0],
            "moment": pd.to_datetime(
                ["2021-03-01 12:34:56.789012", None, "1997-01-01", "1998-06-30 23:59:59.999999"],
                format="ISO8601",
            ).as_unit("ns"),
            "count": np.array([1, 2, 3, 4], dtype="int64"),
        }
    )


def assert_outputs_arrived(rows: list[object]) -> None:
    """Missing text, NaN and NaT are null in Spark; inf, -0.0, categories' labels and microseconds are kept."""
    values = [tuple(row) for row in rows]  # type: ignore[call-overload]
    assert values == [
        ("0001", "a", "low", None, TIMESTAMPS[0], 1),
        (None, None, None, float("inf"), None, 2),
        ("Zoë €", None, "high", 1.25, TIMESTAMPS[2], 3),
        ("x", "d", "low", -0.0, TIMESTAMPS[3], 4),
    ]


def received(*frames: pd.DataFrame, prefix: str = "") -> pd.DataFrame:
    """What an executor saw: each column's dtype and values, as text (to bring them back to the driver)."""
    columns = [(c, frame[c]) for frame in frames for c in frame.columns]
    return pd.DataFrame(
        {
            "column": [prefix + c for c, _ in columns],
            "dtype": [str(values.dtype) for _, values in columns],
            "values": [repr(values.tolist()) for _, values in columns],
        }
    )


def assert_inputs_arrived(seen: dict[str, tuple[str, str]], unit: str = "us") -> None:
    """Strings as pandas 3's ``str`` dtype (null as NaN), counts int64, NaN and null both NaN, inf kept, timestamp_ntz
    as datetime64 (microseconds, or nanoseconds in cogrouped groups) with NaT and its microseconds, whatever the
    session's time zone."""
    assert seen["customer_id"] == ("str", "['0001', 'Zoë €', nan, 'x']")
    assert seen["frequency"] == ("int64", "[1, 2, 3, 4]")
    assert seen["amount"] == ("float64", "[1.5, nan, nan, inf]")
    assert seen["timestamp"] == (
        f"datetime64[{unit}]",
        "[Timestamp('2021-03-01 12:34:56.789012'), NaT, Timestamp('1997-01-01 00:00:00'), "
        "Timestamp('1998-06-30 23:59:59.999999')]",
    )
    assert seen["country"] == ("str", "['France', nan, 'Japan', 'Chile']")


@pytest.fixture
def engine_rows(spark: SparkSession) -> Iterator[DataFrame]:
    """The engine's types in one partition, under a session time zone that is not UTC."""
    zone = spark.conf.get("spark.sql.session.timeZone")
    spark.conf.set("spark.sql.session.timeZone", "America/New_York")
    yield spark.sql(ROWS).coalesce(1)
    spark.conf.set("spark.sql.session.timeZone", zone or "UTC")


def test_map_in_pandas_both_ways(engine_rows: DataFrame) -> None:
    pinned_pandas()

    def look(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            yield received(batch)

    def answer(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for _ in batches:
            yield outputs()

    def nothing(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for _ in batches:  # an empty part, as engine._score_part returns it: object columns, no rows
            yield pd.DataFrame(columns=[c.split()[0] for c in OUTPUT.split(", ")])

    seen = engine_rows.mapInPandas(look, "column string, dtype string, values string").collect()
    assert_inputs_arrived({row["column"]: (row["dtype"], row["values"]) for row in seen})
    assert_outputs_arrived(engine_rows.mapInPandas(answer, OUTPUT).collect())
    assert engine_rows.mapInPandas(nothing, OUTPUT).collect() == []


def test_cogrouped_apply_in_pandas_both_ways(spark: SparkSession, engine_rows: DataFrame) -> None:
    pinned_pandas()
    from pyspark.sql import functions as F

    summary = engine_rows.withColumn("bucket", F.lit(0))
    lines = engine_rows.select("customer_id", "timestamp", "amount").withColumn("bucket", F.lit(0))
    lines = lines.unionByName(
        spark.sql(
            "SELECT 'y' AS customer_id, CAST(NULL AS TIMESTAMP_NTZ) AS timestamp, 2D AS amount, 1 AS bucket"
        )
    )

    def look(customers: pd.DataFrame, transactions: pd.DataFrame) -> pd.DataFrame:
        if customers.empty:  # bucket 1 has lines and no customers: an empty frame with the columns' dtypes
            return received(customers.drop(columns="bucket"), prefix="empty ")
        return received(customers.drop(columns="bucket"), transactions.drop(columns="bucket"))

    def answer(customers: pd.DataFrame, transactions: pd.DataFrame) -> pd.DataFrame:
        return outputs() if len(customers) else outputs().iloc[:0]

    grouped = summary.groupBy("bucket").cogroup(lines.groupBy("bucket"))
    seen = {
        (row["column"], row["dtype"]): row["values"]
        for row in grouped.applyInPandas(look, "column string, dtype string, values string").collect()
    }
    # Cogrouped groups reach pandas with nanosecond times (mapInPandas and toArrow keep microseconds).
    assert_inputs_arrived({column: (kind, values) for (column, kind), values in seen.items()}, unit="ns")
    assert seen[("empty customer_id", "str")] == seen[("empty country", "str")] == "[]"
    assert seen[("empty timestamp", "datetime64[ns]")] == "[]"
    assert_outputs_arrived(grouped.applyInPandas(answer, OUTPUT).collect())


def test_to_arrow_to_pandas_on_the_driver(engine_rows: DataFrame) -> None:
    pinned_pandas()
    frame = engine_rows.toArrow().to_pandas()
    assert_inputs_arrived({c: (str(frame[c].dtype), repr(frame[c].tolist())) for c in frame.columns})
    # The driver's log (engine._driver_log) is a DuckDB log made from this frame: ids, times and amounts kept.
    kept = frame.dropna(subset=["customer_id", "timestamp"])
    log = Transactions.from_pandas(kept.drop(columns="frequency"), source_name="driver log").to_pandas()
    assert log["customer_id"].tolist() == ["0001", "x"]
    assert log["timestamp"].tolist() == [pd.Timestamp(TIMESTAMPS[0]), pd.Timestamp(TIMESTAMPS[3])]
    assert log["amount"].tolist() == [1.5, np.inf]


def test_create_data_frame_from_pandas(spark: SparkSession) -> None:
    pinned_pandas()
    frame = outputs().assign(micro=lambda f: f["moment"].astype("datetime64[us]"))
    table = spark.createDataFrame(frame)
    kinds = dict(table.dtypes)
    assert [kinds[c] for c in ("id", "label", "band", "value", "count")] == ["string"] * 3 + [
        "double",
        "bigint",
    ]
    # Naive pandas times become Spark timestamps (instants read in the session's zone), both resolutions alike.
    assert kinds["moment"] == kinds["micro"] == "timestamp"
    rows = table.select(*[c.split()[0] for c in OUTPUT.split(", ")]).collect()
    assert_outputs_arrived(rows)
    assert [row["micro"] for row in table.collect()] == TIMESTAMPS


def test_text_in_several_arrow_chunks_goes_back_once_arrow_ready(spark: SparkSession) -> None:
    pinned_pandas()
    from pyspark.errors import PythonException

    from clv.spark.batches import arrow_ready

    def chunked() -> pd.DataFrame:
        part = pd.Series(["0001", None], dtype="str")
        return pd.DataFrame({"id": pd.concat([part, part], ignore_index=True), "count": [1, 2, 3, 4]})

    def raw(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for _ in batches:
            yield chunked()

    def ready(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for _ in batches:
            yield arrow_ready(chunked())

    one = spark.range(1).coalesce(1)
    # PySpark 4.3 under pandas 3 cannot send a multi-chunk str column back (if this stops failing, the guard can go).
    with pytest.raises(PythonException, match=r"Cannot convert pyarrow\.lib\.ChunkedArray"):
        one.mapInPandas(raw, "id string, count bigint").collect()
    rows = one.mapInPandas(ready, "id string, count bigint").collect()
    assert [tuple(row) for row in rows] == [("0001", 1), (None, 2), ("0001", 3), (None, 4)]
    assert arrow_ready(chunked())["count"].dtype == "int64"
