"""The database: where it lives, how connections are set up, and transactions that never report "locked".

SQLite (the default, a file under ``CLV_DATA_DIR``) runs in WAL mode with ``synchronous=FULL`` (a committed row
survives a power cut, not only a crash), foreign keys on and a 30 s busy timeout. Write transactions start with
``BEGIN IMMEDIATE`` so a writer waits for the lock up front instead of failing when it upgrades a read lock, and
writers of all processes take turns on an advisory file lock (``clv.sqlite3-writer.lock``, ``flock``): the kernel
hands it to the next writer in turn, where SQLite's busy handler has waiters sleep and poll, so some starve
(``bench/storage_writers.py``, 8 processes x 200 rows: each writer took 1.8 to 8.4 s without the lock, 8.3 to 8.8 s
with it, at the same total rate). A transaction that SQLite still refuses as busy (or PostgreSQL as a serialisation
failure or deadlock) is retried whole, with exponential back-off and jitter, for up to a minute. PostgreSQL is used
when ``CLV_DATABASE_URL`` names one (``postgresql://user:password@host/db``, driven by psycopg 3).
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

try:
    import fcntl
except ImportError:  # not POSIX: writers rely on SQLite's busy timeout and the retries alone
    fcntl = None  # type: ignore[assignment]
from sqlalchemy import Connection, CursorResult, Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError

from clv.config import data_dir
from clv.errors import StorageError
from clv.storage.migrate import upgrade

DATABASE_FILE = "clv.sqlite3"
SQLITE_BUSY_TIMEOUT_SECONDS = 30.0
RETRY_DEADLINE_SECONDS = 60.0
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})  # PostgreSQL serialization_failure, deadlock_detected
LOGGER = logging.getLogger("clv.storage")

T = TypeVar("T")


def utc_now() -> datetime:
    """The current time, timezone-aware in UTC (every time stored by clv is UTC)."""
    return datetime.now(UTC)


def database_url() -> str:
    """``CLV_DATABASE_URL`` when set, otherwise the SQLite file ``clv.sqlite3`` in ``CLV_DATA_DIR``."""
    configured = os.environ.get("CLV_DATABASE_URL", "").strip()
    if configured:
        return configured
    return f"sqlite:///{(data_dir() / DATABASE_FILE).resolve()}"


@dataclass
class Database:
    """An engine plus the two ways to use it: :meth:`read` and :meth:`write`, each one retried transaction."""

    engine: Engine
    writer_lock: Path | None = None

    @property
    def is_sqlite(self) -> bool:
        """True for SQLite, False for PostgreSQL."""
        return self.engine.dialect.name == "sqlite"

    @property
    def display_url(self) -> str:
        """The URL with any password hidden, for messages."""
        return self.engine.url.render_as_string(hide_password=True)

    def read(self, work: Callable[[Connection], T], what: str) -> T:
        """Run ``work`` in a read transaction; ``what`` names the action in error messages."""
        return self._transaction(work, what, write=False)

    def write(self, work: Callable[[Connection], T], what: str) -> T:
        """Run ``work`` in one write transaction, committed as a whole or not at all; retried while busy."""
        return self._transaction(work, what, write=True)

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    @contextmanager
    def _turn(self, write: bool) -> Iterator[None]:
        """Wait for this process's turn to write (SQLite only; readers never wait)."""
        if not write or self.writer_lock is None or fcntl is None:
            yield
            return
        with open(self.writer_lock, "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # released by the kernel if the process dies
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _transaction(self, work: Callable[[Connection], T], what: str, write: bool) -> T:
        deadline = time.monotonic() + RETRY_DEADLINE_SECONDS
        attempt = 0
        while True:
            try:
                with (
                    self._turn(write),
                    self.engine.connect().execution_options(clv_write=write) as connection,
                    connection.begin(),
                ):
                    return work(connection)
            except DBAPIError as error:
                if not _is_busy(error):
                    raise StorageError(f"the database refused {what}: {_reason(error)}") from error
                if time.monotonic() >= deadline:
                    raise StorageError(
                        f"the database stayed busy for {RETRY_DEADLINE_SECONDS:.0f} s while {what}; nothing "
                        "was changed, please try again"
                    ) from error
                attempt += 1
                pause = min(0.01 * 2**attempt, 1.0) * (0.5 + random.random())
                LOGGER.info("database busy while %s; retry %d in %.3f s", what, attempt, pause)
                time.sleep(pause)
            except SQLAlchemyError as error:
                raise StorageError(f"the database failed while {what}: {error}") from error


def open_database(url: str | None = None, migrate: bool = True) -> Database:
    """Connect to ``url`` (default :func:`database_url`) and bring its schema to the newest version.

    Raises :class:`~clv.errors.StorageError` naming the database (password hidden) when it cannot be reached.
    """
    url = url or database_url()
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise StorageError(f"CLV_DATABASE_URL is not a database URL: {error}") from error
    writer_lock = None
    if parsed.get_backend_name() == "sqlite":
        engine = _sqlite_engine(parsed.database)
        if parsed.database and parsed.database != ":memory:":
            writer_lock = Path(f"{parsed.database}-writer.lock")
    elif parsed.get_backend_name() == "postgresql":
        engine = create_engine(
            parsed.set(drivername="postgresql+psycopg"),
            pool_pre_ping=True,
            connect_args={"options": "-c timezone=UTC", "connect_timeout": 10},
        )
    else:
        raise StorageError(
            f"unsupported database {parsed.render_as_string(hide_password=True)}: use sqlite:///path or "
            "postgresql://user:password@host/database"
        )
    database = Database(engine, writer_lock)
    if migrate:
        upgrade(database)
    return database


def to_frame(result: CursorResult[Any]) -> pd.DataFrame:
    """The rows of a query as a DataFrame with the query's column names (also when there are no rows)."""
    return pd.DataFrame([tuple(row) for row in result], columns=list(result.keys()))


def _sqlite_engine(path: str | None) -> Engine:
    if path and path != ":memory:":
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StorageError(f"cannot create the data folder for {path}: {error}") from error
    engine = create_engine(
        f"sqlite:///{path or ':memory:'}",
        # Pooled connections move between the app's threads, one thread at a time.
        connect_args={
            "timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
            "isolation_level": None,
            "check_same_thread": False,
        },
    )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_SECONDS * 1000)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get("clv_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _is_busy(error: DBAPIError) -> bool:
    sqlstate = getattr(error.orig, "sqlstate", None)
    if sqlstate in RETRYABLE_SQLSTATES:
        return True
    message = str(error.orig).lower()
    return (
        "database is locked" in message
        or "database is busy" in message
        or "database table is locked" in message
    )


def _reason(error: DBAPIError) -> str:
    return str(error.orig).strip().splitlines()[0] if error.orig is not None else str(error)
