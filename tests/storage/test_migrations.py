"""Schema migrations: from an empty database and from the previous version, on each back end."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, inspect, select

from clv.errors import StorageError
from clv.storage import open_database
from clv.storage.migrate import current_revision, head_revision, upgrade
from clv.storage.schema import admin_users, feedback, metadata, model_run_metrics, model_runs
from tests.storage.conftest import T0

TABLES = {
    "feedback",
    "feature_requests",
    "usage_events",
    "admin_users",
    "admin_sessions",
    "audit_log",
    "model_runs",
    "model_run_metrics",
}


def test_an_empty_database_is_migrated_to_the_schema_the_code_uses(database_url: str) -> None:
    database = open_database(database_url)
    assert current_revision(database) == head_revision() == "0002"
    assert set(database.read(lambda c: inspect(c).get_table_names(), "test")) >= TABLES
    differences = database.read(lambda c: compare_metadata(MigrationContext.configure(c), metadata), "test")
    assert differences == []
    open_database(database_url).close()  # opening again is a no-op
    assert current_revision(database) == "0002"
    database.close()


def test_a_database_at_the_previous_version_is_upgraded_with_its_rows_kept(database_url: str) -> None:
    database = open_database(database_url, migrate=False)
    assert current_revision(database) is None
    upgrade(database, "0001")
    assert current_revision(database) == "0001"
    assert "model_runs" not in database.read(lambda c: inspect(c).get_table_names(), "test")

    def seed(connection):  # type: ignore[no-untyped-def]
        connection.execute(
            insert(feedback).values(
                created_at=T0, rating=4, category="Idea", message="keep me", status="new", source="app"
            )
        )
        connection.execute(
            insert(admin_users).values(
                username="ops", password_hash="$argon2id$x", source="cli", created_at=T0, failed_attempts=2
            )
        )

    database.write(seed, "test")
    database.close()

    upgraded = open_database(database_url)
    assert current_revision(upgraded) == "0002"
    rows = upgraded.read(lambda c: c.execute(select(feedback.c.message, feedback.c.created_at)).all(), "test")
    assert rows == [("keep me", T0)]
    attempts = upgraded.read(lambda c: c.execute(select(admin_users.c.failed_attempts)).scalar_one(), "test")
    assert attempts == 2

    def add_run(connection):  # type: ignore[no-untyped-def]
        run_id = connection.execute(
            insert(model_runs)
            .values(
                created_at=T0,
                data_name="d",
                customers=1,
                transactions=1,
                purchase_model="BG/NBD",
                settings={},
                total=1.0,
                total_low=0.5,
                total_high=2.0,
                duration_seconds=1.0,
                fingerprint="f",
            )
            .returning(model_runs.c.id)
        ).scalar_one()
        connection.execute(
            insert(model_run_metrics).values(run_id=run_id, model="m", metric="mae", value=1.0)
        )

    upgraded.write(add_run, "test")
    upgraded.close()


def test_sqlite_connections_use_wal_full_sync_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    database = open_database(f"sqlite:///{tmp_path / 'db' / 'clv.sqlite3'}")
    pragmas = database.read(
        lambda c: [
            c.exec_driver_sql(f"PRAGMA {name}").scalar_one()
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        ],
        "test",
    )
    assert pragmas == ["wal", 2, 1, 30_000]
    database.close()


def test_unusable_database_urls_give_a_clear_message_without_the_password() -> None:
    with pytest.raises(StorageError, match="unsupported database"):
        open_database("mysql://u:p@localhost/x")
    with pytest.raises(StorageError, match="not a database URL"):
        open_database("not a url")
    with pytest.raises(StorageError) as refused:
        open_database("postgresql://clv:secret-pw@127.0.0.1:1/clv")
    assert "secret-pw" not in str(refused.value)
    assert "refused" in str(refused.value)
