"""Administrator passwords: the strength rules (at least 12 characters, 5 different ones, no common word, keyboard
or repeated sequence, not the username) and argon2id hashing and verification with argon2-cffi's defaults (RFC 9106
low-memory profile; constant-time comparison)."""

from __future__ import annotations

import re
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from clv.errors import FormError

MIN_PASSWORD_CHARS = 12
COMMON_WORDS = frozenset(
    [
        "password",
        "passw0rd",
        "passwort",
        "motdepasse",
        "qwerty",
        "qwertz",
        "azerty",
        "letmein",
        "welcome",
        "admin",
        "administrator",
        "root",
        "iloveyou",
        "monkey",
        "dragon",
        "football",
        "baseball",
        "sunshine",
        "princess",
        "trustno",
        "master",
        "secret",
        "changeme",
        "default",
        "login",
        "shadow",
        "superman",
        "batman",
        "starwars",
        "whatever",
        "freedom",
        "hello",
        "test",
        "guest",
        "user",
        "clv",
    ]
)
SEQUENCES = (
    "abcdefghijklmnopqrstuvwxyz",
    "0123456789",
    "qwertyuiopasdfghjklzxcvbnm",
    "qwertzuiop",
    "azertyuiop",
)
HASHER = PasswordHasher()  # argon2id with argon2-cffi's defaults (RFC 9106 low-memory profile)


def password_problems(password: str, username: str | None = None) -> list[str]:
    """Why ``password`` is too weak (empty when it is acceptable)."""
    problems = []
    lowered = password.lower()
    if len(password) < MIN_PASSWORD_CHARS:
        problems.append(f"it has {len(password)} characters; use at least {MIN_PASSWORD_CHARS}")
    if len(set(password)) < 5:
        problems.append("it uses fewer than 5 different characters")
    letters = re.sub(r"[^a-z]", "", lowered)
    if letters in COMMON_WORDS or lowered in COMMON_WORDS:
        problems.append("it is a common password with digits or symbols around it")
    if any(lowered in sequence * 2 for sequence in SEQUENCES) or _repeats(lowered):
        problems.append("it is a keyboard, alphabet or repeated sequence")
    if username and len(username) >= 3 and username.lower() in lowered:
        problems.append("it contains the username")
    return problems


def hash_password(password: str, username: str | None = None) -> str:
    """The argon2id hash of ``password`` after checking its strength (:class:`~clv.errors.FormError` if weak)."""
    problems = password_problems(password, username)
    if problems:
        raise FormError({"password": "too weak: " + "; ".join(problems)})
    return HASHER.hash(password)


def is_argon2id_hash(value: str) -> bool:
    """True when ``value`` is an encoded argon2id hash such as :func:`hash_password` returns."""
    if not value.startswith("$argon2id$"):
        return False
    try:
        HASHER.check_needs_rehash(value)
    except (InvalidHashError, ValueError):
        return False
    return True


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches the argon2id ``password_hash`` (constant-time comparison; False on any bad hash)."""
    try:
        return HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def dummy_hash() -> str:
    """A hash of a random password, made once: what an unknown username is checked against, so a failed login
    takes the same work whether or not the user exists."""
    return HASHER.hash(secrets.token_urlsafe(16))


def _repeats(text: str) -> bool:
    return any(
        len(text) >= 2 * size and text == (text[:size] * len(text))[: len(text)] for size in range(1, 5)
    )
