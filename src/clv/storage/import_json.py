"""Import the prototype's ``feedback.json`` and ``feature_requests.json`` so its users lose nothing.

Their fields were never documented, so the reader is forgiving: a list of objects, or an object holding one; common
names are mapped (timestamp/date/created_at, name, email, rating, category, feedback/message/comment, title/feature,
description, priority, status, votes) and every other field, or a value that does not fit (a rating of 7, an
unknown status, an unreadable date), is kept in the row's ``details``. Each object's content hash is a unique key,
so importing the same file twice adds nothing the second time.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from sqlalchemy import Connection, Table, insert, select

from clv.errors import DataValidationError
from clv.storage import audit, feature_requests, feedback
from clv.storage.db import Database, utc_now
from clv.storage.schema import feature_requests as feature_requests_table
from clv.storage.schema import feedback as feedback_table

Kind = Literal["feedback", "feature_requests"]
ALIASES: dict[Kind, dict[str, tuple[str, ...]]] = {
    "feedback": {
        "created_at": ("created_at", "timestamp", "date", "datetime", "time", "created", "submitted_at"),
        "name": ("name", "user_name", "username", "author"),
        "email": ("email", "e_mail", "mail"),
        "rating": ("rating", "stars", "score"),
        "category": ("category", "type", "topic"),
        "message": ("feedback", "message", "comment", "comments", "text", "body"),
        "page": ("page",),
        "status": ("status",),
    },
    "feature_requests": {
        "created_at": ("created_at", "timestamp", "date", "datetime", "time", "created", "submitted_at"),
        "title": ("title", "feature", "feature_name", "feature_title", "summary"),
        "description": ("description", "details", "message", "body"),
        "priority": ("priority", "importance"),
        "email": ("email", "e_mail", "mail"),
        "status": ("status",),
        "votes": ("votes", "upvotes"),
    },
}
STATUS_SYNONYMS = {
    "open": "new",
    "pending": "new",
    "in_progress": "in progress",
    "in-progress": "in progress",
    "wip": "in progress",
    "reviewed": "in review",
    "closed": "resolved",
    "completed": "done",
    "implemented": "done",
    "rejected": "declined",
}
LIMITS = {"name": 200, "email": 320, "category": 40, "page": 200, "title": 200}


@dataclass(frozen=True)
class ImportReport:
    """What an import did: objects read, rows added, objects already imported (or repeated in the file)."""

    file: str
    kind: Kind
    read: int
    inserted: int
    skipped: int


def import_json(
    database: Database, path: str | Path, kind: Kind | None = None, actor: str = "cli"
) -> ImportReport:
    """Import one prototype JSON file; ``kind`` is guessed from the file name or its fields when not given."""
    path = Path(path)
    records = _records(path)
    kind = kind or _guess_kind(path, records)
    table = feedback_table if kind == "feedback" else feature_requests_table
    now = utc_now()
    rows: dict[str, dict[str, Any]] = {}
    for record in records:
        key = hashlib.sha256(
            f"{kind}:{json.dumps(record, sort_keys=True, ensure_ascii=False, default=str)}".encode()
        ).hexdigest()
        rows.setdefault(key, {**_row(kind, record, now), "import_key": key, "source": "import"})

    def work(connection: Connection) -> int:
        new = {key: row for key, row in rows.items() if key not in _existing(connection, table, list(rows))}
        if new:
            connection.execute(insert(table), list(new.values()))
        audit.record(
            connection,
            actor,
            "import json",
            path.name,
            {"kind": kind, "read": len(records), "inserted": len(new)},
        )
        return len(new)

    inserted = database.write(work, f"importing {path.name}")
    return ImportReport(
        file=str(path), kind=kind, read=len(records), inserted=inserted, skipped=len(records) - inserted
    )


def _records(path: Path) -> list[dict[str, Any]]:
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as error:
        raise DataValidationError(f"cannot read {path}: {error.strerror or error}") from error
    except json.JSONDecodeError as error:
        raise DataValidationError(
            f"{path.name} is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}"
        ) from error
    except UnicodeDecodeError as error:
        raise DataValidationError(f"{path.name} is not UTF-8 text") from error
    if isinstance(document, dict):
        lists = [value for value in document.values() if isinstance(value, list)]
        if not lists:
            raise DataValidationError(f"{path.name} holds an object without a list of entries in it")
        document = lists[0]
    if not isinstance(document, list):
        raise DataValidationError(f"{path.name} should hold a list of objects, not {type(document).__name__}")
    for index, item in enumerate(document):
        if not isinstance(item, dict):
            raise DataValidationError(
                f"{path.name}: entry {index + 1} is a {type(item).__name__}, not an object"
            )
    return document


def _guess_kind(path: Path, records: Iterable[dict[str, Any]]) -> Kind:
    if "feature" in path.name.lower() or "request" in path.name.lower():
        return "feature_requests"
    title_names = ALIASES["feature_requests"]["title"]
    if any(_normalise(key) in title_names for record in records for key in record):
        return "feature_requests"
    return "feedback"


def _row(kind: Kind, record: dict[str, Any], now: datetime) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    details: dict[str, Any] = {}
    aliases = ALIASES[kind]
    for key, value in record.items():
        field = next((name for name, names in aliases.items() if _normalise(key) in names), None)
        if field is None or field in fields:
            details[key] = value
        else:
            fields[field] = value
    row: dict[str, Any] = {"created_at": _timestamp(fields.get("created_at"), details, now)}
    row["status"] = _status(
        fields.get("status"), feedback.STATUSES if kind == "feedback" else feature_requests.STATUSES, details
    )
    if kind == "feedback":
        row["rating"] = _rating(fields.get("rating"), details)
        row["message"] = _text(fields.get("message")) or ""
        row["category"] = _text(fields.get("category")) or "General"
        for name in ("name", "email", "page"):
            row[name] = _text(fields.get(name))
    else:
        row["title"] = _text(fields.get("title")) or "(no title)"
        row["description"] = _text(fields.get("description")) or ""
        priority = (_text(fields.get("priority")) or "medium").lower()
        if priority not in feature_requests.PRIORITIES:
            details["priority_original"] = fields.get("priority")
            priority = "medium"
        row["priority"] = priority
        row["email"] = _text(fields.get("email"))
        row["votes"] = _votes(fields.get("votes"), details)
        row["updated_at"] = row["created_at"]
    for name, limit in LIMITS.items():
        if isinstance(row.get(name), str) and len(row[name]) > limit:
            details[f"{name}_original"] = row[name]
            row[name] = row[name][:limit]
    row["details"] = details or None
    return row


def _existing(connection: Connection, table: Table, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        found.update(
            connection.execute(select(table.c.import_key).where(table.c.import_key.in_(chunk))).scalars()
        )
    return found


def _normalise(key: str) -> str:
    return re.sub(r"[\s\-]+", "_", key.strip().lower())


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _timestamp(value: Any, details: dict[str, Any], now: datetime) -> datetime:
    """The entry's time in UTC (naive times are read as UTC; numbers as Unix seconds or milliseconds); the import
    time when missing or unreadable, which ``details`` then says."""
    if value is None or value == "":
        details["timestamp_missing"] = True
        return now
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            stamp = pd.Timestamp(value, unit="ms" if value > 1e11 else "s")
        elif isinstance(value, str):
            stamp = pd.Timestamp(value.strip())
        else:
            raise ValueError
        if pd.isna(stamp):
            raise ValueError
    except (ValueError, OverflowError, TypeError):
        details["timestamp_original"] = value
        return now
    stamp = stamp.tz_localize(UTC) if stamp.tzinfo is None else stamp.tz_convert(UTC)
    return stamp.to_pydatetime()


def _rating(value: Any, details: dict[str, Any]) -> int | None:
    if value is None:
        return None
    match = re.match(r"^\s*(\d+(?:\.0+)?)\s*(?:/\s*5|stars?)?\s*$", str(value))
    number = int(float(match.group(1))) if match and not isinstance(value, bool) else None
    if number is None or not 1 <= number <= 5:
        details["rating_original"] = value
        return None
    return number


def _status(value: Any, statuses: tuple[str, ...], details: dict[str, Any]) -> str:
    if value is None:
        return "new"
    text = str(value).strip().lower()
    status = STATUS_SYNONYMS.get(text, text.replace("_", " "))
    if status not in statuses:
        details["status_original"] = value
        return "new"
    return status


def _votes(value: Any, details: dict[str, Any]) -> int:
    if value is None:
        return 1
    try:
        votes = int(value)
        if votes < 0 or isinstance(value, bool):
            raise ValueError
    except (TypeError, ValueError):
        details["votes_original"] = value
        return 1
    return votes
