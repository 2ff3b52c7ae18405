"""Administrators: strong passwords only, argon2id hashes, one message for every failed login, lockout and its
expiry (on an injected clock), sessions that end after inactivity, and the environment's pre-computed hash."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher, Type

from clv.errors import ConfigurationError, FormError, LoginError
from clv.storage import Database, auth, passwords
from clv.storage.audit import list_audit
from tests.storage.conftest import PRODUCTION_HASHER, T0

GOOD = "correct horse battery staple"
POLICY = auth.AuthPolicy(max_failures=5, lockout=timedelta(minutes=15), idle_timeout=timedelta(minutes=30))


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short1!", "it has 7 characters; use at least 12"),
        ("aaaaaaaaaaaaaaa", "fewer than 5 different characters"),
        ("Password123456!", "common password"),
        ("qwertyuiopasdf", "keyboard, alphabet or repeated sequence"),
        ("abcdefghijklmnop", "keyboard, alphabet or repeated sequence"),
        ("12341234123412", "keyboard, alphabet or repeated sequence"),
        ("my-operator-name-x", "contains the username"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password: str, reason: str) -> None:
    with pytest.raises(FormError) as refused:
        passwords.hash_password(password, username="operator")
    assert reason in refused.value.problems["password"]


def test_the_production_hasher_is_argon2id_with_the_library_defaults() -> None:
    production = PRODUCTION_HASHER  # as the module made it, before the tests' quick hasher
    defaults = PasswordHasher()
    assert production.type is Type.ID
    assert (production.time_cost, production.memory_cost) == (defaults.time_cost, defaults.memory_cost)
    assert production.memory_cost >= 19 * 1024  # RFC 9106 / OWASP minimum: 19 MiB


def test_hash_is_argon2id_and_verifies() -> None:
    encoded = passwords.hash_password(GOOD)
    assert encoded.startswith("$argon2id$") and GOOD not in encoded
    assert passwords.is_argon2id_hash(encoded)
    assert PasswordHasher().verify(encoded, GOOD)
    assert not passwords.is_argon2id_hash("$argon2i$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA")
    assert not passwords.is_argon2id_hash("plain text")


def test_users_are_created_once_with_a_hash_and_listed_without_it(database: Database) -> None:
    auth.create_user(database, "ops", GOOD, now=T0)
    with pytest.raises(FormError, match="already exists"):
        auth.create_user(database, "ops", GOOD + "!")
    with pytest.raises(FormError, match="letters, digits"):
        auth.create_user(database, "a b", GOOD)
    users = auth.list_users(database)
    assert list(users["username"]) == ["ops"]
    assert "password_hash" not in users.columns
    assert list_audit(database).loc[0, "action"] == "create user"


def test_wrong_password_unknown_user_and_locked_account_all_get_the_same_message(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth.create_user(database, "ops", GOOD)
    verified: list[str] = []
    real_verify = passwords.verify_password
    monkeypatch.setattr(passwords, "verify_password", lambda h, p: verified.append(h) or real_verify(h, p))
    messages = []
    for username, password in (("ops", "wrong password!"), ("nobody", GOOD)):
        with pytest.raises(LoginError) as failed:
            auth.login(database, username, password, POLICY, now=T0)
        messages.append(str(failed.value))
    assert messages == [auth.LOGIN_FAILED, auth.LOGIN_FAILED]
    assert len(verified) == 2  # the unknown user is checked against a dummy argon2id hash: no timing shortcut
    assert all(h.startswith("$argon2id$") for h in verified)
    actions = list(list_audit(database)["action"])
    assert actions[:2] == ["login failed", "login failed"]


def test_five_failures_lock_the_account_for_fifteen_minutes(database: Database) -> None:
    auth.create_user(database, "ops", GOOD)
    for attempt in range(5):
        with pytest.raises(LoginError):
            auth.login(database, "ops", f"wrong {attempt}", POLICY, now=T0 + timedelta(seconds=attempt))
    locked = auth.list_users(database).iloc[0]
    assert locked["locked_until"] == T0 + timedelta(seconds=4, minutes=15)
    with pytest.raises(LoginError) as refused:  # the right password does not open a locked account
        auth.login(database, "ops", GOOD, POLICY, now=T0 + timedelta(minutes=10))
    assert str(refused.value) == auth.LOGIN_FAILED
    assert auth.list_users(database).iloc[0]["locked_until"] == locked["locked_until"]  # not extended
    token = auth.login(database, "ops", GOOD, POLICY, now=T0 + timedelta(minutes=15, seconds=5))
    assert auth.check_session(database, token, POLICY, now=T0 + timedelta(minutes=16)) == "ops"
    after = auth.list_users(database).iloc[0]
    assert after["failed_attempts"] == 0 and after["locked_until"] is None
    assert "account locked" in set(list_audit(database)["action"])


def test_a_success_resets_the_failure_count_and_unlock_lifts_a_lock(database: Database) -> None:
    auth.create_user(database, "ops", GOOD)
    for _ in range(4):
        with pytest.raises(LoginError):
            auth.login(database, "ops", "wrong", POLICY, now=T0)
    auth.login(database, "ops", GOOD, POLICY, now=T0)
    for _ in range(4):
        with pytest.raises(LoginError):
            auth.login(database, "ops", "wrong", POLICY, now=T0)
    auth.login(database, "ops", GOOD, POLICY, now=T0)  # 4 + 4 failures never locked it
    for _ in range(5):
        with pytest.raises(LoginError):
            auth.login(database, "ops", "wrong", POLICY, now=T0)
    auth.unlock_user(database, "ops", actor="root")
    assert auth.login(database, "ops", GOOD, POLICY, now=T0)


def test_sessions_expire_after_inactivity_and_end_at_logout(database: Database) -> None:
    auth.create_user(database, "ops", GOOD)
    token = auth.login(database, "ops", GOOD, POLICY, now=T0)
    assert auth.check_session(database, token, POLICY, now=T0 + timedelta(minutes=29)) == "ops"
    assert (
        auth.check_session(database, token, POLICY, now=T0 + timedelta(minutes=58)) == "ops"
    )  # activity renews
    assert auth.check_session(database, token, POLICY, now=T0 + timedelta(minutes=89)) is None
    assert auth.check_session(database, token, POLICY, now=T0 + timedelta(minutes=90)) is None
    assert auth.check_session(database, None, POLICY) is None
    assert auth.check_session(database, "forged", POLICY) is None
    second = auth.login(database, "ops", GOOD, POLICY, now=T0)
    auth.logout(database, second, now=T0)
    assert auth.check_session(database, second, POLICY, now=T0) is None
    third = auth.login(database, "ops", GOOD, POLICY, now=T0)
    auth.set_password(database, "ops", GOOD + " again")
    assert auth.check_session(database, third, POLICY, now=T0) is None  # a new password ends old sessions


def test_the_environment_can_name_an_administrator_with_a_precomputed_hash(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLV_ADMIN_USERNAME", "deploy")
    monkeypatch.setenv("CLV_ADMIN_PASSWORD_HASH", passwords.hash_password(GOOD))
    token = auth.login(database, "deploy", GOOD, POLICY, now=T0)
    assert auth.check_session(database, token, POLICY, now=T0) == "deploy"
    assert auth.list_users(database).iloc[0]["source"] == "environment"
    monkeypatch.setenv("CLV_ADMIN_PASSWORD_HASH", passwords.hash_password(GOOD + " rotated"))
    with pytest.raises(LoginError):
        auth.login(database, "deploy", GOOD, POLICY, now=T0)
    assert auth.check_session(database, token, POLICY, now=T0) is None  # rotating the hash ends sessions
    assert auth.login(database, "deploy", GOOD + " rotated", POLICY, now=T0)
    monkeypatch.setenv("CLV_ADMIN_PASSWORD_HASH", "hunter2")
    with pytest.raises(ConfigurationError, match="not an argon2id hash"):
        auth.login(database, "deploy", "hunter2", POLICY)
    monkeypatch.delenv("CLV_ADMIN_USERNAME")
    with pytest.raises(ConfigurationError, match="both"):
        auth.environment_admin()


def test_policy_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert auth.AuthPolicy.from_environment() == POLICY
    monkeypatch.setenv("CLV_ADMIN_MAX_FAILURES", "3")
    monkeypatch.setenv("CLV_ADMIN_LOCKOUT_MINUTES", "60")
    monkeypatch.setenv("CLV_ADMIN_SESSION_MINUTES", "5")
    assert auth.AuthPolicy.from_environment() == auth.AuthPolicy(3, timedelta(hours=1), timedelta(minutes=5))
    monkeypatch.setenv("CLV_ADMIN_LOCKOUT_MINUTES", "soon")
    with pytest.raises(ConfigurationError, match="CLV_ADMIN_LOCKOUT_MINUTES"):
        auth.AuthPolicy.from_environment()
