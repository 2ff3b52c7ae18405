"""Request a feature: similar requests are shown first so people vote for them instead of filing duplicates."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from clv.app import backend
from clv.app.views.common import user_errors
from clv.app.views.forms import generation, show_confirmation, submit
from clv.storage.feature_requests import (
    MAX_DESCRIPTION_CHARS,
    MAX_TITLE_CHARS,
    PRIORITIES,
    list_requests,
    similar_requests,
    submit_feature_request,
    upvote,
    validate_feature_request,
)

FORM = "feature_request"
LABELS = {"title": "Title", "description": "Description", "priority": "Priority", "email": "Email"}
VOTED = "clv_voted_requests"
THANKS = "clv_vote_thanks"


def render() -> None:
    """Render the page."""
    st.title("Request a feature")
    with user_errors("reading the feature requests"):
        database = backend.database()
        show_confirmation(FORM)
        key = generation(FORM)
        title = st.text_input(
            "Title (required)",
            max_chars=MAX_TITLE_CHARS,
            key=f"request_title_{key}",
            placeholder="e.g. Export the report as PDF",
            help="Press Enter to see similar requests before you describe yours.",
        )
        similar = similar_requests(database, title) if title.strip() else pd.DataFrame()
        if not similar.empty:
            _offer_votes(similar)
        _form(title, key)
        _popular(list_requests(database, ["new", "planned", "in progress"]))


def _offer_votes(similar: pd.DataFrame) -> None:
    st.info("Similar requests exist already: if one of them is what you need, vote for it instead.")
    voted: set[int] = st.session_state.setdefault(VOTED, set())
    for request_id, title, status, votes in similar[["id", "title", "status", "votes"]].itertuples(
        index=False
    ):
        text, button = st.columns([4, 1], vertical_alignment="center")
        text.text(f"#{request_id} {title}   ({status}, {votes} votes)")
        button.button(
            "Vote",
            key=f"vote_{request_id}",
            disabled=request_id in voted,
            width="stretch",
            on_click=_vote,
            args=(int(request_id),),
        )
    if THANKS in st.session_state:
        st.success(st.session_state.pop(THANKS))


def _vote(request_id: int) -> None:
    """Button callback: runs before the page is drawn again, so the list shows the new count."""
    with user_errors("recording your vote"):
        votes = upvote(backend.database(), request_id)
        st.session_state[VOTED].add(request_id)
        st.session_state[THANKS] = f"Thank you: request #{request_id} now has {votes} votes."


def _form(title: str, key: int) -> None:
    with st.form(f"feature_request_{key}"):
        description = st.text_area(
            "What should it do, and why? (required)",
            max_chars=MAX_DESCRIPTION_CHARS,
            height=140,
            key=f"request_description_{key}",
        )
        left, right = st.columns(2)
        priority = left.selectbox(
            "How important is it to you?", PRIORITIES, index=1, key=f"request_priority_{key}"
        )
        email = right.text_input("Email (optional, to hear when it is done)", key=f"request_email_{key}")
        sent = st.form_submit_button("Submit request", type="primary")
    if sent:
        submit(
            FORM,
            "request",
            LABELS,
            lambda: validate_feature_request(title, description, priority, email),
            submit_feature_request,
        )


def _popular(board: pd.DataFrame) -> None:
    st.subheader("Open requests")
    if board.empty:
        st.caption("No open requests yet.")
        return
    st.dataframe(
        board[["id", "title", "status", "votes"]].head(50),
        hide_index=True,
        width="stretch",
        column_config={"id": st.column_config.NumberColumn("#", format="%d")},
    )
