"""Feedback, feature requests and admin: shown with a clear "not available yet" state until storage lands."""

from __future__ import annotations

import streamlit as st

MESSAGE = (
    "This part of the platform is not available yet in this version: nothing you type here would be stored. "
    "Feedback, feature requests and the admin dashboard arrive with the database release."
)


def feedback() -> None:
    """Feedback page placeholder."""
    st.title("Feedback")
    st.info(MESSAGE)


def feature_request() -> None:
    """Feature-request page placeholder."""
    st.title("Request a feature")
    st.info(MESSAGE)


def admin() -> None:
    """Admin page placeholder: no login exists, so nothing is protected or exposed."""
    st.title("Admin")
    st.info(MESSAGE)
