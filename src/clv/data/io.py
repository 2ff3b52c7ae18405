"""Readers: turn a path, bytes or a DataFrame into a DuckDB view of the raw rows.

CSV and Parquet files are read by DuckDB itself (delimiter and types sniffed), so a log larger than memory is never
copied into pandas. Excel workbooks, CDNOW-style whitespace files and DataFrames are small enough to pass through
pandas. A raw view lists the rows in file order; ``RawTable.first_row`` is the row number a person sees for the first
of them: in a CSV or Excel sheet the header is row 1 and the first data row is row 2; in Parquet, whitespace files and
DataFrames the first row is row 1 (rows of a glob of Parquet files are counted across the files in name order).
"""

from __future__ import annotations

import codecs
import contextlib
import io
import itertools
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from clv.config import max_upload_bytes
from clv.errors import DataValidationError

SNIFF_BYTES = 64 * 1024
TRANSCODE_CHUNK = 16 * 1024 * 1024
_view_numbers = itertools.count()

CDNOW_COLUMNS = {
    4: ["customer_id", "date", "number_of_cds", "dollar_value"],
    5: ["master_id", "customer_id", "date", "number_of_cds", "dollar_value"],
}


@dataclass
class RawTable:
    """The raw rows of one source as DuckDB view ``view`` (file order) with its original columns; the first row is
    row ``first_row`` of the file as a person counts."""

    connection: duckdb.DuckDBPyConnection
    view: str
    columns: list[str]
    types: dict[str, str]
    source_name: str
    first_row: int = 1
    warnings: list[str] = field(default_factory=list)


Source = str | os.PathLike[str] | bytes | pd.DataFrame


@contextlib.contextmanager
def open_source(
    source: Source,
    *,
    connection: duckdb.DuckDBPyConnection,
    file_name: str | None = None,
    max_bytes: int | None = None,
    sheet_name: str | int | None = None,
) -> Iterator[RawTable]:
    """Open ``source`` as a :class:`RawTable`; temporary files live until the ``with`` block ends."""
    limit = max_upload_bytes() if max_bytes is None else max_bytes
    with tempfile.TemporaryDirectory(prefix="clv-read-") as scratch:
        if isinstance(source, pd.DataFrame):
            yield _from_frame(connection, source, file_name or "the DataFrame", first_row=1)
            return
        if isinstance(source, bytes | bytearray | memoryview):
            name = file_name or "the uploaded file"
            _check_size(len(source), limit, name)
            path = Path(scratch) / ("upload" + Path(file_name or "").suffix.lower())
            path.write_bytes(bytes(source))
        else:
            path = Path(source)
            name = file_name or path.name
            if "*" in str(source):
                yield _read_parquet(connection, str(source), name)
                return
            if not path.exists():
                raise DataValidationError(f"file not found: {path}")
            if path.is_dir():
                raise DataValidationError(
                    f"{path} is a folder, not a file: give a CSV, Excel or Parquet file"
                )
            _check_size(path.stat().st_size, limit, name)
        yield _read_file(connection, path, name, Path(scratch), sheet_name)


def _check_size(size: int, limit: int, name: str) -> None:
    if size > limit:
        raise DataValidationError(
            f"{name} is {size / 1024**2:,.1f} MB, over the {limit / 1024**2:,.0f} MB limit; "
            "split it, convert it to Parquet, or raise the limit (CLV_MAX_UPLOAD_MB)"
        )


def _read_file(
    connection: duckdb.DuckDBPyConnection, path: Path, name: str, scratch: Path, sheet_name: str | int | None
) -> RawTable:
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if not head:
        raise DataValidationError(f"{name} is empty: it has no header and no rows")
    if head.startswith(b"PAR1"):
        return _read_parquet(connection, str(path), name)
    if head.startswith(b"PK\x03\x04"):
        table = _read_excel(connection, path, name, sheet_name)
        if path.suffix.lower() not in {".xlsx", ".xlsm"}:
            table.warnings.append(
                f"{name} is an Excel workbook despite its {path.suffix or 'missing'} extension"
            )
        return table
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise DataValidationError(
            f"{name} is an old Excel 97-2003 (.xls) workbook: open it in Excel and save it as .xlsx or CSV"
        )
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _read_text(connection, _transcode(path, scratch, "utf-16"), name)
    if b"\x00" in head:
        raise DataValidationError(
            f"{name} is not a text, Excel or Parquet file (it contains binary data): export the data as CSV, "
            ".xlsx or Parquet"
        )
    if not _is_utf8(path):
        path = _transcode(path, scratch, "cp1252")
    return _read_text(connection, path, name)


def _is_utf8(path: Path) -> bool:
    """Whether the whole file is valid UTF-8 (streamed in chunks; a BOM is fine)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as handle:
        try:
            while chunk := handle.read(TRANSCODE_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _transcode(path: Path, scratch: Path, encoding: str) -> Path:
    """Copy ``path`` to a UTF-8 file in ``scratch``, decoding ``encoding`` chunk by chunk (cp1252 falls back to
    latin-1 for the five bytes cp1252 leaves undefined)."""
    target = scratch / f"utf8-{path.name}.csv"
    with path.open("rb") as source, target.open("w", encoding="utf-8", newline="") as sink:
        if encoding == "utf-16":
            text = io.TextIOWrapper(source, encoding="utf-16", newline="")
            while chunk := text.read(TRANSCODE_CHUNK):
                sink.write(chunk)
            return target
        while chunk_bytes := source.read(TRANSCODE_CHUNK):
            try:
                sink.write(chunk_bytes.decode(encoding))
            except UnicodeDecodeError:
                sink.write(chunk_bytes.decode("latin-1"))
    return target


def _read_text(connection: duckdb.DuckDBPyConnection, path: Path, name: str) -> RawTable:
    with path.open("r", encoding="utf-8-sig", errors="replace") as handle:
        lines = [line for line in itertools.islice(handle, 50) if line.strip()]
    if is_whitespace_table(lines):
        return _read_whitespace(connection, path, name, lines)
    view = _new_view_name()
    source = f"read_csv({sql_string(str(path))}, header = true, all_varchar = true, sample_size = 20480)"
    try:
        connection.execute(f"CREATE TEMP VIEW {view} AS SELECT * FROM {source}")
        columns = _view_columns(connection, view)
    except duckdb.Error as error:
        raise DataValidationError(
            f"{name} could not be read as CSV: {_first_line(error)}. Check that it is a comma-, semicolon- or "
            "tab-separated text file with one header line"
        ) from error
    if len(columns) == 1:
        header = lines[0].strip()[:120] if lines else ""
        raise DataValidationError(
            f"{name} has only one column ({header!r}): the delimiter was not recognised. Save the file as "
            "comma-, semicolon- or tab-separated CSV with one header line"
        )
    return _checked(connection, view, columns, name, first_row=2)


def is_whitespace_table(lines: list[str]) -> bool:
    """CDNOW-style files: no comma, semicolon, tab or pipe, and at least three whitespace-separated fields.

    ``lines``: the first non-blank lines of the file (50 are read).
    """
    if not lines or any(mark in line for line in lines for mark in ",;\t|"):
        return False
    widths = {len(line.split()) for line in lines[1:] or lines}
    return len(widths) == 1 and widths.pop() >= 3


def whitespace_names(lines: list[str]) -> list[str] | None:
    """The column names of a whitespace table without a header line (CDNOW's, by their number), or None when its
    first line is a header (a line of numbers is data)."""
    if not all(re.fullmatch(r"[-+]?[\d.]+", token) for token in lines[0].split()):
        return None
    width = len(lines[-1].split())
    return CDNOW_COLUMNS.get(width, [f"column_{i + 1}" for i in range(width)])


def _read_whitespace(
    connection: duckdb.DuckDBPyConnection, path: Path, name: str, lines: list[str]
) -> RawTable:
    names = whitespace_names(lines)
    has_header = names is None
    frame = pd.read_csv(path, sep=r"\s+", header=0 if has_header else None, names=names, dtype=str)
    return _from_frame(connection, frame, name, first_row=2 if has_header else 1)


def _read_parquet(connection: duckdb.DuckDBPyConnection, path: str, name: str) -> RawTable:
    view = _new_view_name()
    try:
        connection.execute(f"CREATE TEMP VIEW {view} AS SELECT * FROM read_parquet({sql_string(path)})")
        columns = _view_columns(connection, view)
    except duckdb.Error as error:
        raise DataValidationError(f"{name} could not be read as Parquet: {_first_line(error)}") from error
    return _checked(connection, view, columns, name, first_row=1)


def _read_excel(
    connection: duckdb.DuckDBPyConnection, path: Path, name: str, sheet_name: str | int | None
) -> RawTable:
    try:
        frame = pd.read_excel(path, sheet_name=0 if sheet_name is None else sheet_name, engine="openpyxl")
    except (ValueError, KeyError, OSError) as error:
        raise DataValidationError(
            f"{name} could not be read as an Excel workbook: {_first_line(error)}"
        ) from error
    return _from_frame(connection, frame, name, first_row=2)


def _from_frame(
    connection: duckdb.DuckDBPyConnection, frame: pd.DataFrame, name: str, first_row: int
) -> RawTable:
    """Register a DataFrame; object columns become text so mixed cells never break the typed view, and blank text
    is missing."""
    if frame.columns.duplicated().any():
        duplicated = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
        raise DataValidationError(f"{name} has duplicated column names: {', '.join(duplicated)}")
    frame = frame.rename(columns=str)
    converted = {}
    for column in frame.columns:
        values = frame[column]
        if isinstance(values.dtype, pd.StringDtype):  # text already: no Python call per cell
            text = values.astype("string")
            converted[column] = text.mask(text.str.strip().eq("").fillna(False))
        elif values.dtype == object:
            converted[column] = values.map(_cell_text, na_action="ignore").astype("string")
        else:
            converted[column] = values
    table = pd.DataFrame(converted)
    view = _new_view_name()
    connection.register(f"{view}_frame", table)
    connection.execute(f"CREATE TEMP VIEW {view} AS SELECT * FROM {view}_frame")
    return _checked(connection, view, [str(c) for c in frame.columns], name, first_row=first_row)


def _cell_text(value: object) -> str | None:
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    text = str(value)
    return text if text.strip() else None


def _checked(
    connection: duckdb.DuckDBPyConnection, view: str, columns: list[str], name: str, first_row: int
) -> RawTable:
    row = connection.execute(f"SELECT count(*) FROM (SELECT 1 FROM {view} LIMIT 1)").fetchall()[0]
    if row is None or row[0] == 0:
        raise DataValidationError(f"{name} has a header ({', '.join(columns[:10])}) but no data rows")
    types = {
        str(column): str(kind)
        for column, kind in connection.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ?", [view]
        ).fetchall()
    }
    return RawTable(
        connection=connection, view=view, columns=columns, types=types, source_name=name, first_row=first_row
    )


def _view_columns(connection: duckdb.DuckDBPyConnection, view: str) -> list[str]:
    return [str(d[0]) for d in connection.execute(f"SELECT * FROM {view} LIMIT 0").description or []]


def _new_view_name() -> str:
    return f"raw_{next(_view_numbers)}"


def sql_string(text: str) -> str:
    """``text`` as a single-quoted SQL literal."""
    return "'" + text.replace("'", "''") + "'"


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
