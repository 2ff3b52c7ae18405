"""Files that are damaged, mislabelled or shaped wrongly: refused in a sentence that names the file and the cause,
as the app's uploader (bytes with a file name) and the command line (a path) both meet them."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pandas as pd
import pytest

from clv.data import load_transactions, summarize
from clv.errors import DataValidationError

ROWS = [(f"c{i % 12}", f"2021-{i % 12 + 1:02d}-{i % 27 + 1:02d}", f"{10 + i % 7}.50") for i in range(60)]


def _csv(rows: list[tuple[str, ...]] = ROWS, header: str = "customer_id,date,amount") -> str:
    return header + "\n" + "".join(",".join(row) + "\n" for row in rows)


def _workbook(frame: pd.DataFrame, **options: object) -> bytes:
    buffer = io.BytesIO()
    frame.to_excel(buffer, **options)  # type: ignore[arg-type]
    return buffer.getvalue()


def _frame() -> pd.DataFrame:
    frame = pd.DataFrame(ROWS, columns=["customer_id", "date", "amount"])
    frame["amount"] = frame["amount"].astype(float)
    return frame


def test_a_truncated_upload_named_xlsx_is_refused_in_words() -> None:
    workbook = _workbook(_frame(), index=False)
    with pytest.raises(
        DataValidationError, match=r"orders\.xlsx is not a readable Excel workbook: it is truncated"
    ):
        load_transactions(workbook[: len(workbook) // 2], file_name="orders.xlsx")


def test_a_text_file_named_xlsx_is_read_as_the_csv_it_is_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "orders.xlsx"
    path.write_text(_csv())
    log, report = load_transactions(path)
    assert len(log) == len(ROWS)
    assert "orders.xlsx is not an Excel workbook but a text file: it was read as CSV" in report.warnings
    path.write_text("nothing to see")
    with pytest.raises(
        DataValidationError, match=r"orders\.xlsx is not an Excel workbook: it is a text file, and"
    ):
        load_transactions(path)


def test_a_gzip_file_is_read_as_what_it_holds_and_a_truncated_one_is_refused(tmp_path: Path) -> None:
    packed = gzip.compress(_csv().encode())
    log, report = load_transactions(packed, file_name="orders.csv.gz")
    plain, _ = load_transactions(_csv().encode(), file_name="orders.csv")
    pd.testing.assert_frame_equal(log.to_pandas(), plain.to_pandas())
    assert report.warnings == []
    with pytest.raises(
        DataValidationError, match=r"orders\.csv\.gz is not a readable gzip file: it is truncated"
    ):
        load_transactions(packed[:60], file_name="orders.csv.gz")
    with pytest.raises(DataValidationError, match=r"big\.csv\.gz \(decompressed\) is .* over the 0 MB limit"):
        load_transactions(gzip.compress(b"x" * 200_000), file_name="big.csv.gz", max_bytes=100_000)


def test_a_bad_file_in_a_parquet_glob_is_named(tmp_path: Path) -> None:
    _frame().to_parquet(tmp_path / "part-0.parquet")
    (tmp_path / "part-1.parquet").write_bytes((tmp_path / "part-0.parquet").read_bytes()[:-10])
    with pytest.raises(
        DataValidationError, match=r"part-1\.parquet \(one of the 2 files matching .*\) is not a"
    ):
        load_transactions(str(tmp_path / "*.parquet"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_csv([*ROWS[:3], ("c1", "2021-01-01"), *ROWS[3:9], ("c2", "2021-02-02", "1", "2"), *ROWS[9:]]),
         r"2 of 62 rows do not have the header's 3 fields \(comma-separated\): row 5 has 2, row 12 has 4\."),
        (_csv([*ROWS * 400, ("c1", "2021-01-01")]),
         r"1 of 24,001 rows do not have the header's 3 fields \(comma-separated\): row 24002 has 2\."),
        ("".join(f"{i:05d} 19970101 1 {i}.5\n" for i in range(30)) + "00031 19970102 1\n",
         r"1 of 31 lines do not have 4 whitespace-separated fields: line 31 has 3\."),
    ],
    ids=["early rows", "a row DuckDB meets while cleaning", "CDNOW whitespace"],
)  # fmt: skip
def test_rows_with_the_wrong_number_of_fields_are_named(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "orders.txt"
    path.write_text(text)
    with pytest.raises(DataValidationError, match=r"^orders\.txt: " + message):
        load_transactions(path)


def test_a_header_naming_a_column_twice_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(_csv([(*row, "1") for row in ROWS], header="customer_id,date,amount,Amount"))
    with pytest.raises(
        DataValidationError, match=r"orders\.csv names a column more than once \('amount' is "
    ):
        load_transactions(path)
    frame = _frame().set_axis(["customer_id", "date", "date"], axis=1)
    with pytest.raises(
        DataValidationError, match=r"orders\.xlsx names a column more than once \('date' is co"
    ):
        load_transactions(_workbook(frame, index=False), file_name="orders.xlsx")


def test_a_blank_headed_column_of_row_numbers_is_left_out(tmp_path: Path) -> None:
    frame = _frame()
    frame.index = frame.index + 1
    frame.to_csv(tmp_path / "r.csv", index_label="")
    frame.to_csv(tmp_path / "r.tsv", index_label="", sep="\t")  # the header starts with a tab
    repeated = pd.concat([frame, frame.iloc[:1].set_axis([999])])
    repeated["invoice"] = range(len(repeated))
    repeated.loc[999, "invoice"] = 0
    repeated.to_csv(tmp_path / "copies.csv", index_label="")
    for source, name in [
        (tmp_path / "r.csv", None),
        (tmp_path / "r.tsv", None),
        (_workbook(frame), "r.xlsx"),
    ]:
        _, report = load_transactions(source, file_name=name)
        assert report.columns == ["customer_id", "date", "amount"]
    _, report = load_transactions(tmp_path / "copies.csv")
    assert report.dropped["duplicate"] == 1  # the row number no longer makes the copy unique
    ids = [(f"{17850 + i % 12}", d, a) for i, (_, d, a) in enumerate(ROWS)]  # whole numbers, but they repeat
    (tmp_path / "ids.csv").write_text(_csv(ids, ",date,amount"))
    with pytest.raises(
        DataValidationError, match=r"no customer id column found; columns seen: 'column0', 'date'"
    ):
        load_transactions(tmp_path / "ids.csv")
    assert load_transactions(tmp_path / "ids.csv", {"customer_id": "column0"})[1].rows_kept == len(ROWS)


def test_amounts_no_order_has_are_dropped_and_tiny_ones_said(tmp_path: Path) -> None:
    rows = [
        (c, d, "1e300" if i % 10 == 0 else "1e-300" if i % 10 == 1 else a) for i, (c, d, a) in enumerate(ROWS)
    ]
    path = tmp_path / "orders.csv"
    path.write_text(_csv(rows))
    log, report = load_transactions(path)
    assert report.dropped["non_finite_number"] == 6 and report.examples["non_finite_number"][:2] == [2, 12]
    assert report.dropped["zero_or_missing_amount"] == 6
    assert any("6 amounts that are not zero but round to 0 at 9 decimals" in w for w in report.warnings)
    kept = sum(float(amount) for _, _, amount in rows if amount not in ("1e300", "1e-300"))
    assert summarize(log)["total_revenue"].sum() == pytest.approx(kept, rel=1e-12)
    path.write_text(_csv([(c, d, "1e-300") for c, d, _ in ROWS]))
    with pytest.raises(DataValidationError, match=r"all 60 rows .* round to 0 at 9 decimals"):
        load_transactions(path)


def test_a_log_of_one_day_is_warned_of(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(_csv([(c, "2021-03-04 10:00", a) for c, _, a in ROWS]))
    _, report = load_transactions(path)
    assert any("every purchase in orders.csv is on one day (2021-03-04)" in w for w in report.warnings)
    path.write_text(_csv())
    assert not any("one day" in w for w in load_transactions(path)[1].warnings)
