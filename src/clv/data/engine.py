"""The DuckDB connection a log lives in: how much memory DuckDB may use, and where it spills beyond that.

DuckDB runs aggregations, sorts and joins out of core: with a memory limit, whatever does not fit (hash tables, sort
runs, and the blocks of in-memory tables) is written to a temporary folder and read back when needed. Every
connection clv opens gets its own spill folder under the system's temporary directory (created by DuckDB only when
it spills, removed when the process ends), so runs never write into the working directory or into each other's
files.
"""

from __future__ import annotations

import atexit
import itertools
import os
import re
import shutil
import tempfile
from pathlib import Path

import duckdb

from clv.errors import DataValidationError

_folder_numbers = itertools.count()


def connect(
    memory_limit: str | None = None,
    *,
    threads: int | None = None,
    temp_directory: str | os.PathLike[str] | None = None,
) -> duckdb.DuckDBPyConnection:
    """A new in-memory DuckDB connection for clv's logs.

    ``memory_limit`` ("2GB", "500MB", ...) caps DuckDB's memory (default: DuckDB's, 80 % of RAM); beyond it DuckDB
    spills to ``temp_directory`` (default: a fresh folder in the system's temporary directory). ``threads``
    defaults to the number of cores.
    """
    folder = Path(temp_directory) if temp_directory is not None else _spill_folder()
    config: dict[str, str | bool | int | float | list[str]] = {"temp_directory": str(folder)}
    if threads is not None:
        config["threads"] = int(threads)
    try:
        connection = duckdb.connect(config=config)
        if memory_limit is not None:
            connection.execute(f"SET memory_limit = '{_size(memory_limit)}'")
    except duckdb.Error as error:
        raise DataValidationError(f"could not configure DuckDB: {str(error).splitlines()[0]}") from error
    return connection


def _size(text: str) -> str:
    """``text`` checked as a memory size such as 2GB, 1.5GiB or 500MB."""
    cleaned = str(text).strip().replace(" ", "")
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGT]i?B)", cleaned, flags=re.IGNORECASE)
    if match is None or float(match.group(1)) <= 0:
        raise DataValidationError(f"memory limit {text!r} is not a size: write it like 2GB, 1.5GB or 500MB")
    return cleaned


def _spill_folder() -> Path:
    """A folder name of this process's own; DuckDB creates it only if it spills, and it is removed at exit."""
    folder = Path(tempfile.gettempdir()) / f"clv-duckdb-{os.getpid()}-{next(_folder_numbers)}"
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder
