"""Cleaning internals that only show on larger files, and the issue's proof list not covered elsewhere.

Row numbers in the report are the positions of rows in the log's DuckDB table, written in file order. Files read by
several threads (many Parquet row groups, CSV larger than one reader buffer) must still give the exact rows; an
independent pandas cleaning of random valid logs must agree with ours row for row.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clv.data import load_transactions, summarize
from clv.errors import DataValidationError

LINES = 400_000
# Zero-based positions of the rows each rule must catch, spread over the whole file.
MISSING_ID = (5, 199_999, 350_001)
CANCELLED = (120_000, 399_990)
DUPLICATED = ((1_000, 300_000), (42, 399_999))  # (original, later exact copy)


@pytest.fixture(scope="module")
def large_log(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A 400k-line log as Parquet with 40 row groups and as a ~20 MB CSV, with rule breakers at known rows."""
    folder = tmp_path_factory.mktemp("large")
    ids = np.arange(LINES)
    frame = pd.DataFrame(
        {
            "invoice": (1_000_000 + ids).astype(str),
            "customer_id": (ids % 5_000).astype(str),
            "date": pd.Timestamp("2021-01-01") + pd.to_timedelta(ids % 700, unit="D"),
            "amount": 1.0 + (ids % 97),
            "note": "line " + pd.Series(ids).astype(str),
        }
    )
    frame.loc[list(MISSING_ID), "customer_id"] = ""
    frame.loc[list(CANCELLED), "invoice"] = "C" + frame.loc[list(CANCELLED), "invoice"]
    for original, copy in DUPLICATED:
        frame.loc[copy] = frame.loc[original]
    parquet = folder / "log.parquet"
    frame.to_parquet(parquet, row_group_size=10_000)
    csv = folder / "log.csv"
    frame.assign(date=frame["date"].dt.strftime("%m/%d/%Y 10:%M")).to_csv(csv, index=False)
    return {"parquet": parquet, "csv": csv}


@pytest.mark.parametrize("kind", ["parquet", "csv"])
def test_example_rows_are_exact_in_files_read_by_several_threads(
    large_log: dict[str, Path], kind: str
) -> None:
    first_row = 2 if kind == "csv" else 1  # a CSV's header is row 1
    connection = duckdb.connect()
    connection.execute("SET threads = 4")
    connection.execute("SET preserve_insertion_order = false")  # clean must restore file order for its table
    log, report = load_transactions(large_log[kind], connection=connection)
    assert report.rows_in == LINES
    assert report.examples["missing_customer_id"] == [p + first_row for p in MISSING_ID]
    assert report.examples["cancellation"] == [p + first_row for p in CANCELLED]
    assert report.examples["duplicate"] == sorted(copy + first_row for _, copy in DUPLICATED)
    assert report.rows_kept == LINES - len(MISSING_ID) - len(CANCELLED) - len(DUPLICATED) == len(log)
    assert connection.execute("SELECT current_setting('preserve_insertion_order')").fetchall() == [(False,)]


def test_identical_rows_are_kept_without_an_invoice_id_unless_asked() -> None:
    frame = pd.DataFrame(
        {"customer_id": ["a", "a", "b"], "date": ["2021-01-01"] * 3, "amount": [5.0, 5.0, 2.0]}
    )
    log, report = load_transactions(frame)
    assert len(log) == 3 and report.dropped["duplicate"] == 0
    log, report = load_transactions(frame, drop_duplicates=True)
    assert len(log) == 2 and report.examples["duplicate"] == [2]


def test_utf16_csv_and_a_glob_of_parquet_files(tmp_path: Path) -> None:
    text = "customer_id\tdate\tamount\nzoë\t2021-01-01\t5\nzoë\t2021-01-02\t6\n"
    log, _ = load_transactions(
        (tmp_path / "orders.csv").write_bytes(text.encode("utf-16")) and tmp_path / "orders.csv"
    )
    assert log.to_pandas()["customer_id"].tolist() == ["zoë", "zoë"]
    for part in range(3):
        pd.DataFrame(
            {
                "customer_id": [f"c{part}", "x"],
                "date": pd.to_datetime(["2021-01-01", "2021-01-02"]),
                "amount": [1.0, 0.0],
            }
        ).to_parquet(tmp_path / f"part-{part}.parquet")
    log, report = load_transactions(str(tmp_path / "part-*.parquet"))
    assert report.rows_in == 6 and len(log) == 3
    # Rows of a glob are counted across the files in name order: the zero amounts are rows 2, 4 and 6.
    assert report.examples["zero_or_missing_amount"] == [2, 4, 6]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda d: load_transactions(d / "missing.csv"), "file not found"),
        (lambda d: load_transactions(d), "is a folder, not a file"),
        (
            lambda d: load_transactions(b"PAR1 broken", file_name="x.parquet"),
            "x.parquet is not a readable Parquet file",
        ),
        (
            lambda d: load_transactions(pd.DataFrame([[1, 2]], columns=["a", "a"])),
            r"names a column more than once \('a' is columns 1, 2\)",
        ),
        (
            lambda d: load_transactions(
                pd.DataFrame({"customer_id": ["a"], "date": ["2021-01-01"], "amount": [1]}),
                mapping={"client": "x"},
            ),
            "unknown field\\(s\\) in the column mapping: client",
        ),
        (
            lambda d: load_transactions(
                pd.DataFrame({"customer_id": ["a"], "date": ["2021-01-01"], "amount": [1]}),
                observation_end="soon",
            ),
            "observation_end 'soon' is not a date",
        ),
        (lambda d: summarize(pd.DataFrame({"customer_id": ["a"]})), "missing: timestamp, amount"),
        (lambda d: summarize([1, 2]), "expected a Transactions log or a DataFrame"),
    ],
)
def test_more_bad_inputs_get_actionable_messages(tmp_path: Path, call: object, message: str) -> None:
    with pytest.raises(DataValidationError, match=message):
        call(tmp_path)  # type: ignore[operator]


def test_excel_with_a_missing_sheet_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "orders.xlsx"
    pd.DataFrame({"customer_id": ["a"], "date": ["2021-01-01"], "amount": [1]}).to_excel(path, index=False)
    with pytest.raises(DataValidationError, match=r"orders\.xlsx could not be read as an Excel workbook"):
        load_transactions(path, sheet_name="Orders 2021")


# Random valid Online-Retail-style logs: lines of invoices at times of day, with cancellations and exact copies.
invoice_lines = st.lists(
    st.tuples(
        st.sampled_from(["17850.0", "13047.0", "12583.0", "9"]),  # customer ids as float exports write them
        st.integers(min_value=0, max_value=60),  # day
        st.integers(min_value=0, max_value=3),  # invoice of that customer-day
        st.integers(min_value=0, max_value=23 * 60),  # minute of the day
        st.integers(min_value=1, max_value=12),  # quantity
        st.sampled_from(["0.85", "2.55", "12.5", "1,250.00"]),  # unit price
        st.booleans(),  # cancelled
        st.booleans(),  # written twice
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=invoice_lines, unit=st.sampled_from(["D", "W", "M"]))
def test_random_valid_logs_agree_with_an_independent_cleaning(
    lines: list[tuple[object, ...]], unit: str
) -> None:
    rows = []
    for customer, day, invoice, minute, quantity, price, cancelled, twice in lines:
        stamp = pd.Timestamp("2021-03-01") + pd.Timedelta(days=day, minutes=minute)
        number = f"{'C' if cancelled else ''}{5000 + day * 10 + invoice}"
        row = (
            number,
            customer,
            stamp.strftime("%m/%d/%Y %H:%M"),
            str(-quantity if cancelled else quantity),
            price,
        )
        rows.extend([row, row] if twice else [row])
    raw = pd.DataFrame(rows, columns=["InvoiceNo", "CustomerID", "InvoiceDate", "Quantity", "UnitPrice"])
    try:
        log, report = load_transactions(raw)
    except DataValidationError as error:  # every line was a cancellation
        assert "were dropped" in str(error) and raw["InvoiceNo"].str.startswith("C").all()
        return
    # Independently: cancellations out, then exact copies of a kept line out, amounts computed in pandas.
    kept = raw[~raw["InvoiceNo"].str.startswith("C")].drop_duplicates()
    amount = kept["Quantity"].astype(float) * kept["UnitPrice"].str.replace(",", "").astype(float)
    assert report.rows_kept == len(kept) == len(log)
    assert report.dropped["cancellation"] + report.dropped["duplicate"] == len(raw) - len(kept)
    summary = summarize(log, time_unit=unit).set_index("customer_id")
    assert summary["total_revenue"].sum() == pytest.approx(amount.sum(), rel=1e-12)
    days = pd.to_datetime(kept["InvoiceDate"], format="%m/%d/%Y %H:%M").dt.normalize()
    distinct_days = days.groupby(kept["CustomerID"].str.removesuffix(".0")).nunique()
    assert (summary["frequency"] < distinct_days.reindex(summary.index)).all()
    assert (summary["frequency"] == distinct_days.reindex(summary.index) - 1).all()
    assert ((summary["recency"] >= 0) & (summary["recency"] <= summary["T"])).all()
    orders = kept.assign(day=days.to_numpy()).groupby(kept["CustomerID"].str.removesuffix(".0"))[
        ["day", "InvoiceNo"]
    ]
    assert (
        summary["n_orders"] == orders.apply(lambda g: len(g.drop_duplicates())).reindex(summary.index)
    ).all()
