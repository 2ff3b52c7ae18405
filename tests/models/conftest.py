from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from clv.datasets import load_cdnow_summary

DONATIONS = Path(__file__).parent / "data" / "donations.csv"


@pytest.fixture(scope="session")
def cdnow_summary() -> pd.DataFrame:
    """The published 39-week CDNOW sample summary (x, t_x, T in weeks, zbar) with our column names."""
    return load_cdnow_summary()


@pytest.fixture(scope="session")
def donations() -> pd.DataFrame:
    return pd.read_csv(DONATIONS)
