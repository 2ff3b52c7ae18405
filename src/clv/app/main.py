"""A minimal first page: the bundled data's customer summary. Replaced by the full multipage app."""

from __future__ import annotations

import streamlit as st


def main() -> None:
    """Render the page."""
    st.set_page_config(page_title="clv: customer lifetime value", layout="wide")
    st.title("Customer lifetime value")
    st.write("The full app is being built; this page checks the installation.")
