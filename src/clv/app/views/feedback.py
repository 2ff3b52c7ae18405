"""Feedback page: a rating, a category and a message, checked and stored, with a confirmation."""

from __future__ import annotations

import streamlit as st

from clv.app.views.forms import generation, show_confirmation, submit
from clv.storage.feedback import (
    CATEGORIES,
    MAX_MESSAGE_CHARS,
    MAX_NAME_CHARS,
    submit_feedback,
    validate_feedback,
)

RATINGS = {1: "1 - poor", 2: "2", 3: "3", 4: "4", 5: "5 - excellent"}
PAGES = ["(the app in general)", "Data", "Predict", "Results", "Export", "Documentation"]
FORM = "feedback"
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
    show_confirmation(FORM)
    key = generation(FORM)
    with st.form(f"feedback_{key}"):
        rating = st.radio(
            "How useful is clv to you? (required)",
            list(RATINGS),
            index=None,
            format_func=RATINGS.__getitem__,
            horizontal=True,
            key=f"fb_rating_{key}",
        )
        left, right = st.columns(2)
        category = left.selectbox("Category", CATEGORIES, key=f"fb_category_{key}")
        page = right.selectbox("About which page?", PAGES, key=f"fb_page_{key}")
        message = st.text_area(
            "Your feedback (required)",
            max_chars=MAX_MESSAGE_CHARS,
            height=160,
            placeholder="What happened?",
            key=f"fb_message_{key}",
        )
        name = left.text_input("Name (optional)", max_chars=MAX_NAME_CHARS, key=f"fb_name_{key}")
        email = right.text_input("Email (optional, if you would like an answer)", key=f"fb_email_{key}")
        sent = st.form_submit_button("Send feedback", type="primary")
    if sent:
        chosen_page = None if page == PAGES[0] else page
        submit(
            FORM,
            "feedback",
            LABELS,
            lambda: validate_feedback(message, rating, category, name=name, email=email, page=chosen_page),
            submit_feedback,
        )
