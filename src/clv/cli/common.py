"""What every ``clv`` command shares: the console on stderr, exit codes, progress bars, JSON output, tables.

Only Typer, Rich and :mod:`clv.errors` are imported here: each command imports the layers it needs when it runs, so
``clv --help`` and a refused input answer at once.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from clv.errors import ConvergenceError, DataValidationError, ModelFileError

if TYPE_CHECKING:
    import pandas as pd

    from clv.data import CleaningReport, Transactions

EXIT_BAD_INPUT = 2
EXIT_MODEL_FAILURE = 3
EXIT_OUT_OF_MEMORY = 5
EXIT_CODES = (
    "Exit codes: 0 success; 2 bad input (the data layer's message is printed); 3 a model could not be fitted; "
    "5 out of memory."
)
console = Console(stderr=True)
_input_name: ContextVar[str | None] = ContextVar("clv_input_name", default=None)
"""The file the running command reads (set by :func:`load_log`): an error that does not name it is prefixed with it."""

MemoryLimit = Annotated[
    str | None,
    typer.Option(help="DuckDB memory limit, e.g. 4GB; beyond it DuckDB spills to a temporary folder."),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print a JSON summary on stdout.")]
ColumnMap = Annotated[
    list[str] | None,
    typer.Option(
        "--map",
        help="Read a field from a named column, e.g. --map amount=Price (repeatable). Fields: customer_id, "
        "timestamp, amount, invoice_id, product_id, quantity, unit_price, country.",
    ),
]


def column_mapping(pairs: list[str] | None) -> dict[str, str]:
    """``--map field=column`` options as a mapping; a pair without ``=`` is refused in words."""
    mapping: dict[str, str] = {}
    for pair in pairs or []:
        field, equals, column = pair.partition("=")
        if not equals or not field.strip() or not column.strip():
            raise DataValidationError(f"--map takes field=column, e.g. --map amount=Price; got {pair!r}")
        mapping[field.strip()] = column.strip()
    return mapping


def load_log(
    source: Path, mapping: list[str] | None = None, memory_limit: str | None = None, **options: Any
) -> tuple[Transactions, CleaningReport]:
    """Read and clean a transaction log for a command (:func:`clv.data.load_transactions`, ``mapping`` from
    ``--map``); what cleaning dropped, and any warning, is said on stderr in
    one line each (the cleaning report's summary, as the app's Data page shows it)."""
    from clv.data import connect, load_transactions

    _input_name.set(source.name if isinstance(source, Path) else Path(str(source)).name)
    log, report = load_transactions(
        source, column_mapping(mapping), connection=connect(memory_limit), **options
    )
    if report.rows_dropped:
        console.print(escape(report.summary_line()), highlight=False, soft_wrap=True)
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/yellow] {escape(warning)}", highlight=False, soft_wrap=True)
    return log, report


def say_notes(notes: list[str]) -> None:
    """The run's notes (what was done and what was skipped, and why) on stderr."""
    for note in notes:
        console.print(f"[dim]note:[/dim] {escape(note)}", highlight=False, soft_wrap=True)


def examples(*lines: str) -> str:
    """A command's help epilog: examples, one a line, then the exit codes."""
    return (
        "[bold]Examples[/bold]\n\n" + "\n\n".join(f"  {escape(line)}" for line in lines) + f"\n\n{EXIT_CODES}"
    )


@contextmanager
def exit_codes() -> Iterator[None]:
    """Turn the library's errors into a message on stderr and the documented exit code; a message that does not
    name the file the command reads (one from a model, say) is prefixed with it."""
    reading = _input_name.set(None)
    try:
        yield
    except (DataValidationError, ModelFileError) as error:
        console.print(f"[red]error:[/red] {escape(_naming_the_input(error))}", soft_wrap=True)
        raise typer.Exit(EXIT_BAD_INPUT) from error
    except ConvergenceError as error:
        console.print(f"[red]model failure:[/red] {escape(_naming_the_input(error))}", soft_wrap=True)
        raise typer.Exit(EXIT_MODEL_FAILURE) from error
    except Exception as error:
        if not _out_of_memory(error):
            raise
        console.print(
            f"[red]out of memory:[/red] {escape(str(error).splitlines()[0])}. Give DuckDB more with --memory-limit "
            "(it spills the rest to a temporary folder: check that its disk has room), or run with --engine spark"
        )
        raise typer.Exit(EXIT_OUT_OF_MEMORY) from error
    finally:
        _input_name.reset(reading)


def _naming_the_input(error: Exception) -> str:
    message, name = str(error), _input_name.get()
    return f"{name}: {message}" if name and name not in message else message


def _out_of_memory(error: Exception) -> bool:
    duckdb = sys.modules.get("duckdb")  # only a command that loaded DuckDB can run out of its memory
    return isinstance(error, MemoryError) or (
        duckdb is not None and isinstance(error, duckdb.OutOfMemoryException)
    )


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[str, float], None]]:
    """A progress bar on stderr for a long stage; yields the (stage, fraction done) callback clv.run takes."""
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(label, total=1.0)
        yield lambda stage, fraction: progress.update(task, description=stage, completed=fraction)


def emit(summary: dict[str, Any]) -> None:
    """Print a command's machine-readable summary: one JSON object on stdout."""
    typer.echo(json.dumps(summary, default=str))


def write(frame: pd.DataFrame, output: Path) -> None:
    """Write ``frame`` in the format of ``output``'s extension (csv, parquet, xlsx, json), chunk by chunk."""
    from clv.report.writers import write_table

    write_table(frame, output)


TableFormat = Annotated[
    str | None,
    typer.Option(
        "--format",
        help="How to print the table on stdout: table (Rich, for a terminal), markdown (full values) or csv. "
        "Default: table in a terminal, markdown when piped.",
    ),
]
TABLE_FORMATS = ("table", "markdown", "csv")


def show_table(frame: pd.DataFrame, title: str, table_format: str | None = None) -> None:
    """Print a result table on stdout: a Rich table in a terminal; full values as Markdown (or CSV) when piped to a
    file or asked for, so no cell is cut to fit a width."""
    chosen = table_format or ("table" if sys.stdout.isatty() else "markdown")
    if chosen not in TABLE_FORMATS:
        raise DataValidationError(f"unknown --format {chosen!r}: use {', '.join(TABLE_FORMATS)}")
    if chosen == "csv":
        typer.echo(frame.to_csv(index=False), nl=False)
    elif chosen == "markdown":
        rows = [[_cell(value, full=True) for value in row] for row in frame.itertuples(index=False)]
        lines = [f"**{title}**", "", "| " + " | ".join(map(str, frame.columns)) + " |"]
        lines += ["|" + "---|" * len(frame.columns)] + ["| " + " | ".join(row) + " |" for row in rows]
        typer.echo("\n".join(lines))
    else:
        from rich.console import Console
        from rich.table import Table

        shown = Table(title=title)
        for column in frame.columns:
            shown.add_column(str(column))
        for row in frame.itertuples(index=False):
            shown.add_row(*[escape(_cell(value, full=False)) for value in row])
        Console().print(shown)


def _cell(value: object, full: bool) -> str:
    """A number for people: thousands separated from 1,000 up (no exponent), else 4 significant digits (6 with
    ``full``)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if abs(value) >= 1000:
        return f"{value:,.0f}" if not full else f"{value:,.2f}"
    return f"{value:.6g}" if full else f"{value:.4g}"
