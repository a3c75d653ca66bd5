"""A small iCalendar (RFC 5545) writer for published feeds of timed events.

Content lines end with CRLF and are folded at 75 octets (a continuation line starts with one
space; a UTF-8 character is never split). TEXT values escape ``\\``, ``;``, ``,`` and line
breaks. Times are written in UTC (``YYYYMMDDTHHMMSSZ``), so the feed needs no ``VTIMEZONE``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

__all__ = ["CalendarEvent", "escape_text", "fold", "utc", "write_calendar"]

CRLF = "\r\n"
_LIMIT = 75  # octets per line, not counting the CRLF


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    uid: str
    start: datetime
    end: datetime
    summary: str
    description: str | None = None


def escape_text(value: str) -> str:
    """A TEXT property value (RFC 5545 §3.3.11)."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def utc(value: datetime) -> str:
    """An aware instant as a UTC DATE-TIME (``20260105T080000Z``)."""
    if value.tzinfo is None:
        raise ValueError("calendar times must be aware")
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def fold(line: str) -> str:
    """One content line, folded into pieces of at most 75 octets, joined by CRLF + space."""
    data = line.encode("utf-8")
    pieces: list[bytes] = []
    limit = _LIMIT
    while len(data) > limit:
        cut = limit
        while cut > 0 and (data[cut] & 0xC0) == 0x80:  # do not split a UTF-8 sequence
            cut -= 1
        pieces.append(data[:cut])
        data = data[cut:]
        limit = _LIMIT - 1  # the leading space counts
    pieces.append(data)
    return (CRLF + " ").join(p.decode("utf-8") for p in pieces)


def _lines(name: str, stamp: datetime, events: Iterable[CalendarEvent]) -> Iterable[str]:
    yield from (
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//ownit//on-call feed//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
        "X-PUBLISHED-TTL:PT1H",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
    )
    for event in events:
        yield from (
            "BEGIN:VEVENT",
            f"UID:{event.uid}",
            f"DTSTAMP:{utc(stamp)}",
            f"DTSTART:{utc(event.start)}",
            f"DTEND:{utc(event.end)}",
            f"SUMMARY:{escape_text(event.summary)}",
        )
        if event.description:
            yield f"DESCRIPTION:{escape_text(event.description)}"
        yield from ("TRANSP:TRANSPARENT", "END:VEVENT")
    yield "END:VCALENDAR"


def write_calendar(*, name: str, stamp: datetime, events: Sequence[CalendarEvent]) -> str:
    """A whole ``VCALENDAR`` with ``METHOD:PUBLISH``; ``stamp`` is every event's ``DTSTAMP``."""
    return "".join(fold(line) + CRLF for line in _lines(name, stamp, events))
