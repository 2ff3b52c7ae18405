"""Admin: the login form, logout, and the guard every dashboard page calls before showing anything.

The session token lives in ``st.session_state`` only; the database keeps its hash, its last activity and the
throttling counters (see :mod:`clv.storage.auth`).
"""

from __future__ import annotations

import logging

import streamlit as st

from clv.app import backend
from clv.app.views.common import user_errors
from clv.errors import CLVError, LoginError

TOKEN = "clv_admin_token"
EXPIRED = "clv_admin_expired"
LOGGER = logging.getLogger("clv.app")


def current_admin() -> str | None:
    """The logged-in administrator, checked against the database (which restarts the inactivity clock)."""
    token = st.session_state.get(TOKEN)
    if not token:
        return None
    from clv.storage import auth  # SQLAlchemy is imported when a page needs the database, not at start-up

    try:
        username = auth.check_session(backend.database(), token)
    except CLVError:
        LOGGER.warning("admin session could not be checked", exc_info=True)
        return None
    if username is None:
        del st.session_state[TOKEN]
        st.session_state[EXPIRED] = True
    return username


def require_admin() -> str | None:
    """The administrator, or None after telling the visitor to log in (each dashboard calls this first)."""
    username = current_admin()
    if username is None:
        st.warning(
            "This page is for administrators: log in on the **Admin** page first.", icon=":material/lock:"
        )
    return username


def render() -> None:
    """The Admin page: login form, or who is logged in and a logout button."""
    from clv.storage import auth

    st.title("Admin")
    username = current_admin()
    if username is not None:
        _logged_in(username)
        return
    if st.session_state.pop(EXPIRED, False):
        minutes = auth.AuthPolicy.from_environment().idle_timeout.total_seconds() / 60
        st.info(
            f"Your session has ended ({minutes:.0f} minutes without activity, or the password was changed). Please log in again."
        )
    with user_errors("opening the administrator login"):
        _login_form()


def _login_form() -> None:
    from clv.storage import auth

    database = backend.database()
    if auth.environment_admin() is None and auth.list_users(database).empty:
        st.info(
            "No administrator exists yet. An operator creates one on the server with "
            "`clv admin create-user NAME`, or sets `CLV_ADMIN_USERNAME` and `CLV_ADMIN_PASSWORD_HASH` "
            "(a hash from `clv admin hash-password`)."
        )
    with st.form("login"):
        username = st.text_input("Username", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Log in", type="primary")
    if not submitted:
        return
    try:
        st.session_state[TOKEN] = auth.login(database, username.strip(), password)
    except LoginError as error:
        st.error(str(error), icon=":material/lock:")
        return
    st.rerun()


def _logged_in(username: str) -> None:
    from clv.storage import auth

    st.text(f"Logged in as {username}")
    st.write(
        "The dashboards are in the navigation under **Dashboards**: feedback, feature requests, usage, "
        "audit log and stored model runs."
    )
    if st.button("Log out", icon=":material/logout:"):
        with user_errors("logging out"):
            auth.logout(backend.database(), st.session_state.pop(TOKEN))
        st.rerun()
