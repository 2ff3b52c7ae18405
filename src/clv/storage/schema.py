"""The tables as the code sees them at the newest schema version (the migrations create and change them).

Every time is stored in UTC: :class:`UTCDateTime` refuses naive datetimes and returns timezone-aware ones, on SQLite
(which keeps text) as on PostgreSQL (``timestamp with time zone``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every back end."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("clv stores timezone-aware datetimes only")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData(naming_convention=NAMING)

feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", UTCDateTime, nullable=False, index=True),
    Column("name", String(200)),
    Column("email", String(320)),
    Column("rating", Integer),
    Column("category", String(40), nullable=False),
    Column("message", Text, nullable=False),
    Column("page", String(200)),
    Column("app_version", String(40)),
    Column("status", String(20), nullable=False),
    Column("source", String(20), nullable=False),
    Column("import_key", String(64), unique=True),
    Column("details", JSON),
    CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating_range"),
)

feature_requests = Table(
    "feature_requests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", UTCDateTime, nullable=False, index=True),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("title", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("priority", String(20), nullable=False),
    Column("email", String(320)),
    Column("status", String(20), nullable=False),
    Column("votes", Integer, nullable=False),
    Column("source", String(20), nullable=False),
    Column("import_key", String(64), unique=True),
    Column("details", JSON),
    CheckConstraint("votes >= 0", name="votes_not_negative"),
)

usage_events = Table(
    "usage_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("session_id", String(64), nullable=False),
    Column("event_type", String(30), nullable=False),
    Column("duration_seconds", Float),
    Column("details", JSON),
    Index("ix_usage_events_type_time", "event_type", "created_at"),
    Index("ix_usage_events_created_at", "created_at"),
)

admin_users = Table(
    "admin_users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("source", String(20), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_login_at", UTCDateTime),
    Column("failed_attempts", Integer, nullable=False),
    Column("locked_until", UTCDateTime),
)

admin_sessions = Table(
    "admin_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("admin_users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", UTCDateTime, nullable=False, index=True),
    Column("actor", String(64), nullable=False),
    Column("action", String(40), nullable=False),
    Column("target", String(200)),
    Column("details", JSON),
)

# Schema version 0002: stored model runs and their backtest metrics.
model_runs = Table(
    "model_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", UTCDateTime, nullable=False, index=True),
    Column("session_id", String(64)),
    Column("data_name", String(200), nullable=False),
    Column("customers", Integer, nullable=False),
    Column("transactions", Integer, nullable=False),
    Column("purchase_model", String(40), nullable=False),
    Column("settings", JSON, nullable=False),
    Column("total", Float, nullable=False),
    Column("total_low", Float, nullable=False),
    Column("total_high", Float, nullable=False),
    Column("duration_seconds", Float, nullable=False),
    Column("fingerprint", String(32), nullable=False),
)

model_run_metrics = Table(
    "model_run_metrics",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", Integer, ForeignKey("model_runs.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("model", String(60), nullable=False),
    Column("metric", String(60), nullable=False),
    Column("value", Float),
    UniqueConstraint("run_id", "model", "metric", name="uq_model_run_metrics_run_model_metric"),
)
