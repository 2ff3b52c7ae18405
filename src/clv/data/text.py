"""Text readers: delimited files (read by DuckDB, delimiter sniffed) and CDNOW-style whitespace files (pandas).

When DuckDB cannot read a delimited file, or meets a bad row while a later step reads it, the file is scanned once
in Python to say what is wrong in the words of the file: the rows whose number of fields differs from the header's.
"""

from __future__ import annotations

import csv
import itertools
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd

from clv.data.raw import (
    RawTable,
    checked,
    first_line,
    from_frame,
    new_view_name,
    refuse_duplicates,
    sql_string,
    view_columns,
)
from clv.errors import DataValidationError

DELIMITERS = ",;\t|"
SHOWN_ROWS = 5
WHITESPACE_SHARE = 0.8
READ_ERRORS = (duckdb.InvalidInputException, duckdb.IOException, duckdb.ConversionException)
CDNOW_COLUMNS = {
    4: ["customer_id", "date", "number_of_cds", "dollar_value"],
    5: ["master_id", "customer_id", "date", "number_of_cds", "dollar_value"],
}


def read_text(connection: duckdb.DuckDBPyConnection, path: Path, name: str) -> RawTable:
    """A UTF-8 text file (a BOM is fine) as a raw table: CDNOW-style whitespace columns, else delimited text."""
    with path.open("r", encoding="utf-8-sig", errors="replace") as handle:
        lines = [line for line in itertools.islice(handle, 50) if line.strip()]
    if is_whitespace_table(lines):
        return _read_whitespace(connection, path, name, lines)
    view = new_view_name()
    options = "header = true, all_varchar = true, sample_size = 20480, compression = 'none'"  # gzip: see clv.data.io
    source = f"read_csv({sql_string(str(path))}, {options})"
    try:
        connection.execute(f"CREATE TEMP VIEW {view} AS SELECT * FROM {source}")
        columns = view_columns(connection, view)
    except duckdb.Error as error:
        raise DataValidationError(_unreadable(path, name, lines, error)) from error
    if len(columns) == 1:
        raise DataValidationError(_unreadable(path, name, lines, None))
    header = lines[0].rstrip("\r\n") if lines else ""  # a blank first name before a tab is kept
    delimiter = _delimiter_of(header, len(columns))
    names = next(csv.reader([header], delimiter=delimiter)) if delimiter else columns
    refuse_duplicates(name, names)
    table = checked(connection, view, columns, name, first_row=2, blank_first=not names[0].strip())
    table.text_file, table.delimiter = path, delimiter
    return table


def _delimiter_of(header: str, width: int) -> str | None:
    """The delimiter that splits ``header`` into the ``width`` columns DuckDB found, if one does."""
    for delimiter in DELIMITERS:
        if len(next(csv.reader([header], delimiter=delimiter))) == width:
            return delimiter
    return None


def _unreadable(path: Path, name: str, lines: list[str], error: duckdb.Error | None) -> str:
    """Why a text file could not be read as delimited text: rows with the wrong number of fields when its header
    has a delimiter, else DuckDB's reason or an unrecognised delimiter."""
    header = lines[0].strip() if lines else ""
    marks = Counter(mark for mark in header if mark in DELIMITERS)
    if marks:
        delimiter = marks.most_common(1)[0][0]
        ragged = ragged_rows(path, delimiter)
        if ragged:
            return f"{name}: {ragged}"
    if error is not None:
        return (
            f"{name} could not be read as CSV: {_csv_reason(error)}. Check that it is a comma-, semicolon- or "
            "tab-separated text file with one header line"
        )
    return (
        f"{name} has only one column ({header[:120]!r}): the delimiter was not recognised. Save the file as "
        "comma-, semicolon- or tab-separated CSV with one header line"
    )


def ragged_rows(path: Path, delimiter: str) -> str | None:
    """Which rows of a delimited file have another number of fields than its header (in words), or None (also when
    the file is too odd to tell: a field over Python's csv limit of 128 KB, say)."""
    with path.open("r", encoding="utf-8-sig", errors="replace", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)

        def widths() -> Iterator[tuple[int, int]]:
            line = reader.line_num
            for record in reader:
                start, line = line + 1, reader.line_num
                if record and (len(record) > 1 or record[0].strip()):
                    yield start, len(record)

        try:
            header = next(reader, None)
            if header is None:
                return None
            wrong, rows, shown = _wrong_widths(widths(), len(header), "row")
        except csv.Error:
            return None
    if not wrong:
        return None
    return (
        f"{wrong:,} of {rows:,} rows do not have the header's {len(header)} fields ({_said(delimiter)}-separated): "
        f"{shown}. Fix or remove those rows (a field that contains the delimiter must be quoted)"
    )


def _wrong_widths(widths: Iterator[tuple[int, int]], width: int, unit: str) -> tuple[int, int, str]:
    """Of (row number, number of fields) pairs: how many have not ``width`` fields, how many there are, and the
    first few wrong ones in words ("row 3 has 2, row 9 has 5 (and 4 more rows)")."""
    shown: list[str] = []
    wrong = rows = 0
    for number, fields in widths:
        rows += 1
        if fields != width:
            wrong += 1
            if len(shown) < SHOWN_ROWS:
                shown.append(f"{unit} {number} has {fields}")
    more = f" (and {wrong - len(shown):,} more {unit}s)" if wrong > len(shown) else ""
    return wrong, rows, ", ".join(shown) + more


def _said(delimiter: str) -> str:
    return {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}.get(delimiter, repr(delimiter))


def reading_failed(error: duckdb.Error) -> bool:
    """Whether DuckDB failed to read a source (a bad row, a damaged file), rather than to run a query (a bug) or
    for want of memory."""
    return isinstance(error, READ_ERRORS) or type(error) is duckdb.Error


def read_error(raw: RawTable, error: duckdb.Error) -> DataValidationError:
    """An error met while reading ``raw``'s rows after it was opened, in words: for a CSV, the rows with the wrong
    number of fields when there are any; otherwise the first line of DuckDB's message."""
    if raw.text_file is not None and raw.delimiter is not None:
        ragged = ragged_rows(raw.text_file, raw.delimiter)
        if ragged:
            return DataValidationError(f"{raw.source_name}: {ragged}")
        line = re.search(r"CSV Error on Line: (\d+)", str(error))
        where = f" (line {line.group(1)})" if line else ""
        return DataValidationError(f"{raw.source_name} could not be read{where}: {_csv_reason(error)}")
    return DataValidationError(f"{raw.source_name} could not be read: {first_line(error)}")


def _csv_reason(error: duckdb.Error) -> str:
    """DuckDB's CSV error in a line: its first line and the first that explains it (not the quoted row, the fixes
    it proposes, the reader's options or the SQL)."""
    skipped = ("Original Line", "Possible", "*", "LINE ", "^", "file =")
    lines = [line.strip() for line in str(error).splitlines()[1:] if line.strip()]
    reasons = [line for line in lines if not line.startswith(skipped) and " = " not in line][:1]
    return "; ".join(line.rstrip(".") for line in [first_line(error), *reasons])[:300]


def is_whitespace_table(lines: list[str]) -> bool:
    """CDNOW-style files: no comma, semicolon, tab or pipe, and nearly every line (after a header) of one number,
    at least three, of whitespace-separated fields. ``lines``: the first non-blank lines of the file (50 are read);
    the Spark engine (:mod:`clv.spark.files`) asks the same question."""
    if not lines or any(mark in line for line in lines for mark in DELIMITERS):
        return False
    body = lines[1:] or lines
    width, count = Counter(len(line.split()) for line in body).most_common(1)[0]
    return width >= 3 and count >= WHITESPACE_SHARE * len(body)


def whitespace_names(lines: list[str]) -> list[str] | None:
    """The column names of a whitespace table without a header line (CDNOW's, by their number), or None when its
    first line is a header (a line of numbers is data)."""
    if not all(re.fullmatch(r"[-+]?[\d.]+", token.strip("\"'")) for token in lines[0].split()):
        return None
    width = Counter(len(line.split()) for line in lines).most_common(1)[0][0]
    return CDNOW_COLUMNS.get(width, [f"column_{i + 1}" for i in range(width)])


def _read_whitespace(
    connection: duckdb.DuckDBPyConnection, path: Path, name: str, lines: list[str]
) -> RawTable:
    names = whitespace_names(lines)
    has_header = names is None
    _refuse_ragged_whitespace(path, name, len(lines[0].split()) if names is None else len(names))
    try:  # whitespace files quote nothing: a quote mark is part of a field
        frame = pd.read_csv(
            path, sep=r"\s+", header=0 if has_header else None, names=names, dtype=str, quoting=csv.QUOTE_NONE
        )
    except (pd.errors.ParserError, ValueError) as error:
        raise DataValidationError(
            f"{name} could not be read as a whitespace-separated file: {first_line(error)}"
        ) from error
    return from_frame(connection, frame, name, first_row=2 if has_header else 1, parsed=has_header)


def _refuse_ragged_whitespace(path: Path, name: str, width: int) -> None:
    """Refuse a whitespace-separated file whose lines do not all have ``width`` fields, naming them."""
    with path.open("r", encoding="utf-8-sig", errors="replace") as handle:
        numbered = ((number, len(line.split())) for number, line in enumerate(handle, start=1))
        wrong, rows, shown = _wrong_widths(((n, w) for n, w in numbered if w), width, "line")
    if wrong:
        raise DataValidationError(
            f"{name}: {wrong:,} of {rows:,} lines do not have {width} whitespace-separated fields: {shown}. Fix or "
            "remove those lines, or save the file as CSV"
        )
