"""Documentation page: the user guide shipped with the package."""

from __future__ import annotations

from importlib import resources

import streamlit as st


def user_guide() -> str:
    """The user guide (Markdown) from the package."""
    return resources.files("clv").joinpath("docs", "user_guide.md").read_text(encoding="utf-8")


def render() -> None:
    """Render the page."""
    text = user_guide()
    st.download_button(
        "Download the guide (Markdown)", text.encode("utf-8"), "clv_user_guide.md", "text/markdown"
    )
    st.markdown(text)
