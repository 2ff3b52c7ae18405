from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.shared import SHARED_DATA

DONATIONS = Path(__file__).parent / "data" / "donations.csv"


@pytest.fixture(scope="session")
def cdnow_summary() -> pd.DataFrame:
    """The published 39-week CDNOW sample summary (x, t_x, T in weeks, zbar) with our column names."""
    frame = pd.read_csv(SHARED_DATA / "cdnow_customers_summary_with_transactions.csv")
    frame = frame.rename(
        columns={"ID": "customer_id", "x": "frequency", "t_x": "recency", "zbar": "monetary_value"}
    )
    frame.attrs["time_unit"] = "W"
    return frame


@pytest.fixture(scope="session")
def donations() -> pd.DataFrame:
    return pd.read_csv(DONATIONS)
