"""Schema migrations (Alembic, scripts shipped inside the package), applied when the database is opened.

The upgrade runs in one write transaction: on SQLite ``BEGIN IMMEDIATE`` and on PostgreSQL an advisory lock make
processes starting together take turns, and a failed migration leaves the previous schema and its data untouched
(both back ends have transactional DDL).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

if TYPE_CHECKING:  # the database is opened in clv.storage.db, which migrates it through this module
    from clv.storage.db import Database


MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK_KEY = 7_258_001  # any constant; PostgreSQL advisory locks are keyed by a number


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(database: Database, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (default the newest)."""

    def work(connection: Connection) -> None:
        if not database.is_sqlite:
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        config = _config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    database.write(work, "applying schema migrations")


def current_revision(database: Database) -> str | None:
    """The schema version the database is at (None when empty)."""
    return database.read(
        lambda connection: MigrationContext.configure(connection).get_current_revision(),
        "reading the schema version",
    )


def head_revision() -> str:
    """The newest schema version this code knows."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head
