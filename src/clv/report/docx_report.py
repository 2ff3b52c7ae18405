"""The run report as a Word document: KPIs, findings, charts (the app's Altair charts as PNG), backtest, segments.

Charts are rendered with vl-convert (no browser); the document is built with python-docx.
"""

from __future__ import annotations

import io
from datetime import date

import altair as alt
import pandas as pd
import vl_convert
from docx import Document
from docx.document import Document as WordDocument
from docx.shared import Inches

from clv.explain.insights import money
from clv.pipeline import Results
from clv.pipeline.results import predictive_total
from clv.report import charts

SECTIONS: tuple[str, ...] = (
    "Key figures",
    "Findings",
    "Where the value is",
    "Segments and recommended actions",
    "How far to trust the numbers",
    "How the numbers were made",
)


def chart_png(chart: alt.Chart | alt.LayerChart, scale: float = 2.0) -> bytes:
    """An Altair chart as PNG bytes."""
    return bytes(vl_convert.vegalite_to_png(chart.to_json(), scale=scale))


def _interval_text(interval: tuple[float, float] | None) -> str:
    return f"{money(interval[0])} to {money(interval[1])}" if interval is not None else "not computed"


def word_table(document: WordDocument, frame: pd.DataFrame, formats: dict[str, str] | None = None) -> None:
    """``frame`` as a Word table, numbers by ``formats`` (column -> format string)."""
    formats = formats or {}
    table = document.add_table(rows=1, cols=len(frame.columns))
    table.style = "Light Grid Accent 1"
    for cell, column in zip(table.rows[0].cells, frame.columns, strict=True):
        cell.text = str(column).replace("_", " ")
    for row in frame.itertuples(index=False):
        cells = table.add_row().cells
        for cell, column, value in zip(cells, frame.columns, row, strict=True):
            pattern = formats.get(str(column))
            cell.text = pattern.format(value) if pattern and isinstance(value, int | float) else str(value)


def word_chart(document: WordDocument, chart: alt.Chart | alt.LayerChart) -> None:
    """``chart`` as a picture the width of the page."""
    document.add_picture(io.BytesIO(chart_png(chart)), width=Inches(6.3))


def new_report(title: str, prepared_for: str, results: Results) -> WordDocument:
    """A Word document with ``title`` and the line saying when and for what it was prepared."""
    document = Document()
    document.add_heading(title, level=0)
    document.add_paragraph(
        f"Prepared {date.today():%d %B %Y} for {prepared_for}, "
        f"observation end {results.metadata.get('observation_end', 'unknown')}."
    )
    return document


def finish_report(document: WordDocument, results: Results, heading: str) -> bytes:
    """Close the report with the run's notes under ``heading``; the bytes of the .docx file."""
    document.add_heading(heading, level=1)
    for note in results.metadata.get("notes", []):
        document.add_paragraph(note, style="List Bullet")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def build_run_report(results: Results, title: str = "Customer lifetime value report") -> bytes:
    """The Word report of ``results`` (bytes of a .docx file); a contractual run's is
    :func:`clv.report.contractual_report.build_contractual_report`."""
    if results.metadata.get("setting") == "contractual":
        from clv.report.contractual_report import build_contractual_report

        return build_contractual_report(results)
    predictions = results.predictions
    total, low, high = results.total
    document = new_report(
        title, f"{len(predictions):,} customers, horizon {results.settings.horizon_text}", results
    )
    document.add_heading(SECTIONS[0], level=1)
    ordered = predictions["clv"].sort_values(ascending=False)
    top_share = ordered.head(max(round(0.2 * len(ordered)), 1)).sum() / max(ordered.sum(), 1e-12)
    kpis = pd.DataFrame(
        {
            "figure": [
                "Customers",
                "Predicted value",
                f"{results.settings.interval_text.capitalize()} of the expected value (parameters)",
                f"{results.settings.interval_text.capitalize().replace('interval', 'predictive interval')} "
                "(adding the randomness of purchases and spend)",
                "Average per customer",
                "Share held by the top 20 %",
                "Customers at high churn risk",
            ],
            "value": [
                f"{len(predictions):,}",
                money(total),
                f"{money(low)} to {money(high)}",
                _interval_text(predictive_total(results.metadata)),
                money(predictions["clv"].mean()),
                f"{top_share:.0%}",
                f"{int((predictions['churn_risk'].astype(str) == 'High risk').sum()):,}",
            ],
        }
    )
    word_table(document, kpis)
    document.add_heading(SECTIONS[1], level=1)
    for finding in results.insights:
        document.add_paragraph(finding, style="List Bullet")
    document.add_heading(SECTIONS[2], level=1)
    word_chart(document, charts.clv_distribution(predictions))
    word_chart(document, charts.concentration_curve(predictions))
    document.add_heading(SECTIONS[3], level=1)
    for name, heading in (
        ("value_tiers", "Value tiers"),
        ("churn_risk", "Churn-risk bands"),
        ("rfm", "RFM segments"),
    ):
        document.add_heading(heading, level=2)
        table = results.segments[name][
            ["segment", "customers", "predicted_value_share", "revenue_share", "recommended_action"]
        ]
        word_table(
            document,
            table,
            {"predicted_value_share": "{:.1%}", "revenue_share": "{:.1%}", "customers": "{:,}"},
        )
    document.add_heading(SECTIONS[4], level=1)
    if results.metrics.empty:
        document.add_paragraph("No backtest was run for this data (see the notes below).")
    else:
        backtest = results.metadata.get("backtest") or {}
        document.add_paragraph(
            f"The models were refitted on data up to {backtest.get('calibration_end')} and their forecast compared with "
            f"what customers actually spent up to {backtest.get('holdout_end')}."
        )
        metrics = results.metrics.reset_index()[
            ["model", "spearman", "gini", "decile_mape", "rmse", "top20_share"]
        ]
        word_table(
            document,
            metrics,
            {
                "spearman": "{:.3f}",
                "gini": "{:.3f}",
                "decile_mape": "{:.1%}",
                "rmse": "{:,.2f}",
                "top20_share": "{:.1%}",
            },
        )
        word_chart(document, charts.decile_chart(results.deciles))
        word_chart(document, charts.tracking_chart(results.tracking))
    return finish_report(document, results, SECTIONS[5])
