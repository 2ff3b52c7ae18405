"""Helpers shared by the views: user-facing error display and the need-data guard."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import streamlit as st

from clv.app import backend
from clv.errors import CLVError

LOGGER = logging.getLogger("clv.app")


@contextmanager
def user_errors(action: str) -> Iterator[None]:
    """Show clv's own errors as their message, and anything else as a short apology (details go to the log)."""
    try:
        yield
    except CLVError as error:
        st.error(str(error), icon=":material/error:")
        backend.track("error", action=action, kind=type(error).__name__)
    except Exception as error:
        LOGGER.exception("unexpected error while %s", action)
        backend.track("error", action=action, kind=type(error).__name__)
        st.error(
            f"Something went wrong while {action}. The details were logged; please try again or send feedback."
        )


def need_data(then: Callable[[], None]) -> None:
    """Run ``then`` when data is loaded, otherwise point to the Data page."""
    from clv.app import state

    if state.loaded() is None:
        st.info("Load data first on the **Data** page (the bundled CDNOW data is one click away).")
        return
    then()


def markdown_safe(text: str) -> str:
    """Markdown-safe text: data-derived strings must not render as links or formatting."""
    return "".join("\\" + ch if ch in "\\`*_{}[]()#+-.!|<>$~" else ch for ch in text)
