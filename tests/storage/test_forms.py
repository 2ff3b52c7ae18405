"""Feedback and feature requests: validation, text stored exactly as given, filters, votes, statuses."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from clv.errors import FormError
from clv.storage import Database
from clv.storage.audit import list_audit
from clv.storage.feature_requests import (
    list_requests,
    set_request_status,
    similar_requests,
    submit_feature_request,
    upvote,
    validate_feature_request,
)
from clv.storage.feedback import (
    FeedbackQuery,
    list_feedback,
    set_feedback_status,
    submit_feedback,
    validate_feedback,
)
from tests.storage.conftest import T0

HOSTILE = '<script>alert("x")</script> [click](javascript:alert(1)) =HYPERLINK("http://evil","x") **bold** 50%_off \\'


@pytest.mark.parametrize(
    ("arguments", "field", "message"),
    [
        ({"message": "   "}, "message", "required"),
        ({"message": "x" * 5_001}, "message", "at most 5,000 characters"),
        ({"rating": 0}, "rating", "from 1 to 5"),
        ({"rating": 6}, "rating", "from 1 to 5"),
        ({"rating": "four"}, "rating", "whole number"),
        ({"rating": None}, "rating", "whole number"),
        ({"category": "Spam"}, "category", "choose one of"),
        ({"email": "not-an-address"}, "email", "valid email"),
        ({"email": "a@b"}, "email", "valid email"),
        ({"name": "n" * 201}, "name", "at most 200"),
        ({"message": "nul \x00 byte"}, "message", "NUL"),
    ],
)
def test_feedback_validation_names_the_field_and_the_rule(
    arguments: dict[str, object], field: str, message: str
) -> None:
    values: dict[str, object] = {"message": "fine", "rating": 4, "category": "Idea", **arguments}
    with pytest.raises(FormError) as refused:
        validate_feedback(**values)  # type: ignore[arg-type]
    assert set(refused.value.problems) == {field}
    assert message in refused.value.problems[field]


def test_every_feedback_problem_is_reported_at_once() -> None:
    with pytest.raises(FormError) as refused:
        validate_feedback("", 9, "?", email="@")
    assert set(refused.value.problems) == {"message", "rating", "category", "email"}


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "t" * 121}, "title"),
        ({"description": " "}, "description"),
        ({"priority": "urgent"}, "priority"),
        ({"email": "x@"}, "email"),
    ],
)
def test_feature_request_validation(arguments: dict[str, object], field: str) -> None:
    values: dict[str, object] = {
        "title": "Dark mode",
        "description": "Please",
        "priority": "low",
        **arguments,
    }
    with pytest.raises(FormError) as refused:
        validate_feature_request(**values)  # type: ignore[arg-type]
    assert set(refused.value.problems) == {field}


def test_hostile_feedback_is_stored_verbatim(database: Database) -> None:
    entry = validate_feedback(HOSTILE, "5", "Bug", name=HOSTILE[:200], email=" ana@example.com ")
    feedback_id = submit_feedback(database, entry, now=T0)
    row = list_feedback(database).set_index("id").loc[feedback_id]
    assert row["message"] == HOSTILE
    assert row["name"] == HOSTILE[:200]
    assert row["email"] == "ana@example.com"
    assert (row["rating"], row["status"], row["source"], row["created_at"]) == (5, "new", "app", T0)


def test_feedback_filters_and_status_changes(database: Database) -> None:
    for day, (rating, category, message) in enumerate(
        [
            (1, "Bug", "Crash on upload"),
            (5, "Idea", "Love the charts"),
            (3, "Bug", "100% wrong_total"),
            (4, "Other", "ok"),
        ]
    ):
        submit_feedback(database, validate_feedback(message, rating, category), now=T0 + timedelta(days=day))
    everything = list_feedback(database)
    assert list(everything["message"]) == ["ok", "100% wrong_total", "Love the charts", "Crash on upload"]

    def messages(**query: object) -> list[str]:
        return sorted(list_feedback(database, FeedbackQuery(**query))["message"])  # type: ignore[arg-type]

    first = T0.date()
    assert messages(start=first + timedelta(days=1), end=first + timedelta(days=2)) == [
        "100% wrong_total",
        "Love the charts",
    ]
    assert messages(ratings=[1, 3]) == ["100% wrong_total", "Crash on upload"]
    assert messages(categories=["Bug"]) == ["100% wrong_total", "Crash on upload"]
    assert messages(search="CRASH") == ["Crash on upload"]
    assert messages(search="100%") == ["100% wrong_total"]
    assert messages(search="0%_") == []  # % and _ are literal, not wildcards
    ids = list(everything.loc[everything["category"] == "Bug", "id"])
    assert set_feedback_status(database, ids, "resolved", actor="ops") == 2
    assert messages(statuses=["resolved"]) == ["100% wrong_total", "Crash on upload"]
    assert messages(statuses=["new"], end=date(2000, 1, 1)) == []
    audit = list_audit(database)
    assert (audit.loc[0, "actor"], audit.loc[0, "action"], audit.loc[0, "details"]) == (
        "ops",
        "feedback status",
        {"status": "resolved"},
    )
    with pytest.raises(FormError):
        set_feedback_status(database, ids, "deleted", actor="ops")


def test_requests_similar_titles_votes_and_board(database: Database) -> None:
    export_id = submit_feature_request(
        database, validate_feature_request("Export the report to PDF", "As well as Word", "high"), now=T0
    )
    dark_id = submit_feature_request(
        database, validate_feature_request("Dark mode", "Easier on the eyes", "low")
    )
    similar = similar_requests(database, "pdf export of report")
    assert list(similar["id"]) == [export_id]
    assert similar_requests(database, "Darkmode please")["id"].tolist() == [dark_id]
    assert similar_requests(database, "Cohort analysis").empty
    assert upvote(database, export_id) == 2
    assert upvote(database, export_id) == 3
    with pytest.raises(FormError, match="no feature request #999"):
        upvote(database, 999)
    board = list_requests(database)
    assert list(board["id"]) == [export_id, dark_id]  # most votes first
    assert set_request_status(database, [dark_id], "declined", actor="ops") == 1
    assert list(list_requests(database, ["declined"])["title"]) == ["Dark mode"]
    assert similar_requests(database, "Dark mode").empty  # declined requests are not offered for votes
    with pytest.raises(FormError):
        set_request_status(database, [dark_id], "maybe", actor="ops")
