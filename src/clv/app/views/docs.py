"""Documentation page: the user guide shipped with the package, and Project_Report.docx."""

from __future__ import annotations

import logging

import streamlit as st

from clv.config import data_dir
from clv.report.user_guide import REPORT_NAME, guide_markdown, project_report

LOGGER = logging.getLogger("clv.app")


def render() -> None:
    """Render the page: the guide, with the Word version (generated when missing) or the Markdown as a fallback."""
    import clv

    text = guide_markdown()
    st.caption(f"clv {clv.__version__}")
    try:
        report = project_report(data_dir()).read_bytes()
        st.download_button(
            f"Download {REPORT_NAME}",
            report,
            REPORT_NAME,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        )
    except OSError:
        LOGGER.exception("could not write %s; offering the Markdown guide instead", REPORT_NAME)
        st.download_button(
            "Download the guide (Markdown)", text.encode("utf-8"), "clv_user_guide.md", "text/markdown"
        )
    st.markdown(text)
