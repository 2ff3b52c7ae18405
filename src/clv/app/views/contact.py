"""Contact page: details come from configuration (environment variables)."""

from __future__ import annotations

import os

import streamlit as st


def render() -> None:
    """Render the page."""
    st.title("Contact")
    email = os.environ.get("CLV_CONTACT_EMAIL")
    url = os.environ.get("CLV_CONTACT_URL")
    if not email and not url:
        st.info(
            "No contact details are configured for this installation (set CLV_CONTACT_EMAIL and CLV_CONTACT_URL)."
        )
        return
    if email:
        st.text(f"Email: {email}")
    if url:
        st.text(f"Web: {url}")
