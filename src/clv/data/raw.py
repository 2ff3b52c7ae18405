"""The raw rows of one source as a DuckDB view, and the checks every reader shares: a source with no data rows, a
header that names one column twice, and a blank-headed first column of row numbers (what R's ``write.csv`` and
pandas' ``to_csv`` write first), which is dropped: it is no field, and it would make every row unique."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from clv.errors import DataValidationError

_view_numbers = itertools.count()
ROW_NUMBER_SAMPLE = 1000
_PANDAS_UNNAMED = re.compile(r"Unnamed: 0")
_PANDAS_DUPLICATE = re.compile(r"(.+)\.(\d+)")
_WHOLE = re.compile(r"\d+(\.0+)?")


@dataclass
class RawTable:
    """The raw rows of one source as DuckDB view ``view`` (file order) with its original columns; the first row is
    row ``first_row`` of the file as a person counts. ``text_file`` and ``delimiter`` are set for a CSV read by
    DuckDB (the UTF-8 file it reads), so an error met while reading it can name the rows at fault."""

    connection: duckdb.DuckDBPyConnection
    view: str
    columns: list[str]
    types: dict[str, str]
    source_name: str
    first_row: int = 1
    warnings: list[str] = field(default_factory=list)
    text_file: Path | None = None
    delimiter: str | None = None


def from_frame(
    connection: duckdb.DuckDBPyConnection,
    frame: pd.DataFrame,
    name: str,
    first_row: int,
    *,
    parsed: bool = False,
) -> RawTable:
    """Register a DataFrame; object columns become text so mixed cells never break the typed view, and blank text
    is missing. ``parsed``: the frame was read from a file by pandas, which renames a repeated header
    (``amount``, ``amount.1``) and names a blank one ``Unnamed: 0``."""
    columns = [str(c) for c in frame.columns]
    if not columns:
        raise DataValidationError(f"{name} has no columns")
    if frame.columns.duplicated().any():
        refuse_duplicates(name, columns)
    if parsed:
        present = set(columns)
        refuse_duplicates(name, [_unmangled(column, present) for column in columns])
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
    view = new_view_name()
    connection.register(f"{view}_frame", table)
    connection.execute(f"CREATE TEMP VIEW {view} AS SELECT * FROM {view}_frame")
    blank_first = parsed and bool(columns) and _PANDAS_UNNAMED.fullmatch(columns[0]) is not None
    return checked(connection, view, columns, name, first_row=first_row, blank_first=blank_first)


def _unmangled(column: str, present: set[str]) -> str:
    """``amount.1`` back to ``amount`` when ``amount`` is a column too (how pandas renames a repeated header)."""
    match = _PANDAS_DUPLICATE.fullmatch(column)
    return match.group(1) if match is not None and match.group(1) in present else column


def refuse_duplicates(name: str, columns: Sequence[str]) -> None:
    """Refuse a header that names a column twice (names compared without case and surrounding spaces, as DuckDB
    does), naming the column and its positions."""
    positions: dict[str, list[int]] = {}
    for position, column in enumerate(columns, start=1):
        if column.strip():
            positions.setdefault(column.strip().lower(), []).append(position)
    repeated = {key: where for key, where in positions.items() if len(where) > 1}
    if repeated:
        said = "; ".join(
            f"{columns[where[0] - 1].strip()!r} is columns {', '.join(map(str, where))}"
            for where in repeated.values()
        )
        raise DataValidationError(
            f"{name} names a column more than once ({said}): rename or remove the copies, so it is clear which "
            "one to read"
        )


def _cell_text(value: object) -> str | None:
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    text = str(value)
    return text if text.strip() else None


def checked(
    connection: duckdb.DuckDBPyConnection,
    view: str,
    columns: list[str],
    name: str,
    first_row: int,
    *,
    blank_first: bool = False,
) -> RawTable:
    """The view as a :class:`RawTable`, refused when it has no data rows. ``blank_first``: the header of the first
    column is blank; when its values are increasing whole numbers it holds row numbers and is left out."""
    row = connection.execute(f"SELECT count(*) FROM (SELECT 1 FROM {view} LIMIT 1)").fetchall()[0]
    if row is None or row[0] == 0:
        raise DataValidationError(f"{name} has a header ({', '.join(columns[:10])}) but no data rows")
    if blank_first and len(columns) > 1 and _row_numbers(connection, view, columns[0]):
        view, columns = _without_first(connection, view, columns)
    types = {
        str(column): str(kind)
        for column, kind in connection.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ?", [view]
        ).fetchall()
    }
    return RawTable(
        connection=connection, view=view, columns=columns, types=types, source_name=name, first_row=first_row
    )


def _row_numbers(connection: duckdb.DuckDBPyConnection, view: str, column: str) -> bool:
    """Whether the first values of ``column`` are whole numbers that increase row after row (R's row names stay
    increasing after a subset; customer ids of a log repeat)."""
    values = connection.execute(
        f"SELECT trim(CAST({quote(column)} AS VARCHAR)) FROM {view} LIMIT {ROW_NUMBER_SAMPLE}"
    ).fetchall()
    texts = [value for (value,) in values]
    if not all(isinstance(text, str) and _WHOLE.fullmatch(text) for text in texts):
        return False
    numbers = [int(float(text)) for text in texts]
    return all(a < b for a, b in itertools.pairwise(numbers))


def _without_first(
    connection: duckdb.DuckDBPyConnection, view: str, columns: list[str]
) -> tuple[str, list[str]]:
    narrower = new_view_name()
    connection.execute(f"CREATE TEMP VIEW {narrower} AS SELECT * EXCLUDE ({quote(columns[0])}) FROM {view}")
    return narrower, columns[1:]


def view_columns(connection: duckdb.DuckDBPyConnection, view: str) -> list[str]:
    """The column names of ``view``."""
    return [str(d[0]) for d in connection.execute(f"SELECT * FROM {view} LIMIT 0").description or []]


def new_view_name() -> str:
    """A view name not used before in this process."""
    return f"raw_{next(_view_numbers)}"


def sql_string(text: str) -> str:
    """``text`` as a single-quoted SQL literal."""
    return "'" + text.replace("'", "''") + "'"


def quote(column: str) -> str:
    """``column`` as a double-quoted SQL identifier."""
    return '"' + column.replace('"', '""') + '"'


def first_line(error: BaseException) -> str:
    """The first line of an error's message, without DuckDB's "Invalid Input Error: " style prefix."""
    text = str(error).strip()
    if not text:
        return type(error).__name__
    return re.sub(r"^[A-Z][A-Za-z ]* Error: ", "", text.splitlines()[0])
