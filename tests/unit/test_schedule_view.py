"""Times typed into the override form: the schedule's wall clock, or an explicit offset."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ownit.app.oncall import InvalidOnCallRequest
from ownit.app.schedule_view import local_instant


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-27T18:00", datetime(2026, 11, 27, 17, 0, tzinfo=UTC)),  # CET
        ("2026-07-01 18:00", datetime(2026, 7, 1, 16, 0, tzinfo=UTC)),  # CEST, a space
        ("2026-03-29T02:30", datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),  # skipped: the change
        ("2026-10-25T02:30", datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),  # twice: the first
        ("2026-11-27T18:00Z", datetime(2026, 11, 27, 18, 0, tzinfo=UTC)),
        ("2026-11-27T18:00-05:00", datetime(2026, 11, 27, 23, 0, tzinfo=UTC)),
    ],
)
def test_form_times_are_read_on_the_schedules_wall_clock_unless_they_say(
    text: str, expected: datetime
) -> None:
    assert local_instant("start", text, "Europe/Berlin") == expected


@pytest.mark.parametrize(
    ("text", "detail"),
    [("", "is required"), ("  ", "is required"), ("next friday", "is not a date and time")],
)
def test_what_is_not_a_time_is_refused_naming_the_field(text: str, detail: str) -> None:
    with pytest.raises(InvalidOnCallRequest) as caught:
        local_instant("end", text, "Europe/Berlin")
    assert caught.value.field == "end"
    assert detail in caught.value.detail
