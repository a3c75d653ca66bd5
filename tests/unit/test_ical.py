"""The iCalendar writer: escaping, folding at 75 octets, UTC times; read back by ``icalendar``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import icalendar
import pytest

from ownit.adapters.http.ical import CalendarEvent, escape_text, fold, utc, write_calendar

T = datetime(2026, 3, 29, 7, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("plain", "plain"),
        ("a;b,c", "a\\;b\\,c"),
        ("back\\slash", "back\\\\slash"),
        ("two\nlines\r\nand\rmore", "two\\nlines\\nand\\nmore"),
    ],
)
def test_text_escaping(text: str, escaped: str) -> None:
    assert escape_text(text) == escaped


@pytest.mark.parametrize(
    "line",
    [
        "SUMMARY:short",
        "X:" + "a" * 73,  # exactly 75 octets: not folded
        "DESCRIPTION:" + "x" * 200,
        "DESCRIPTION:" + "ä€😀" * 40,  # 2-, 3- and 4-octet characters
    ],
)
def test_folding_keeps_lines_within_75_octets_and_characters_whole(line: str) -> None:
    folded = fold(line)
    pieces = folded.split("\r\n")
    assert all(len(p.encode()) <= 75 for p in pieces)
    assert all(p.startswith(" ") for p in pieces[1:])
    assert "".join([pieces[0], *(p[1:] for p in pieces[1:])]) == line
    if len(line.encode()) <= 75:
        assert folded == line


def test_times_are_utc() -> None:
    berlin_summer = timezone(timedelta(hours=2))
    assert utc(datetime(2026, 3, 29, 9, tzinfo=berlin_summer)) == "20260329T070000Z"
    with pytest.raises(ValueError, match="aware"):
        utc(datetime(2026, 3, 29, 9))


def test_a_calendar_reads_back_with_the_icalendar_library() -> None:
    summary = "On call: payments-primary; nights, weekends \\ all"
    description = "Ünïcödé " * 30 + "\nsecond line"
    text = write_calendar(
        name="On call: Zoë, the one",
        stamp=T,
        events=[
            CalendarEvent("a@x", T, T + timedelta(hours=23), summary, description),
            CalendarEvent("b@x", T + timedelta(days=1), T + timedelta(days=2), "s"),
        ],
    )
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:")
    assert "\r\nMETHOD:PUBLISH\r\n" in text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    calendar = icalendar.Calendar.from_ical(text)
    assert "\r\nX-WR-CALNAME:On call: Zoë\\, the one\r\n" in text  # an X- property: raw TEXT
    first, second = calendar.walk("VEVENT")
    assert str(first["UID"]) == "a@x"
    assert first["SUMMARY"] == summary
    assert first["DESCRIPTION"] == description
    assert first.decoded("DTSTART") == T
    assert first.decoded("DTEND") == T + timedelta(hours=23)
    assert first.decoded("DTSTAMP") == T
    assert "DESCRIPTION" not in second
