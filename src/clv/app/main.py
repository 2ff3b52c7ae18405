"""The app's entry: page set-up, a small stylesheet for metric cards, and the navigation."""

from __future__ import annotations

import streamlit as st

from clv.app import backend
from clv.app.views import (
    admin,
    contact,
    dashboards,
    data,
    docs,
    export,
    feature_request,
    feedback,
    predict,
    results,
)

STYLE = """
<style>
.st-key-kpis [data-testid="stMetric"] {
  background: #f3f6f9; border: 1px solid #dde5ee; border-radius: 8px; padding: 0.6rem 0.8rem;
}
.st-key-kpis [data-testid="stMetricValue"] { font-size: 1.45rem; }
</style>
"""


DASHBOARDS = [
    st.Page(
        dashboards.feedback_inbox, title="Feedback inbox", icon=":material/inbox:", url_path="admin-feedback"
    ),
    st.Page(
        dashboards.request_board,
        title="Feature requests",
        icon=":material/view_kanban:",
        url_path="admin-requests",
    ),
    st.Page(dashboards.usage, title="Usage", icon=":material/monitoring:", url_path="admin-usage"),
    st.Page(dashboards.audit_log, title="Audit log", icon=":material/history:", url_path="admin-audit"),
    st.Page(
        dashboards.model_runs, title="Model runs", icon=":material/model_training:", url_path="admin-runs"
    ),
]


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
            st.Page(feedback.render, title="Feedback", icon=":material/rate_review:", url_path="feedback"),
            st.Page(
                feature_request.render,
                title="Request a feature",
                icon=":material/lightbulb:",
                url_path="request",
            ),
            st.Page(contact.render, title="Contact", icon=":material/mail:", url_path="contact"),
            st.Page(admin.render, title="Admin", icon=":material/admin_panel_settings:", url_path="admin"),
        ],
    }
    if admin.current_admin() is not None:
        pages["Dashboards"] = DASHBOARDS
    page = st.navigation(pages)
    backend.track_page_view(page.title)
    page.run()
