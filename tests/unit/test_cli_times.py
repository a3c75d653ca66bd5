"""The CLI's one way of printing an instant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from ownit.cli.times import when

NOON = datetime(2026, 11, 26, 12, 5, 59, 123456, tzinfo=UTC)


def test_utc_to_the_minute() -> None:
    assert when(NOON) == "2026-11-26 12:05 UTC"


def test_any_offset_is_shown_in_utc() -> None:
    assert when(NOON.astimezone(timezone(timedelta(hours=-5)))) == "2026-11-26 12:05 UTC"


def test_in_a_zone_with_its_abbreviation() -> None:
    assert when(NOON, "Europe/Berlin") == "2026-11-26 13:05 CET"
    assert when(NOON.replace(month=7), "Europe/Berlin") == "2026-07-26 14:05 CEST"
    assert when(NOON, "UTC") == "2026-11-26 12:05 UTC"


def test_no_instant_is_the_empty_word() -> None:
    assert when(None) == ""
    assert when(None, empty="never") == "never"
    assert when(None, "Europe/Berlin", empty="-") == "-"
