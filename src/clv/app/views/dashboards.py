"""Admin dashboards: feedback inbox, feature-request board, usage analytics, audit log and stored model runs.

Each page checks the session itself (:func:`clv.app.views.admin.require_admin`) before it reads anything, whatever
the navigation shows. User text is only ever shown in tables or as plain text, never as Markdown or HTML.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta

import pandas as pd
import streamlit as st

from clv.app import backend
from clv.app.views.admin import require_admin
from clv.app.views.common import user_errors
from clv.report import admin as charts
from clv.report.exports import csv_bytes, excel_bytes
from clv.storage import audit, feature_requests, feedback
from clv.storage.events import usage_report
from clv.storage.runs import list_runs, run_metrics

FLASH = "clv_admin_flash"
DATE_COLUMN = st.column_config.DatetimeColumn("time (UTC)", format="YYYY-MM-DD HH:mm")
EXCEL = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _guarded(title: str, body: Callable[[str], None]) -> None:
    st.title(title)
    username = require_admin()
    if username is None:
        return
    if FLASH in st.session_state:
        st.success(st.session_state.pop(FLASH))
    with user_errors(f"showing {title.lower()}"):
        body(username)


def feedback_inbox() -> None:
    """Feedback with filters, rating trend, status changes and exports."""
    _guarded("Feedback inbox", _feedback_inbox)


def request_board() -> None:
    """Feature requests by status, with votes and status changes."""
    _guarded("Feature requests", _request_board)


def usage() -> None:
    """Daily sessions, uploads, predictions, exports, errors and prediction time."""
    _guarded("Usage", _usage)


def audit_log() -> None:
    """Every administrator action, newest first."""
    _guarded("Audit log", _audit_log)


def model_runs() -> None:
    """Predictions made in the app, with their backtest metrics."""
    _guarded("Model runs", _model_runs)


def _feedback_inbox(username: str) -> None:
    database = backend.database()
    today = date.today()
    left, middle, right = st.columns(3)
    period = left.date_input("Received between", value=(today - timedelta(days=90), today), key="fb_period")
    ratings = middle.multiselect("Rating", [1, 2, 3, 4, 5], key="fb_ratings", placeholder="All ratings")
    categories = right.multiselect(
        "Category", feedback.CATEGORIES, key="fb_categories", placeholder="All categories"
    )
    statuses = left.multiselect("Status", feedback.STATUSES, key="fb_statuses", placeholder="All statuses")
    search = middle.text_input("Search the text", key="fb_search")
    start, end = _range(period)
    query = feedback.FeedbackQuery(start, end, ratings, categories, statuses, search)
    frame = feedback.list_feedback(database, query)
    counts = st.columns(3)
    counts[0].metric("Messages", f"{len(frame):,}")
    counts[1].metric(
        "Average rating", f"{frame['rating'].mean():.2f}" if frame["rating"].notna().any() else "-"
    )
    counts[2].metric("New", f"{int((frame['status'] == 'new').sum()):,}")
    if frame.empty:
        st.info("No feedback matches these filters.")
        return
    if frame["rating"].notna().any():
        st.altair_chart(charts.rating_trend(frame), width="stretch")
    table = charts.for_spreadsheet(frame)
    shown = ["id", "created_at", "rating", "category", "status", "message", "name", "email", "page", "source"]
    st.dataframe(table[shown], hide_index=True, width="stretch", column_config={"created_at": DATE_COLUMN})
    _status_form(
        "feedback",
        "Feedback messages",
        frame["id"],
        feedback.STATUSES,
        lambda ids, s: feedback.set_feedback_status(database, ids, s, username),
    )
    _exports("feedback", table, username)


def _request_board(username: str) -> None:
    database = backend.database()
    board = feature_requests.list_requests(database)
    if board.empty:
        st.info("No feature requests yet.")
        return
    table = charts.for_spreadsheet(board)
    tabs = st.tabs(
        [f"{status} ({int((board['status'] == status).sum())})" for status in feature_requests.STATUSES]
    )
    shown = ["id", "title", "votes", "priority", "description", "email", "created_at", "source"]
    for tab, status in zip(tabs, feature_requests.STATUSES, strict=True):
        with tab:
            subset = table[table["status"] == status]
            if subset.empty:
                st.caption(f"No request is {status}.")
            else:
                st.dataframe(
                    subset[shown], hide_index=True, width="stretch", column_config={"created_at": DATE_COLUMN}
                )
    _status_form(
        "requests",
        "Requests",
        board["id"],
        feature_requests.STATUSES,
        lambda ids, s: feature_requests.set_request_status(database, ids, s, username),
    )
    _exports("feature requests", table, username)


def _usage(username: str) -> None:
    today = date.today()
    period = st.date_input("Days (UTC)", value=(today - timedelta(days=29), today), key="usage_period")
    start, end = _range(period)
    report = usage_report(backend.database(), start or today - timedelta(days=29), end or today)
    daily = report.daily
    cards = st.columns(6)
    cards[0].metric("Sessions", f"{report.sessions:,}")
    for card, (label, column) in zip(
        cards[1:],
        [
            ("Uploads", "uploads"),
            ("Predictions", "predictions"),
            ("Exports", "exports"),
            ("Errors", "errors"),
        ],
        strict=False,
    ):
        card.metric(label, f"{int(daily[column].sum()):,}")
    median = report.median_prediction_seconds
    cards[5].metric("Median prediction", "-" if median is None else f"{median:.1f} s")
    st.altair_chart(charts.daily_usage(daily), width="stretch")
    if daily["median_prediction_seconds"].notna().any():
        st.altair_chart(charts.prediction_times(daily), width="stretch")
    st.dataframe(
        daily,
        hide_index=True,
        width="stretch",
        column_config={
            "page_views": "page views",
            "median_prediction_seconds": st.column_config.NumberColumn(
                "median prediction (s)", format="%.1f"
            ),
        },
    )


def _audit_log(username: str) -> None:
    entries = charts.for_spreadsheet(audit.list_audit(backend.database()))
    st.caption("The newest 1,000 administrator actions and login events.")
    st.dataframe(entries, hide_index=True, width="stretch", column_config={"created_at": DATE_COLUMN})


def _model_runs(username: str) -> None:
    database = backend.database()
    runs = list_runs(database)
    if runs.empty:
        st.info("No stored runs yet: every prediction made on the Predict page is stored here.")
        return
    shown = [
        "id",
        "created_at",
        "data_name",
        "customers",
        "transactions",
        "purchase_model",
        "total",
        "total_low",
        "total_high",
        "duration_seconds",
    ]
    money = {
        c: st.column_config.NumberColumn(c.replace("_", " "), format="dollar")
        for c in ("total", "total_low", "total_high")
    }
    st.dataframe(
        runs[shown],
        hide_index=True,
        width="stretch",
        column_config={
            "created_at": DATE_COLUMN,
            "duration_seconds": st.column_config.NumberColumn("seconds", format="%.1f"),
            **money,
        },
    )
    run_id: int = st.selectbox("Backtest metrics of run", runs["id"], format_func=lambda i: f"#{i}")
    metrics = run_metrics(database, int(run_id))
    if metrics.empty:
        st.caption("This run had no backtest.")
    else:
        st.dataframe(metrics.reset_index(), hide_index=True, width="stretch")


def _status_form(
    key: str, label: str, ids: pd.Series, statuses: Sequence[str], change: Callable[[list[int], str], int]
) -> None:
    with st.form(f"status_{key}"):
        st.write("**Change status**")
        left, right = st.columns([3, 1])
        chosen = left.multiselect(
            f"{label} (by #, as in the table)",
            ids.tolist(),
            format_func=lambda i: f"#{i}",
            key=f"status_ids_{key}",
            placeholder="Choose one or more",
        )
        status = right.selectbox("New status", statuses, key=f"status_value_{key}")
        submitted = st.form_submit_button("Update status")
    if submitted:
        if not chosen:
            st.warning(f"Choose at least one of the {label.lower()}.")
            return
        changed = change([int(i) for i in chosen], status)
        st.session_state[FLASH] = f"{changed} item(s) set to {status}."
        st.rerun()


def _exports(name: str, table: pd.DataFrame, username: str) -> None:
    file_name = name.replace(" ", "_")
    left, right, _ = st.columns([1, 1, 3])
    note = {"on_click": _audited_export, "args": (username, name)}
    left.download_button("Download CSV", csv_bytes(table), f"{file_name}.csv", "text/csv", **note)  # type: ignore[arg-type]
    right.download_button(
        "Download Excel",
        excel_bytes({file_name: table}),
        f"{file_name}.xlsx",
        EXCEL,
        **note,  # type: ignore[arg-type]
    )
    st.caption("Cells starting with = + - @ are prefixed with ' so spreadsheets never run them as formulas.")


def _audited_export(username: str, name: str) -> None:
    with user_errors("writing the audit log"):
        audit.record_action(backend.database(), username, "export", name)


def _range(period: object) -> tuple[date | None, date | None]:
    """A date_input range as (start, end); a half-chosen range filters from its start only."""
    if isinstance(period, tuple | list):
        values = [*period, None, None]
        return values[0], values[1]
    return (period, period) if isinstance(period, date) else (None, None)
