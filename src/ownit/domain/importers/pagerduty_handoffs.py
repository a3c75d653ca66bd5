"""PagerDuty turns that are not whole days, as ownit layers with the same hand-offs.

PagerDuty counts such turns in elapsed seconds: turn ``k`` runs ``phase + k·L`` to
``phase + (k+1)·L`` whatever the clocks do. ownit hands off on the local wall clock, which is
the same thing between two DST changes and an hour apart after one. So (decision 0064):

- the layer is anchored at PagerDuty's last hand-off at or before ``base`` (the later of the
  import's ``--now`` and the layer's ``start``), with the users rotated to that turn;
- at each DST change up to ``HORIZON`` after it, a further layer (a *segment*) takes over,
  anchored so that its turns are PagerDuty's again. Segments carry the same users and
  restrictions and are placed right after the one before, so the later one wins from its
  start and the earlier one never shows through (their restriction windows are the same
  local hours).

Where the clocks go **forward** by ``d`` the segment is anchored one turn before the first
hand-off after the change, on the new wall clock: that reading lies ``d`` after the turn's
real start, so the segment starts inside the turn that straddles the change, with the same
user, no later than the earlier segment's wall-clock hand-off goes wrong.

Where the clocks go **back**, a hand-off inside the repeated hour cannot be written as a
wall-clock time (a reading there names its first occurrence): the segment starts at the
first later hand-off whose reading is unique, and the stretch in between keeps the earlier
user. That stretch is returned as a :class:`Mismatch` for the report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

HORIZON = timedelta(days=366)
_STEP = timedelta(hours=6)


@dataclass(frozen=True, slots=True)
class Segment:
    """Turn ``first`` of the PagerDuty layer starts at the naive local ``anchor``;
    ``change`` is the DST change the segment follows (``None`` for the first)."""

    anchor: datetime
    first: int
    change: datetime | None


@dataclass(frozen=True, slots=True)
class Mismatch:
    """During ``[start, end)`` ownit keeps turn ``kept``'s user where PagerDuty has turn
    ``kept + 1``'s (a hand-off inside an hour the clocks repeat)."""

    start: datetime
    end: datetime
    kept: int


def local(instant: datetime, zone: ZoneInfo) -> datetime:
    """The naive wall-clock reading of ``instant`` in ``zone``."""
    return instant.astimezone(zone).replace(tzinfo=None, fold=0)


def _offset(instant: datetime, zone: ZoneInfo) -> timedelta:
    found = instant.astimezone(zone).utcoffset()
    assert found is not None
    return found


def _ambiguous(instant: datetime, zone: ZoneInfo) -> bool:
    reading = local(instant, zone)
    return zone.utcoffset(reading) != zone.utcoffset(reading.replace(fold=1))


def transitions(
    zone: ZoneInfo, since: datetime, until: datetime
) -> list[tuple[datetime, timedelta]]:
    """Each instant in ``(since, until]`` where the zone's UTC offset changes, with the change
    (positive: clocks go forward)."""
    found: list[tuple[datetime, timedelta]] = []
    at = since.astimezone(UTC)
    before = _offset(at, zone)
    while at < until:
        nxt = min(at + _STEP, until)
        after = _offset(nxt, zone)
        if after != before:
            low, high = at, nxt  # offset(low) == before, offset(high) == after
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) // 2
                if _offset(middle, zone) == before:
                    low = middle
                else:
                    high = middle
            found.append((high.replace(microsecond=0), after - before))
            before = after
        at = nxt
    return found


def segments(
    phase: datetime, length: timedelta, base: datetime, zone: ZoneInfo
) -> tuple[list[Segment], list[Mismatch]]:
    """The segments that repeat PagerDuty's elapsed hand-offs from the last one at or before
    ``base`` until ``HORIZON`` after it, and the stretches they cannot repeat."""
    phase, base = phase.astimezone(UTC), base.astimezone(UTC)
    first = (base - phase) // length
    found = [Segment(local(phase + first * length, zone), first, None)]
    missed: list[Mismatch] = []
    for change, step in transitions(zone, phase + first * length, base + HORIZON):
        after = -((phase - change) // length)  # the first hand-off at or after the change
        if step > timedelta(0):
            anchor = local(phase + after * length, zone) - length
            found.append(Segment(anchor, after - 1, change))
            continue
        unique = after
        while _ambiguous(phase + unique * length, zone):
            unique += 1
        found.append(Segment(local(phase + unique * length, zone), unique, change))
        if unique > after:
            start = phase + after * length
            end = min(phase + unique * length, start - step)
            missed.append(Mismatch(start, end, after - 1))
    return found, missed
