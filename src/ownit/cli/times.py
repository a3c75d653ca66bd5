"""Instants as the CLI prints them: ``YYYY-MM-DD HH:MM UTC``, or in a time zone (``… CET``)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def when(value: datetime | None, zone: str | None = None, *, empty: str = "") -> str:
    """``value`` to the minute in UTC, or in ``zone`` (an IANA name) with that zone's
    abbreviation; ``empty`` (``"never"``, ``""``, …) when there is no value."""
    if value is None:
        return empty
    return value.astimezone(UTC if zone is None else ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")
