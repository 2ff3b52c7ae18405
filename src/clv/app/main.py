"""The app's entry: page set-up, a small stylesheet for metric cards, and the navigation.

Page modules are imported when their page is first shown, and what the charts and the Predict and Results pages need
(Altair, for the Data page's chart first; then the modelling stack ``clv.pipeline``: LightGBM, SciPy) is imported on a
background thread once the first page has run: the first page neither waits for it nor competes with it.
"""

from __future__ import annotations

import importlib
import threading

import streamlit as st

from clv.app import backend, pages
from clv.app.pages import view
from clv.app.views import admin

STYLE = """
<style>
.st-key-kpis [data-testid="stMetric"] {
  background: #f3f6f9; border: 1px solid #dde5ee; border-radius: 8px; padding: 0.6rem 0.8rem;
}
.st-key-kpis [data-testid="stMetricValue"] { font-size: 1.45rem; }
</style>
"""

WARM_UP = ("clv.report.charts", "clv.pipeline", "clv.app.views.predict", "clv.app.views.results")


def _warm_up() -> None:
    for module in WARM_UP:
        importlib.import_module(module)


_warm_up_thread = threading.Thread(target=_warm_up, name="clv-warm-up", daemon=True)


def _start_warm_up() -> None:
    """Import what later pages need on a background thread, once per process, after the first page has run: started
    earlier, its imports competed with the first page's for the interpreter (on two cores, 1.1-1.3 s later)."""
    if not _warm_up_thread.is_alive() and _warm_up_thread.ident is None:
        _warm_up_thread.start()


DASHBOARDS = [
    st.Page(
        view("dashboards", "feedback_inbox"),
        title="Feedback inbox",
        icon=":material/inbox:",
        url_path="admin-feedback",
    ),
    st.Page(
        view("dashboards", "request_board"),
        title="Feature requests",
        icon=":material/view_kanban:",
        url_path="admin-requests",
    ),
    st.Page(view("dashboards", "usage"), title="Usage", icon=":material/monitoring:", url_path="admin-usage"),
    st.Page(
        view("dashboards", "audit_log"), title="Audit log", icon=":material/history:", url_path="admin-audit"
    ),
    st.Page(
        view("dashboards", "model_runs"),
        title="Model runs",
        icon=":material/model_training:",
        url_path="admin-runs",
    ),
]


def main() -> None:
    """Render the app."""
    st.set_page_config(page_title="clv: customer lifetime value", page_icon=":bar_chart:", layout="wide")
    st.markdown(STYLE, unsafe_allow_html=True)
    sections = {
        "Analysis": pages.analysis(),
        "Help": [
            st.Page(
                view("docs"), title="Documentation", icon=":material/menu_book:", url_path="documentation"
            ),
            st.Page(view("feedback"), title="Feedback", icon=":material/rate_review:", url_path="feedback"),
            st.Page(
                view("feature_request"),
                title="Request a feature",
                icon=":material/lightbulb:",
                url_path="request",
            ),
            st.Page(view("contact"), title="Contact", icon=":material/mail:", url_path="contact"),
            st.Page(admin.render, title="Admin", icon=":material/admin_panel_settings:", url_path="admin"),
        ],
    }
    if admin.current_admin() is not None:
        sections["Dashboards"] = DASHBOARDS
    page = st.navigation(sections)
    try:
        page.run()
    finally:  # after the page is drawn: the first visit opens (and migrates) the database here
        backend.track_page_view(page.title)
    _start_warm_up()
