"""Write a table to a file chunk by chunk, in the format its extension names (.csv, .parquet, .xlsx, .json).

For tables of millions of rows (the predictions of a large log) the output is never built whole in memory: each
chunk of rows is made formula-safe (as in :mod:`clv.report.exports`) and appended, CSV as text, Parquet as one row
group per chunk, JSON as part of one streamed array. Excel holds at most 1,048,575 data rows per sheet, so larger
tables are refused with a message pointing to CSV or Parquet; an Excel file is written whole when it is closed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import IO

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from clv.errors import DataValidationError
from clv.report.exports import excel_bytes, neutralise_formulas

CHUNK_ROWS = 100_000
EXCEL_MAX_ROWS = 1_048_575
FORMATS: tuple[str, ...] = (".csv", ".parquet", ".xlsx", ".json")


def check_format(path: str | os.PathLike[str], rows: int | None = None) -> None:
    """Raise :class:`~clv.errors.DataValidationError` unless ``path``'s extension is a known format and, for Excel,
    ``rows`` (when known) fit in one sheet."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in FORMATS:
        raise DataValidationError(
            f"unknown output format {suffix or '(no extension)'!r} for {target.name}: use {', '.join(FORMATS)}"
        )
    if suffix == ".xlsx" and rows is not None and rows > EXCEL_MAX_ROWS:
        raise DataValidationError(
            f"{rows:,} rows do not fit in an Excel sheet (at most {EXCEL_MAX_ROWS:,}): write .csv or .parquet"
        )


class TableWriter:
    """A file in the format of ``path``'s extension, written one chunk of rows (a DataFrame with the same columns
    each time) at a time; used as a context manager, which finishes the file, or removes a partly written one if
    writing failed.

    CSV is UTF-8 with a byte-order mark (Excel reads accents). Text cells that would run as spreadsheet formulas are
    prefixed with a quote in every format but JSON, unless ``neutralise`` is false (for files only clv reads back).
    """

    def __init__(
        self, path: str | os.PathLike[str], *, sheet_name: str = "predictions", neutralise: bool = True
    ) -> None:
        check_format(path)
        self.path = Path(path)
        self._suffix = self.path.suffix.lower()
        self._sheet_name = sheet_name
        self._neutralise = neutralise
        self._rows = 0
        self._handle: IO[str] | None = None
        self._parquet: pq.ParquetWriter | None = None
        self._schema: pa.Schema | None = None
        self._excel_chunks: list[pd.DataFrame] = []

    def __enter__(self) -> TableWriter:
        return self

    def write(self, chunk: pd.DataFrame) -> None:
        """Append the rows of ``chunk``."""
        self._rows += len(chunk)
        check_format(self.path, self._rows)
        safe = neutralise_formulas(chunk) if self._neutralise and self._suffix != ".json" else chunk
        try:
            if self._suffix == ".xlsx":
                self._excel_chunks.append(safe)
            elif self._suffix == ".parquet":
                self._write_parquet(safe, chunk)
            else:
                self._write_text(safe)
        except OSError as error:
            raise DataValidationError(f"cannot write {self.path}: {error.strerror or error}") from error

    def _write_text(self, chunk: pd.DataFrame) -> None:
        first = self._handle is None
        if self._handle is None:
            encoding = "utf-8-sig" if self._suffix == ".csv" else "utf-8"
            self._handle = self.path.open(
                "w", encoding=encoding, newline="" if self._suffix == ".csv" else None
            )
            if self._suffix == ".json":
                self._handle.write("[")
        if self._suffix == ".csv":
            chunk.to_csv(self._handle, index=False, header=first)
        elif not chunk.empty:
            records = chunk.to_json(orient="records", lines=True, date_format="iso").strip().splitlines()
            self._handle.write(("\n" if self._rows == len(chunk) else ",\n") + ",\n".join(records))

    def _write_parquet(self, chunk: pd.DataFrame, original: pd.DataFrame) -> None:
        """Append ``chunk``. The schema is the first chunk's, with the text columns of the ``original`` (before
        neutralising) as text even when the first chunk holds no value to infer it from."""
        if self._parquet is None:
            sample = pa.Schema.from_pandas(chunk, preserve_index=False)
            text = {
                str(c)
                for c in original.columns
                if isinstance(original[c].dtype, pd.StringDtype | pd.CategoricalDtype)
            }
            self._schema = pa.schema(
                [
                    pa.field(f.name, pa.string()) if f.name in text or pa.types.is_null(f.type) else f
                    for f in sample
                ],
                metadata=sample.metadata,
            )
            self._parquet = pq.ParquetWriter(str(self.path), self._schema)
        self._parquet.write_table(pa.Table.from_pandas(chunk, schema=self._schema, preserve_index=False))

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            self._finish(failed=error is not None)
        except OSError as failure:
            self.path.unlink(missing_ok=True)
            raise DataValidationError(f"cannot write {self.path}: {failure.strerror or failure}") from failure
        if error is not None:
            self.path.unlink(missing_ok=True)

    def _finish(self, failed: bool) -> None:
        if self._parquet is not None:
            self._parquet.close()
        if self._handle is not None:
            if self._suffix == ".json" and not failed:
                self._handle.write("\n]\n")
            self._handle.close()
        if failed:
            return
        if self._suffix == ".xlsx":
            frame = pd.concat(self._excel_chunks, ignore_index=True) if self._excel_chunks else pd.DataFrame()
            self.path.write_bytes(excel_bytes({self._sheet_name: frame}))


def write_table(
    frame: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    sheet_name: str = "predictions",
    chunk_rows: int = CHUNK_ROWS,
) -> Path:
    """Write ``frame`` to ``path`` in the format of its extension, ``chunk_rows`` rows at a time (:class:`TableWriter`);
    returns the path."""
    check_format(path, len(frame))
    with TableWriter(path, sheet_name=sheet_name) as writer:
        for start in range(0, max(len(frame), 1), chunk_rows):
            writer.write(frame.iloc[start : start + chunk_rows])
    return writer.path


def read_parquet_parts(path: str | os.PathLike[str]) -> Iterator[pd.DataFrame]:
    """The rows of Parquet file ``path`` in order, ``CHUNK_ROWS`` at a time."""
    for batch in pq.ParquetFile(str(path)).iter_batches(batch_size=CHUNK_ROWS):
        yield batch.to_pandas()
