"""Paging drills: when a recurring drill runs next, and how a run scored.

A drill's ``schedule`` is weekdays and a local wall-clock time (``"Tue 10:00"``,
``"Mon,Thu 09:30"``, ``"Mon-Fri 10:00"``) in the drill's ``timezone``. Like a schedule's
handoff it keeps its wall-clock time across daylight-saving changes: a time that does not
exist that day (02:30 on spring-forward day) runs at the transition, an ambiguous one
(01:30 on fall-back day) at its first occurrence.

A run *met its target* when it was acknowledged within the drill's ``ackTarget``; it
*missed* when acknowledged later or never (it ended unacknowledged). A run still open and
inside its target has no verdict yet. Pure: time is an argument.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ownit.domain.oncall.rotations import local_to_utc

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
SCHEDULE_EXAMPLE = '"Tue 10:00", "Mon,Thu 09:30" or "Mon-Fri 10:00"'


class BadDrillSchedule(ValueError):
    """A schedule that is not weekdays and a time; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class DrillTimes:
    """When a recurring drill runs: these weekdays (0 = Monday) at ``at`` local time."""

    days: frozenset[int]
    at: time


def _day(word: str) -> int:
    key = word.strip().lower()[:3]
    if key not in WEEKDAYS or len(word.strip()) < 3:
        raise BadDrillSchedule(f"{word.strip()!r} is not a weekday (Mon … Sun)")
    return WEEKDAYS.index(key)


def parse_schedule(text: str) -> DrillTimes:
    """``"Tue 10:00"`` → Tuesdays at 10:00; days may be a list (``Mon,Thu``) or a range
    (``Mon-Fri``)."""
    parts = text.split()
    if len(parts) != 2:
        raise BadDrillSchedule(f"must be weekday(s) and a time, like {SCHEDULE_EXAMPLE}")
    days_text, at_text = parts
    matched = _TIME.match(at_text)
    if matched is None:
        raise BadDrillSchedule(f"{at_text!r} is not a time of day HH:MM (24-hour)")
    days: set[int] = set()
    for piece in days_text.split(","):
        if "-" in piece:
            first, _, last = piece.partition("-")
            start, end = _day(first), _day(last)
            if end < start:
                raise BadDrillSchedule(f"{piece!r} runs backwards (write Mon-Fri, not Fri-Mon)")
            days.update(range(start, end + 1))
        else:
            days.add(_day(piece))
    return DrillTimes(frozenset(days), time(int(matched[1]), int(matched[2])))


def schedule_text(times: DrillTimes) -> str:
    """The normal form: ``"Mon,Thu 09:30"`` (days in week order)."""
    days = ",".join(WEEKDAYS[d].capitalize() for d in sorted(times.days))
    return f"{days} {times.at.strftime('%H:%M')}"


def next_run(times: DrillTimes, zone: ZoneInfo, after: datetime) -> datetime:
    """The first run strictly after ``after`` (an aware instant), as an aware UTC instant."""
    local_day: date = after.astimezone(zone).date() - timedelta(days=1)
    for offset in range(9):
        day = local_day + timedelta(days=offset)
        if day.weekday() not in times.days:
            continue
        at = local_to_utc(datetime.combine(day, times.at), zone)
        if at > after:
            return at
    raise AssertionError("a weekly schedule runs within eight days")  # pragma: no cover


@dataclass(frozen=True, slots=True)
class Score:
    """How a run did: seconds from start to the first acknowledgement, and the verdict
    (``None`` while it is open and still inside its target)."""

    seconds_to_ack: int | None
    met_target: bool | None


def score(
    *,
    started_at: datetime,
    acknowledged_at: datetime | None,
    ack_target: timedelta,
    ended: bool,
    now: datetime,
) -> Score:
    if acknowledged_at is not None:
        took = max(acknowledged_at - started_at, timedelta(0))
        return Score(int(took.total_seconds()), took <= ack_target)
    if ended or now - started_at > ack_target:
        return Score(None, False)
    return Score(None, None)


def hit_rate(verdicts: Iterable[bool | None]) -> float | None:
    """The share of decided runs that met their target (``None``: no decided run yet)."""
    decided = [v for v in verdicts if v is not None]
    if not decided:
        return None
    return round(sum(1 for v in decided if v) / len(decided), 4)
