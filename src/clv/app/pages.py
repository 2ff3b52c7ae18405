"""The analysis pages, defined once: the navigation lists them, and the Predict page switches to Results when a
prediction is done. A page's module is imported when the page is first shown."""

from __future__ import annotations

import importlib
from collections.abc import Callable

import streamlit as st


def view(name: str, function: str = "render") -> Callable[[], None]:
    """The page function ``function`` of ``clv.app.views.<name>``, imported on first call."""

    def run() -> None:
        getattr(importlib.import_module(f"clv.app.views.{name}"), function)()

    run.__name__ = f"{name}_{function}"
    return run


def results() -> st.Page:
    """The Results page."""
    return st.Page(view("results"), title="Results", icon=":material/insights:", url_path="results")


def analysis() -> list[st.Page]:
    """Data, Predict, Results and Export, in the order of the work."""
    return [
        st.Page(view("data"), title="Data", icon=":material/upload_file:", url_path="data", default=True),
        st.Page(view("predict"), title="Predict", icon=":material/play_circle:", url_path="predict"),
        results(),
        st.Page(view("export"), title="Export", icon=":material/download:", url_path="export"),
    ]
