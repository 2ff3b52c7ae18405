"""The app's entry: page set-up, a small stylesheet for metric cards, and the navigation."""

from __future__ import annotations

import streamlit as st

from clv.app.views import contact, data, docs, export, predict, results, unavailable

STYLE = """
<style>
.st-key-kpis [data-testid="stMetric"] {
  background: #f3f6f9; border: 1px solid #dde5ee; border-radius: 8px; padding: 0.6rem 0.8rem;
}
.st-key-kpis [data-testid="stMetricValue"] { font-size: 1.45rem; }
</style>
"""


def main() -> None:
    """Render the app."""
    st.set_page_config(page_title="clv: customer lifetime value", page_icon=":bar_chart:", layout="wide")
    st.markdown(STYLE, unsafe_allow_html=True)
    pages = {
        "Analysis": [
            st.Page(data.render, title="Data", icon=":material/upload_file:", url_path="data", default=True),
            st.Page(predict.render, title="Predict", icon=":material/play_circle:", url_path="predict"),
            st.Page(results.render, title="Results", icon=":material/insights:", url_path="results"),
            st.Page(export.render, title="Export", icon=":material/download:", url_path="export"),
        ],
        "Help": [
            st.Page(
                docs.render, title="Documentation", icon=":material/menu_book:", url_path="documentation"
            ),
            st.Page(
                unavailable.feedback, title="Feedback", icon=":material/rate_review:", url_path="feedback"
            ),
            st.Page(
                unavailable.feature_request,
                title="Request a feature",
                icon=":material/lightbulb:",
                url_path="request",
            ),
            st.Page(contact.render, title="Contact", icon=":material/mail:", url_path="contact"),
            st.Page(
                unavailable.admin, title="Admin", icon=":material/admin_panel_settings:", url_path="admin"
            ),
        ],
    }
    st.navigation(pages).run()
