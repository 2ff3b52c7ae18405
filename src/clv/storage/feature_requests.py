"""Feature requests: validated submissions, similar titles (so people upvote instead of filing duplicates),
votes, and the status board administrators keep."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from difflib import SequenceMatcher

import pandas as pd
from sqlalchemy import Connection, insert, select, update

from clv.errors import FormError
from clv.storage import audit
from clv.storage.db import Database, to_frame, utc_now
from clv.storage.schema import feature_requests
from clv.storage.validation import Checker

PRIORITIES: tuple[str, ...] = ("low", "medium", "high")
STATUSES: tuple[str, ...] = ("new", "planned", "in progress", "done", "declined")
MAX_TITLE_CHARS = 120
MAX_DESCRIPTION_CHARS = 5_000
SIMILARITY_THRESHOLD = 0.5
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "to",
        "of",
        "for",
        "in",
        "on",
        "and",
        "or",
        "with",
        "as",
        "be",
        "by",
        "is",
        "it",
        "please",
        "add",
        "allow",
        "support",
    ]
)


@dataclass(frozen=True)
class FeatureRequest:
    """One checked request (build it with :func:`validate_feature_request`)."""

    title: str
    description: str
    priority: str
    email: str | None = None


def validate_feature_request(
    title: str | None, description: str | None, priority: str | None, email: str | None = None
) -> FeatureRequest:
    """A :class:`FeatureRequest` or a :class:`~clv.errors.FormError` listing every problem (title required, at
    most 120 characters; description required, at most 5,000; priority low/medium/high; a valid email if given)."""
    check = Checker()
    heading = check.text("title", title, required=True, max_chars=MAX_TITLE_CHARS)
    body = check.text("description", description, required=True, max_chars=MAX_DESCRIPTION_CHARS)
    level = check.choice("priority", priority, PRIORITIES)
    address = check.email("email", email)
    check.done()
    assert heading is not None and body is not None
    return FeatureRequest(title=heading, description=body, priority=level, email=address)


def submit_feature_request(database: Database, request: FeatureRequest, now: datetime | None = None) -> int:
    """Store ``request`` with status "new" and one vote (its author's); returns its id."""
    moment = now or utc_now()
    values = {
        "created_at": moment,
        "updated_at": moment,
        "title": request.title,
        "description": request.description,
        "priority": request.priority,
        "email": request.email,
        "status": "new",
        "votes": 1,
        "source": "app",
    }

    def work(connection: Connection) -> int:
        return int(
            connection.execute(
                insert(feature_requests).values(**values).returning(feature_requests.c.id)
            ).scalar_one()
        )

    return database.write(work, "saving the feature request")


def similar_requests(database: Database, title: str, limit: int = 5) -> pd.DataFrame:
    """Requests whose title resembles ``title`` (declined ones excluded), most similar first: id, title,
    status, votes, similarity (0-1: the larger of shared-word overlap and character-sequence similarity)."""
    words = _words(title)
    if not words:
        return pd.DataFrame(columns=["id", "title", "status", "votes", "similarity"])
    board = list_requests(database, [s for s in STATUSES if s != "declined"])[
        ["id", "title", "status", "votes"]
    ]
    board["similarity"] = [_similarity(words, _words(other)) for other in board["title"]]
    close = board[board["similarity"] >= SIMILARITY_THRESHOLD]
    return close.sort_values(["similarity", "votes"], ascending=False).head(limit).reset_index(drop=True)


def upvote(database: Database, request_id: int, now: datetime | None = None) -> int:
    """Add one vote to request ``request_id``; returns its new vote count."""

    def work(connection: Connection) -> int:
        votes = connection.execute(
            update(feature_requests)
            .where(feature_requests.c.id == request_id)
            .values(votes=feature_requests.c.votes + 1, updated_at=now or utc_now())
            .returning(feature_requests.c.votes)
        ).scalar_one_or_none()
        if votes is None:
            raise FormError({"request": f"no feature request #{request_id}"})
        return int(votes)

    return database.write(work, "recording the vote")


def list_requests(database: Database, statuses: Sequence[str] = ()) -> pd.DataFrame:
    """Requests (all, or those with one of ``statuses``), most votes first."""
    columns = [c for c in feature_requests.c if c.name != "import_key"]
    statement = select(*columns).order_by(feature_requests.c.votes.desc(), feature_requests.c.id)
    if statuses:
        statement = statement.where(feature_requests.c.status.in_(list(statuses)))
    return database.read(
        lambda connection: to_frame(connection.execute(statement)), "reading feature requests"
    )


def set_request_status(database: Database, ids: Sequence[int], status: str, actor: str) -> int:
    """Move requests ``ids`` to ``status`` (one of :data:`STATUSES`), audited; returns rows changed."""
    return audit.change_status(database, feature_requests, ids, status, STATUSES, actor)


def _words(title: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9]+", title.lower()) if w not in STOPWORDS]


def _similarity(words: list[str], other: list[str]) -> float:
    if not other:
        return 0.0
    overlap = len(set(words) & set(other)) / len(set(words) | set(other))
    sequence = SequenceMatcher(None, " ".join(words), " ".join(other)).ratio()
    return max(overlap, sequence)
