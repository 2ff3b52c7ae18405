"""The app's handle on :mod:`clv.storage`: the database opened once per process, the visitor's anonymous session
id, usage events that never break a page, and a per-session limit on form submissions."""

from __future__ import annotations

import logging
import time
import uuid
from typing import TYPE_CHECKING, Any

import streamlit as st

if (
    TYPE_CHECKING
):  # the storage layer (SQLAlchemy, Alembic) is imported on first use, after the first page is drawn
    from clv.pipeline import Results
    from clv.storage import Database

LOGGER = logging.getLogger("clv.app")
SUBMISSIONS_PER_WINDOW = 3
WINDOW_SECONDS = 600.0


@st.cache_resource(show_spinner=False)
def _open(url: str) -> Database:
    from clv.storage import open_database

    return open_database(url)


def database() -> Database:
    """The database (migrated on first use); raises :class:`~clv.errors.StorageError` with a clear message."""
    from clv.storage import database_url

    return _open(database_url())


def session_id() -> str:
    """A random id for this browser session (no personal data)."""
    value: str = st.session_state.setdefault("clv_session_id", uuid.uuid4().hex)
    return value


def track(event_type: str, duration_seconds: float | None = None, **details: Any) -> None:
    """Record a usage event; a storage failure is logged, never shown (analytics must not break a page)."""
    from clv.storage.events import record_event

    try:
        record_event(database(), session_id(), event_type, duration_seconds, details or None)
    except Exception:
        LOGGER.warning("usage event %r not recorded", event_type, exc_info=True)


def track_page_view(page: str) -> None:
    """Record a page view when the visitor arrives on ``page`` (not on every rerun of it)."""
    if st.session_state.get("clv_last_page") != page:
        st.session_state["clv_last_page"] = page
        track("page_view", page=page)


def record_prediction(results: Results, duration_seconds: float) -> None:
    """Record the prediction event, with the seconds until its results were shown."""
    track(
        "predict",
        duration_seconds,
        customers=len(results.predictions),
        model=results.metadata["purchase_model"],
    )


def store_run(results: Results, data_name: str) -> None:
    """Store the run with its backtest metrics (once the backtest is done) and the run's seconds to its results;
    a storage failure is logged, never shown."""
    from clv.storage.runs import record_run

    try:
        record_run(database(), results, data_name, results.metadata["timings_seconds"]["total"], session_id())
    except Exception:
        LOGGER.warning("model run not stored", exc_info=True)


def wait_before_submitting(form: str) -> float:
    """Seconds to wait before ``form`` may be sent again from this session (0 when allowed): at most 3 submissions
    per 10 minutes."""
    now = time.time()
    recent = [t for t in st.session_state.get(f"clv_sent_{form}", []) if now - t < WINDOW_SECONDS]
    st.session_state[f"clv_sent_{form}"] = recent
    return 0.0 if len(recent) < SUBMISSIONS_PER_WINDOW else WINDOW_SECONDS - (now - recent[0])


def note_submission(form: str) -> None:
    """Count a successful submission of ``form`` against the session's limit."""
    st.session_state.setdefault(f"clv_sent_{form}", []).append(time.time())
