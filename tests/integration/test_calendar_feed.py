"""Private iCalendar feeds: token links, RFC 5545 as the ``icalendar`` library reads it, DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar
import pytest

from tests.integration import oncall_catalog
from tests.integration.conftest import Ctx

# A daily 09:00 handoff in Europe/Berlin across the spring-forward night (29 March 2026):
# alice's turns are the even days from Monday 2 March.
DST = """\
apiVersion: ownit/v1
kind: Schedule
metadata: {name: berlin-days}
spec:
  timezone: Europe/Berlin
  layers:
    - name: days
      start: "2026-03-02T09:00:00"
      rotation: 1d
      users: [alice, bob]
"""


@pytest.fixture
def cal(ctx: Ctx) -> Ctx:
    oncall_catalog.apply(ctx.engine, oncall_catalog.ORG + "---\n" + DST)
    ctx.clock.current = datetime(2026, 3, 20, 12, tzinfo=UTC)
    return ctx


def link(ctx: Ctx, user: str = "alice") -> str:
    response = ctx.client.post(f"/api/v1/users/{user}/calendar-token", headers=ctx.admin)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["user"] == user
    url = str(body["url"])
    assert url.startswith("http://127.0.0.1:8080/calendar/ownitcal_")
    assert url.endswith(".ics")
    return url.removeprefix("http://127.0.0.1:8080")


def fetch(ctx: Ctx, path: str) -> tuple[bytes, icalendar.Calendar]:
    response = ctx.client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    return response.content, icalendar.Calendar.from_ical(response.content)


def events(calendar: icalendar.Calendar) -> list[tuple[str, datetime, datetime]]:
    return [
        (str(e["SUMMARY"]), e.decoded("DTSTART"), e.decoded("DTEND"))
        for e in calendar.walk("VEVENT")
    ]


def test_the_feed_is_rfc_5545_with_crlf_lines(cal: Ctx) -> None:
    raw, calendar = fetch(cal, link(cal))
    assert raw.endswith(b"END:VCALENDAR\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    assert calendar["VERSION"] == "2.0"
    assert str(calendar["PRODID"]) == "-//ownit//on-call feed//EN"
    assert calendar["METHOD"] == "PUBLISH"
    assert calendar["X-WR-CALNAME"] == "On call: Alice Liddell"
    assert b"\r\nDTSTART:20260302T080000Z\r\nDTEND:20260303T080000Z\r\n" in raw
    for event in calendar.walk("VEVENT"):
        assert event.decoded("DTSTAMP") == datetime(2026, 3, 20, 12, tzinfo=UTC)
        assert str(event["UID"]).endswith("@127.0.0.1")


def test_shifts_keep_their_local_handoff_across_daylight_saving(cal: Ctx) -> None:
    _, calendar = fetch(cal, link(cal))
    found = events(calendar)
    assert {summary for summary, _, _ in found} == {"On call: berlin-days"}
    shifts = [(start, end) for _, start, end in found]
    # 30 days back (20 February: before the layer starts on 2 March) to 90 days ahead.
    assert shifts[0] == (datetime(2026, 3, 2, 8, tzinfo=UTC), datetime(2026, 3, 3, 8, tzinfo=UTC))
    assert (  # 09:00 CET to 09:00 CEST: 23 hours
        datetime(2026, 3, 28, 8, tzinfo=UTC),
        datetime(2026, 3, 29, 7, tzinfo=UTC),
    ) in shifts
    assert (datetime(2026, 3, 30, 7, tzinfo=UTC), datetime(2026, 3, 31, 7, tzinfo=UTC)) in shifts
    assert shifts[-1][0] < datetime(2026, 6, 18, 12, tzinfo=UTC) <= shifts[-1][1]
    assert all(start.hour in (7, 8) and start.minute == 0 for start, _ in shifts)
    assert all(end - start in (timedelta(hours=23), timedelta(hours=24)) for start, end in shifts)


def test_overrides_show_in_the_feed_and_uids_are_stable(cal: Ctx) -> None:
    path = link(cal)
    _, before = fetch(cal, path)
    uids = {e.decoded("DTSTART"): str(e["UID"]) for e in before.walk("VEVENT")}
    assert len(set(uids.values())) == len(uids)
    for start, end in (  # 25 March is bob's day: alice stays an hour longer, then is back
        ("2026-03-25T09:00+01:00", "2026-03-25T10:00+01:00"),
        ("2026-03-25T12:00+01:00", "2026-03-25T14:00+01:00"),
    ):
        response = cal.client.post(
            "/api/v1/schedules/berlin-days/overrides",
            json={"user": "alice", "start": start, "end": end},
            headers=cal.admin,  # changing a schedule takes a manager or an admin
        )
        assert response.status_code == 201, response.text
    cal.clock.advance(days=1)
    _, after = fetch(cal, path)
    later = {e.decoded("DTSTART"): e for e in after.walk("VEVENT")}
    extended = later[datetime(2026, 3, 24, 8, tzinfo=UTC)]
    assert extended.decoded("DTEND") == datetime(2026, 3, 25, 9, tzinfo=UTC)
    assert str(extended["UID"]) == uids[datetime(2026, 3, 24, 8, tzinfo=UTC)]
    new = later[datetime(2026, 3, 25, 11, tzinfo=UTC)]
    assert new.decoded("DTEND") == datetime(2026, 3, 25, 13, tzinfo=UTC)
    assert str(new["UID"]) not in uids.values()
    kept = set(uids) & set(later)
    assert len(kept) == len(uids)  # a day later, every earlier shift is still there
    assert all(uids[start] == str(later[start]["UID"]) for start in kept)


def test_a_new_link_replaces_the_old_one(cal: Ctx) -> None:
    old = link(cal)
    assert cal.client.get(old).status_code == 200
    new = link(cal)
    assert new != old
    response = cal.client.get(old)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "ownitcal_" not in response.json()["detail"]
    assert cal.client.get(new).status_code == 200


def test_unknown_feeds_and_users(cal: Ctx) -> None:
    assert cal.client.get("/calendar/ownitcal_nothing.ics").status_code == 404
    assert cal.client.get("/calendar/whatever.ics").status_code == 404
    response = cal.client.post("/api/v1/users/zoe/calendar-token", headers=cal.admin)
    assert response.status_code == 404
    assert response.json()["detail"] == "user 'zoe' does not exist"


def test_a_user_without_shifts_gets_an_empty_calendar(cal: Ctx) -> None:
    _, calendar = fetch(cal, link(cal, "dave"))  # weekend starts in November
    assert events(calendar) == []
    assert calendar["X-WR-CALNAME"] == "On call: Dave Bowman"
