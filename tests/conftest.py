"""Fixtures shared across the suite: the CDNOW files as distributed, the master log and one full run on it (computed
once per session). Every file comes from the package (``clv.datasets``): the suite reads nothing outside the
repository."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import clv
from clv.data import Transactions
from clv.datasets import load_cdnow, write_cdnow_file


@pytest.fixture(scope="session")
def cdnow_master_log() -> Transactions:
    return Transactions.from_pandas(load_cdnow("master"), source_name="CDNOW master")


@pytest.fixture(scope="session")
def cdnow_run(cdnow_master_log: Transactions) -> clv.Results:
    return clv.run(cdnow_master_log, clv.Settings(horizon=12, time_unit="M"))


@pytest.fixture
def small_log() -> pd.DataFrame:
    return load_cdnow("sample")


@pytest.fixture(scope="session")
def cdnow_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with ``CDNOW_master.txt``, ``CDNOW_sample.txt`` and the published summary CSV, as distributed."""
    folder = tmp_path_factory.mktemp("cdnow")
    for which in ("master", "sample", "summary"):
        write_cdnow_file(which, folder)  # type: ignore[arg-type]
    return folder
