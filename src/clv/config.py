"""Configuration shared by every layer: time units, limits and locations.

A month is 365.25 / 12 days and a year 365.25 days everywhere in clv; nothing uses a 30-day month.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from pathlib import Path

from clv.errors import DataValidationError

DAYS_PER_UNIT: dict[str, float] = {
    "D": 1.0,
    "W": 7.0,
    "M": 365.25 / 12.0,
    "Y": 365.25,
}
TIME_UNIT_NAMES: dict[str, str] = {"D": "days", "W": "weeks", "M": "months", "Y": "years"}

DEFAULT_MAX_UPLOAD_MB = 200


def days_per_unit(time_unit: str) -> float:
    """Length of one ``time_unit`` ("D", "W", "M" or "Y") in days."""
    key = time_unit.strip().upper()[:1] if time_unit else ""
    if key not in DAYS_PER_UNIT:
        raise DataValidationError(
            f"unknown time unit {time_unit!r}: use one of D (days), W (weeks), M (months of 365.25/12 days), Y (years)"
        )
    return DAYS_PER_UNIT[key]


def normalise_time_unit(time_unit: str) -> str:
    """The one-letter code ("D", "W", "M", "Y") of ``time_unit``; accepts "days", "weeks", "months", "years"."""
    days_per_unit(time_unit)
    return time_unit.strip().upper()[:1]


def data_dir() -> Path:
    """Folder for the local database and stored runs: ``CLV_DATA_DIR``, default ``./data``."""
    return Path(os.environ.get("CLV_DATA_DIR", "data"))


def max_upload_bytes() -> int:
    """Largest input file accepted, in bytes: ``CLV_MAX_UPLOAD_MB`` megabytes (default 200)."""
    megabytes = float(os.environ.get("CLV_MAX_UPLOAD_MB", DEFAULT_MAX_UPLOAD_MB))
    return int(megabytes * 1024 * 1024)


def release_freed_memory() -> None:
    """Return the heap pages freed so far to the operating system. glibc keeps what worker threads freed in their own
    arenas (after a large log's fit, about 0.4-1 GB of it), and Arrow's allocator keeps freed buffers; called between
    the stages of a run so the next stage's peak does not stack on top of them. glibc's part does nothing where the
    C library has no ``malloc_trim``."""
    import pyarrow  # Arrow buffers (DuckDB results, Parquet writers) come from Arrow's own allocator

    pyarrow.default_memory_pool().release_unused()
    library = ctypes.util.find_library("c")
    trim = getattr(ctypes.CDLL(library), "malloc_trim", None) if library else None
    if trim is not None:
        trim(0)
