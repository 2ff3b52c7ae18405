"""The audit log: every administrator action, written in the same transaction as the action itself."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Table, insert, select, update

from clv.errors import FormError
from clv.storage.db import Database, to_frame, utc_now
from clv.storage.schema import audit_log


def record(
    connection: Connection,
    actor: str,
    action: str,
    target: str | None = None,
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> None:
    """Add one entry (call inside the transaction that does ``action``, so both happen or neither)."""
    connection.execute(
        insert(audit_log).values(
            created_at=now or utc_now(),
            actor=actor[:64],
            action=action,
            target=None if target is None else target[:200],
            details=details,
        )
    )


def record_action(
    database: Database,
    actor: str,
    action: str,
    target: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Add one entry for an action that changes nothing stored (an export, for instance)."""
    database.write(
        lambda connection: record(connection, actor, action, target, details), "writing the audit log"
    )


def list_audit(database: Database, limit: int = 1_000) -> pd.DataFrame:
    """The newest ``limit`` entries, newest first: created_at, actor, action, target, details."""
    query = (
        select(
            audit_log.c.created_at,
            audit_log.c.actor,
            audit_log.c.action,
            audit_log.c.target,
            audit_log.c.details,
        )
        .order_by(audit_log.c.id.desc())
        .limit(limit)
    )
    return database.read(lambda connection: to_frame(connection.execute(query)), "reading the audit log")


def change_status(
    database: Database, table: Table, ids: Sequence[int], status: str, allowed: Sequence[str], actor: str
) -> int:
    """Set ``status`` (one of ``allowed``) on rows ``ids`` of ``table`` and log it, in one transaction; returns the
    number of rows changed."""
    if status not in allowed:
        raise FormError({"status": f"choose one of {', '.join(allowed)}"})
    values: dict[str, object] = {"status": status}
    if "updated_at" in table.c:
        values["updated_at"] = utc_now()

    def work(connection: Connection) -> int:
        changed = connection.execute(update(table).where(table.c.id.in_(list(ids))).values(**values)).rowcount
        record(
            connection,
            actor,
            f"{table.name.replace('_', ' ')} status",
            ", ".join(f"#{i}" for i in ids),
            {"status": status},
        )
        return int(changed)

    return database.write(work, f"changing the {table.name.replace('_', ' ')} status")
