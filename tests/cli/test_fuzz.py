"""Bad and awkward inputs, made here, through ``clv predict`` and through ``load_transactions`` + ``clv.run``.

Every case ends in one of two ways: exit 0 with finite, non-negative numbers in the predictions (``clv_learned`` may
be empty, and ``expected_next_purchase`` for a customer not expected back), or exit 2 with a message that names the
file and the cause. Never a traceback. Each case says which of the two it expects, and for a refusal a phrase of the
cause, so a reader that starts to refuse good files, or to accept bad ones silently, is caught. Refusals are checked
through the library too (``load_transactions``, then ``clv.run``): the same cause, as a DataValidationError.

At the time of writing: 92 inputs, 50 refused in words and 42 predicted, and 60 damaged copies of good files. Before
the fixes of issue 15, 8 of the inputs ended in a traceback, 4 good files were refused (gzip, gzipped Excel, UTF-32,
a few amounts of 1e300), 2 bad ones were accepted silently (a ragged CDNOW file, a header naming ``amount`` twice),
and 17 of the damaged copies ended in a traceback.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import random
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import clv
from clv.cli import EXIT_BAD_INPUT, app
from clv.data import load_transactions
from clv.errors import DataValidationError

runner = CliRunner()
HEADER = ("customer_id", "timestamp", "amount")
Row = tuple[str, str, str]
MAY_BE_EMPTY = {"clv_learned", "expected_next_purchase"}


def purchases(customers: int = 30, seed: int = 1) -> list[Row]:
    """Customers with one to six purchases on distinct days of 2020 (most of them repeat buyers)."""
    draw = random.Random(seed)
    rows = []
    for customer in range(customers):
        days = sorted(draw.sample(range(1, 366), draw.randint(1, 6)))
        for day in days:
            stamp = pd.Timestamp("2020-01-01") + pd.Timedelta(days=day - 1)
            rows.append((f"C{customer:03d}", stamp.strftime("%Y-%m-%d"), f"{draw.uniform(5, 120):.2f}"))
    return rows


def _csv(
    rows: list[Row] | list[tuple[str, ...]], header: tuple[str, ...] = HEADER, delimiter: str = ","
) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _with(column: int, values: Callable[[int, str], str], rows: list[Row] | None = None) -> list[Row]:
    """The purchases with column ``column`` of row ``i`` replaced by ``values(i, old)``."""
    changed = []
    for i, row in enumerate(rows or purchases()):
        cells = list(row)
        cells[column] = values(i, cells[column])
        changed.append((cells[0], cells[1], cells[2]))
    return changed


def _frame(rows: list[Row] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame(rows or purchases(), columns=list(HEADER))
    frame["amount"] = frame["amount"].astype(float)
    return frame


def _xlsx_bytes() -> bytes:
    return _excel(_frame(), index=False)


def _parquet_bytes(renamed: bool = False) -> bytes:
    buffer = io.BytesIO()
    _frame().rename(columns={"amount": "revenue"} if renamed else {}).to_parquet(buffer)
    return buffer.getvalue()


def _damaged(content: bytes, where: float) -> bytes:
    """``content`` with 200 bytes flipped from ``where`` (a share of the length, or an offset from the end)."""
    start = int(len(content) * where) if 0 < where < 1 else len(content) + int(where)
    flipped = bytes(byte ^ 0xFF for byte in content[start : start + 200])
    return content[:start] + flipped + content[start + 200 :]


def _parquet_bytes_indexed() -> bytes:
    buffer = io.BytesIO()
    _frame().set_index("customer_id").to_parquet(buffer)
    return buffer.getvalue()


def _zip_of(member: str, text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(member, text)
    return buffer.getvalue()


def _glob(directory: Path, second: bytes) -> str:
    folder = directory / "parts"
    folder.mkdir()
    (folder / "part-0.parquet").write_bytes(_parquet_bytes())
    (folder / "part-1.parquet").write_bytes(second)
    return str(folder / "*.parquet")


def _cdnow(rows: list[Row]) -> str:
    return "".join(f"{int(r[0][1:]) + 1:05d} {r[1].replace('-', '')} 1 {r[2]}\n" for r in rows)


def _ragged_late(directory: Path) -> bytes:
    rows = [f"{r[0]},{r[1]},{r[2]}" for r in purchases(customers=400)]
    rows[900] = "C001,2020-03-01"  # far past DuckDB's sniffing sample: met while cleaning
    return ("customer_id,timestamp,amount\n" + "\n".join(rows) + "\n").encode()


@dataclass(frozen=True)
class Case:
    """One input: its file name, how to make its bytes (or the path argument, for globs), and what should happen."""

    name: str
    content: Callable[[Path], bytes]
    refused: str | None = None  # a phrase of the refusal; None: predictions are expected
    argument: Callable[[Path], str] | None = None
    warned: str | None = None  # a phrase of a warning the accepted input must get


def _excel(frame: pd.DataFrame, **options: object) -> bytes:
    buffer = io.BytesIO()
    frame.to_excel(buffer, **options)  # type: ignore[arg-type]
    return buffer.getvalue()


def _one_heavy_buyer() -> list[Row]:
    """One customer who buys every day, and a dozen who bought once."""
    days = pd.date_range("2020-01-01", periods=300).strftime("%Y-%m-%d")
    return [("H", day, "5") for day in days] + [(f"O{i}", "2020-03-01", "5") for i in range(12)]


def _two_sheets() -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer) as workbook:
        pd.DataFrame().to_excel(workbook, sheet_name="Empty")
        _frame().to_excel(workbook, sheet_name="Orders", index=False)
    return buffer.getvalue()


def _late_null(_: Path) -> bytes:
    """A NUL byte past the first 64 KB, where the binary sniffing does not look."""
    text = _csv(_with(0, lambda i, v: v * 250)).encode()
    return text[:70_000] + b"\x00" + text[70_000:]


def _text(text: str, encoding: str = "utf-8") -> Callable[[Path], bytes]:
    return lambda _: text.encode(encoding)


def _rows_text(rows: Callable[[], list[Row]], **options: object) -> Callable[[Path], bytes]:
    return lambda _: _csv(rows(), **options).encode()  # type: ignore[arg-type]


GOOD = _csv(purchases())
CASES = [
    # Files that are not a log at all.
    Case("empty.csv", _text(""), "is empty"),
    Case("header_only.csv", _text("customer_id,timestamp,amount\n"), "no data rows"),
    Case("blank_lines.csv", _text("\n \r\n\t\n"), "is empty"),
    Case("binary.csv", lambda _: bytes(range(256)) * 8, "binary data"),
    Case("page.html", _text("<html><body><h1>Orders</h1><p>none yet</p></body></html>\n"), "delimiter"),
    Case("null_bytes.csv", lambda _: GOOD.encode()[:200] + b"\x00\x00" + GOOD.encode()[200:], "binary data"),
    Case(
        "prose.txt",
        _text("Dear team\nthe orders are attached below\nbest regards from the shop\nSam\n"),
        "delimiter",
    ),
    Case("one_column.csv", _text("customer_id\n" + "".join(f"C{i}\n" for i in range(30))), "only one column"),
    Case("long_line.csv", _text(GOOD + "C001,2020-01-01," + "9" * 2_100_000 + "\n"), "Maximum line size"),
    Case("tilde.csv", _text(GOOD.replace(",", "~")), "the delimiter was not recognised"),
    Case("missing.csv", lambda _: b"", "file not found", argument=lambda d: str(d / "missing.csv")),
    Case("folder", lambda _: b"", "is a folder, not a file", argument=lambda d: str(d)),
    Case("old.xls", lambda _: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "Excel 97-2003"),
    # Damaged or mislabelled binary formats.
    Case("text.xlsx", _text("hello, this is not a workbook"), "is not an Excel workbook"),
    Case("truncated.xlsx", lambda _: _xlsx_bytes()[:700], "truncated or damaged"),
    Case("archive.xlsx", lambda _: _zip_of("notes.txt", "hello"), "not a readable Excel workbook"),
    Case("truncated.parquet", lambda _: _parquet_bytes()[:300], "truncated or damaged"),
    Case(
        "damaged_pages.parquet",
        lambda _: _damaged(_parquet_bytes(), 1 / 3),
        "could not be read: Failed to read",
    ),
    Case("damaged_footer.parquet", lambda _: _damaged(_parquet_bytes(), -208), "not a readable Parquet file"),
    Case(
        "glob_schemas",
        lambda _: b"",
        "schema mismatch",
        argument=lambda d: _glob(d, _parquet_bytes(renamed=True)),
    ),
    Case("text.parquet", _text("hello"), "is not a Parquet file"),
    Case("glob_bad", lambda _: b"", "part-1.parquet", argument=lambda d: _glob(d, b"PAR1 not really")),
    Case("glob_text", lambda _: b"", "part-1.parquet", argument=lambda d: _glob(d, b"a,b\n1,2\n")),
    Case("glob_none", lambda _: b"", "no file matches", argument=lambda d: str(d / "nothing" / "*.parquet")),
    Case(
        "zipped.csv",
        lambda _: _zip_of("orders.csv", GOOD),
        "is a zip archive but not a readable Excel workbook",
    ),
    Case(
        "duplicate_header.xlsx",
        lambda _: _excel(_frame().set_axis(["customer_id", "amount", "amount"], axis=1), index=False),
        "'amount' is columns 2, 3",
    ),
    Case(
        "empty_first_sheet.xlsx",
        lambda _: _two_sheets(),
        "the first sheet is empty (the workbook's sheets: 'Empty'",
    ),
    Case("truncated.csv.gz", lambda _: gzip.compress(GOOD.encode())[:120], "not a readable gzip file"),
    Case("garbage.csv.gz", lambda _: b"\x1f\x8b" + bytes(range(200)), "not a readable gzip file"),
    Case("text.csv.gz", _text("hello"), "is not a gzip file"),
    # Rows and headers that do not fit.
    Case("ragged.csv", _text(GOOD.replace("\nC003,", "\nC003,x,", 1).replace("\nC005,", "\n", 1)), "row "),
    Case("ragged_late.csv", _ragged_late, "row 902 has 2"),
    Case(
        "cdnow_ragged.txt", _text(_cdnow(purchases()) + "00077 19970101 1\n"), "whitespace-separated fields"
    ),
    Case(
        "duplicate_header.csv",
        _rows_text(lambda: [(*r, r[2]) for r in purchases()], header=(*HEADER, "amount")),
        "'amount' is columns 3, 4",
    ),
    Case(
        "no_customer.csv",
        _rows_text(purchases, header=("who", "timestamp", "amount")),
        "no customer id column",
    ),
    Case("no_date.csv", _rows_text(purchases, header=("customer_id", "when", "amount")), "no date column"),
    Case(
        "no_amount.csv", _rows_text(purchases, header=("customer_id", "timestamp", "x")), "no amount column"
    ),
    # Values no model can use.
    Case("nan_amounts.csv", _rows_text(lambda: _with(2, lambda i, v: "NaN")), "dropped"),
    Case("inf_amounts.csv", _rows_text(lambda: _with(2, lambda i, v: "inf" if i % 2 else "-inf")), "dropped"),
    Case("huge_amounts.csv", _rows_text(lambda: _with(2, lambda i, v: "1e300")), "beyond +-1e15"),
    Case("tiny_amounts.csv", _rows_text(lambda: _with(2, lambda i, v: "1e-300")), "round to 0 at 9 decimals"),
    Case("zero_only.csv", _rows_text(lambda: _with(2, lambda i, v: "0")), "amount is zero or missing"),
    Case("negative_only.csv", _rows_text(lambda: _with(2, lambda i, v: "-" + v)), "return or refund"),
    Case(
        "blank_ids.csv", _rows_text(lambda: _with(0, lambda i, v: " " if i % 2 else "NULL")), "no customer id"
    ),
    Case("bad_dates.csv", _rows_text(lambda: _with(1, lambda i, v: "soon")), "date could not be read"),
    Case("year_10000.csv", _rows_text(lambda: _with(1, lambda i, v: "1" + v)), "date could not be read"),
    Case("one_customer.csv", _rows_text(lambda: _with(0, lambda i, v: "C000")), "only 1 customers"),
    Case("one_day.csv", _rows_text(lambda: _with(1, lambda i, v: "2020-06-01")), "on one day (2020-06-01)"),
    Case(
        "one_time_buyers.csv", _rows_text(lambda: _with(0, lambda i, v: f"C{i:04d}")), "no repeat purchases"
    ),
    Case("one_heavy_buyer.csv", _text(_csv(_one_heavy_buyer())), "only 1 customers with repeat purchases"),
    # Awkward but good: predictions expected.
    Case("same_amount.csv", _rows_text(lambda: _with(2, lambda i, v: "10.00"))),
    Case("wild_amounts.csv", _rows_text(lambda: _with(2, lambda i, v: ["0.001", "1e12", "5"][i % 3]))),
    Case("plain.csv", _text(GOOD)),
    Case("bom.csv", _text("\ufeff" + GOOD)),
    Case("utf16.csv", _text(GOOD, "utf-16")),
    Case("cp1252.csv", _text(GOOD.replace("C00", "Café-"), "cp1252")),
    Case("crlf.csv", _text(GOOD.replace("\n", "\r\n"))),
    Case(
        "semicolon_decimal_comma.csv", _text(_csv(_with(2, lambda i, v: v.replace(".", ",")), delimiter=";"))
    ),
    Case("tabs.tsv", _rows_text(purchases, delimiter="\t")),
    Case("pipes.txt", _rows_text(purchases, delimiter="|")),
    Case("gzip.csv.gz", lambda _: gzip.compress(GOOD.encode())),
    Case("workbook.xlsx", lambda _: _xlsx_bytes()),
    Case("csv_named.xlsx", _text(GOOD), warned="is not an Excel workbook but a text file"),
    Case("workbook.xlsx.gz", lambda _: gzip.compress(_xlsx_bytes())),
    Case("row_numbers.xlsx", lambda _: _excel(_frame().set_axis(range(1, len(_frame()) + 1)))),
    Case("indexed.parquet", lambda _: _parquet_bytes_indexed()),
    Case("utf16_big_endian.csv", lambda _: b"\xfe\xff" + GOOD.encode("utf-16-be")),
    Case("utf32.csv", _text(GOOD, "utf-32")),
    Case("old_mac_line_ends.csv", _text(GOOD.replace("\n", "\r"))),
    Case("odd_utf16.csv", lambda _: GOOD.encode("utf-16")[:-1]),
    Case("late_null.csv", _late_null),
    Case("orders.parquet", lambda _: _parquet_bytes()),
    Case("glob_good", lambda _: b"", argument=lambda d: _glob(d, _parquet_bytes())),
    Case("cdnow.txt", _text(_cdnow(purchases()))),
    Case("cdnow_stray_quote.txt", _text('"' + _cdnow(purchases()))),
    Case("r_row_names.csv", _text(_csv([(str(i), *r) for i, r in enumerate(purchases(), 1)], ("", *HEADER)))),
    Case(
        "quoted_ids.csv",
        _rows_text(lambda: _with(0, lambda i, v: ['a,"b"', "line\nbreak", "x;y"][i % 3] + v)),
    ),
    Case(
        "formula_ids.csv",
        _rows_text(lambda: _with(0, lambda i, v: ["=1+2", "+cmd|' /C calc'!A0", "@SUM(A1)"][i % 3] + v)),
    ),
    Case("unicode_ids.csv", _rows_text(lambda: _with(0, lambda i, v: "顧客🙂" + v))),
    Case("long_ids.csv", _rows_text(lambda: _with(0, lambda i, v: v * 200))),
    Case("float_ids.csv", _rows_text(lambda: _with(0, lambda i, v: f"{int(v[1:]) + 17850}.0"))),
    Case("padded.csv", _rows_text(lambda: [tuple(f"  {c}  " for c in r) for r in purchases()])),  # type: ignore[misc]
    Case("currency.csv", _rows_text(lambda: _with(2, lambda i, v: f"${float(v) * 100:,.2f}"))),
    Case(
        "time_zones.csv",
        _rows_text(lambda: _with(1, lambda i, v: v + ["T23:30:00+05:00", "T01:00:00Z", ""][i % 3])),
    ),
    Case(
        "mixed_dates.csv",
        _rows_text(
            lambda: _with(
                1, lambda i, v: [v, v.replace("-", ""), pd.Timestamp(v).strftime("%m/%d/%Y")][i % 3]
            )
        ),
    ),
    Case("year_1900.csv", _rows_text(lambda: _with(1, lambda i, v: "19" + v[2:]))),
    Case("some_nan_inf.csv", _rows_text(lambda: _with(2, lambda i, v: ["nan", "inf", v, v, v][i % 5]))),
    Case("some_huge.csv", _rows_text(lambda: _with(2, lambda i, v: "1e300" if i % 7 == 0 else v))),
    Case("some_zero_negative.csv", _rows_text(lambda: _with(2, lambda i, v: ["0", "-5", v, v][i % 4]))),
    Case(
        "some_year_10000.csv", _rows_text(lambda: _with(1, lambda i, v: "10000-01-01" if i % 9 == 0 else v))
    ),
    Case("duplicated_rows.csv", _text(GOOD + GOOD.split("\n", 1)[1])),
    Case("trailing_delimiter.csv", _text("\n".join(line + "," for line in GOOD.splitlines()) + "\n")),
]


def _argument(case: Case, directory: Path) -> str:
    if case.argument is not None:
        return case.argument(directory)
    path = directory / case.name
    path.write_bytes(case.content(directory))
    return str(path)


def _check_predictions(frame: pd.DataFrame) -> None:
    assert len(frame) > 0
    for column in frame.columns:
        values = frame[column]
        if column not in MAY_BE_EMPTY:
            assert values.notna().all(), f"{column} has missing values"
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            present = values.dropna().to_numpy(dtype=float)
            assert np.isfinite(present).all(), f"{column} is not finite"
            assert (present >= 0).all(), f"{column} is negative"
    dates = pd.to_datetime(frame["expected_next_purchase"].dropna(), errors="coerce")
    assert dates.notna().all(), "expected_next_purchase holds a value that is not a date"


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_the_command_line_refuses_in_words_or_predicts_sanely(case: Case, tmp_path: Path) -> None:
    argument = _argument(case, tmp_path)
    output = tmp_path / "predictions.csv"
    result = runner.invoke(app, ["predict", argument, "-o", str(output), "--no-backtest"])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{case.name}: traceback instead of a message") from result.exception
    said = " ".join(result.output.split())  # the console wraps long lines
    if case.refused is None:
        assert result.exit_code == 0, said
        assert case.warned is None or case.warned in said, said
        _check_predictions(
            pd.read_csv(output, dtype={"customer_id": str}, keep_default_na=False, na_values=[""])
        )
    else:
        assert result.exit_code == EXIT_BAD_INPUT, said
        assert case.refused in said, said
        assert Path(argument).name in said, said
        assert "LINE " not in said and "0" * 40 not in said, said  # no SQL, no 300-digit numbers


@pytest.mark.parametrize("case", [case for case in CASES if case.refused is None], ids=lambda case: case.name)
def test_the_library_loads_and_runs_what_the_command_line_predicts(case: Case, tmp_path: Path) -> None:
    log, report = load_transactions(_argument(case, tmp_path))
    results = clv.run(log, clv.Settings(backtest=False, learned=False))
    _check_predictions(results.predictions)
    assert report.rows_kept == len(log)
    assert math.isfinite(results.total[0]) and results.total[0] > 0


@pytest.mark.parametrize("case", [case for case in CASES if case.refused], ids=lambda case: case.name)
def test_the_library_refuses_what_the_command_line_refuses(case: Case, tmp_path: Path) -> None:
    assert case.refused is not None
    try:
        log, report = load_transactions(_argument(case, tmp_path))
    except DataValidationError as error:
        assert case.refused in " ".join(str(error).split())
        return
    with pytest.raises(DataValidationError) as refused:
        clv.run(log, clv.Settings(backtest=False, learned=False))
    assert case.refused in " ".join([str(refused.value), *report.warnings])


GOOD_FILES: dict[str, Callable[[], bytes]] = {
    "orders.csv": lambda: GOOD.encode(),
    "orders.xlsx": _xlsx_bytes,
    "orders.parquet": _parquet_bytes,
    "orders.csv.gz": lambda: gzip.compress(GOOD.encode()),
    "cdnow.txt": lambda: _cdnow(purchases()).encode(),
    "utf16.csv": lambda: GOOD.encode("utf-16"),
}


@pytest.mark.parametrize("seed", range(60))
def test_damaged_copies_of_good_files_load_or_are_refused_in_words(seed: int, tmp_path: Path) -> None:
    """A good file of each format with a few random bytes changed, or cut short (seeded: the same bytes every run)."""
    draw = random.Random(seed)
    name = draw.choice(sorted(GOOD_FILES))
    damaged = bytearray(GOOD_FILES[name]())
    if seed % 3 == 0:
        damaged = damaged[: draw.randrange(1, len(damaged))]
    else:
        for _ in range(draw.randint(1, 20)):
            damaged[draw.randrange(len(damaged))] = draw.randrange(256)
    path = tmp_path / name
    path.write_bytes(bytes(damaged))
    try:
        log, _ = load_transactions(path)
    except DataValidationError as error:
        assert name in str(error)
        return
    assert len(log) > 0
