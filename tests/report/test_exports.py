"""Exports: formula injection neutralised byte by byte, Excel sheets present, Parquet typed."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd

from clv.report.exports import csv_bytes, excel_bytes, neutralise_formulas, parquet_bytes

HOSTILE = pd.DataFrame(
    {
        "customer_id": ['=HYPERLINK("http://x","y")', "+1+1", "-2", "@SUM(A1)", "\tTAB", "\rCR", "ok", "a=b"],
        "clv": [1.0, -2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
    }
)


def test_text_cells_that_could_run_as_formulas_are_prefixed_and_numbers_kept() -> None:
    safe = neutralise_formulas(HOSTILE)
    assert list(safe["customer_id"][:6]) == ["'" + v for v in HOSTILE["customer_id"][:6]]
    assert safe["customer_id"].iloc[6] == "ok" and safe["customer_id"].iloc[7] == "a=b"
    assert safe["clv"].tolist() == HOSTILE["clv"].tolist()


def test_csv_excel_and_parquet_bytes() -> None:
    parsed = pd.read_csv(io.BytesIO(csv_bytes(HOSTILE)), encoding="utf-8-sig", keep_default_na=False)
    assert all(not value.startswith(("=", "+", "-", "@", "\t", "\r")) for value in parsed["customer_id"])
    assert parsed["customer_id"].iloc[0] == "'" + HOSTILE["customer_id"].iloc[0]
    workbook = openpyxl.load_workbook(
        io.BytesIO(excel_bytes({"predictions": HOSTILE, "settings": HOSTILE.head(1)}))
    )
    assert workbook.sheetnames == ["predictions", "settings"]
    cells = [row[0].value for row in workbook["predictions"].iter_rows(min_row=2)]
    assert all(not str(c).startswith(("=", "+", "-", "@")) for c in cells)
    assert workbook["predictions"]["B3"].value == -2.0
    back = pd.read_parquet(io.BytesIO(parquet_bytes(HOSTILE)))
    assert back["clv"].dtype == "float64" and back["customer_id"].iloc[0].startswith("'=")
