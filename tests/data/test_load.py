"""load_transactions on every supported format, every cleaning rule, and every error a user can cause."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clv.data import load_transactions, summarize
from clv.errors import DataValidationError

from .conftest import ONLINE_RETAIL_HEADER, ONLINE_RETAIL_ROWS, write_csv


def test_online_retail_latin1_csv_is_mapped_and_cleaned(online_retail_csv: Path) -> None:
    log, report = load_transactions(online_retail_csv)
    assert report.mapping == {
        "customer_id": "CustomerID",
        "timestamp": "InvoiceDate",
        "unit_price": "UnitPrice",
        "quantity": "Quantity",
        "invoice_id": "InvoiceNo",
        "product_id": "StockCode",
        "country": "Country",
    }
    assert report.columns == list(ONLINE_RETAIL_HEADER)
    assert report.rows_in == 12
    # The header is row 1, so the n-th data row is row n + 1.
    assert report.dropped["missing_customer_id"] == 2
    assert report.examples["missing_customer_id"] == [7, 8]
    assert report.dropped["cancellation"] == 1 and report.examples["cancellation"] == [6]
    assert report.dropped["return"] == 1 and report.examples["return"] == [11]
    assert report.dropped["unparseable_date"] == 1 and report.examples["unparseable_date"] == [12]
    assert report.dropped["duplicate"] == 1 and report.examples["duplicate"] == [9]
    assert report.rows_kept == 6 == len(log)
    frame = log.to_pandas()
    assert set(frame["customer_id"]) == {"17850", "13047", "12583"}
    first = frame[(frame["invoice_id"] == "536365") & (frame["product_id"] == "85123A")]
    assert first["amount"].tolist() == pytest.approx([6 * 2.55])
    assert first["timestamp"].iloc[0] == pd.Timestamp("2010-12-01 08:26")
    assert frame.loc[frame["customer_id"] == "17850", "timestamp"].max() == pd.Timestamp("2010-12-13 09:02")


def test_online_retail_ii_headers_and_excel(tmp_path: Path) -> None:
    header = (
        "Invoice",
        "StockCode",
        "Description",
        "Quantity",
        "InvoiceDate",
        "Price",
        "Customer ID",
        "Country",
    )
    frame = pd.DataFrame(ONLINE_RETAIL_ROWS, columns=header)
    frame["Quantity"] = frame["Quantity"].astype(int)
    path = tmp_path / "online_retail_ii.xlsx"
    frame.to_excel(path, index=False)
    log, report = load_transactions(path)
    assert report.mapping["customer_id"] == "Customer ID"
    assert report.mapping["unit_price"] == "Price"
    assert report.mapping["invoice_id"] == "Invoice"
    assert report.rows_kept == 6 == len(log)
    assert report.examples["cancellation"] == [6]


def test_excel_renamed_csv_is_read_as_excel_with_a_warning(tmp_path: Path) -> None:
    frame = pd.DataFrame(ONLINE_RETAIL_ROWS, columns=ONLINE_RETAIL_HEADER)
    path = tmp_path / "really_excel.csv"
    frame.to_excel(path, index=False, engine="openpyxl")
    log, report = load_transactions(path)
    assert len(log) == 6
    assert any("Excel workbook despite its .csv extension" in w for w in report.warnings)


def test_parquet_with_typed_columns_and_time_zones(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "user_id": [1.0, 1.0, 2.0, np.nan],
            "created_at": pd.to_datetime(
                ["2021-03-01 23:30", "2021-03-05 10:00", "2021-03-02 08:00", "2021-03-02 09:00"]
            ).tz_localize("America/New_York"),
            "order_value": [10.0, np.inf, 7.5, 3.0],
        }
    )
    path = tmp_path / "orders.parquet"
    frame.to_parquet(path)
    log, report = load_transactions(path)
    assert report.mapping == {"customer_id": "user_id", "timestamp": "created_at", "amount": "order_value"}
    assert report.columns == list(frame.columns)
    assert report.dropped["non_finite_number"] == 1 and report.examples["non_finite_number"] == [2]
    assert report.dropped["missing_customer_id"] == 1 and report.examples["missing_customer_id"] == [4]
    kept = log.to_pandas()
    assert kept["customer_id"].tolist() == ["1", "2"]
    # 23:30 in New York on 1 March is 04:30 UTC on 2 March.
    assert kept["timestamp"].iloc[0] == pd.Timestamp("2021-03-02 04:30")


def test_semicolon_csv_with_european_amounts_bom_and_day_first_dates(tmp_path: Path) -> None:
    rows = [
        ("a", "13.01.2021", "1.234,50 €"),
        ("a", "02.02.2021", "€ 10,00"),
        ("b", "03.02.2021", "(5,00)"),
        ("b", "04.02.2021", "0"),
    ]
    path = write_csv(
        tmp_path / "eu.csv", ("Kunde_ID", "date", "revenue"), rows, sep=";", encoding="utf-8-sig"
    )
    log, report = load_transactions(path, mapping={"customer_id": "Kunde_ID"})
    frame = log.to_pandas()
    assert frame["amount"].tolist() == pytest.approx([1234.50, 10.0])
    assert frame["timestamp"].tolist() == [pd.Timestamp("2021-01-13"), pd.Timestamp("2021-02-02")]
    assert report.dropped["return"] == 1 and report.examples["return"] == [4]
    assert report.dropped["zero_or_missing_amount"] == 1 and report.examples["zero_or_missing_amount"] == [5]


def test_us_amount_strings_iso_and_yyyymmdd_dates() -> None:
    frame = pd.DataFrame(
        {
            "customer": ["x", "x", "y", "y"],
            "order_date": ["2020-01-05", "2020-02-05T10:00:00+02:00", "20200301", "2020-03-02 12:00:00"],
            "sales": ["$1,234.50", "12", "1,000", "3.5"],
        }
    )
    log, _ = load_transactions(frame)
    kept = log.to_pandas().sort_values("timestamp")
    assert kept["amount"].tolist() == pytest.approx([1234.50, 12.0, 1000.0, 3.5])
    assert kept["timestamp"].tolist() == [
        pd.Timestamp("2020-01-05"),
        pd.Timestamp("2020-02-05 08:00"),
        pd.Timestamp("2020-03-01"),
        pd.Timestamp("2020-03-02 12:00"),
    ]


def test_ambiguous_slash_dates_are_month_first_with_a_warning_unless_asked(tmp_path: Path) -> None:
    rows = [("a", "01/02/2021", "5"), ("a", "03/04/2021", "6")]
    path = write_csv(tmp_path / "ambiguous.csv", ("customer_id", "date", "amount"), rows)
    log, report = load_transactions(path)
    assert log.to_pandas()["timestamp"].iloc[0] == pd.Timestamp("2021-01-02")
    assert any("month-first or day-first" in w for w in report.warnings)
    log, _ = load_transactions(path, dayfirst=True)
    assert log.to_pandas()["timestamp"].iloc[0] == pd.Timestamp("2021-02-01")


def test_rows_after_the_observation_end_are_dropped_and_counted() -> None:
    frame = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a"],
            "date": ["2021-01-01", "2021-01-31 23:59", "2021-02-01"],
            "amount": [1, 2, 3],
        }
    )
    log, report = load_transactions(frame, observation_end="2021-01-31")
    assert len(log) == 2
    assert report.dropped["after_observation_end"] == 1 and report.examples["after_observation_end"] == [3]


def test_cancellation_prefix_is_configurable() -> None:
    frame = pd.DataFrame(
        {
            "customer_id": ["a", "a"],
            "order_id": ["R-1", "1"],
            "date": ["2021-01-01", "2021-01-02"],
            "amount": [5, 5],
        }
    )
    _, default = load_transactions(frame)
    _, custom = load_transactions(frame, cancellation_prefix="R-")
    assert default.dropped["cancellation"] == 0
    assert custom.dropped["cancellation"] == 1


def test_cdnow_files_are_recognised_and_reproduce_the_published_summary(cdnow_files: Path) -> None:
    log, report = load_transactions(cdnow_files / "CDNOW_sample.txt", drop_zero_amounts=False)
    assert report.mapping["customer_id"] == "customer_id"
    assert report.rows_in == report.rows_kept == 6919
    summary = summarize(log, "1997-09-30", time_unit="W")
    reference = pd.read_csv(cdnow_files / "cdnow_customers_summary_with_transactions.csv")
    merged = reference.merge(summary.assign(ID=summary["customer_id"].astype(int)), on="ID")
    assert len(merged) == 2357
    np.testing.assert_array_equal(merged["x"], merged["frequency"])
    assert np.max(np.abs(merged["zbar"] - merged["monetary_value"])) <= 0.005 + 1e-9
    _, master_report = load_transactions(cdnow_files / "CDNOW_master.txt")
    assert master_report.rows_in == 69_659
    # By default $0 orders are dropped: 8 customers of the sample bought only for $0 in the calibration period.
    assert master_report.dropped["zero_or_missing_amount"] > 0
    default_log, _ = load_transactions(cdnow_files / "CDNOW_sample.txt")
    assert len(summarize(default_log, "1997-09-30", time_unit="W")) == 2349


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"customer_id,date,amount\n", "has a header (customer_id, date, amount) but no data rows"),
        (b"customer_id#date#amount\na#2020-01-01#5\n", "delimiter was not recognised"),
        (b"\x00\x01\x02binary\xff" * 20, "contains binary data"),
        (b"\xd0\xcf\x11\xe0old excel", "old Excel 97-2003"),
        (
            b"name,when,price\na,2020-01-01,5\n",
            "no customer id column found; columns seen: 'name', 'when', 'price'",
        ),
        (b"customer_id,when,amount\na,2020-01-01,5\n", "no date column found"),
        (b"customer_id,date,note\na,2020-01-01,5\n", "no amount column found"),
        (
            b"customer_id,date,amount\n,2020-01-01,5\n,2020-01-02,5\n",
            "all 2 rows of bad.csv were dropped: 2 no customer id",
        ),
    ],
)
def test_bad_files_get_actionable_messages(content: bytes, message: str) -> None:
    with pytest.raises(DataValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_transactions(content, file_name="bad.csv")


def test_pipe_and_tab_delimiters_are_sniffed_and_unknown_ones_name_the_file() -> None:
    for separator in ("|", "\t"):
        text = f"customer_id{separator}date{separator}amount\na{separator}2020-01-01{separator}5\n"
        log, _ = load_transactions(text.encode(), file_name="orders.csv")
        assert len(log) == 1
    with pytest.raises(DataValidationError) as error:
        load_transactions(b"customer_id~date~amount\na~2020-01-01~5\n", file_name="orders.csv")
    assert "orders.csv has only one column ('customer_id~date~amount')" in str(error.value)


def test_size_limit_is_enforced_with_a_clear_message(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "big.csv", ("customer_id", "date", "amount"), [("a", "2020-01-01", "5")] * 100
    )
    with pytest.raises(DataValidationError, match=r"over the 0 MB limit"):
        load_transactions(path, max_bytes=100)


def test_explicit_mapping_overrides_and_unknown_columns_are_named() -> None:
    frame = pd.DataFrame({"who": ["a"], "customer_id": ["b"], "when": ["2020-01-01"], "amount": [3.0]})
    log, report = load_transactions(frame, mapping={"customer_id": "who", "timestamp": "when"})
    assert log.to_pandas()["customer_id"].tolist() == ["a"]
    assert report.mapping["customer_id"] == "who"
    with pytest.raises(DataValidationError, match=r"customer_id -> 'nobody'.*columns seen"):
        load_transactions(frame, mapping={"customer_id": "nobody"})


def test_late_non_utf8_bytes_are_transcoded(tmp_path: Path) -> None:
    rows = [(f"c{i}", "2020-01-02", "1.5") for i in range(6000)] + [("café", "2020-01-03", "2")]
    path = write_csv(tmp_path / "late_latin1.csv", ("customer_id", "date", "amount"), rows, encoding="cp1252")
    log, _ = load_transactions(path)
    assert "café" in set(log.to_pandas()["customer_id"])


cells = st.one_of(st.none(), st.sampled_from(["", "nan", "abc", "-3", "0", "12.5", "1,234.50", "inf"]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(
        st.tuples(
            st.one_of(st.none(), st.sampled_from(["a", "b", "c"])),
            st.sampled_from(["2021-01-01", "2021-02-03 10:00", "garbage", None]),
            cells,
        ),
        min_size=1,
        max_size=30,
    )
)
def test_every_row_is_either_kept_or_counted_under_one_rule(rows: list[tuple[str | None, ...]]) -> None:
    frame = pd.DataFrame(rows, columns=["customer_id", "date", "amount"], dtype=object)
    try:
        log, report = load_transactions(frame)
    except DataValidationError as error:
        assert "were dropped" in str(error)
        return
    assert report.rows_in == len(frame)
    assert report.rows_kept + sum(report.dropped.values()) == report.rows_in
    assert len(log) == report.rows_kept
    assert (log.to_pandas()["amount"] > 0).all()


@pytest.mark.parametrize("dtype", ["str", object])
def test_blank_text_cells_of_a_dataframe_are_missing(dtype: object) -> None:
    frame = pd.DataFrame(
        {
            "customer_id": pd.Series(["a", " ", "\u00a0\t", None, " b "], dtype=dtype),
            "date": ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"],
            "amount": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )
    log, report = load_transactions(frame)
    assert report.dropped["missing_customer_id"] == 3
    assert report.examples["missing_customer_id"] == [2, 3, 4]
    assert sorted(log.to_pandas()["customer_id"]) == ["a", "b"]
