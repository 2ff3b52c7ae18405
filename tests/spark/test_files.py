"""Every input the DuckDB engine reads, read by Spark: CDNOW whitespace files, CSV dialects and encodings, currency
and day-first date texts; Excel refused before Spark is asked anything."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import clv
from clv.cli import EXIT_BAD_INPUT, app
from clv.data import load_transactions
from clv.errors import DataValidationError
from clv.spark import SparkOptions, run
from clv.spark.files import delimiter_of, read_source
from clv.spark.source import canonical_log
from tests.data.conftest import ONLINE_RETAIL_HEADER, ONLINE_RETAIL_ROWS, write_csv
from tests.spark.test_engine import assert_same_predictions
from tests.spark.test_source import assert_same_cleaning

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.spark

EUROPEAN_HEADER = ("customer_id", "order_date", "amount")
EUROPEAN_ROWS = [
    ("a", "13.01.2021", "€1.234,50"),
    ("a", "02.02.2021 10:30", "1.234.567,00"),
    ("b", "15.01.2021", "12,50 €"),
    ("b", "20.03.2021", "(3,00)"),
    ("c", "25/12/2021", "-"),
    ("c", "01-02-2021", "1 234,5"),
    ("d", "31.12.2021 23:59:59", "n/a"),
    ("d", "not a date", "5"),
    ("e", "2021-06-01T10:00:00+02:00", "7"),
    ("e", "20210601", "$1,234.50"),
    ("f", "5/6/2021 8:15:00", "12-"),
]


def test_cdnow_master_whitespace_file_predicts_as_the_duckdb_engine(
    spark: SparkSession, cdnow_files: Path, cdnow_run: clv.Results, tmp_path: Path
) -> None:
    path = cdnow_files / "CDNOW_master.txt"
    frame = read_source(spark, str(path))
    assert frame.columns == ["customer_id", "date", "number_of_cds", "dollar_value"]
    assert frame.count() == 69_659  # the header line is not a row
    # cdnow_run is clv.run on the same log with its $0 orders kept; the backtest does not change predictions.
    settings = clv.Settings(horizon=12, time_unit="M", backtest=False)
    output = tmp_path / "predictions.parquet"
    result = run(str(path), str(output), settings, spark=spark, options=SparkOptions(drop_zero_amounts=False))
    assert result.cleaning.rows_kept == 69_659
    assert result.cleaning.mapping == {
        "customer_id": "customer_id",
        "timestamp": "date",
        "amount": "dollar_value",
        "quantity": "number_of_cds",
    }
    assert_same_predictions(pd.read_parquet(output), cdnow_run.predictions)
    np.testing.assert_allclose(result.total, cdnow_run.total, rtol=1e-9)


def test_cdnow_sample_without_header_locally_and_as_a_url(spark: SparkSession, cdnow_files: Path) -> None:
    path = cdnow_files / "CDNOW_sample.txt"
    expected = load_transactions(path)
    for source in (
        str(path),
        path.as_uri(),
    ):  # a URL's first lines are read by Spark, not from the local file
        frame = read_source(spark, source)
        assert frame.columns == ["master_id", "customer_id", "date", "number_of_cds", "dollar_value"]
        ours = assert_same_cleaning(canonical_log(frame), expected)
        assert ours["customer_id"].iloc[0] == "0001"  # ids keep their zeros


def test_semicolon_windows_1252_csv_with_currency_texts_and_day_first_dates(
    spark: SparkSession, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "orders.csv", EUROPEAN_HEADER, EUROPEAN_ROWS, sep=";", encoding="cp1252")
    expected = load_transactions(path)
    log, report = canonical_log(read_source(spark, str(path)))
    ours = assert_same_cleaning((log, report), expected)
    assert report.warnings == expected[1].warnings
    amounts = dict(zip(ours["timestamp"].astype(str), ours["amount"], strict=True))
    assert amounts["2021-01-13 00:00:00"] == 1234.5  # day first: 13 January; "€" read from Windows-1252
    assert amounts["2021-02-02 10:30:00"] == 1_234_567.0
    assert amounts["2021-02-01 00:00:00"] == 1234.5
    assert amounts["2021-06-01 08:00:00"] == 7.0  # +02:00 converted to UTC
    assert report.dropped["return"] == 2 and report.dropped["unparseable_date"] == 1


@pytest.mark.parametrize(("sep", "encoding"), [("\t", "utf-16"), ("|", "utf-8-sig")])
def test_tab_separated_utf16_and_pipe_separated_with_bom(
    spark: SparkSession, tmp_path: Path, sep: str, encoding: str
) -> None:
    path = write_csv(
        tmp_path / "retail.csv", ONLINE_RETAIL_HEADER, ONLINE_RETAIL_ROWS, sep=sep, encoding=encoding
    )
    frame = read_source(spark, str(path))
    assert frame.columns == list(ONLINE_RETAIL_HEADER)
    ours = assert_same_cleaning(canonical_log(frame), load_transactions(path))
    assert set(ours["customer_id"]) == {"17850", "13047", "12583"}


def test_delimiter_is_the_one_that_splits_every_line_alike() -> None:
    assert delimiter_of(["a;b;c", "1;2,5;3"]) == ";"
    assert delimiter_of(["id,name,amount", '1,"Smith; J",2']) == ","
    assert delimiter_of(["a|b", "1|2|3"]) == "|"  # ragged: the header's mark
    assert delimiter_of(["just one column", "1"]) is None


class NoSpark:
    """A session that fails the test if anything asks it for work."""

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"Spark was asked for {name}")


def test_excel_is_refused_before_any_spark_job(
    spark: SparkSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "orders.xlsx"
    pd.DataFrame({"customer_id": ["a"], "date": ["2021-01-01"], "amount": [1.0]}).to_excel(path, index=False)
    disguised = tmp_path / "orders.csv"  # a workbook is known by its bytes, whatever its name
    disguised.write_bytes(path.read_bytes())
    for source in (str(path), str(disguised), "s3a://bucket/orders.xlsx"):
        with pytest.raises(
            DataValidationError, match="is an Excel workbook, which the Spark engine does not"
        ):
            read_source(NoSpark(), source)  # type: ignore[arg-type]
    monkeypatch.setattr("clv.spark.spark_session", NoSpark)  # the command refuses before it starts Spark
    result = CliRunner().invoke(app, ["predict", str(path), "-o", str(tmp_path / "p"), "--engine", "spark"])
    assert result.exit_code == EXIT_BAD_INPUT
    message = " ".join(result.output.split())
    assert "run without --engine spark (the DuckDB engine reads it)" in message
    assert "save the sheet as CSV or Parquet" in message


def test_binary_empty_and_one_column_files_are_refused(spark: SparkSession, tmp_path: Path) -> None:
    binary, empty, single = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    binary.write_bytes(b"id,date\x00\x01\x02")
    empty.write_bytes(b"")
    single.write_text("customer_id\n1\n2\n")
    with pytest.raises(DataValidationError, match="contains binary data"):
        read_source(spark, str(binary))
    with pytest.raises(DataValidationError, match="is empty"):
        read_source(spark, str(empty))
    with pytest.raises(DataValidationError, match="the delimiter was not recognised"):
        read_source(spark, str(single))
