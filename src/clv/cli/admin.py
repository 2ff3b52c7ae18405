"""``clv admin``: operator commands for administrators, the database and the prototype's JSON files.

Exit codes: 0 success; 2 bad input (a weak password, an unknown user, an unreadable file: the message says which);
4 the database could not be opened or written (nothing was changed).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from clv.errors import ConfigurationError, DataValidationError, FormError, StorageError

if (
    TYPE_CHECKING
):  # the storage layer (SQLAlchemy) is imported by the command that uses it, not by `clv --help`
    import pandas as pd

    from clv.storage import Database
    from clv.storage.import_json import Kind as ImportKind

EXIT_BAD_INPUT = 2  # as in clv.cli
EXIT_STORAGE = 4

admin_app = typer.Typer(
    help="Administrators, the feedback database and imports (database: CLV_DATABASE_URL or CLV_DATA_DIR).",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(stderr=True, soft_wrap=True)


class Kind(StrEnum):
    """What a prototype JSON file holds."""

    feedback = "feedback"
    feature_requests = "feature-requests"


class ExportTable(StrEnum):
    """Tables ``clv admin export`` writes."""

    feedback = "feedback"
    feature_requests = "feature-requests"
    audit = "audit"


@contextmanager
def _exit_codes() -> Iterator[None]:
    try:
        yield
    except FormError as error:
        for field, problem in error.problems.items():
            console.print(f"[red]error:[/red] {escape(field)}: {escape(problem)}")
        raise typer.Exit(EXIT_BAD_INPUT) from error
    except (DataValidationError, ConfigurationError) as error:
        console.print(f"[red]error:[/red] {escape(str(error))}")
        raise typer.Exit(EXIT_BAD_INPUT) from error
    except StorageError as error:
        console.print(f"[red]database error:[/red] {escape(str(error))}")
        raise typer.Exit(EXIT_STORAGE) from error


def _database() -> Database:
    from clv.storage import open_database

    return open_database()


def _read_password(from_stdin: bool) -> str:
    """One line of standard input (without its line end), or a hidden prompt typed twice."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise FormError({"password": "standard input held no password"})
        return password
    first = typer.prompt("Password", hide_input=True)
    if typer.prompt("Repeat the password", hide_input=True) != first:
        raise FormError({"password": "the two passwords differ"})
    return str(first)


PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from one line of standard input.")
]


@admin_app.command("create-user")
def create_user(
    username: Annotated[str, typer.Argument(help="Login name.")], password_stdin: PasswordStdin = False
) -> None:
    """Create an administrator (password typed twice, at least 12 characters, stored as an argon2id hash).

    Example: clv admin create-user ops
    """
    from clv.storage import auth

    with _exit_codes():
        password = _read_password(password_stdin)
        auth.create_user(_database(), username, password, actor="cli")
        console.print(f"administrator {escape(username)} created")


@admin_app.command("set-password")
def set_password(
    username: Annotated[str, typer.Argument(help="Login name.")], password_stdin: PasswordStdin = False
) -> None:
    """Give an administrator a new password (ends its sessions, lifts a lock).  Example: clv admin set-password ops"""
    from clv.storage import auth

    with _exit_codes():
        auth.set_password(_database(), username, _read_password(password_stdin), actor="cli")
        console.print(f"password of {escape(username)} changed")


@admin_app.command("hash-password")
def hash_password(password_stdin: PasswordStdin = False) -> None:
    """Print the argon2id hash of a password, for CLV_ADMIN_PASSWORD_HASH.

    Example: clv admin hash-password --password-stdin < secret.txt
    """
    from clv.storage import passwords

    with _exit_codes():
        typer.echo(passwords.hash_password(_read_password(password_stdin)))


@admin_app.command("list-users")
def list_users() -> None:
    """Show administrators, their last login and any lock.  Example: clv admin list-users"""
    import pandas as pd
    from rich.table import Table

    from clv.storage import auth

    with _exit_codes():
        users = auth.list_users(_database())
        table = Table(title="administrators")
        for column in users.columns:
            table.add_column(str(column))
        for row in users.itertuples(index=False):
            table.add_row(*[escape("" if pd.isna(value) else str(value)) for value in row])
        console.print(table)


@admin_app.command()
def unlock(username: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """Lift a login lock and forget the failed attempts.  Example: clv admin unlock ops"""
    from clv.storage import auth

    with _exit_codes():
        auth.unlock_user(_database(), username, actor="cli")
        console.print(f"{escape(username)} unlocked")


@admin_app.command("delete-user")
def delete_user(username: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """Remove an administrator and end its sessions.  Example: clv admin delete-user ops"""
    from clv.storage import auth

    with _exit_codes():
        auth.delete_user(_database(), username, actor="cli")
        console.print(f"{escape(username)} removed")


@admin_app.command("import-json")
def import_json_command(
    files: Annotated[
        list[Path], typer.Argument(help="The prototype's feedback.json / feature_requests.json.")
    ],
    kind: Annotated[
        Kind | None, typer.Option(help="What the files hold; guessed from the name or fields when omitted.")
    ] = None,
) -> None:
    """Import the prototype's JSON files (importing again adds nothing).  Example: clv admin import-json data/*.json"""
    from clv.storage.import_json import import_json

    with _exit_codes():
        database = _database()
        chosen: ImportKind | None = None
        if kind is not None:
            chosen = "feedback" if kind is Kind.feedback else "feature_requests"
        for path in files:
            report = import_json(database, path, chosen, actor="cli")
            console.print(
                f"{escape(path.name)}: {report.read:,} entries of {report.kind.replace('_', ' ')}, "
                f"{report.inserted:,} added, {report.skipped:,} already there"
            )


@admin_app.command()
def export(
    table: Annotated[ExportTable, typer.Argument(help="feedback, feature-requests or audit.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="A .csv or .xlsx file (formula-safe).")],
) -> None:
    """Export a table for a spreadsheet.  Example: clv admin export feedback -o feedback.xlsx"""
    from clv.report.admin import for_spreadsheet
    from clv.report.exports import csv_bytes, excel_bytes
    from clv.storage.audit import list_audit
    from clv.storage.feature_requests import list_requests
    from clv.storage.feedback import list_feedback

    with _exit_codes():
        database = _database()
        readers: dict[ExportTable, Callable[[Database], pd.DataFrame]] = {
            ExportTable.feedback: list_feedback,
            ExportTable.feature_requests: list_requests,
            ExportTable.audit: list_audit,
        }
        frame = for_spreadsheet(readers[table](database))
        suffix = output.suffix.lower()
        if suffix == ".csv":
            output.write_bytes(csv_bytes(frame))
        elif suffix == ".xlsx":
            output.write_bytes(excel_bytes({table.value: frame}))
        else:
            raise DataValidationError(f"unknown output format {suffix!r}: use .csv or .xlsx")
        console.print(f"{len(frame):,} rows -> {escape(str(output))}")


@admin_app.command()
def migrate() -> None:
    """Bring the database schema to the newest version (also done when the app starts).  Example: clv admin migrate"""
    from clv.storage.migrate import current_revision, head_revision

    with _exit_codes():
        database = _database()
        console.print(
            f"{escape(database.display_url)}: schema version {current_revision(database)} "
            f"(newest {head_revision()})"
        )
