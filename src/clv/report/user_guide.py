"""The user guide as a Word document (``Project_Report.docx``), built from the Markdown shipped in ``clv/docs``.

Handles what the guide uses: headings (#, ##, ###), paragraphs, bullet and numbered items, pipe tables and
``**bold**`` / `` `code` `` spans (rendered as bold / plain).
"""

from __future__ import annotations

import io
import re
from importlib import resources
from pathlib import Path

from docx import Document
from docx.document import Document as WordDocument

REPORT_NAME = "Project_Report.docx"
_SPAN = re.compile(r"(\*\*[^*]+\*\*|`[^`]+`)")


def guide_markdown() -> str:
    """The user guide's Markdown text."""
    return resources.files("clv").joinpath("docs", "user_guide.md").read_text(encoding="utf-8")


def _paragraph(document: WordDocument, text: str, style: str | None = None) -> None:
    paragraph = document.add_paragraph(style=style)
    for part in _SPAN.split(text):
        if part.startswith("**") and part.endswith("**"):
            paragraph.add_run(part[2:-2]).bold = True
        elif part.startswith("`") and part.endswith("`"):
            paragraph.add_run(part[1:-1])
        elif part:
            paragraph.add_run(part)


def _table(document: WordDocument, rows: list[list[str]]) -> None:
    body = [row for row in rows if not all(re.fullmatch(r":?-+:?", cell) for cell in row)]
    table = document.add_table(rows=len(body), cols=max(len(row) for row in body))
    table.style = "Light Grid Accent 1"
    for cells, row in zip(table.rows, body, strict=True):
        for cell, text in zip(cells.cells, row, strict=False):
            cell.text = text.replace("**", "").replace("`", "")


def markdown_to_docx(markdown: str) -> bytes:
    """A Word document of ``markdown`` (the subset described in the module docstring)."""
    document = Document()
    lines = markdown.splitlines()
    index = 0
    pending: list[str] = []
    pending_style: list[str | None] = [None]

    def flush() -> None:
        if pending:
            _paragraph(document, " ".join(pending), style=pending_style[0])
            pending.clear()
        pending_style[0] = None

    def start(text: str, style: str | None) -> None:
        flush()
        pending.append(text)
        pending_style[0] = style

    while index < len(lines):
        line = lines[index].rstrip()
        heading = re.match(r"^(#{1,3})\s+(.*)", line)
        bullet = re.match(r"^\s*[-*]\s+(.*)", line)
        numbered = re.match(r"^\s*\d+\.\s+(.*)", line)
        if heading:
            flush()
            level = len(heading.group(1))
            document.add_heading(heading.group(2), level=0 if level == 1 else level - 1)
        elif line.startswith("|"):
            flush()
            rows = []
            while index < len(lines) and lines[index].startswith("|"):
                rows.append([cell.strip() for cell in lines[index].strip().strip("|").split("|")])
                index += 1
            _table(document, rows)
            continue
        elif bullet:
            start(bullet.group(1), "List Bullet")
        elif numbered:
            start(numbered.group(1), "List Number")
        elif not line.strip():
            flush()
        elif line.startswith("  ") and pending:
            pending.append(line.strip())
        else:
            if pending_style[0] is not None:
                flush()
            pending.append(line.strip())
        index += 1
    flush()
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def project_report(folder: Path) -> Path:
    """``folder/Project_Report.docx``, generated from the user guide when missing."""
    path = folder / REPORT_NAME
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        path.write_bytes(markdown_to_docx(guide_markdown()))
    return path
