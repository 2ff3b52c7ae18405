"""The command that starts the web app: one definition for ``clv app``, ``make run``, the browser tests and the app
benchmark.

The server's settings (XSRF protection on, no error details or tracebacks shown to users, the upload bound, no usage
statistics, the theme) are in ``streamlit.toml`` beside this module and passed as command-line options, so they hold
wherever the app is started from: a checkout, an installed wheel, any working folder.
"""

from __future__ import annotations

import sys
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from clv.config import max_upload_bytes

ENTRY = Path(__file__).resolve().parent / "entry.py"


def server_options() -> dict[str, Any]:
    """The settings of ``streamlit.toml`` as ``{"section.key": value}``, the upload bound from
    ``CLV_MAX_UPLOAD_MB`` (megabytes)."""
    settings = tomllib.loads(
        resources.files("clv.app").joinpath("streamlit.toml").read_text(encoding="utf-8")
    )
    options = {
        f"{section}.{key}": value for section, table in settings.items() for key, value in table.items()
    }
    options["server.maxUploadSize"] = max(1, round(max_upload_bytes() / 1024**2))
    return options


def streamlit_command(port: int, *, headless: bool = False) -> list[str]:
    """``streamlit run`` the app on ``port`` with this interpreter and the settings of :func:`server_options`.
    ``headless``: for tests and benchmarks, on the loopback address only and no file watcher."""
    command = [sys.executable, "-m", "streamlit", "run", str(ENTRY), f"--server.port={port}"]
    command += [f"--{name}={_flag_value(value)}" for name, value in server_options().items()]
    if headless:
        command += ["--server.address=127.0.0.1", "--server.fileWatcherType=none"]
    return command


def _flag_value(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)
