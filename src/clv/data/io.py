"""Readers: turn a path, bytes or a DataFrame into a DuckDB view of the raw rows.

A file is read by what its first bytes say it is (gzip, Parquet, an Excel workbook, UTF-16/32 or other text); its
extension only words the messages, so a damaged or mislabelled file is refused in a sentence that names it and says
what it is not. CSV and Parquet files are read by DuckDB itself (delimiter and types sniffed), so a log larger than
memory is never copied into pandas. Excel workbooks, CDNOW-style whitespace files and DataFrames are small enough to
pass through pandas. A raw view lists the rows in file order; ``RawTable.first_row`` is the row number a person sees
for the first of them: in a CSV or Excel sheet the header is row 1 and the first data row is row 2; in Parquet,
whitespace files and DataFrames the first row is row 1 (rows of a glob of Parquet files are counted across the files
in name order)."""

from __future__ import annotations

import codecs
import contextlib
import glob
import gzip
import io
import os
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from clv.config import max_upload_bytes
from clv.data.raw import RawTable, checked, first_line, from_frame, new_view_name, sql_string, view_columns
from clv.data.text import read_error, read_text, reading_failed
from clv.errors import DataValidationError

__all__ = ["RawTable", "Source", "open_source", "sql_string"]

SNIFF_BYTES = 64 * 1024
TRANSCODE_CHUNK = 16 * 1024 * 1024
PARQUET_MAGIC = b"PAR1"
FORMAT_OF_SUFFIX = {
    ".xlsx": "an Excel workbook",
    ".xlsm": "an Excel workbook",
    ".parquet": "a Parquet file",
    ".gz": "a gzip file",
}

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
    """Open ``source`` as a :class:`RawTable`; temporary files live until the ``with`` block ends.

    DuckDB reads a file lazily: a bad row of a CSV, or a damaged part of a Parquet file, may only be met by a query
    inside the ``with`` block; such an error leaves it as a :class:`DataValidationError` in words.
    """
    limit = max_upload_bytes() if max_bytes is None else max_bytes
    with tempfile.TemporaryDirectory(prefix="clv-read-") as scratch:
        table = _open(source, connection, file_name, sheet_name, Path(scratch), limit)
        try:
            yield table
        except duckdb.Error as error:
            if not reading_failed(error):
                raise
            raise read_error(table, error) from error


def _open(
    source: Source,
    connection: duckdb.DuckDBPyConnection,
    file_name: str | None,
    sheet_name: str | int | None,
    scratch: Path,
    limit: int,
) -> RawTable:
    if isinstance(source, pd.DataFrame):
        return from_frame(connection, source, file_name or "the DataFrame", first_row=1)
    if isinstance(source, bytes | bytearray | memoryview):
        name = file_name or "the uploaded file"
        _check_size(len(source), limit, name)
        path = scratch / ("upload" + Path(file_name or "").suffix.lower())
        path.write_bytes(bytes(source))
    else:
        path = Path(source)
        name = file_name or (str(source) if "*" in str(source) else path.name)
        if "*" in str(source):
            return _read_parquet_glob(connection, str(source), name)
        if not path.exists():
            raise DataValidationError(f"file not found: {path}")
        if path.is_dir():
            raise DataValidationError(f"{path} is a folder, not a file: give a CSV, Excel or Parquet file")
        _check_size(path.stat().st_size, limit, name)
    reading = _Reading(connection, name, scratch, sheet_name, limit)
    return _read_file(reading, path, Path(name).suffix.lower())


def _check_size(size: int, limit: int, name: str) -> None:
    if size > limit:
        raise DataValidationError(
            f"{name} is {size / 1024**2:,.1f} MB, over the {limit / 1024**2:,.0f} MB limit; "
            "split it, convert it to Parquet, or raise the limit (CLV_MAX_UPLOAD_MB)"
        )


@dataclass(frozen=True)
class _Reading:
    """What every step of reading one source needs: where to put the view, the name to say, a scratch folder."""

    connection: duckdb.DuckDBPyConnection
    name: str
    scratch: Path
    sheet_name: str | int | None
    limit: int


def _read_file(reading: _Reading, path: Path, suffix: str) -> RawTable:
    """Read ``path`` by what its first bytes say it is; ``suffix``, the extension it claims (``.csv`` for
    ``orders.csv.gz`` once decompressed), only words the messages."""
    connection, name = reading.connection, reading.name
    try:
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError as error:  # no permission, a broken disk ...
        raise DataValidationError(f"{name} cannot be opened: {error.strerror or error}") from error
    if not head.strip() and len(head) < SNIFF_BYTES:
        raise DataValidationError(f"{name} is empty: it has no header and no rows")
    if head.startswith(b"\x1f\x8b"):
        inner = Path(Path(name).stem).suffix.lower() if suffix == ".gz" else ""
        return _read_file(reading, _gunzip(path, reading), inner)
    if head.startswith(PARQUET_MAGIC):
        return _read_parquet(connection, path, name)
    if head.startswith(b"PK\x03\x04"):
        table = _read_excel(connection, path, name, reading.sheet_name)
        if suffix not in {".xlsx", ".xlsm"}:
            table.warnings.append(f"{name} is an Excel workbook despite its {suffix or 'missing'} extension")
        return table
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise DataValidationError(
            f"{name} is an old Excel 97-2003 (.xls) workbook: open it in Excel and save it as .xlsx or CSV"
        )
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return _read_text_file(reading, _transcode(path, reading.scratch, "utf-32"), suffix)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _read_text_file(reading, _transcode(path, reading.scratch, "utf-16"), suffix)
    if b"\x00" in head:
        expected = FORMAT_OF_SUFFIX.get(suffix, "a text, Excel or Parquet file")
        raise DataValidationError(
            f"{name} is not {expected} (it contains binary data of another kind, or is damaged): export the data "
            "as CSV, .xlsx or Parquet"
        )
    if not _is_utf8(path):
        path = _transcode(path, reading.scratch, "cp1252")
    return _read_text_file(reading, path, suffix)


def _read_text_file(reading: _Reading, path: Path, suffix: str) -> RawTable:
    """A text file; one named like an Excel workbook, a Parquet or a gzip file is read as the text it is, with a
    warning, and when it cannot be read the message says first what it is not."""
    name, expected = reading.name, FORMAT_OF_SUFFIX.get(suffix)
    if expected is None:
        return read_text(reading.connection, path, name)
    try:
        table = read_text(reading.connection, path, name)
    except DataValidationError as error:
        reason = str(error).removeprefix(name).lstrip(": ")
        raise DataValidationError(f"{name} is not {expected}: it is a text file, and {reason}") from error
    table.warnings.append(f"{name} is not {expected} but a text file: it was read as CSV")
    return table


def _gunzip(path: Path, reading: _Reading) -> Path:
    """Decompress a gzip file into the scratch folder, streamed; what it holds counts against the size limit."""
    name, limit = reading.name, reading.limit
    target = reading.scratch / f"gunzipped-{path.stem}"
    written = 0
    try:
        with gzip.open(path, "rb") as source, target.open("wb") as sink:
            while chunk := source.read(TRANSCODE_CHUNK):
                written += len(chunk)
                _check_size(written, limit, f"{name} (decompressed)")
                sink.write(chunk)
    except (OSError, EOFError, zlib.error) as error:
        raise DataValidationError(
            f"{name} is not a readable gzip file: it is truncated or damaged ({first_line(error)})"
        ) from error
    return target


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
        if encoding in ("utf-16", "utf-32"):
            text = io.TextIOWrapper(source, encoding=encoding, errors="replace", newline="")
            while chunk := text.read(TRANSCODE_CHUNK):
                sink.write(chunk)
            return target
        while chunk_bytes := source.read(TRANSCODE_CHUNK):
            try:
                sink.write(chunk_bytes.decode(encoding))
            except UnicodeDecodeError:
                sink.write(chunk_bytes.decode("latin-1"))
    return target


def _read_parquet(connection: duckdb.DuckDBPyConnection, path: Path, name: str) -> RawTable:
    _check_parquet_footer(path, name)
    return _parquet_view(connection, str(path), name)


def _read_parquet_glob(connection: duckdb.DuckDBPyConnection, pattern: str, name: str) -> RawTable:
    """Every Parquet file matching ``pattern`` (in name order), each checked first, so a bad one is named."""
    files = sorted(glob.glob(pattern, recursive=True))
    if not files:
        raise DataValidationError(f"no file matches {pattern}")
    for file in files:
        with Path(file).open("rb") as handle:
            head = handle.read(len(PARQUET_MAGIC))
        if head != PARQUET_MAGIC:
            raise DataValidationError(
                f"{Path(file).name} (one of the {len(files):,} files matching {name}) is not a Parquet file: a "
                "glob reads Parquet files only; remove it or narrow the pattern"
            )
        _check_parquet_footer(
            Path(file), f"{Path(file).name} (one of the {len(files):,} files matching {name})"
        )
    return _parquet_view(connection, pattern, name)


def _check_parquet_footer(path: Path, name: str) -> None:
    """A Parquet file ends with its footer and the magic bytes; a truncated copy does not."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        handle.seek(max(size - len(PARQUET_MAGIC), 0))
        tail = handle.read()
    if size < 3 * len(PARQUET_MAGIC) or tail != PARQUET_MAGIC:
        raise DataValidationError(
            f"{name} is not a readable Parquet file: it is truncated or damaged (it does not end with a Parquet "
            "footer); write or copy it again"
        )


def _parquet_view(connection: duckdb.DuckDBPyConnection, source: str, name: str) -> RawTable:
    view = new_view_name()
    try:
        connection.execute(f"CREATE TEMP VIEW {view} AS SELECT * FROM read_parquet({sql_string(source)})")
        columns = view_columns(connection, view)
        table = checked(connection, view, columns, name, first_row=1)
    except (duckdb.Error, RuntimeError) as error:  # RuntimeError: a column name that is not UTF-8
        raise DataValidationError(
            f"{name} is not a readable Parquet file (it may be damaged): {first_line(error)}"
        ) from error
    return table


def _read_excel(
    connection: duckdb.DuckDBPyConnection, path: Path, name: str, sheet_name: str | int | None
) -> RawTable:
    """The sheet (the first by default) through pandas and openpyxl; a damaged workbook is refused in words."""
    try:
        frame = pd.read_excel(path, sheet_name=0 if sheet_name is None else sheet_name, engine="openpyxl")
    except MemoryError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise DataValidationError(
            f"{name} is not a readable Excel workbook: it is truncated or damaged ({first_line(error)}); open it "
            "in Excel and save it again as .xlsx, or export it as CSV"
        ) from error
    except Exception as error:  # openpyxl raises many kinds on a zip that is not a workbook
        if sheet_name is not None and isinstance(error, ValueError | KeyError | IndexError):
            message = f"{name} could not be read as an Excel workbook: {first_line(error)}"
        else:
            message = (
                f"{name} is a zip archive but not a readable Excel workbook ({first_line(error)}): open it in "
                "Excel and save it as .xlsx, or export it as CSV"
            )
        raise DataValidationError(message) from error
    if frame.shape[1] == 0:
        sheets = ", ".join(repr(sheet) for sheet in pd.ExcelFile(path, engine="openpyxl").sheet_names)
        which = "the first sheet" if sheet_name is None else f"sheet {sheet_name!r}"
        raise DataValidationError(
            f"{name}: {which} is empty (the workbook's sheets: {sheets}): put the data on the first sheet, or pick "
            "the sheet (sheet_name= in Python)"
        )
    return from_frame(connection, frame, name, first_row=2, parsed=True)
