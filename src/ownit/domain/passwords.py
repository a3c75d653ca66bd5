"""The password policy: long enough, not absurdly long, not the email, not all one character."""

from __future__ import annotations

_MIN_LENGTH = 12
_MAX_LENGTH = 256  # hashing cost grows with length; nobody types more


def password_problem(password: str, *, email: str = "") -> str | None:
    """Why ``password`` is refused, in words a user understands; ``None`` when it is fine."""
    if len(password) < _MIN_LENGTH:
        return f"use at least {_MIN_LENGTH} characters"
    if len(password) > _MAX_LENGTH:
        return f"use at most {_MAX_LENGTH} characters"
    if not password.strip():
        return "a password cannot be only spaces"
    if len(set(password)) == 1:
        return "a password cannot repeat one character"
    if email and password.strip().casefold() == email.strip().casefold():
        return "a password cannot be your email address"
    return None
