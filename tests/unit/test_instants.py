"""One parser for instants people write: an offset is required, everywhere."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ownit.domain.instants import parse_instant

NOON = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-26T12:00:00Z", NOON),
        ("2026-11-26T12:00:00+00:00", NOON),
        ("2026-11-26T13:00:00+01:00", NOON),
        ("2026-11-26T13:00:00 01:00", NOON),  # a query string's "+" arrives as a space
        (" 2026-11-26T07:00:00-05:00 ", NOON),
        ("2026-11-26 12:00Z", NOON),
    ],
)
def test_instants_with_an_offset(text: str, expected: datetime) -> None:
    parsed = parse_instant(text)
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-11-26T12:00:00", "'2026-11-26T12:00:00' has no UTC offset"),
        ("2026-11-26", "'2026-11-26' has no UTC offset"),
        ("yesterday", "'yesterday' is not an ISO 8601 date-time"),
        ("", "'' is not an ISO 8601 date-time"),
    ],
)
def test_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        parse_instant(text)
    assert "write 2026-02-01T18:00:00Z or 2026-02-01T18:00:00+01:00" in str(caught.value)
