"""One schedule layer on its own: wall-clock rotation, handoffs and restriction windows.

Everything here is pure: time is always an argument. Instants are aware datetimes in UTC;
local wall-clock times (a layer's anchor, restriction edges) are naive datetimes read in the
schedule's time zone.

**Placing a local time on the timeline.** A wall-clock reading ``x`` happens at the first
instant whose local reading has reached ``x`` (:func:`local_to_utc`):

- a time that exists once is simply that instant;
- an ambiguous time (01:30 on fall-back day) happens at its first occurrence;
- a nonexistent time (02:30 on spring-forward day) happens at the transition, the first
  instant that exists after it (03:00 local in America/New_York). Python's ``zoneinfo``
  alone would give 03:30, so the transition is searched for.

This mapping never goes backwards (a later wall-clock time is never placed earlier), so
handoffs and window edges stay in order on any day.

**Rotation.** Turn ``k`` starts at ``anchor + k × turn length`` computed on the wall clock
(naive local arithmetic), then placed on the timeline as above; its user is
``users[k mod n]``. Hours are wall-clock hours too, like days and weeks: a 1-hour rotation
hands off on every full local hour. On spring-forward day the 02:00 turn therefore has no
length (02:00 and 03:00 are the same instant) and its user is skipped for that cycle; on
fall-back day the 01:00 turn lasts two real hours. Turns before the anchor have nobody: a
layer starts at its start.

**Restrictions.** A restriction hides the parts of a turn outside its windows and never
pauses the rotation. A window belongs to the day it starts on and runs from ``start`` to the
next ``end``: the same day when ``end > start``, the next day otherwise (``end < start``
runs overnight; ``start == end`` is a full 24 local hours from ``start``, so 00:00–00:00 is
the calendar day). Both edges are local times placed on the timeline as above, so a
09:00–17:00 window is 8 local hours on a daylight-saving day too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property, lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

Unit = Literal["hour", "day", "week"]
UNITS: tuple[Unit, ...] = ("hour", "day", "week")

_ONE_SECOND = timedelta(seconds=1)
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Rotation:
    """The turn length: ``count`` whole wall-clock hours, days or weeks."""

    count: int
    unit: Unit

    @cached_property
    def length(self) -> timedelta:
        """The turn length as wall-clock arithmetic (to add to a naive local time)."""
        if self.unit == "hour":
            return timedelta(hours=self.count)
        if self.unit == "day":
            return timedelta(days=self.count)
        return timedelta(weeks=self.count)


@dataclass(frozen=True)
class Restriction:
    """Weekdays (0 = Monday … 6 = Sunday) and a local window that starts on those days."""

    days: frozenset[int]
    start: time
    end: time

    def window(self, day: date) -> tuple[datetime, datetime]:
        """The local window starting on ``day``: up to the next ``end`` (overnight or 24 h)."""
        end_day = day if self.end > self.start else day + _ONE_DAY
        return datetime.combine(day, self.start), datetime.combine(end_day, self.end)


@dataclass(frozen=True)
class Layer:
    """Users taking turns from ``start`` (naive local wall-clock time, the rotation anchor)."""

    name: str
    start: datetime
    rotation: Rotation
    users: tuple[str, ...]
    restrictions: tuple[Restriction, ...] = ()


@dataclass(frozen=True)
class Shift:
    """``user`` is on call during ``[start, end)`` (UTC instants)."""

    user: str
    start: datetime
    end: datetime


def _to_local(instant: datetime, zone: ZoneInfo) -> datetime:
    """The naive wall-clock reading of an aware ``instant`` in ``zone``."""
    return instant.astimezone(zone).replace(tzinfo=None, fold=0)


def local_to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    """The first instant whose wall-clock reading in ``zone`` has reached ``local``.

    Ambiguous readings give their first occurrence; nonexistent readings give the transition
    that skipped them (the first instant that exists after them).
    """
    if local.tzinfo is not None or local.fold:
        local = local.replace(tzinfo=None, fold=0)
    return _place(local, zone)


@lru_cache(maxsize=1 << 16)
def _place(local: datetime, zone: ZoneInfo) -> datetime:
    """:func:`local_to_utc` of a naive, ``fold=0`` reading (remembered: schedules place the
    same handoff and window edges again and again)."""
    # Offsets read with fold=0 and fold=1 agree except around a transition: in a fold the
    # first (fold=0) offset is the larger one and gives the first occurrence; in a gap it is
    # the smaller one and the reading does not exist at all.
    before = zone.utcoffset(local)
    after = zone.utcoffset(local.replace(fold=1))
    assert before is not None
    assert after is not None
    if before >= after:
        return (local - before).replace(tzinfo=UTC)
    return _transition_after(local, zone)


def _transition_after(local: datetime, zone: ZoneInfo) -> datetime:
    """The transition instant of the gap that skips the nonexistent reading ``local``.

    With ``fold=0`` and ``fold=1`` the reading is read with the offsets before and after the
    gap; the transition lies between those two instants. Transitions are whole seconds, so
    the search runs over whole seconds for the first one whose reading reaches ``local``.
    """
    one = local.replace(tzinfo=zone).astimezone(UTC)
    other = local.replace(tzinfo=zone, fold=1).astimezone(UTC)
    low = min(one, other).replace(microsecond=0)  # before the gap: its reading is < local
    high = max(one, other).replace(microsecond=0) + _ONE_SECOND  # after: reading >= local
    steps = int((high - low).total_seconds())
    while steps > 1:
        half = steps // 2
        middle = low + timedelta(seconds=half)
        if _to_local(middle, zone) >= local:
            high, steps = middle, half
        else:
            low, steps = middle, steps - half
    return high


def _turn_start(layer: Layer, zone: ZoneInfo, k: int) -> datetime:
    """The instant turn ``k`` begins: the anchor plus ``k`` turn lengths of wall-clock time."""
    return local_to_utc(layer.start + k * layer.rotation.length, zone)


def _turn_at(layer: Layer, zone: ZoneInfo, at: datetime) -> int | None:
    """The turn ``k`` with ``start(k) <= at < start(k + 1)``; ``None`` before the layer starts.

    The local reading gives a first guess; the exact turn is found by comparing real handoff
    instants, which also steps over turns of no length.
    """
    k = max(0, (_to_local(at, zone) - layer.start) // layer.rotation.length)
    while k > 0 and _turn_start(layer, zone, k) > at:
        k -= 1
    if _turn_start(layer, zone, k) > at:
        return None
    while _turn_start(layer, zone, k + 1) <= at:
        k += 1
    return k


def layer_user_at(layer: Layer, zone: ZoneInfo, at: datetime) -> str | None:
    """Who this layer alone has on call at the instant ``at`` (restrictions applied)."""
    k = _turn_at(layer, zone, at)
    if k is None:
        return None
    if layer.restrictions and not _restriction_windows(layer, zone, at, at + _TICK):
        return None
    return layer.users[k % len(layer.users)]


_TICK = timedelta(microseconds=1)  # the smallest interval: [t, t + tick) holds only t


def _turns(layer: Layer, zone: ZoneInfo, since: datetime, until: datetime) -> list[Shift]:
    """The layer's turns, clipped to ``[since, until)``, without restrictions.

    Turns of no length are left out; consecutive turns of the same user are kept apart.
    """
    k = _turn_at(layer, zone, since)
    k = 0 if k is None else k
    start = _turn_start(layer, zone, k)
    result: list[Shift] = []
    while start < until:
        end = _turn_start(layer, zone, k + 1)
        clipped_start, clipped_end = max(start, since), min(end, until)
        if clipped_start < clipped_end:
            result.append(Shift(layer.users[k % len(layer.users)], clipped_start, clipped_end))
        k, start = k + 1, end
    return result


def _restriction_windows(
    layer: Layer, zone: ZoneInfo, since: datetime, until: datetime
) -> list[tuple[datetime, datetime]]:
    """The layer's restriction windows meeting ``[since, until)``, as merged UTC intervals.

    Windows start on local days from two days before ``since`` (overnight and 24-hour windows
    reach into the next day) to one day after ``until`` (a fold at midnight can make the
    local reading lag the day a window starts on).
    """
    day = _to_local(since, zone).date() - 2 * _ONE_DAY
    last = _to_local(until, zone).date() + _ONE_DAY
    windows: list[tuple[datetime, datetime]] = []
    while day <= last:
        for restriction in layer.restrictions:
            if day.weekday() in restriction.days:
                local_start, local_end = restriction.window(day)
                start, end = local_to_utc(local_start, zone), local_to_utc(local_end, zone)
                if start < end and start < until and end > since:
                    windows.append((start, end))
        day += _ONE_DAY
    return _merge(sorted(windows))


def _merge(intervals: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Sorted intervals with the overlapping and touching ones joined."""
    merged: list[tuple[datetime, datetime]] = []
    for start, end in intervals:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _restrict(pieces: list[Shift], windows: list[tuple[datetime, datetime]]) -> list[Shift]:
    """The parts of the sorted ``pieces`` that lie inside the sorted, disjoint ``windows``."""
    result: list[Shift] = []
    w = 0
    for piece in pieces:
        while w < len(windows) and windows[w][1] <= piece.start:
            w += 1
        v = w
        while v < len(windows) and windows[v][0] < piece.end:
            start, end = max(piece.start, windows[v][0]), min(piece.end, windows[v][1])
            if start < end:
                result.append(Shift(piece.user, start, end))
            v += 1
    return result


def layer_pieces(layer: Layer, zone: ZoneInfo, since: datetime, until: datetime) -> list[Shift]:
    """The layer's shifts within ``[since, until)``: its turns cut to its restriction windows."""
    pieces = _turns(layer, zone, since, until)
    if not layer.restrictions:
        return pieces
    return _restrict(pieces, _restriction_windows(layer, zone, since, until))
