"""Customer-level input: an already aggregated table, validated row by row."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from clv.data import load_customer_summary
from clv.errors import DataValidationError


def test_published_cdnow_summary_is_accepted_under_its_own_names(cdnow_files: Path) -> None:
    summary = load_customer_summary(
        cdnow_files / "cdnow_customers_summary_with_transactions.csv", time_unit="W"
    )
    assert len(summary) == 2357
    assert summary.attrs["time_unit"] == "W"
    assert summary["frequency"].dtype == "int64"
    assert (
        summary["frequency"].sum()
        == pd.read_csv(cdnow_files / "cdnow_customers_summary_with_transactions.csv")["x"].sum()
    )


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ({"frequency": [1, -1], "recency": [1, 0], "T": [2, 2]}, r"negative in 1 row\(s\): rows 3"),
        ({"frequency": [1.5, 1], "recency": [1, 1], "T": [2, 2]}, "not a whole number in 1 row"),
        ({"frequency": [1, 1], "recency": [3, 1], "T": [2, 2]}, r"recency \('recency'\) is larger than T"),
        (
            {"frequency": [0, 1], "recency": [1, 1], "T": [2, 2]},
            "recency is not 0 for a customer without repeat",
        ),
        (
            {"frequency": [1, 1], "recency": [1, 1], "T": [2, 2], "zbar": [0.0, 5]},
            "monetary value\\) is not positive",
        ),
        ({"frequency": [1, "x"], "recency": [1, 1], "T": [2, 2]}, "missing or not numbers \\(rows 3\\)"),
        ({"frequency": [1], "T": [2]}, "missing the customer-level column\\(s\\) recency"),
    ],
)
def test_invalid_rows_are_named(rows: dict[str, list[object]], message: str) -> None:
    frame = pd.DataFrame(rows)
    csv = frame.to_csv(index=False).encode()
    with pytest.raises(DataValidationError, match=message):
        load_customer_summary(csv, file_name="customers.csv")
