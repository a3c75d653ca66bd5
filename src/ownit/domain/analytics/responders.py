"""Per-responder figures: pages, interruptions, time on call and the person's own TTA."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ownit.domain.analytics.history import Drills, IncidentHistory, counted
from ownit.domain.analytics.period import Period
from ownit.domain.analytics.stats import Summary, summarize


class Bucket(StrEnum):
    """When an interruption landed, in the person's own time zone (exclusive buckets)."""

    BUSINESS = "business"  # Mon–Fri 08:00–18:00
    OFF_HOURS = "off_hours"  # Mon–Fri 18:00–22:00, Sat–Sun 08:00–22:00
    SLEEP = "sleep"  # every day 22:00–08:00


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    """The zone named so; UTC when there is none by that name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def bucket(at: datetime, timezone: str) -> Bucket:
    """The bucket of the instant ``at`` for a person living in ``timezone`` (an unknown zone
    is read as UTC)."""
    local = at.astimezone(zone(timezone))
    if local.hour >= 22 or local.hour < 8:
        return Bucket.SLEEP
    if local.weekday() < 5 and 8 <= local.hour < 18:
        return Bucket.BUSINESS
    return Bucket.OFF_HOURS


NOT_LOAD = frozenset({"postmortem.reminder"})
"""Outbox kinds that are no on-call load: a postmortem reminder is an e-mail about work
due, not a page, so it is neither an interruption nor noise (decision 0057)."""


class Message(NamedTuple):
    """A notification delivered to ``user`` on ``contact`` at ``at``. Several rows with the
    same user, contact and instant are one message (a bundle of several incidents). A tuple:
    thousands are built per report."""

    user: str
    contact: str
    at: datetime


@dataclass(frozen=True, slots=True)
class OnCallShift:
    """``user`` was on call in some schedule during ``[start, end)``; ``level1`` when a
    policy's first level targets that schedule."""

    user: str
    start: datetime
    end: datetime
    level1: bool = False


@dataclass(frozen=True, slots=True)
class ResponderFigures:
    user: str
    pages: int = 0
    interruptions: Mapping[Bucket, int] = field(default_factory=dict)
    seconds_on_call: float = 0.0
    seconds_on_call_level1: float = 0.0
    acknowledged: int = 0
    tta: Summary = field(default_factory=Summary)

    def as_dict(self) -> dict[str, Any]:
        return {
            "user": self.user,
            "pages": self.pages,
            "interruptions": {b.value: self.interruptions.get(b, 0) for b in Bucket},
            "seconds_on_call": self.seconds_on_call,
            "seconds_on_call_level1": self.seconds_on_call_level1,
            "acknowledged": self.acknowledged,
            "tta_seconds": self.tta.as_dict(),
        }


def covered_seconds(spans: Iterable[tuple[datetime, datetime]], period: Period) -> float:
    """Seconds of ``period`` inside the union of ``spans`` (overlaps count once)."""
    clipped = sorted(
        (max(s, period.since), min(e, period.until))
        for s, e in spans
        if min(e, period.until) > max(s, period.since)
    )
    total = 0.0
    current: tuple[datetime, datetime] | None = None
    for start, end in clipped:
        if current is None or start > current[1]:
            if current is not None:
                total += (current[1] - current[0]).total_seconds()
            current = (start, end)
        else:
            current = (current[0], max(current[1], end))
    if current is not None:
        total += (current[1] - current[0]).total_seconds()
    return total


class Response(NamedTuple):
    """One person's part in one counted incident: when they were first paged for it and
    when they first acknowledged it explicitly (``None``: never)."""

    incident: str
    user: str
    paged_at: datetime | None
    acknowledged_at: datetime | None


def responses_of(
    histories: Iterable[IncidentHistory], period: Period, drills: Drills = Drills.EXCLUDE
) -> list[Response]:
    """Each person's response to each incident counted in ``period``."""
    found = []
    for h in histories:
        if not counted(h, period.since, period.until, drills):
            continue
        users = {p.user for p in h.pages} | {a.by for a in h.acknowledgements if a.explicit}
        found += [
            Response(h.id, user, h.first_paged(user), h.acknowledged_by(user))
            for user in sorted(users)
        ]
    return found


def responder_report(
    histories: Iterable[IncidentHistory],
    messages: Iterable[Message],
    shifts: Iterable[OnCallShift],
    zones: Mapping[str, str],
    period: Period,
    *,
    people: Collection[str] | None = None,
    drills: Drills = Drills.EXCLUDE,
) -> list[ResponderFigures]:
    """:func:`report_of_responses` on the responses of these histories."""
    return report_of_responses(
        responses_of(histories, period, drills), messages, shifts, zones, period, people=people
    )


def report_of_responses(
    responses: Iterable[Response],
    messages: Iterable[Message],
    shifts: Iterable[OnCallShift],
    zones: Mapping[str, str],
    period: Period,
    *,
    people: Collection[str] | None = None,
) -> list[ResponderFigures]:
    """Everyone with a page, an interruption, an acknowledgement or time on call in
    ``period`` (only ``people`` when given), by name.

    - pages: counted incidents the person was paged for (``responses``: of counted
      incidents only, one per incident and person);
    - interruptions: messages delivered in the period, bucketed in the person's zone
      (``zones``; UTC when missing);
    - time on call: the union of their shifts, and of their level-1 shifts, inside the period;
    - acknowledged and TTA: counted incidents they acknowledged explicitly, TTA from their
      first page to their acknowledgement (only when a page came first).
    """
    pages: dict[str, int] = {}
    acks: dict[str, int] = {}
    ttas: dict[str, list[float]] = {}
    for r in responses:
        user, paged, acked = r.user, r.paged_at, r.acknowledged_at
        if paged is not None:
            pages[user] = pages.get(user, 0) + 1
        if acked is not None:
            acks[user] = acks.get(user, 0) + 1
            if paged is not None and paged <= acked:
                ttas.setdefault(user, []).append((acked - paged).total_seconds())
    interruptions: dict[str, dict[Bucket, int]] = {}
    for user, _, at in set(messages):  # a Message is its (user, contact, at): a bundle once
        if period.holds(at):
            per = interruptions.setdefault(user, {})
            b = bucket(at, zones.get(user, "UTC"))
            per[b] = per.get(b, 0) + 1
    spans: dict[str, list[tuple[datetime, datetime]]] = {}
    level1: dict[str, list[tuple[datetime, datetime]]] = {}
    for s in shifts:
        spans.setdefault(s.user, []).append((s.start, s.end))
        if s.level1:
            level1.setdefault(s.user, []).append((s.start, s.end))
    on_call = {u: covered_seconds(v, period) for u, v in spans.items()}
    names = set(pages) | set(acks) | set(interruptions) | {u for u, s in on_call.items() if s}
    if people is not None:
        names &= set(people)
    return [
        ResponderFigures(
            user=user,
            pages=pages.get(user, 0),
            interruptions=interruptions.get(user, {}),
            seconds_on_call=on_call.get(user, 0.0),
            seconds_on_call_level1=covered_seconds(level1.get(user, ()), period),
            acknowledged=acks.get(user, 0),
            tta=summarize(ttas.get(user, ())),
        )
        for user in sorted(names)
    ]
