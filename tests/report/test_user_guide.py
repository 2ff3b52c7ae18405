"""Project_Report.docx is built from the shipped user guide and regenerated only when missing."""

from __future__ import annotations

import io
from pathlib import Path

import docx

from clv.report.user_guide import guide_markdown, markdown_to_docx, project_report


def test_guide_becomes_a_word_document_with_its_headings_and_tables() -> None:
    document = docx.Document(io.BytesIO(markdown_to_docx(guide_markdown())))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    expected = [line.lstrip("#").strip() for line in guide_markdown().splitlines() if line.startswith("#")]
    assert headings == expected
    assert document.tables and document.tables[0].rows[0].cells[0].text == "what"
    text = " ".join(p.text for p in document.paragraphs)
    assert "**" not in text and "2. The models in plain words" in headings
    bullets = [p.text for p in document.paragraphs if p.style.name == "List Bullet"]
    assert any(b.startswith("KPIs: number of customers") and "churn risk." in b for b in bullets)


def test_project_report_is_generated_when_missing_and_kept_otherwise(tmp_path: Path) -> None:
    path = project_report(tmp_path)
    assert path.name == "Project_Report.docx" and path.stat().st_size > 10_000
    path.write_bytes(b"kept")
    assert project_report(tmp_path).read_bytes() == b"kept"
