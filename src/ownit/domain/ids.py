"""Identifiers: time-ordered, URL-safe, made from a time and random bytes given by the caller."""

from __future__ import annotations

from datetime import datetime

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lowercase


def _base32(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def make_id(prefix: str, at: datetime, entropy: bytes) -> str:
    """``prefix`` + 10 chars of milliseconds + 16 chars of entropy (10 bytes): sortable by time."""
    millis = int(at.timestamp() * 1000)
    return f"{prefix}_{_base32(millis, 10)}{_base32(int.from_bytes(entropy[:10], 'big'), 16)}"


MAX_ROW_ID = 2**31 - 1
"""The largest id or incident number the database holds (32-bit integers on PostgreSQL)."""
