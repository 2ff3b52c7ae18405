"""The storage tests run on SQLite and, when ``CLV_TEST_POSTGRES_URL`` names a server, on PostgreSQL too.

``CLV_REQUIRE_POSTGRES=1`` (set by CI) turns a missing URL into a failure instead of a skip.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, make_url, text

from clv.storage import Database, open_database, passwords

T0 = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
PRODUCTION_HASHER = passwords.HASHER


def postgres_url() -> str:
    """The test server's URL, or skip (fail under ``CLV_REQUIRE_POSTGRES=1``)."""
    url = os.environ.get("CLV_TEST_POSTGRES_URL", "").strip()
    if not url:
        if os.environ.get("CLV_REQUIRE_POSTGRES") == "1":
            pytest.fail("CLV_REQUIRE_POSTGRES=1 but CLV_TEST_POSTGRES_URL is not set")
        pytest.skip("CLV_TEST_POSTGRES_URL is not set: PostgreSQL tests skipped")
    return url


def reset_postgres(url: str) -> None:
    """Drop everything in the test database's public schema (the role owns the database)."""
    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each back end."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'clv.sqlite3'}"
    url = postgres_url()
    reset_postgres(url)
    return url


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """An empty database at the newest schema version."""
    opened = open_database(database_url)
    yield opened
    opened.close()


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id with 1 MiB and one pass instead of 64 MiB and three: the tests check what happens around the
    hash, not its cost (``test_the_production_hasher_is_argon2id_with_the_library_defaults`` checks that)."""
    monkeypatch.setattr(passwords, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    passwords.dummy_hash.cache_clear()
