"""``clv admin``: administrators without a default password, the prototype's JSON, formula-safe exports."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from argon2 import PasswordHasher
from typer.testing import CliRunner

from clv.cli import app
from clv.cli.admin import EXIT_BAD_INPUT, EXIT_STORAGE
from clv.storage import open_database
from clv.storage.auth import list_users, login

runner = CliRunner()
GOOD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CLV_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("CLV_DATABASE_URL", raising=False)
    monkeypatch.delenv("CLV_ADMIN_USERNAME", raising=False)
    monkeypatch.delenv("CLV_ADMIN_PASSWORD_HASH", raising=False)
    return tmp_path / "data"


def admin(*arguments: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["admin", *arguments], input=stdin)


def test_create_user_from_stdin_or_a_prompt_typed_twice(data_dir: Path) -> None:
    result = admin("create-user", "ops", "--password-stdin", stdin=GOOD + "\n")
    assert result.exit_code == 0, result.output
    assert (data_dir / "clv.sqlite3").exists()
    database = open_database()
    assert login(database, "ops", GOOD)
    assert admin("create-user", "ops", "--password-stdin", stdin=GOOD + "\n").exit_code == EXIT_BAD_INPUT
    typed = admin("create-user", "second", stdin=f"{GOOD} 2\n{GOOD} 2\n")
    assert typed.exit_code == 0, typed.output
    differ = admin("create-user", "third", stdin=f"{GOOD}\n{GOOD}!\n")
    assert differ.exit_code == EXIT_BAD_INPUT
    assert "the two passwords differ" in differ.output
    assert list(list_users(database)["username"]) == ["ops", "second"]


def test_weak_passwords_are_refused_with_the_reason() -> None:
    result = admin("create-user", "ops", "--password-stdin", stdin="admin123\n")
    assert result.exit_code == EXIT_BAD_INPUT
    assert "use at least 12" in result.output and "common password" in result.output
    assert admin("hash-password", "--password-stdin", stdin="\n").exit_code == EXIT_BAD_INPUT


def test_hash_password_prints_an_argon2id_hash_for_the_environment() -> None:
    result = admin("hash-password", "--password-stdin", stdin=GOOD + "\n")
    assert result.exit_code == 0, result.output
    encoded = result.stdout.strip()
    assert encoded.startswith("$argon2id$")
    assert PasswordHasher().verify(encoded, GOOD)


def test_list_unlock_set_password_and_delete(data_dir: Path) -> None:
    admin("create-user", "ops", "--password-stdin", stdin=GOOD + "\n")
    listed = admin("list-users")
    assert listed.exit_code == 0 and "ops" in listed.output and "$argon2id$" not in listed.output
    assert admin("unlock", "ops").exit_code == 0
    assert admin("unlock", "ghost").exit_code == EXIT_BAD_INPUT
    assert admin("set-password", "ops", "--password-stdin", stdin=GOOD + " new\n").exit_code == 0
    assert login(open_database(), "ops", GOOD + " new")
    assert admin("delete-user", "ops").exit_code == 0
    assert admin("delete-user", "ops").exit_code == EXIT_BAD_INPUT


def test_import_json_twice_then_export_formula_safe(tmp_path: Path) -> None:
    source = tmp_path / "feedback.json"
    source.write_text(
        json.dumps(
            [
                {
                    "timestamp": "2024-05-01",
                    "rating": 2,
                    "feedback": '=HYPERLINK("http://evil","x")',
                    "os": "mac",
                }
            ]
        ),
        encoding="utf-8",
    )
    first = admin("import-json", str(source))
    assert first.exit_code == 0, first.output
    assert "1 added" in first.output
    assert "0 added, 1 already there" in admin("import-json", str(source)).output
    csv_path = tmp_path / "out.csv"
    assert admin("export", "feedback", "-o", str(csv_path)).exit_code == 0
    table = pd.read_csv(csv_path, encoding="utf-8-sig")
    assert table.loc[0, "message"] == '\'=HYPERLINK("http://evil","x")'
    assert table.loc[0, "details"] == '{"os": "mac"}'
    xlsx_path = tmp_path / "out.xlsx"
    assert admin("export", "feedback", "-o", str(xlsx_path)).exit_code == 0
    sheet = openpyxl.load_workbook(xlsx_path)["feedback"]
    header = [cell.value for cell in sheet[1]]
    assert sheet.cell(row=2, column=header.index("message") + 1).value == '\'=HYPERLINK("http://evil","x")'
    assert admin("export", "audit", "-o", str(tmp_path / "audit.csv")).exit_code == 0
    assert admin("export", "feedback", "-o", str(tmp_path / "out.pdf")).exit_code == EXIT_BAD_INPUT


def test_bad_files_and_unusable_databases_get_their_exit_codes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "feedback.json"
    broken.write_text("{", encoding="utf-8")
    result = admin("import-json", str(broken))
    assert result.exit_code == EXIT_BAD_INPUT and "not valid JSON" in result.output
    assert "schema version 0002 (newest 0002)" in admin("migrate").output
    monkeypatch.setenv("CLV_DATABASE_URL", "postgresql://clv:pw@127.0.0.1:1/clv")
    unreachable = admin("list-users")
    assert unreachable.exit_code == EXIT_STORAGE
    assert "pw@" not in unreachable.output
