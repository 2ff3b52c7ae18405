"""Every AppTest gets its own empty data folder, so pages that store feedback or usage never touch ./data."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("CLV_DATA_DIR", str(folder))
    for variable in ("CLV_DATABASE_URL", "CLV_ADMIN_USERNAME", "CLV_ADMIN_PASSWORD_HASH"):
        monkeypatch.delenv(variable, raising=False)
    return folder
