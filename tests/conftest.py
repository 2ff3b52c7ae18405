"""Fixtures shared across the suite: the CDNOW master log and one full run on it (computed once per session)."""

from __future__ import annotations

import pandas as pd
import pytest

import clv
from clv.data import Transactions
from clv.datasets import load_cdnow


@pytest.fixture(scope="session")
def cdnow_master_log() -> Transactions:
    return Transactions.from_pandas(load_cdnow("master"), source_name="CDNOW master")


@pytest.fixture(scope="session")
def cdnow_run(cdnow_master_log: Transactions) -> clv.Results:
    return clv.run(cdnow_master_log, clv.Settings(horizon=12, time_unit="M"))


@pytest.fixture
def small_log() -> pd.DataFrame:
    return load_cdnow("sample")
