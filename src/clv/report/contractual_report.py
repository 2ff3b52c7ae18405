"""The Word report of a contractual run (subscriptions): key figures, findings, retention by cohort (actual, fitted,
projected), segments with actions, the backtest on the last periods, and how the numbers were made."""

from __future__ import annotations

import pandas as pd
from docx.document import Document as WordDocument

from clv.config import TIME_UNIT_NAMES
from clv.explain.insights import money
from clv.pipeline import Results
from clv.report import charts
from clv.report.docx_report import finish_report, new_report, word_chart, word_table

SECTIONS: tuple[str, ...] = (
    "Key figures",
    "Findings",
    "Retention by cohort",
    "Segments and recommended actions",
    "How far to trust the numbers",
    "How the numbers were made",
)


def build_contractual_report(results: Results, title: str = "Subscriber lifetime value report") -> bytes:
    """The Word report of a contractual run's ``results`` (bytes of a .docx file)."""
    predictions = results.predictions
    total, low, high = results.total
    period = TIME_UNIT_NAMES[str(results.metadata.get("period", "M"))]
    document = new_report(title, f"{len(predictions):,} subscribers (contract period: {period})", results)
    document.add_heading(SECTIONS[0], level=1)
    kpis = pd.DataFrame(
        {
            "figure": [
                "Subscribers",
                "Active at the observation end",
                "Residual value of the active subscribers",
                f"{results.settings.interval_text.capitalize()} of the residual value",
                "Retention model (lowest BIC)",
            ],
            "value": [
                f"{len(predictions):,}",
                f"{int(predictions['active'].sum()):,}",
                money(total),
                f"{money(low)} to {money(high)}",
                str(results.metadata.get("retention_model", "")),
            ],
        }
    )
    word_table(document, kpis)
    document.add_heading(SECTIONS[1], level=1)
    for finding in results.insights:
        document.add_paragraph(finding, style="List Bullet")
    document.add_heading(SECTIONS[2], level=1)
    if results.retention is not None and not results.retention.empty:
        word_chart(document, charts.retention_chart(results.retention, period))
        document.add_paragraph(
            "Solid: actual (Kaplan-Meier); dashed: fitted by the model; dotted: projected."
        )
    document.add_heading(SECTIONS[3], level=1)
    for name, table in results.segments.items():
        document.add_heading(name.replace("_", " ").capitalize(), level=2)
        word_table(document, table, _formats(table))
    _backtest(document, results, period)
    return finish_report(document, results, SECTIONS[5])


def _backtest(document: WordDocument, results: Results, period: str) -> None:
    document.add_heading(SECTIONS[4], level=1)
    window = results.metadata.get("backtest")
    if not window or results.metrics.empty:
        document.add_paragraph("No backtest was run for this data (see the notes below).")
        return
    document.add_paragraph(
        f"The retention models were refitted on the contracts as they stood on {window.get('calibration_end')}, "
        f"and the subscribers then active followed for {window.get('holdout_periods')} {period} to "
        f"{window.get('holdout_end')}: predicted against actual survivors per cohort, and the residual revenue."
    )
    for table in (results.conditional, results.metrics.reset_index()):
        word_table(document, table, _formats(table))


def _formats(table: pd.DataFrame) -> dict[str, str]:
    """Shares and probabilities as percentages, counts with separators, amounts to the cent."""
    formats = {}
    for column in table.select_dtypes("number").columns:
        name = str(column)
        if "share" in name or "p_" in name:
            formats[name] = "{:.1%}"
        elif pd.api.types.is_integer_dtype(table[column]):
            formats[name] = "{:,}"
        else:
            formats[name] = "{:,.2f}"
    return formats
