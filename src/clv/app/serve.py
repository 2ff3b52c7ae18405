"""The command that starts the web app: one definition for ``clv app``, the browser tests and the app benchmark."""

from __future__ import annotations

import sys
from pathlib import Path

ENTRY = Path(__file__).resolve().parents[3] / "app.py"


def streamlit_command(port: int, *, headless: bool = False) -> list[str]:
    """``streamlit run app.py`` on ``port`` with this interpreter. ``headless``: for tests and benchmarks, on the
    loopback address only, no browser opened, no usage statistics and no file watcher."""
    command = [sys.executable, "-m", "streamlit", "run", str(ENTRY), f"--server.port={port}"]
    if headless:
        command += [
            "--server.headless=true",
            "--server.address=127.0.0.1",
            "--browser.gatherUsageStats=false",
            "--server.fileWatcherType=none",
        ]
    return command
