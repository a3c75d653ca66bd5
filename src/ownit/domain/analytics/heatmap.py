"""Interruptions by hour and weekday, in one viewer's time zone (the heat map's numbers)."""

from __future__ import annotations

from collections.abc import Iterable

from ownit.domain.analytics.period import Period
from ownit.domain.analytics.responders import Message, zone

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def heat_map(
    messages: Iterable[Message], timezone: str, period: Period, *, people: set[str] | None = None
) -> tuple[tuple[int, ...], ...]:
    """``counts[weekday][hour]`` (Monday = 0) of the messages delivered in ``period`` (only to
    ``people`` when given), by local time in ``timezone``; a bundle counts once."""
    counts = [[0] * 24 for _ in WEEKDAYS]
    where = zone(timezone)
    for user, _, at in set(messages):  # a Message is its (user, contact, at): a bundle once
        if period.holds(at) and (people is None or user in people):
            local = at.astimezone(where)
            counts[local.weekday()][local.hour] += 1
    return tuple(tuple(row) for row in counts)
