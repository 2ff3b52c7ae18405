"""Feedback from users: validated submissions, the filtered list administrators read, and status changes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pandas as pd
from sqlalchemy import ColumnElement, Connection, and_, insert, or_, select

import clv
from clv.storage import audit
from clv.storage.db import Database, to_frame, utc_now
from clv.storage.schema import feedback
from clv.storage.validation import Checker

CATEGORIES: tuple[str, ...] = ("General", "Bug", "Idea", "Data and uploads", "Models and results", "Other")
STATUSES: tuple[str, ...] = ("new", "in review", "resolved", "dismissed")
MAX_MESSAGE_CHARS = 5_000
MAX_NAME_CHARS = 200
MAX_PAGE_CHARS = 200


@dataclass(frozen=True)
class Feedback:
    """One checked submission (build it with :func:`validate_feedback`)."""

    message: str
    rating: int
    category: str
    name: str | None = None
    email: str | None = None
    page: str | None = None


@dataclass(frozen=True)
class FeedbackQuery:
    """Filters of the feedback dashboard; empty filters match everything. Dates are UTC days, both included."""

    start: date | None = None
    end: date | None = None
    ratings: Sequence[int] = ()
    categories: Sequence[str] = ()
    statuses: Sequence[str] = ()
    search: str = ""


def validate_feedback(
    message: str | None,
    rating: object,
    category: str | None,
    name: str | None = None,
    email: str | None = None,
    page: str | None = None,
) -> Feedback:
    """A :class:`Feedback` or a :class:`~clv.errors.FormError` listing every problem (message required, at most
    5,000 characters; rating 1-5; a known category; a valid email when one is given)."""
    check = Checker()
    text = check.text("message", message, required=True, max_chars=MAX_MESSAGE_CHARS)
    stars = check.integer("rating", rating, 1, 5)
    kind = check.choice("category", category, CATEGORIES)
    who = check.text("name", name, required=False, max_chars=MAX_NAME_CHARS)
    address = check.email("email", email)
    where = check.text("page", page, required=False, max_chars=MAX_PAGE_CHARS)
    check.done()
    assert text is not None
    return Feedback(message=text, rating=stars, category=kind, name=who, email=address, page=where)


def submit_feedback(database: Database, entry: Feedback, now: datetime | None = None) -> int:
    """Store ``entry`` with status "new"; returns its id."""
    values = {
        "created_at": now or utc_now(),
        "name": entry.name,
        "email": entry.email,
        "rating": entry.rating,
        "category": entry.category,
        "message": entry.message,
        "page": entry.page,
        "app_version": clv.__version__,
        "status": "new",
        "source": "app",
    }

    def work(connection: Connection) -> int:
        return int(
            connection.execute(insert(feedback).values(**values).returning(feedback.c.id)).scalar_one()
        )

    return database.write(work, "saving the feedback")


def list_feedback(database: Database, query: FeedbackQuery | None = None) -> pd.DataFrame:
    """Feedback matching ``query``, newest first (all columns but the import key)."""
    query = query or FeedbackQuery()
    columns = [c for c in feedback.c if c.name != "import_key"]
    statement = (
        select(*columns)
        .where(*_conditions(query))
        .order_by(feedback.c.created_at.desc(), feedback.c.id.desc())
    )
    return database.read(lambda connection: to_frame(connection.execute(statement)), "reading feedback")


def set_feedback_status(database: Database, ids: Sequence[int], status: str, actor: str) -> int:
    """Give the feedback ``ids`` the status ``status`` (one of :data:`STATUSES`), audited; returns rows changed."""
    return audit.change_status(database, feedback, ids, status, STATUSES, actor)


def _conditions(query: FeedbackQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if query.start is not None:
        conditions.append(feedback.c.created_at >= datetime.combine(query.start, time(), UTC))
    if query.end is not None:
        conditions.append(
            feedback.c.created_at < datetime.combine(query.end + timedelta(days=1), time(), UTC)
        )
    if query.ratings:
        conditions.append(feedback.c.rating.in_(list(query.ratings)))
    if query.categories:
        conditions.append(feedback.c.category.in_(list(query.categories)))
    if query.statuses:
        conditions.append(feedback.c.status.in_(list(query.statuses)))
    if query.search.strip():
        pattern = "%" + escape_like(query.search.strip()) + "%"
        searched = (feedback.c.message, feedback.c.name, feedback.c.email, feedback.c.category)
        conditions.append(or_(*(column.ilike(pattern, escape="\\") for column in searched)))
    return [and_(*conditions)] if conditions else []


def escape_like(text: str) -> str:
    """``text`` with the LIKE wildcards ``%`` and ``_`` (and the escape character) taken literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
