"""Per-responder figures: pages, interruptions in the person's own zone, time on call, TTA."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ownit.domain.analytics.history import Acknowledgement, IncidentHistory, Page
from ownit.domain.analytics.period import Period
from ownit.domain.analytics.responders import (
    Bucket,
    Message,
    OnCallShift,
    bucket,
    covered_seconds,
    responder_report,
)

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday
PERIOD = Period(T0 - timedelta(days=1), T0 + timedelta(days=30))


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("instant", "zone", "expected"),
    [
        (utc(2026, 11, 2, 8, 0), "UTC", Bucket.BUSINESS),  # Monday 08:00
        (utc(2026, 11, 2, 7, 59), "UTC", Bucket.SLEEP),
        (utc(2026, 11, 2, 17, 59), "UTC", Bucket.BUSINESS),
        (utc(2026, 11, 2, 18, 0), "UTC", Bucket.OFF_HOURS),
        (utc(2026, 11, 2, 21, 59), "UTC", Bucket.OFF_HOURS),
        (utc(2026, 11, 2, 22, 0), "UTC", Bucket.SLEEP),
        (utc(2026, 11, 7, 12, 0), "UTC", Bucket.OFF_HOURS),  # Saturday noon
        (utc(2026, 11, 8, 23, 0), "UTC", Bucket.SLEEP),  # Sunday night
        (utc(2026, 11, 2, 12, 0), "America/Los_Angeles", Bucket.SLEEP),  # 04:00 there
        (utc(2026, 11, 2, 12, 0), "Asia/Tokyo", Bucket.OFF_HOURS),  # 21:00 there
        (utc(2026, 11, 6, 23, 30), "Asia/Tokyo", Bucket.OFF_HOURS),  # Saturday 08:30 there
        (utc(2026, 11, 2, 12, 0), "Not/AZone", Bucket.BUSINESS),  # read as UTC
    ],
)
def test_buckets_in_the_persons_zone(instant: datetime, zone: str, expected: Bucket) -> None:
    assert bucket(instant, zone) == expected


def test_dst_change_moves_the_same_utc_hour_between_buckets() -> None:
    """Berlin leaves summer time on Sunday 2026-10-25: 06:30 UTC is 08:30 local (CEST, +2)
    on the Friday before, but 07:30 local (CET, +1) on the Monday after."""
    zones = {"jana": "Europe/Berlin"}
    messages = [
        Message("jana", "phone", utc(2026, 10, 23, 6, 30)),
        Message("jana", "phone", utc(2026, 10, 26, 6, 30)),
        # On the night of the change itself: 00:30 UTC is 02:30 CEST, 01:30 UTC 02:30 CET.
        Message("jana", "phone", utc(2026, 10, 25, 0, 30)),
        Message("jana", "phone", utc(2026, 10, 25, 1, 30)),
    ]
    period = Period(utc(2026, 10, 20), utc(2026, 10, 30))
    [jana] = responder_report([], messages, [], zones, period)
    assert jana.as_dict()["interruptions"] == {"business": 1, "off_hours": 0, "sleep": 3}


def test_one_responder_every_figure() -> None:
    histories = [
        IncidentHistory(
            "1",
            "api",
            T0,
            pages=(Page("alice", T0), Page("alice", T0 + timedelta(minutes=5), 2)),
            acknowledgements=(Acknowledgement("alice", T0 + timedelta(minutes=2), "web"),),
        ),
        IncidentHistory(
            "2",
            "api",
            T0 + timedelta(hours=1),
            pages=(Page("alice", T0 + timedelta(hours=1)), Page("bob", T0 + timedelta(hours=1))),
            # bob acknowledges; alice only reassigns: not an acknowledgement
            acknowledgements=(
                Acknowledgement("alice", T0 + timedelta(hours=1, minutes=1), "reassign"),
                Acknowledgement("bob", T0 + timedelta(hours=1, minutes=10), "slack"),
            ),
        ),
        # carol acknowledges without having been paged: counted, but no TTA of hers
        IncidentHistory(
            "3",
            "api",
            T0,
            acknowledgements=(Acknowledgement("carol", T0 + timedelta(minutes=1), "api"),),
        ),
        # a drill: left out
        IncidentHistory("4", "api", T0, pages=(Page("alice", T0),), drill=True),
    ]
    messages = [
        Message("alice", "phone", T0),  # Monday 09:00 UTC: business
        Message("alice", "phone", T0 + timedelta(hours=1)),  # bundled with the next one
        Message("alice", "phone", T0 + timedelta(hours=1)),
        Message("alice", "email", T0 + timedelta(hours=1)),  # another contact: counts
        Message("bob", "phone", T0 + timedelta(hours=14)),  # 23:00: sleep
        Message("bob", "phone", PERIOD.until),  # outside
    ]
    shifts = [
        OnCallShift("alice", T0, T0 + timedelta(days=1), level1=True),
        OnCallShift("alice", T0 + timedelta(hours=12), T0 + timedelta(days=2)),  # overlaps
        OnCallShift("dave", PERIOD.until, PERIOD.until + timedelta(days=1)),  # outside
    ]
    report = responder_report(histories, messages, shifts, {}, PERIOD)
    assert [r.as_dict() for r in report] == [
        {
            "user": "alice",
            "pages": 2,
            "interruptions": {"business": 3, "off_hours": 0, "sleep": 0},
            "seconds_on_call": 2 * 86400.0,
            "seconds_on_call_level1": 86400.0,
            "acknowledged": 1,
            "tta_seconds": {"mean": 120.0, "p50": 120.0, "p90": 120.0},
        },
        {
            "user": "bob",
            "pages": 1,
            "interruptions": {"business": 0, "off_hours": 0, "sleep": 1},
            "seconds_on_call": 0.0,
            "seconds_on_call_level1": 0.0,
            "acknowledged": 1,
            "tta_seconds": {"mean": 600.0, "p50": 600.0, "p90": 600.0},
        },
        {
            "user": "carol",
            "pages": 0,
            "interruptions": {"business": 0, "off_hours": 0, "sleep": 0},
            "seconds_on_call": 0.0,
            "seconds_on_call_level1": 0.0,
            "acknowledged": 1,
            "tta_seconds": {"mean": None, "p50": None, "p90": None},
        },
    ]
    only_bob = responder_report(histories, messages, shifts, {}, PERIOD, people={"bob"})
    assert [r.user for r in only_bob] == ["bob"]


_span = st.tuples(st.integers(0, 1000), st.integers(1, 300)).map(
    lambda p: (T0 + timedelta(minutes=p[0]), T0 + timedelta(minutes=p[0] + p[1]))
)


@given(st.lists(_span, max_size=12), st.integers(0, 1200), st.integers(1, 1400))
def test_time_on_call_is_a_union_inside_the_period(
    spans: list[tuple[datetime, datetime]], start: int, length: int
) -> None:
    period = Period(T0 + timedelta(minutes=start), T0 + timedelta(minutes=start + length))
    covered = covered_seconds(spans, period)
    assert 0 <= covered <= period.seconds
    assert covered <= sum((e - s).total_seconds() for s, e in spans)
    # minute by minute, the same answer
    minutes = sum(
        1
        for m in range(start, start + length)
        if any(s <= T0 + timedelta(minutes=m) < e for s, e in spans)
    )
    assert covered == minutes * 60
