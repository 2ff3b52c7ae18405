"""The Word run report opens with python-docx and holds its sections, tables and chart images."""

from __future__ import annotations

import io

import docx

import clv
from clv.report import charts
from clv.report.docx_report import SECTIONS, build_run_report, chart_png


def test_report_has_every_section_kpis_tables_and_images(cdnow_run: clv.Results) -> None:
    document = docx.Document(io.BytesIO(build_run_report(cdnow_run)))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    for section in SECTIONS:
        assert section in headings
    first_table = document.tables[0]
    values = {row.cells[0].text: row.cells[1].text for row in first_table.rows[1:]}
    assert values["Customers"] == f"{len(cdnow_run.predictions):,}"
    assert values["Predicted value"] == f"${cdnow_run.total[0]:,.0f}"
    low, high = cdnow_run.total[1:]
    assert values["80 % interval of the expected value (parameters)"] == f"${low:,.0f} to ${high:,.0f}"
    predictive = cdnow_run.metadata["total_predictive"]
    shown = values["80 % predictive interval (adding the randomness of purchases and spend)"]
    assert shown == f"${predictive['low']:,.0f} to ${predictive['high']:,.0f}"
    models = {row.cells[0].text for table in document.tables for row in table.rows[1:]}
    assert "ensemble" in models
    assert len(document.inline_shapes) == 4  # value spread, concentration, deciles, tracking


def test_charts_render_to_png_without_a_browser(cdnow_run: clv.Results) -> None:
    png = chart_png(charts.concentration_curve(cdnow_run.predictions))
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
