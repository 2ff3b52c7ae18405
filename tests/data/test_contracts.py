"""Subscription files: column recognition, conservative detection, reading with the file's row numbers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from clv.data.contracts import contract_mapping, contracts_table, is_subscriptions_table, load_subscriptions
from clv.errors import DataValidationError


def test_columns_are_recognised_by_normalised_name_and_an_explicit_mapping_wins() -> None:
    columns = ["Subscriber-ID", "Signup Date", "Cancelled At", "Plan", "Monthly Price", "Start"]
    assert contract_mapping(columns) == {
        "customer_id": "Subscriber-ID",
        "start": "Start",
        "end": "Cancelled At",
        "cohort": "Plan",
        "price": "Monthly Price",
    }
    assert contract_mapping(columns, {"start": "Signup Date"})["start"] == "Signup Date"
    with pytest.raises(DataValidationError, match="not in the file"):
        contract_mapping(columns, {"end": "Ended"})


def test_detection_needs_a_start_and_an_end_and_no_transaction_date() -> None:
    assert is_subscriptions_table(["id", "start_date", "end_date"])
    assert not is_subscriptions_table(["id", "start_date", "price"])
    assert not is_subscriptions_table(["customer_id", "InvoiceDate", "start", "end"])


def test_a_csv_is_read_with_its_row_numbers_and_checked_on_loading(tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text(
        "client_id,start,end,fee\n7,2024-01-03,,9.5\n8,2024-02-01,2024-04-01,9.5\n", encoding="utf-8"
    )
    table = load_subscriptions(good)
    assert list(table.columns) == ["customer_id", "start", "end", "price"]
    assert list(table.index) == [2, 3] and list(table["customer_id"]) == ["7", "8"]
    assert table.attrs["source_name"] == "good.csv"
    bad = tmp_path / "bad.csv"
    bad.write_text("client_id,start,end\n7,2024-01-03,\n8,2024-02-01,2024-01-01\n", encoding="utf-8")
    with pytest.raises(
        DataValidationError, match=r"bad\.csv: column 'end': the end date is before .*rows 3\)"
    ):
        load_subscriptions(bad)
    lost = tmp_path / "lost.csv"
    lost.write_text("client_id,start\n7,2024-01-03\n", encoding="utf-8")
    with pytest.raises(
        DataValidationError, match=r"lost\.csv: no end column found; columns seen: 'client_id'"
    ):
        load_subscriptions(lost)


def test_the_canonical_table_keeps_a_stated_observation_end() -> None:
    frame = pd.DataFrame({"customer_id": [1.0], "start": ["2024-01-01"], "end": [None]})
    frame.attrs["observation_end"] = "2025-01-01"
    table = contracts_table(frame, name="mine")
    assert table.attrs == {"kind": "subscriptions", "source_name": "mine", "observation_end": "2025-01-01"}
    assert table["customer_id"].tolist() == ["1"]
