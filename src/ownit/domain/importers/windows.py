"""Restriction windows of a source as ownit restrictions (weekday sets with a local
``from``–``to``), exactly: a window longer than a day becomes whole-day windows (``from`` =
``to``, 24 local hours) on consecutive weekdays plus the rest on the day after; adjacent
windows join, so a person inside them stays on call without a break."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from ownit.domain.oncall.rotations import Restriction

DAY = 86_400
WEEK = 7 * DAY
ALL_DAYS = frozenset(range(7))


def _plus(start: time, seconds: int) -> time:
    return (datetime.combine(date(2000, 1, 3), start) + timedelta(seconds=seconds)).time()


def weekly(start_day: int, start: time, seconds: int) -> list[Restriction]:
    """A window opening on ``start_day`` (0 = Monday) at ``start`` for ``seconds`` (0 < s ≤ 1
    week; a whole week is every day, 24 hours from ``start``)."""
    if seconds >= WEEK:
        return [Restriction(ALL_DAYS, start, start)]
    full, rest = divmod(seconds, DAY)
    out: list[Restriction] = []
    if full:
        out.append(Restriction(frozenset((start_day + i) % 7 for i in range(full)), start, start))
    if rest:
        out.append(Restriction(frozenset({(start_day + full) % 7}), start, _plus(start, rest)))
    return out


def daily(start: time, seconds: int) -> list[Restriction]:
    """A window opening every day at ``start`` for ``seconds`` (0 < s ≤ 1 day)."""
    if seconds >= DAY:
        return [Restriction(ALL_DAYS, start, start)]
    return [Restriction(ALL_DAYS, start, _plus(start, seconds))]


def merged(windows: list[Restriction]) -> tuple[Restriction, ...]:
    """Windows with the same ``from`` and ``to`` as one restriction over all their days."""
    days: dict[tuple[time, time], set[int]] = {}
    for w in windows:
        days.setdefault((w.start, w.end), set()).update(w.days)
    return tuple(Restriction(frozenset(d), s, e) for (s, e), d in days.items())
