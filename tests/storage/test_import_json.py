"""The prototype's JSON files: imported with their unknown fields kept, twice without duplicates."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from clv.errors import DataValidationError
from clv.storage import Database
from clv.storage.feature_requests import list_requests
from clv.storage.feedback import list_feedback
from clv.storage.import_json import import_json

PROTOTYPE_FEEDBACK = [
    {
        "timestamp": "2024-05-01 10:15:00",
        "name": "Ana",
        "email": "ana@example.com",
        "rating": 5,
        "category": "General",
        "feedback": "Great tool",
        "browser": "Firefox",
    },
    {
        "date": "2024-05-02T08:00:00+02:00",
        "rating": "3",
        "comment": '=HYPERLINK("http://evil","x")',
        "status": "Closed",
    },
    {"created_at": 1714700000, "rating": 9, "message": "<script>alert(1)</script>", "status": "someday"},
    {"Timestamp": "not a date", "Rating": "4/5", "Message": "fine"},
]
PROTOTYPE_REQUESTS = {
    "feature_requests": [
        {
            "timestamp": "2024-05-03 12:00:00",
            "feature": "Export to PDF",
            "description": "For my boss",
            "priority": "High",
            "email": "bo@example.com",
            "votes": 7,
        },
        {
            "title": "Dark mode",
            "description": "Nights",
            "priority": "urgent",
            "status": "in_progress",
            "upvotes": "x",
            "team": "BI",
        },
    ]
}


def _write(folder: Path, name: str, document: object) -> Path:
    path = folder / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_prototype_feedback_is_mapped_and_the_rest_kept_in_details(
    database: Database, tmp_path: Path
) -> None:
    path = _write(tmp_path, "feedback.json", PROTOTYPE_FEEDBACK)
    report = import_json(database, path)
    assert (report.kind, report.read, report.inserted, report.skipped) == ("feedback", 4, 4, 0)
    rows = list_feedback(database).set_index("message")
    ana = rows.loc["Great tool"]
    assert (ana["name"], ana["email"], ana["rating"], ana["source"]) == (
        "Ana",
        "ana@example.com",
        5,
        "import",
    )
    assert ana["created_at"] == datetime(2024, 5, 1, 10, 15, tzinfo=UTC)
    assert ana["details"] == {"browser": "Firefox"}
    formula = rows.loc['=HYPERLINK("http://evil","x")']
    assert (formula["rating"], formula["status"]) == (3, "resolved")
    assert formula["created_at"] == datetime(2024, 5, 2, 6, 0, tzinfo=UTC)
    script = rows.loc["<script>alert(1)</script>"]
    assert script["rating"] is None or script["rating"] != script["rating"]
    assert script["details"] == {"rating_original": 9, "status_original": "someday"}
    assert script["created_at"] == datetime.fromtimestamp(1714700000, UTC)
    fine = rows.loc["fine"]
    assert fine["rating"] == 4 and fine["details"] == {"timestamp_original": "not a date"}


def test_importing_twice_adds_nothing_the_second_time(database: Database, tmp_path: Path) -> None:
    feedback_path = _write(tmp_path, "feedback.json", [*PROTOTYPE_FEEDBACK, PROTOTYPE_FEEDBACK[0]])
    requests_path = _write(tmp_path, "feature_requests.json", PROTOTYPE_REQUESTS)
    first = [import_json(database, feedback_path), import_json(database, requests_path)]
    again = [import_json(database, feedback_path), import_json(database, requests_path)]
    assert [(r.inserted, r.skipped) for r in first] == [(4, 1), (2, 0)]
    assert [(r.inserted, r.skipped) for r in again] == [(0, 5), (0, 2)]
    assert len(list_feedback(database)) == 4
    board = list_requests(database).set_index("title")
    assert len(board) == 2
    pdf = board.loc["Export to PDF"]
    assert (pdf["priority"], pdf["votes"], pdf["email"], pdf["status"]) == (
        "high",
        7,
        "bo@example.com",
        "new",
    )
    dark = board.loc["Dark mode"]
    assert (dark["priority"], dark["status"], dark["votes"]) == ("medium", "in progress", 1)
    assert dark["details"] == {
        "team": "BI",
        "priority_original": "urgent",
        "votes_original": "x",
        "timestamp_missing": True,
    }


def test_the_kind_is_guessed_from_the_fields_when_the_name_says_nothing(
    database: Database, tmp_path: Path
) -> None:
    path = _write(tmp_path, "export.json", {"items": PROTOTYPE_REQUESTS["feature_requests"]})
    assert import_json(database, path).kind == "feature_requests"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[{"rating": 5,', "not valid JSON: Expecting"),
        ('"just text"', "should hold a list of objects"),
        ('{"count": 2}', "without a list of entries"),
        ('[{"rating": 5}, "oops"]', "entry 2 is a str, not an object"),
    ],
)
def test_unreadable_files_are_refused_with_the_file_named(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "feedback.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataValidationError, match=message) as refused:
        import_json(None, path)  # type: ignore[arg-type]  # refused before the database is touched
    assert "feedback.json" in str(refused.value)
