"""What the feedback and feature-request forms share: problems shown field by field, and the rate limit."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from clv.app import backend
from clv.app.views.common import user_errors
from clv.errors import FormError
from clv.storage import Database

T = TypeVar("T")


def show_problems(error: FormError, labels: dict[str, str]) -> None:
    """One error box listing each field's problem (the messages are clv's own, never the user's text)."""
    lines = [f"- **{labels.get(field, field)}**: {problem}" for field, problem in error.problems.items()]
    st.error("Please check the form:\n" + "\n".join(lines), icon=":material/error:")


def rate_limited(form: str) -> bool:
    """True (with a message) when this session sent ``form`` too often lately."""
    wait = backend.wait_before_submitting(form)
    if wait <= 0:
        return False
    minutes = max(math.ceil(wait / 60), 1)
    st.warning(
        f"You have sent this form {backend.SUBMISSIONS_PER_WINDOW} times in the last "
        f"{backend.WINDOW_SECONDS / 60:.0f} minutes. Please wait about {minutes} minute(s) before sending it "
        "again; your text is still in the form."
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


def submit(
    form: str,
    what: str,
    labels: dict[str, str],
    validate: Callable[[], T],
    save: Callable[[Database, T], int],
) -> None:
    """Check the form (problems listed by field), apply the rate limit, store it, then confirm with its number
    and empty the form; when anything fails the text stays in the form."""
    try:
        entry = validate()
    except FormError as error:
        show_problems(error, labels)
        return
    if rate_limited(form):
        return
    saved = None
    with user_errors(f"saving your {what} (it was not saved; your text is still in the form)"):
        saved = save(backend.database(), entry)
    if saved is not None:
        confirm_and_clear(form, f"Thank you! Your {what} was saved as #{saved}.")
