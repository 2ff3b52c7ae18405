"""Export page: the (filtered) predictions as CSV, Excel and Parquet, safe to open in a spreadsheet."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from clv.app import backend, state
from clv.app.views.common import need_data
from clv.pipeline import Results
from clv.report.docx_report import build_run_report
from clv.report.exports import csv_bytes, excel_bytes, parquet_bytes, settings_table


def render() -> None:
    """Render the page."""
    st.title("Export")
    need_data(_export)


def export_sheets(results: Results, customer_ids: pd.Series | None = None) -> dict[str, pd.DataFrame]:
    """The workbook's sheets: predictions (filtered to ``customer_ids`` when given), segments, metrics, settings."""
    predictions = results.predictions
    if customer_ids is not None:
        predictions = predictions[predictions["customer_id"].isin(customer_ids)]
    segments = [table.assign(segment_type=name) for name, table in results.segments.items()]

    return {
        "predictions": predictions,
        "segments": pd.concat(segments, ignore_index=True),
        "metrics": results.metrics.reset_index()
        if not results.metrics.empty
        else pd.DataFrame({"note": ["no backtest"]}),
        "settings": settings_table(results.settings.to_dict()),
    }


def _export() -> None:
    results = state.results()
    if results is None:
        st.info("No prediction yet: run one on the **Predict** page.")
        return
    if results.backtest_pending is not None:
        with st.spinner("Finishing the backtest: the Excel file and the report hold its metrics"):
            results = state.finish_backtest() or results
    ids = st.session_state.get("filtered_ids")
    sheets = export_sheets(results, ids)
    predictions = sheets["predictions"]
    st.write(
        f"{len(predictions):,} customers" + (" (filtered on the Results page)" if ids is not None else "")
    )
    columns = st.columns(3)
    columns[0].download_button(
        "Download CSV", csv_bytes(predictions), "clv_predictions.csv", "text/csv", on_click=_tracked("csv")
    )
    columns[1].download_button(
        "Download Excel",
        excel_bytes(sheets),
        "clv_predictions.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        on_click=_tracked("excel"),
    )
    columns[2].download_button(
        "Download Parquet",
        parquet_bytes(predictions),
        "clv_predictions.parquet",
        "application/octet-stream",
        on_click=_tracked("parquet"),
    )
    st.caption(
        "Text cells starting with = + - @ are prefixed with ' so spreadsheets never run them as formulas."
    )
    st.subheader("Report")
    key = f"word_report_{id(results)}"
    if st.button(
        "Prepare the Word report", help="Key figures, findings, charts, backtest, segments and actions."
    ):
        with st.spinner("Rendering charts and writing the report..."):
            st.session_state[key] = build_run_report(results)
    if key in st.session_state:
        st.download_button(
            "Download Word report",
            st.session_state[key],
            "clv_report.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            on_click=_tracked("docx"),
        )


def _tracked(file_format: str) -> Callable[[], None]:
    return lambda: backend.track("export", format=file_format)
