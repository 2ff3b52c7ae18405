"""Usage analytics: anonymous events (page views, uploads, predictions, exports, errors) and their daily summary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import Connection, distinct, func, insert, select

from clv.storage.db import Database, to_frame, utc_now
from clv.storage.schema import usage_events

EVENT_TYPES: tuple[str, ...] = ("page_view", "upload", "predict", "export", "error")
DAILY_COLUMNS: dict[str, str] = {
    "page_view": "page_views",
    "upload": "uploads",
    "predict": "predictions",
    "export": "exports",
    "error": "errors",
}


@dataclass(frozen=True)
class UsageReport:
    """Usage over a date range: one row per UTC day (sessions, page_views, uploads, predictions, exports, errors,
    median_prediction_seconds), plus the distinct sessions and the median prediction time over the whole range."""

    daily: pd.DataFrame
    sessions: int
    median_prediction_seconds: float | None


def record_event(
    database: Database,
    session_id: str,
    event_type: str,
    duration_seconds: float | None = None,
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> None:
    """Store one event; ``event_type`` is one of :data:`EVENT_TYPES`, ``duration_seconds`` in seconds."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}: one of {', '.join(EVENT_TYPES)}")
    values = {
        "created_at": now or utc_now(),
        "session_id": session_id[:64],
        "event_type": event_type,
        "duration_seconds": duration_seconds,
        "details": details,
    }

    def work(connection: Connection) -> None:
        connection.execute(insert(usage_events).values(**values))

    database.write(work, "recording a usage event")


def usage_report(database: Database, start: date, end: date) -> UsageReport:
    """Counts per UTC day from ``start`` to ``end`` (both included; days without events are zero), counted in
    the database."""
    low = datetime.combine(start, time(), UTC)
    high = datetime.combine(end + timedelta(days=1), time(), UTC)
    in_range = (usage_events.c.created_at >= low) & (usage_events.c.created_at < high)
    day = func.date(usage_events.c.created_at).label("day")
    counts = (
        select(day, usage_events.c.event_type, func.count().label("events"))
        .where(in_range)
        .group_by(day, usage_events.c.event_type)
    )
    sessions = (
        select(day, func.count(distinct(usage_events.c.session_id)).label("sessions"))
        .where(in_range)
        .group_by(day)
    )
    total_sessions = select(func.count(distinct(usage_events.c.session_id))).where(in_range)
    durations = select(day, usage_events.c.duration_seconds).where(
        in_range, usage_events.c.event_type == "predict", usage_events.c.duration_seconds.is_not(None)
    )

    def work(connection: Connection) -> tuple[pd.DataFrame, pd.DataFrame, int, pd.DataFrame]:
        return (
            to_frame(connection.execute(counts)),
            to_frame(connection.execute(sessions)),
            int(connection.execute(total_sessions).scalar_one()),
            to_frame(connection.execute(durations)),
        )

    event_counts, daily_sessions, session_total, prediction_times = database.read(
        work, "reading usage analytics"
    )
    days = pd.Index(pd.date_range(start, end, freq="D").date, name="day")
    daily = pd.DataFrame(index=days)
    daily["sessions"] = _by_day(daily_sessions.set_index("day")["sessions"], days)
    wide = event_counts.pivot_table(index="day", columns="event_type", values="events", aggfunc="sum")
    for event_type, column in DAILY_COLUMNS.items():
        daily[column] = _by_day(wide[event_type] if event_type in wide else pd.Series(dtype=float), days)
    medians = prediction_times.groupby("day")["duration_seconds"].median()
    medians.index = [_as_date(d) for d in medians.index]
    daily["median_prediction_seconds"] = medians.reindex(days)
    overall = prediction_times["duration_seconds"].median() if len(prediction_times) else None
    return UsageReport(daily.reset_index(), session_total, None if overall is None else float(overall))


def _by_day(values: pd.Series, days: pd.Index) -> pd.Series:
    values = values.copy()
    values.index = [_as_date(d) for d in values.index]
    return values.reindex(days).fillna(0).astype("int64")


def _as_date(value: object) -> date:
    """A day as returned by SQL ``date()``: text on SQLite, a date on PostgreSQL."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))
