"""What the feedback and feature-request forms share: problems shown field by field, and the rate limit."""

from __future__ import annotations

import math

import streamlit as st

from clv.app import backend
from clv.errors import FormError


def show_problems(error: FormError, labels: dict[str, str]) -> None:
    """One error box listing each field's problem (the messages are clv's own, never the user's text)."""
    lines = [f"- **{labels.get(field, field)}**: {problem}" for field, problem in error.problems.items()]
    st.error("Please check the form:\n" + "\n".join(lines), icon=":material/error:")


def rate_limited(form: str, what: str) -> bool:
    """True (with a message) when this session sent ``form`` too often lately."""
    wait = backend.wait_before_submitting(form)
    if wait <= 0:
        return False
    minutes = max(math.ceil(wait / 60), 1)
    st.warning(
        f"You have sent {backend.SUBMISSIONS_PER_WINDOW} {what} in the last "
        f"{backend.WINDOW_SECONDS / 60:.0f} minutes. Please wait about {minutes} minute(s) before sending more; "
        "your text is still in the form."
    )
    return True


def generation(form: str) -> int:
    """A number in the form's widget keys: raising it after a successful submission gives an empty form."""
    value: int = st.session_state.setdefault(f"clv_form_{form}", 0)
    return value


def confirm_and_clear(form: str, message: str) -> None:
    """After a successful submission: count it, empty the form, and show ``message`` once on the next run."""
    backend.note_submission(form)
    st.session_state[f"clv_form_{form}"] = generation(form) + 1
    st.session_state[f"clv_thanks_{form}"] = message
    st.rerun()


def show_confirmation(form: str) -> None:
    """The message left by :func:`confirm_and_clear`, if any."""
    message = st.session_state.pop(f"clv_thanks_{form}", None)
    if message:
        st.success(message, icon=":material/check_circle:")
