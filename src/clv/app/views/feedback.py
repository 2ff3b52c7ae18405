"""Feedback page: a rating, a category and a message, checked and stored, with a confirmation."""

from __future__ import annotations

import streamlit as st

from clv.app import backend
from clv.app.views.common import user_errors
from clv.app.views.forms import rate_limited, show_problems
from clv.errors import FormError
from clv.storage.feedback import (
    CATEGORIES,
    MAX_MESSAGE_CHARS,
    MAX_NAME_CHARS,
    submit_feedback,
    validate_feedback,
)

RATINGS = {1: "1 - poor", 2: "2", 3: "3", 4: "4", 5: "5 - excellent"}
PAGES = ["(the app in general)", "Data", "Predict", "Results", "Export", "Documentation"]
LABELS = {
    "message": "Your feedback",
    "rating": "Rating",
    "category": "Category",
    "email": "Email",
    "name": "Name",
}


def render() -> None:
    """Render the page."""
    st.title("Feedback")
    st.write("Tell us what works, what does not and what you miss. Administrators read every message.")
    with st.form("feedback"):
        rating = st.radio(
            "How useful is clv to you? (required)",
            list(RATINGS),
            index=None,
            format_func=RATINGS.__getitem__,
            horizontal=True,
        )
        left, right = st.columns(2)
        category = left.selectbox("Category", CATEGORIES)
        page = right.selectbox("About which page?", PAGES)
        message = st.text_area(
            "Your feedback (required)", max_chars=MAX_MESSAGE_CHARS, height=160, placeholder="What happened?"
        )
        name = left.text_input("Name (optional)", max_chars=MAX_NAME_CHARS)
        email = right.text_input("Email (optional, if you would like an answer)")
        sent = st.form_submit_button("Send feedback", type="primary")
    if sent:
        _send(message, rating, category, name, email, None if page == PAGES[0] else page)


def _send(message: str, rating: int | None, category: str, name: str, email: str, page: str | None) -> None:
    try:
        entry = validate_feedback(message, rating, category, name=name, email=email, page=page)
    except FormError as error:
        show_problems(error, LABELS)
        return
    if rate_limited("feedback", "feedback messages"):
        return
    with user_errors("saving your feedback (it was not saved; your text is still in the form)"):
        feedback_id = submit_feedback(backend.database(), entry)
        backend.note_submission("feedback")
        st.success(f"Thank you! Your feedback was saved as #{feedback_id}.", icon=":material/check_circle:")
