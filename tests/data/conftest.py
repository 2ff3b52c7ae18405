"""Builders of small messy input files in the shapes users bring."""

from __future__ import annotations

from pathlib import Path

import pytest

ONLINE_RETAIL_ROWS = [
    # InvoiceNo, StockCode, Description, Quantity, InvoiceDate, UnitPrice, CustomerID, Country
    (
        "536365",
        "85123A",
        "WHITE HANGING HEART T-LIGHT HOLDER",
        "6",
        "12/1/2010 8:26",
        "2.55",
        "17850.0",
        "United Kingdom",
    ),
    ("536365", "71053", "WHITE METAL LANTERN", "6", "12/1/2010 8:26", "3.39", "17850.0", "United Kingdom"),
    ("536366", "22633", "HAND WARMER UNION JACK", "6", "12/1/2010 8:28", "1.85", "17850.0", "United Kingdom"),
    (
        "536367",
        "84879",
        "ASSORTED COLOUR BIRD ORNAMENT",
        "32",
        "12/1/2010 8:34",
        "1.69",
        "13047.0",
        "United Kingdom",
    ),
    ("C536379", "D", "Discount", "-1", "12/1/2010 9:41", "27.5", "14527.0", "United Kingdom"),
    ("536414", "22139", "CAFÉ CRÈME", "56", "12/1/2010 11:52", "0", "", "United Kingdom"),
    (
        "536544",
        "21773",
        "DECORATIVE ROSE BATHROOM BOTTLE",
        "1",
        "12/1/2010 14:32",
        "2.51",
        "",
        "United Kingdom",
    ),
    (
        "536365",
        "85123A",
        "WHITE HANGING HEART T-LIGHT HOLDER",
        "6",
        "12/1/2010 8:26",
        "2.55",
        "17850.0",
        "United Kingdom",
    ),
    ("536370", "22728", "ALARM CLOCK BAKELIKE PINK", "24", "12/3/2010 8:45", "3.75", "12583.0", "France"),
    (
        "536371",
        "22086",
        "PAPER CHAIN KIT 50'S CHRISTMAS",
        "-80",
        "12/5/2010 9:00",
        "2.55",
        "13047.0",
        "United Kingdom",
    ),
    ("536372", "22632", "HAND WARMER RED POLKA DOT", "6", "not a date", "1.85", "17850.0", "United Kingdom"),
    (
        "536373",
        "21730",
        "GLASS STAR FROSTED T-LIGHT HOLDER",
        "6",
        "12/13/2010 9:02",
        "4.25",
        "17850.0",
        "United Kingdom",
    ),
]
ONLINE_RETAIL_HEADER = (
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
)


def write_csv(
    path: Path,
    header: tuple[str, ...],
    rows: list[tuple[str, ...]],
    *,
    sep: str = ",",
    encoding: str = "utf-8",
) -> Path:
    def cell(value: str) -> str:
        return f'"{value}"' if sep in value or '"' in value else value

    text = "\n".join(sep.join(cell(v) for v in row) for row in [header, *rows]) + "\n"
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def online_retail_csv(tmp_path: Path) -> Path:
    return write_csv(
        tmp_path / "online_retail.csv", ONLINE_RETAIL_HEADER, ONLINE_RETAIL_ROWS, encoding="latin-1"
    )
