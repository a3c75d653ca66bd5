"""Instants written by people and programs: ISO 8601 / RFC 3339 with a UTC offset.

A time without an offset (``2026-02-01T18:00:00``) is refused everywhere (the REST API, the
CLI): read as UTC it is an hour or more off for most people, silently. One parser, so every
surface says the same thing.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

HINT = "write 2026-02-01T18:00:00Z or 2026-02-01T18:00:00+01:00"
_SPACED_OFFSET = re.compile(r" (\d\d:?\d\d)$")  # a "+" that a query string turned into " "


def parse_instant(text: str) -> datetime:
    """The aware UTC instant ``text`` names; ``ValueError`` with a plain message (the text,
    what is wrong, how to write it) when it is no date-time or has no offset."""
    cleaned = _SPACED_OFFSET.sub(r"+\1", text.strip()).replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(cleaned)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 date-time ({HINT})") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError(f"{text!r} has no UTC offset ({HINT})")
    return parsed.astimezone(UTC)
