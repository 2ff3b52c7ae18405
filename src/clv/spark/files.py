"""Sources as Spark DataFrames: a DataFrame, a catalog table, or the file(s) at a path or URL, read as
:mod:`clv.data.io` reads them for DuckDB, but by the executors.

A local file is recognised by its first bytes as DuckDB recognises it (Parquet, an Excel workbook, UTF-16, binary
data, text that is not UTF-8: read as Windows-1252); a URL, folder or glob by its extension. Text is CSV with one
header line, the delimiter (comma, semicolon, tab or pipe) taken from its first lines, or a CDNOW-style whitespace
table (:func:`clv.data.text.is_whitespace_table`, the same test), which Spark reads as lines of text split on
whitespace. Only the first 64 KiB of a file (local) or its first 50 lines (anywhere else, one small Spark job) are
read on the driver; the log itself never is.

Excel workbooks are refused before any Spark job starts: a workbook cannot be divided among executors, and a sheet
holds at most 1,048,576 rows, which the DuckDB engine reads on one machine in seconds.
"""

from __future__ import annotations

import codecs
import csv
import re
from pathlib import Path
from typing import TYPE_CHECKING

from clv.data.io import SNIFF_BYTES
from clv.data.text import is_whitespace_table, whitespace_names
from clv.errors import DataValidationError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, DataFrameReader, SparkSession

_TABLE_NAME = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*){0,2}$")
_FORMATS = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".gz": "csv",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".xls": "excel",
}
DELIMITERS = (",", ";", "\t", "|")
HEAD_LINES = 50


def read_source(spark: SparkSession, source: str | DataFrame, file_format: str | None = None) -> DataFrame:
    """``source`` as a Spark DataFrame: itself, a catalog table, or the file(s) at a path or URL.

    The format is ``file_format`` ("parquet", "csv", or any format Spark knows, e.g. "delta", "orc"), else taken
    from a local file's first bytes or the extension; a path without one is read as Parquet. Text is read with
    every column as text (so ids such as ``0001`` keep their zeros). Raises
    :class:`~clv.errors.DataValidationError` for an Excel workbook (before any Spark job), a binary file, an
    empty one, a CSV whose delimiter is not recognised, and a path Spark cannot read.
    """
    from pyspark.sql import DataFrame

    if isinstance(source, DataFrame):
        return source
    if file_format is None and _TABLE_NAME.match(source) and spark.catalog.tableExists(source):
        return spark.table(source)
    kind, head = source_kind(source, file_format)
    if kind != "csv":
        return _loaded(spark.read.format(kind), source, kind)
    encoding = _encoding(head)
    lines = _first_lines(spark, source, head, encoding)
    if is_whitespace_table(lines):
        return _whitespace_table(spark, source, lines)
    return _csv(spark, source, lines, encoding)


def source_kind(source: str, file_format: str | None = None) -> tuple[str, bytes | None]:
    """The format ``source`` is read in and, for a local file, its first 64 KiB; needs no Spark session.

    Raises :class:`~clv.errors.DataValidationError` for an Excel workbook (known by its bytes, or for a URL by its
    extension), a binary file and an empty one, so a command can refuse them before it starts Spark.
    """
    head = _local_head(source)
    kind = file_format or (_format_of_bytes(head, source) if head is not None else None) or _format_of(source)
    if kind == "excel":
        raise DataValidationError(
            f"{source} is an Excel workbook, which the Spark engine does not read (a workbook cannot be divided "
            "among executors; a sheet holds at most 1,048,576 rows): run without --engine spark (the DuckDB "
            "engine reads it), or save the sheet as CSV or Parquet and give that file"
        )
    return kind, head


def _local_head(source: str) -> bytes | None:
    """The first 64 KiB of a local file (None for a URL, folder or glob); an empty file is refused."""
    if "://" in source or "*" in source or not Path(source).is_file():
        return None
    with Path(source).open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if not head:
        raise DataValidationError(f"{source} is empty: it has no header and no rows")
    return None if head.startswith(b"\x1f\x8b") else head  # gzip: Spark decompresses, its lines tell


def _format_of_bytes(head: bytes, source: str) -> str | None:
    """What a local file's first bytes say it is, as :func:`clv.data.io.open_source` tells them apart."""
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        return "excel"
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataValidationError(
            f"{source} is not a text, Excel or Parquet file (it contains binary data): export the data as CSV "
            "or Parquet"
        )
    return "csv"


def _format_of(path: str) -> str:
    name = path.rstrip("/").lower()
    for suffix, kind in _FORMATS.items():
        if name.endswith(suffix):
            return kind
    return "parquet"


def _encoding(head: bytes | None) -> str:
    """UTF-16 after its byte-order mark, UTF-8 when the first 64 KiB decode as UTF-8, else Windows-1252."""
    if head is None:
        return "UTF-8"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "windows-1252"
    return "UTF-8"


def _first_lines(spark: SparkSession, source: str, head: bytes | None, encoding: str) -> list[str]:
    """The first non-blank lines of the text: from the local head, or the first 50 lines Spark reads."""
    if head is not None:
        python_encoding = {"UTF-8": "utf-8-sig", "UTF-16": "utf-16"}.get(encoding, "cp1252")
        text = head.decode(python_encoding, errors="replace")
        lines = text.splitlines()
        if len(head) == SNIFF_BYTES:  # the last line may be cut short
            lines = lines[:-1]
    else:
        rows = _loaded(spark.read.format("text"), source, "text").limit(HEAD_LINES).collect()
        lines = [str(row[0]).lstrip("\ufeff") for row in rows]
    lines = [line for line in lines if line.strip()][:HEAD_LINES]
    if not lines:
        raise DataValidationError(f"{source} is empty: it has no header and no rows")
    return lines


def delimiter_of(lines: list[str]) -> str | None:
    """The delimiter among comma, semicolon, tab and pipe that splits every line of ``lines`` (quotes respected)
    into the same number of fields, two or more, the most fields winning; None when none does."""
    best, most = None, 1
    for mark in DELIMITERS:
        widths = {len(fields) for fields in csv.reader(lines, delimiter=mark)}
        if len(widths) == 1 and (width := widths.pop()) > most:
            best, most = mark, width
    if best is None:  # ragged lines: the mark the header holds most of
        counts = {mark: lines[0].count(mark) for mark in DELIMITERS}
        mark = max(counts, key=lambda m: counts[m])
        best = mark if counts[mark] else None
    return best


def _csv(spark: SparkSession, source: str, lines: list[str], encoding: str) -> DataFrame:
    separator = delimiter_of(lines)
    if separator is None:
        raise DataValidationError(
            f"{source} has only one column ({lines[0].strip()[:120]!r}): the delimiter was not recognised. Save "
            "the file as comma-, semicolon- or tab-separated CSV with one header line"
        )
    reader = spark.read.format("csv").option("header", "true").option("inferSchema", "false")
    reader = reader.option("sep", separator).option("encoding", encoding)
    if encoding == "UTF-16":  # line splitting works on bytes: UTF-16 files are read whole, one task a file
        reader = reader.option("multiLine", "true")
    if encoding == "windows-1252":  # Spark 4 reads the charsets outside its short list behind this switch
        spark.conf.set("spark.sql.legacy.javaCharsets", "true")
    frame = _loaded(reader, source, "csv")
    return frame.toDF(*[name.lstrip("\ufeff") for name in frame.columns])


def _whitespace_table(spark: SparkSession, source: str, lines: list[str]) -> DataFrame:
    """A CDNOW-style file: each non-blank line split on runs of whitespace, named by its header line or, without
    one, as :func:`clv.data.text.whitespace_names` names it; header lines (one a file) are left out."""
    from pyspark.sql import functions as F

    names = whitespace_names(lines)
    header = lines[0].split() if names is None else None
    columns = header or names or []
    text = _loaded(spark.read.format("text"), source, "text").where(F.col("value").rlike(r"\S"))
    tokens = F.split(F.regexp_replace("value", r"^\s+|\s+$", ""), r"\s+")
    split = text.select(tokens.alias("tokens"))
    if header is not None:
        split = split.where(~(F.col("tokens") == F.array(*[F.lit(token) for token in header])))
    return split.select(*[F.get("tokens", i).alias(name) for i, name in enumerate(columns)])


def _loaded(reader: DataFrameReader, source: str, kind: str) -> DataFrame:
    try:
        return reader.load(source)
    except (
        Exception
    ) as error:  # Spark raises AnalysisException (or a Py4J error) for a missing path or bad file
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DataValidationError(f"Spark could not read {source} as {kind}: {first_line}") from error
