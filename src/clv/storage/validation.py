"""Checks for what people type into forms: each problem is collected with the field it belongs to, then reported
together as one :class:`~clv.errors.FormError` (so a form can show every message at once).

Text is stored exactly as given: nothing is stripped, escaped or rewritten here; pages escape it when showing it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from clv.errors import FormError

EMAIL = re.compile(
    r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$"
)
MAX_EMAIL_CHARS = 320


class Checker:
    """Collects problems field by field; :meth:`done` raises them all."""

    def __init__(self) -> None:
        self.problems: dict[str, str] = {}

    def text(self, field: str, value: str | None, *, required: bool, max_chars: int) -> str | None:
        """``value`` as given (None when optional and blank); required, at most ``max_chars``, no NUL."""
        if value is None or not value.strip():
            if required:
                self.problems[field] = "required"
            return None
        if len(value) > max_chars:
            self.problems[field] = f"at most {max_chars:,} characters (this has {len(value):,})"
        elif "\x00" in value:
            self.problems[field] = "contains a NUL character"
        return value

    def email(self, field: str, value: str | None, *, required: bool = False) -> str | None:
        """An address such as ``name@example.com``, surrounding spaces removed; None when blank and optional."""
        address = (value or "").strip()
        if not address:
            if required:
                self.problems[field] = "required"
            return None
        if len(address) > MAX_EMAIL_CHARS or not EMAIL.match(address):
            self.problems[field] = "not a valid email address (expected something like name@example.com)"
        return address

    def choice(self, field: str, value: str | None, options: Sequence[str]) -> str:
        """``value`` when it is one of ``options``."""
        if value not in options:
            self.problems[field] = f"choose one of {', '.join(options)}"
            return options[0]
        return str(value)

    def integer(self, field: str, value: object, low: int, high: int) -> int:
        """A whole number from ``low`` to ``high``."""
        try:
            if isinstance(value, bool) or not isinstance(value, int | str):
                raise ValueError
            number = int(value)
        except ValueError:
            self.problems[field] = f"a whole number from {low} to {high} is required"
            return low
        if not low <= number <= high:
            self.problems[field] = f"must be from {low} to {high} (got {number})"
        return number

    def done(self) -> None:
        """Raise every problem found, if any."""
        if self.problems:
            raise FormError(dict(self.problems))
