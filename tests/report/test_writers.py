"""Files written chunk by chunk read back as the whole table, formula-safe, in every format."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from clv.errors import DataValidationError
from clv.report.writers import write_table


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    rows = 2_503
    return pd.DataFrame(
        {
            "customer_id": [f"=cmd{i}" if i % 500 == 7 else f"c{i}" for i in range(rows)],
            "clv": np.linspace(0.0, 99.0, rows),
            "country": pd.Categorical(["UK", "France"] * (rows // 2) + ["UK"]),
            # Empty in the first chunk, text later: the Parquet schema must still be text.
            "note": [None] * 1_000 + ["late"] * (rows - 1_000),
            "expected_next_purchase": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(rows), unit="D"),
        }
    )


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".json", ".xlsx"])
def test_chunked_files_read_back_whole_and_formula_safe(
    table: pd.DataFrame, tmp_path: Path, suffix: str
) -> None:
    path = write_table(table, tmp_path / f"out{suffix}", chunk_rows=1_000)
    if suffix == ".csv":
        back = pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False)
        assert path.read_bytes().startswith(b"\xef\xbb\xbf") and path.read_bytes().count(b"\xef\xbb\xbf") == 1
    elif suffix == ".parquet":
        back = pd.read_parquet(path)
        assert pq.ParquetFile(path).metadata.num_row_groups == 3
    elif suffix == ".json":
        records = json.loads(path.read_text(encoding="utf-8"))
        back = pd.DataFrame(records)
        assert records[0]["expected_next_purchase"].startswith("2024-01-01")
    else:
        back = pd.read_excel(path, sheet_name="predictions")
    assert len(back) == len(table)
    assert back["clv"].to_numpy() == pytest.approx(table["clv"].to_numpy())
    formula_safe = suffix != ".json"  # JSON is not opened by spreadsheets
    assert back["customer_id"].iloc[7] == ("'=cmd7" if formula_safe else "=cmd7")
    assert back["customer_id"].iloc[-1] == table["customer_id"].iloc[-1]


def test_unknown_formats_and_oversized_excel_are_refused(table: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(DataValidationError, match=r"unknown output format '\.txt'"):
        write_table(table, tmp_path / "out.txt")
    big = pd.DataFrame({"x": np.zeros(1_048_576)})
    with pytest.raises(DataValidationError, match=r"do not fit in an Excel sheet"):
        write_table(big, tmp_path / "big.xlsx")
    assert not (tmp_path / "big.xlsx").exists()
