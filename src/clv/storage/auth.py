"""Administrator accounts: argon2id password hashes, login throttling kept in the database, sessions that end
after inactivity.

No account exists until an operator creates one (``clv admin create-user``) or sets ``CLV_ADMIN_USERNAME`` and
``CLV_ADMIN_PASSWORD_HASH`` (a hash from ``clv admin hash-password``); there is no default password. Every failed
login gets the same message and takes the same work (an unknown user is checked against a dummy hash), so neither
the message nor the time tells whether a username exists or an account is locked. After ``max_failures`` failures
in a row an account is locked for ``lockout``; argon2's verification compares in constant time (RFC 9106).
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Row, delete, insert, select, update

from clv.errors import ConfigurationError, FormError, LoginError
from clv.storage import audit, passwords
from clv.storage.db import Database, to_frame, utc_now
from clv.storage.schema import admin_sessions, admin_users

LOGIN_FAILED = "Wrong username or password, or the account is locked for a while. Please try again later."
USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{3,64}$")


@dataclass(frozen=True)
class AuthPolicy:
    """How many failures lock an account, for how long, and how long an idle session lasts."""

    max_failures: int = 5
    lockout: timedelta = timedelta(minutes=15)
    idle_timeout: timedelta = timedelta(minutes=30)

    @classmethod
    def from_environment(cls) -> AuthPolicy:
        """``CLV_ADMIN_MAX_FAILURES`` (5), ``CLV_ADMIN_LOCKOUT_MINUTES`` (15), ``CLV_ADMIN_SESSION_MINUTES`` (30)."""
        return cls(
            max_failures=int(_positive("CLV_ADMIN_MAX_FAILURES", 5)),
            lockout=timedelta(minutes=_positive("CLV_ADMIN_LOCKOUT_MINUTES", 15)),
            idle_timeout=timedelta(minutes=_positive("CLV_ADMIN_SESSION_MINUTES", 30)),
        )


def create_user(
    database: Database, username: str, password: str, actor: str = "cli", now: datetime | None = None
) -> None:
    """Add administrator ``username`` with ``password`` (checked for strength, stored as an argon2id hash)."""
    _check_username(username)
    password_hash = passwords.hash_password(password, username)
    moment = now or utc_now()

    def work(connection: Connection) -> None:
        if _user(connection, username) is not None:
            raise FormError(
                {"username": f"{username!r} already exists (change its password with set-password)"}
            )
        connection.execute(
            insert(admin_users).values(
                username=username,
                password_hash=password_hash,
                source="cli",
                created_at=moment,
                failed_attempts=0,
            )
        )
        audit.record(connection, actor, "create user", username, now=moment)

    database.write(work, "creating the administrator")


def set_password(database: Database, username: str, password: str, actor: str = "cli") -> None:
    """Replace ``username``'s password; ends the user's sessions and lifts any lock."""
    password_hash = passwords.hash_password(password, username)
    _change_user(database, username, actor, "set password", password_hash=password_hash)


def unlock_user(database: Database, username: str, actor: str = "cli") -> None:
    """Lift ``username``'s lock and forget its failed attempts."""
    _change_user(database, username, actor, "unlock")


def delete_user(database: Database, username: str, actor: str = "cli") -> None:
    """Remove administrator ``username`` (its sessions go with it)."""

    def work(connection: Connection) -> None:
        if connection.execute(delete(admin_users).where(admin_users.c.username == username)).rowcount == 0:
            raise FormError({"username": f"no administrator {username!r}"})
        audit.record(connection, actor, "delete user", username)

    database.write(work, "removing the administrator")


def list_users(database: Database) -> pd.DataFrame:
    """Administrators: username, source (cli or environment), created_at, last_login_at, failed_attempts,
    locked_until (never the hash)."""
    c = admin_users.c
    query = select(c.username, c.source, c.created_at, c.last_login_at, c.failed_attempts, c.locked_until)
    return database.read(
        lambda connection: to_frame(connection.execute(query.order_by(c.username))), "listing administrators"
    )


def environment_admin() -> tuple[str, str] | None:
    """(username, argon2id hash) from ``CLV_ADMIN_USERNAME`` and ``CLV_ADMIN_PASSWORD_HASH``, or None when unset."""
    username = os.environ.get("CLV_ADMIN_USERNAME", "").strip()
    password_hash = os.environ.get("CLV_ADMIN_PASSWORD_HASH", "").strip()
    if not username and not password_hash:
        return None
    if not username or not password_hash:
        raise ConfigurationError("set both CLV_ADMIN_USERNAME and CLV_ADMIN_PASSWORD_HASH, or neither")
    if not USERNAME.match(username):
        raise ConfigurationError("CLV_ADMIN_USERNAME: 3 to 64 letters, digits or . _ @ -")
    if not passwords.is_argon2id_hash(password_hash):
        raise ConfigurationError(
            "CLV_ADMIN_PASSWORD_HASH is not an argon2id hash (it starts with $argon2id$); "
            "make one with: clv admin hash-password"
        )
    return username, password_hash


def sync_environment_admin(database: Database, now: datetime | None = None) -> str | None:
    """Make the administrator named in the environment exist with the environment's hash; returns its name."""
    configured = environment_admin()
    if configured is None:
        return None
    username, password_hash = configured

    def work(connection: Connection) -> None:
        user = _user(connection, username)
        if user is None:
            connection.execute(
                insert(admin_users).values(
                    username=username,
                    password_hash=password_hash,
                    source="environment",
                    created_at=now or utc_now(),
                    failed_attempts=0,
                )
            )
            audit.record(connection, "environment", "create user", username, now=now)
        elif user.password_hash != password_hash:
            connection.execute(
                update(admin_users)
                .where(admin_users.c.id == user.id)
                .values(password_hash=password_hash, source="environment")
            )
            connection.execute(delete(admin_sessions).where(admin_sessions.c.user_id == user.id))
            audit.record(connection, "environment", "set password", username, now=now)

    current = database.read(lambda connection: _user(connection, username), "reading administrators")
    if current is None or current.password_hash != password_hash:
        database.write(work, "registering the administrator from the environment")
    return username


def login(
    database: Database,
    username: str,
    password: str,
    policy: AuthPolicy | None = None,
    now: datetime | None = None,
) -> str:
    """A new session token for ``username``, or :class:`~clv.errors.LoginError` with one message for every failure."""
    policy = policy or AuthPolicy.from_environment()
    moment = now or utc_now()
    sync_environment_admin(database, moment)
    user = database.read(lambda connection: _user(connection, username), "reading administrators")
    if user is None:
        passwords.verify_password(passwords.dummy_hash(), password)
        database.write(
            lambda connection: audit.record(
                connection, "anonymous", "login failed", username, {"reason": "unknown user"}, moment
            ),
            "recording the failed login",
        )
        raise LoginError(LOGIN_FAILED)
    verified = passwords.verify_password(user.password_hash, password)
    locked = user.locked_until is not None and user.locked_until > moment
    if locked or not verified:
        database.write(
            lambda connection: _record_failure(connection, user.id, username, policy, moment),
            "recording the failed login",
        )
        raise LoginError(LOGIN_FAILED)
    token = secrets.token_urlsafe(32)
    values: dict[str, object] = {"failed_attempts": 0, "locked_until": None, "last_login_at": moment}
    if passwords.HASHER.check_needs_rehash(user.password_hash):
        values["password_hash"] = passwords.HASHER.hash(password)

    def work(connection: Connection) -> None:
        connection.execute(update(admin_users).where(admin_users.c.id == user.id).values(**values))
        connection.execute(
            delete(admin_sessions).where(admin_sessions.c.last_seen_at < moment - policy.idle_timeout)
        )
        connection.execute(
            insert(admin_sessions).values(
                token_hash=_digest(token), user_id=user.id, created_at=moment, last_seen_at=moment
            )
        )
        audit.record(connection, username, "login", username, now=moment)

    database.write(work, "starting the session")
    return token


def check_session(
    database: Database, token: str | None, policy: AuthPolicy | None = None, now: datetime | None = None
) -> str | None:
    """The username of a live session ``token`` (its inactivity clock restarts), or None when the token is unknown,
    logged out or idle for longer than the policy allows (then it is removed)."""
    if not token:
        return None
    policy = policy or AuthPolicy.from_environment()
    moment = now or utc_now()
    digest = _digest(token)

    def work(connection: Connection) -> str | None:
        row = connection.execute(
            select(admin_sessions.c.last_seen_at, admin_users.c.username)
            .join(admin_users, admin_users.c.id == admin_sessions.c.user_id)
            .where(admin_sessions.c.token_hash == digest)
        ).one_or_none()
        if row is None:
            return None
        if moment - row.last_seen_at > policy.idle_timeout:
            connection.execute(delete(admin_sessions).where(admin_sessions.c.token_hash == digest))
            audit.record(connection, row.username, "session expired", row.username, now=moment)
            return None
        connection.execute(
            update(admin_sessions).where(admin_sessions.c.token_hash == digest).values(last_seen_at=moment)
        )
        return str(row.username)

    return database.write(work, "checking the session")


def logout(database: Database, token: str, now: datetime | None = None) -> None:
    """End session ``token`` (nothing happens when it is already gone)."""
    digest = _digest(token)

    def work(connection: Connection) -> None:
        username = connection.execute(
            select(admin_users.c.username)
            .join(admin_sessions, admin_users.c.id == admin_sessions.c.user_id)
            .where(admin_sessions.c.token_hash == digest)
        ).scalar_one_or_none()
        if username is not None:
            connection.execute(delete(admin_sessions).where(admin_sessions.c.token_hash == digest))
            audit.record(connection, username, "logout", username, now=now)

    database.write(work, "ending the session")


def _record_failure(
    connection: Connection, user_id: int, username: str, policy: AuthPolicy, now: datetime
) -> None:
    row = connection.execute(
        select(admin_users.c.failed_attempts, admin_users.c.locked_until)
        .where(admin_users.c.id == user_id)
        .with_for_update()
    ).one()
    if row.locked_until is not None and row.locked_until > now:
        audit.record(connection, "anonymous", "login failed", username, {"reason": "locked"}, now)
        return
    attempts = row.failed_attempts + 1
    if attempts >= policy.max_failures:
        connection.execute(
            update(admin_users)
            .where(admin_users.c.id == user_id)
            .values(failed_attempts=0, locked_until=now + policy.lockout)
        )
        audit.record(
            connection,
            "anonymous",
            "account locked",
            username,
            {"minutes": policy.lockout.total_seconds() / 60},
            now,
        )
        return
    connection.execute(
        update(admin_users)
        .where(admin_users.c.id == user_id)
        .values(failed_attempts=attempts, locked_until=None)
    )
    audit.record(
        connection,
        "anonymous",
        "login failed",
        username,
        {"reason": "wrong password", "attempt": attempts},
        now,
    )


def _change_user(database: Database, username: str, actor: str, action: str, **changes: object) -> None:
    def work(connection: Connection) -> None:
        user = _user(connection, username)
        if user is None:
            raise FormError({"username": f"no administrator {username!r}"})
        connection.execute(
            update(admin_users)
            .where(admin_users.c.id == user.id)
            .values(failed_attempts=0, locked_until=None, **changes)
        )
        if "password_hash" in changes:
            connection.execute(delete(admin_sessions).where(admin_sessions.c.user_id == user.id))
        audit.record(connection, actor, action, username)

    database.write(work, f"{action} for the administrator")


def _user(connection: Connection, username: str) -> Row[Any] | None:
    return connection.execute(select(admin_users).where(admin_users.c.username == username)).one_or_none()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _check_username(username: str) -> None:
    if not USERNAME.match(username):
        raise FormError({"username": "3 to 64 letters, digits or . _ @ - (no spaces)"})


def _positive(variable: str, default: float) -> float:
    raw = os.environ.get(variable, "").strip()
    try:
        value = float(raw) if raw else default
    except ValueError:
        value = -1.0
    if value <= 0:
        raise ConfigurationError(f"{variable} must be a positive number (got {raw!r})")
    return value
