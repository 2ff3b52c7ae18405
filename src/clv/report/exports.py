"""Export tables as CSV, Excel and Parquet bytes, safe to open in a spreadsheet.

Spreadsheet programs execute a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and some read a leading tab or
carriage return the same way): a customer id or a comment typed as ``=HYPERLINK(...)`` would run when an analyst opens
the export (OWASP, "CSV injection"). Text cells that start with one of those characters are prefixed with a single
quote; numbers are left as numbers.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

import pandas as pd

FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells cannot be read as spreadsheet formulas (``attrs`` dropped: exports carry
    data only)."""
    safe = frame.copy()
    safe.attrs = {}
    for column in safe.columns:
        values = safe[column]
        if values.dtype == object or isinstance(values.dtype, pd.StringDtype | pd.CategoricalDtype):
            safe[column] = values.astype("object").map(_neutralise_cell)
    safe.columns = [_neutralise_cell(str(c)) for c in safe.columns]
    return safe


def _neutralise_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV (with a byte-order mark so Excel reads accents), formulas neutralised."""
    return neutralise_formulas(frame).to_csv(index=False).encode("utf-8-sig")


def excel_bytes(sheets: Mapping[str, pd.DataFrame]) -> bytes:
    """An .xlsx workbook with one sheet per entry (names cut to Excel's 31 characters), formulas neutralised."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            table = neutralise_formulas(frame)
            for column in table.select_dtypes(include=["datetimetz"]).columns:
                table[column] = table[column].dt.tz_localize(None)
            table.to_excel(writer, sheet_name=name[:31], index=False)
    return buffer.getvalue()


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    """Parquet bytes (typed columns; no formula risk, but neutralised all the same for consistency)."""
    buffer = io.BytesIO()
    neutralise_formulas(frame).to_parquet(buffer, index=False)
    return buffer.getvalue()


def settings_table(settings: Mapping[str, object]) -> pd.DataFrame:
    """Settings as a two-column table for the export workbook."""
    return pd.DataFrame({"setting": list(settings), "value": [str(v) for v in settings.values()]})
