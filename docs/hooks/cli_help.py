"""MkDocs hook: the command-line reference is the commands' own ``--help``, generated at build time.

Wherever a page holds the marker ``<!-- cli-help -->``, the hook puts the help of ``clv`` and of every command and
subcommand (``clv admin ...`` included), as Typer prints it through ``typer.testing.CliRunner``. The page cannot
drift from the code: a new option or command appears at the next build.
"""

from __future__ import annotations

from typing import Any

import typer
from typer.testing import CliRunner

MARKER = "<!-- cli-help -->"
WIDTH = 100


def _help(app: typer.Typer, words: list[str]) -> str:
    result = CliRunner().invoke(
        app, [*words, "--help"], prog_name="clv", env={"COLUMNS": str(WIDTH), "TERMINAL_WIDTH": str(WIDTH)}
    )
    if result.exit_code != 0:
        raise RuntimeError(f"clv {' '.join(words)} --help exited {result.exit_code}: {result.output}")
    lines = [line.rstrip() for line in result.output.splitlines()]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def _commands(group: Any, prefix: list[str]) -> list[list[str]]:
    """Every command path below ``group`` (a Typer/Click group), in the order the help lists them."""
    paths: list[list[str]] = []
    for name, command in group.commands.items():
        if getattr(command, "hidden", False):
            continue
        paths.append([*prefix, name])
        if hasattr(command, "commands"):  # a group of subcommands (clv admin)
            paths.extend(_commands(command, [*prefix, name]))
    return paths


def reference() -> str:
    """The Markdown of the whole reference: ``clv --help``, then one section per command."""
    from clv.cli import app

    root = typer.main.get_command(app)
    parts = ["### `clv`", "", "```text", _help(app, []), "```", ""]
    for words in _commands(root, []):
        parts += [f"### `clv {' '.join(words)}`", "", "```text", _help(app, words), "```", ""]
    return "\n".join(parts)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, reference())
