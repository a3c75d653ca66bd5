"""A person's private on-call calendar: the feed token, and their shifts in every schedule.

The token is the credential of the feed URL: random, shown once, stored as its SHA-256 hash
(one per user; making a new one replaces the old, whose URL stops working at once).

The feed covers :data:`PAST` back to :data:`AHEAD` ahead of ``now``. Shifts are computed over
a wider range whose ends fall on fixed week boundaries, so a shift's start (and with it the
event's ``UID``) does not move each time the feed is fetched; only a shift that begins before
that boundary, more than 30 days ago, starts at the boundary instead.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from ownit.app.clock import Clock
from ownit.app.oncall import Person, ScheduleStore, final_schedule
from ownit.app.tokens import hash_token
from ownit.domain.catalog import Schedule
from ownit.domain.errors import NotFound
from ownit.domain.oncall import schedules as calc

__all__ = [
    "AHEAD",
    "PAST",
    "CalendarFeed",
    "CalendarShift",
    "CalendarTokenStore",
    "FeedNotFound",
    "ScheduleFeedStore",
    "calendar_feed",
    "rotate_calendar_token",
]


class CalendarTokenStore(Protocol):
    def set_calendar_token(self, *, user: str, token_hash: str, at: datetime) -> bool:
        """Give ``user`` this feed token, replacing any other; ``False``: no such user."""
        ...

    def calendar_user(self, token_hash: str) -> str | None:
        """The user whose feed token has this hash."""
        ...


class ScheduleFeedStore(ScheduleStore, CalendarTokenStore, Protocol):
    """Schedules and feed tokens in one store: what the schedule pages, the Me page and
    ``ownit schedule`` use."""


PAST = timedelta(days=30)
AHEAD = timedelta(days=90)
PREFIX = "ownitcal_"
_WEEK = timedelta(weeks=1)
_EPOCH_MONDAY = datetime(1970, 1, 5, tzinfo=UTC)


class FeedNotFound(NotFound):
    """No feed has this token (never made, or rotated since); the token is not repeated."""

    def __init__(self) -> None:
        super().__init__("calendar feed", "…")
        self.args = ("no calendar feed at this address (its link may have been replaced)",)


@dataclass(frozen=True, slots=True)
class CalendarShift:
    schedule: str
    timezone: str
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class CalendarFeed:
    person: Person
    generated_at: datetime
    shifts: tuple[CalendarShift, ...]


def rotate_calendar_token(*, tokens: CalendarTokenStore, clock: Clock, user: str) -> str:
    """A new feed token for ``user`` (the old one stops working); shown only this once."""
    token = PREFIX + secrets.token_urlsafe(32)
    if not tokens.set_calendar_token(user=user, token_hash=hash_token(token), at=clock.now()):
        raise NotFound("user", user)
    return token


def calendar_feed(
    *, store: ScheduleStore, tokens: CalendarTokenStore, token: str, now: datetime
) -> CalendarFeed:
    """The shifts of the token's user in every schedule, ordered by start."""
    user = tokens.calendar_user(hash_token(token)) if token.startswith(PREFIX) else None
    if user is None:
        raise FeedNotFound()
    person = store.people([user]).get(user) or Person(user, user)
    window_start, window_end = now - PAST, now + AHEAD
    since, until = _week_floor(window_start), _week_floor(window_end) + _WEEK
    overrides = store.overrides(since=since, until=until)
    found: list[CalendarShift] = []
    for schedule in store.schedules():
        mine = [o for o in overrides if o.schedule == schedule.name]
        if not _mentions(schedule, user) and not any(o.user == user for o in mine):
            continue
        for shift in calc.shifts(final_schedule(schedule, mine), since, until):
            if shift.user == user and shift.end > window_start and shift.start < window_end:
                found.append(
                    CalendarShift(schedule.name, schedule.timezone, shift.start, shift.end)
                )
    found.sort(key=lambda s: (s.start, s.schedule))
    return CalendarFeed(person, now.astimezone(UTC), tuple(found))


def _mentions(schedule: Schedule, user: str) -> bool:
    return any(user in layer.users for layer in schedule.layers) or any(
        o.user == user for o in schedule.overrides
    )


def _week_floor(at: datetime) -> datetime:
    return _EPOCH_MONDAY + ((at - _EPOCH_MONDAY) // _WEEK) * _WEEK
