"""Identifiers: time-ordered, URL-safe, made from a time and random bytes given by the caller."""

from __future__ import annotations

from datetime import datetime

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lowercase
_PAIRS = tuple(a + b for a in _ALPHABET for b in _ALPHABET)  # 10 bits → two characters
_SHIFTS = tuple(range(120, -1, -10))  # 13 pairs: the 130 bits of time and entropy, high first


def make_id(prefix: str, at: datetime, entropy: bytes) -> str:
    """``prefix`` + 10 chars of milliseconds + 16 chars of entropy (10 bytes): sortable by time.

    Both parts are base32 digits, most significant first; read together they are the 130-bit
    number ``milliseconds << 80 | entropy`` (the hot path writes three ids per event: one
    table lookup per two characters)."""
    millis = int(at.timestamp() * 1000) & (2**50 - 1)
    value = millis << 80 | int.from_bytes(entropy[:10], "big")
    pairs = _PAIRS
    return prefix + "_" + "".join([pairs[(value >> s) & 1023] for s in _SHIFTS])


MAX_ROW_ID = 2**31 - 1
"""The largest id or incident number the database holds (32-bit integers on PostgreSQL)."""
