"""Write a table to a file chunk by chunk, in the format its extension names (.csv, .parquet, .xlsx, .json).

For tables of millions of rows (the predictions of a large log) the output is never built whole in memory: each
chunk of rows is made formula-safe (as in :mod:`clv.report.exports`) and appended, CSV as text, Parquet as one row
group per chunk, JSON as part of one streamed array. Excel holds at most 1,048,575 data rows per sheet, so larger
tables are refused with a message pointing to CSV or Parquet.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from clv.errors import DataValidationError
from clv.report.exports import excel_bytes, neutralise_formulas

CHUNK_ROWS = 100_000
EXCEL_MAX_ROWS = 1_048_575
FORMATS: tuple[str, ...] = (".csv", ".parquet", ".xlsx", ".json")


def write_table(
    frame: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    sheet_name: str = "predictions",
    chunk_rows: int = CHUNK_ROWS,
) -> Path:
    """Write ``frame`` to ``path`` in the format of its extension, ``chunk_rows`` rows at a time; returns the path.

    CSV is UTF-8 with a byte-order mark (Excel reads accents) and text cells that would run as spreadsheet formulas
    are prefixed with a quote in every format but JSON. A partly written file is removed if writing fails.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in FORMATS:
        raise DataValidationError(
            f"unknown output format {suffix or '(no extension)'!r} for {target.name}: use {', '.join(FORMATS)}"
        )
    if suffix == ".xlsx" and len(frame) > EXCEL_MAX_ROWS:
        raise DataValidationError(
            f"{len(frame):,} rows do not fit in an Excel sheet (at most {EXCEL_MAX_ROWS:,}): write .csv or .parquet"
        )
    writers = {".csv": _write_csv, ".parquet": _write_parquet, ".json": _write_json}
    try:
        if suffix == ".xlsx":
            target.write_bytes(excel_bytes({sheet_name: frame}))
        else:
            writers[suffix](frame, target, chunk_rows)
    except OSError as error:
        target.unlink(missing_ok=True)
        raise DataValidationError(f"cannot write {target}: {error.strerror or error}") from error
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target


def _chunks(frame: pd.DataFrame, chunk_rows: int) -> Iterator[pd.DataFrame]:
    for start in range(0, max(len(frame), 1), chunk_rows):
        yield frame.iloc[start : start + chunk_rows]


def _write_csv(frame: pd.DataFrame, target: Path, chunk_rows: int) -> None:
    with target.open("w", encoding="utf-8-sig", newline="") as handle:
        for number, chunk in enumerate(_chunks(frame, chunk_rows)):
            neutralise_formulas(chunk).to_csv(handle, index=False, header=number == 0)


def _write_parquet(frame: pd.DataFrame, target: Path, chunk_rows: int) -> None:
    sample = pa.Schema.from_pandas(neutralise_formulas(frame.iloc[:chunk_rows]), preserve_index=False)
    # Text columns are text even when the first chunk holds no value to infer it from.
    text = {str(c) for c in frame.columns if isinstance(frame[c].dtype, pd.StringDtype | pd.CategoricalDtype)}
    schema = pa.schema(
        [pa.field(f.name, pa.string()) if f.name in text or pa.types.is_null(f.type) else f for f in sample],
        metadata=sample.metadata,
    )
    with pq.ParquetWriter(str(target), schema) as writer:
        for chunk in _chunks(frame, chunk_rows):
            writer.write_table(
                pa.Table.from_pandas(neutralise_formulas(chunk), schema=schema, preserve_index=False)
            )


def _write_json(frame: pd.DataFrame, target: Path, chunk_rows: int) -> None:
    """One JSON array of records (dates in ISO 8601), written a chunk of records at a time."""
    with target.open("w", encoding="utf-8") as handle:
        handle.write("[")
        separator = "\n"
        for chunk in _chunks(frame, chunk_rows):
            if chunk.empty:
                continue
            records = chunk.to_json(orient="records", lines=True, date_format="iso").strip().splitlines()
            handle.write(separator + ",\n".join(records))
            separator = ",\n"
        handle.write("\n]\n")
