"""A schedule as the web UI shows it: each layer alone, the overrides, the final answer, gaps;
overrides made from a form (local times, an optional person being replaced); one person's
shifts in every schedule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from ownit.app import oncall
from ownit.app.clock import Clock
from ownit.app.oncall import InvalidOnCallRequest, OverrideView, ScheduleStore, StoredOverride
from ownit.domain.catalog import Schedule
from ownit.domain.oncall import schedules as calc
from ownit.domain.oncall.rotations import local_to_utc

__all__ = [
    "MAX_DAYS",
    "MyShift",
    "ScheduleView",
    "create_overrides",
    "local_instant",
    "schedule_view",
    "user_shifts",
]

MAX_DAYS = 28


@dataclass(frozen=True, slots=True)
class ScheduleView:
    schedule: Schedule
    since: datetime
    until: datetime
    layers: tuple[tuple[str, tuple[calc.Shift, ...]], ...]  # (layer name, its shifts)
    overrides: tuple[OverrideView, ...]  # those meeting [since, until), catalog and API
    shifts: tuple[calc.Shift, ...]  # the final schedule
    gaps: tuple[tuple[datetime, datetime], ...]
    on_call_now: str | None


def schedule_view(
    *, store: ScheduleStore, name: str, since: datetime, until: datetime, now: datetime
) -> ScheduleView:
    """``name`` between ``since`` and ``until`` (at most :data:`MAX_DAYS` days)."""
    since, until = oncall.instant("since", since), oncall.instant("until", until)
    if until <= since:
        raise InvalidOnCallRequest("until", "must be after since")
    if until - since > timedelta(days=MAX_DAYS):
        raise InvalidOnCallRequest("days", f"at most {MAX_DAYS} days")
    schedule = oncall.get_schedule(store=store, name=name)
    stored = store.overrides(since=min(since, now), until=max(until, now), schedule=name)
    final = oncall.final_schedule(schedule, stored)
    layers = tuple(
        (layer.name, tuple(calc.layer_shifts(final, i, since, until)))
        for i, layer in enumerate(schedule.layers)
    )
    overrides = tuple(
        o for o in oncall.list_overrides(store=store, schedule=name, since=since) if o.start < until
    )
    return ScheduleView(
        schedule,
        since,
        until,
        layers,
        overrides,
        tuple(calc.shifts(final, since, until)),
        tuple(calc.gaps(final, since, until)),
        calc.on_call(final, oncall.instant("now", now)),
    )


def local_instant(field: str, text: str, zone: str) -> datetime:
    """An instant from a form: ``2026-11-27T18:00`` is read on the wall clock of ``zone``
    (a time that does not exist there is moved to the transition), one with an offset as is."""
    value = text.strip().replace(" ", "T", 1)
    if not value:
        raise InvalidOnCallRequest(field, "is required")
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidOnCallRequest(
            field, f"{text.strip()[:40]!r} is not a date and time (write 2026-11-27T18:00)"
        ) from None
    if parsed.tzinfo is not None:
        return parsed.astimezone(UTC)
    return local_to_utc(parsed, ZoneInfo(zone))


def create_overrides(
    *,
    store: ScheduleStore,
    clock: Clock,
    schedule: str,
    user: str,
    start: datetime,
    end: datetime,
    by: str,
    replacing: str | None = None,
) -> list[StoredOverride]:
    """Put ``user`` on call during ``[start, end)``; with ``replacing``, only where that
    person is on call then (one override per shift of theirs). Every check comes before the
    first row is written."""
    start, end = oncall.instant("start", start), oncall.instant("end", end)
    found = oncall.get_schedule(store=store, name=schedule)
    if not store.people([user]):
        raise InvalidOnCallRequest("user", f"there is no user named {user!r}")
    if end <= start:
        raise InvalidOnCallRequest("end", "must be after start")
    now = clock.now()
    if end <= now:
        raise InvalidOnCallRequest("end", "is in the past: an override must end in the future")
    if end - start > oncall.MAX_RANGE:
        days = oncall.MAX_RANGE.days
        raise InvalidOnCallRequest("end", f"an override may last at most {days} days")
    pieces = [(start, end)]
    if replacing:
        if not store.people([replacing]):
            raise InvalidOnCallRequest("replacing", f"there is no user named {replacing!r}")
        if replacing == user:
            raise InvalidOnCallRequest("replacing", "cannot replace someone with themselves")
        final = oncall.final_schedule(
            found, store.overrides(since=start, until=end, schedule=schedule)
        )
        pieces = [
            (s.start, s.end)
            for s in calc.shifts(final, max(start, now), end)
            if s.user == replacing
        ]
        if not pieces:
            raise InvalidOnCallRequest(
                "replacing", f"{replacing} is not on call in {schedule} at that time"
            )
    return [
        oncall.add_override(
            store=store, clock=clock, schedule=schedule, user=user, start=a, end=b, by=by
        )
        for a, b in pieces
    ]


@dataclass(frozen=True, slots=True)
class MyShift:
    schedule: str
    timezone: str
    start: datetime
    end: datetime


def user_shifts(
    *, store: ScheduleStore, user: str, since: datetime, until: datetime
) -> list[MyShift]:
    """``user``'s shifts in every schedule within ``[since, until)``, by start."""
    since, until = oncall.instant("since", since), oncall.instant("until", until)
    overrides = store.overrides(since=since, until=until)
    found: list[MyShift] = []
    for schedule in store.schedules():
        mine = [o for o in overrides if o.schedule == schedule.name]
        mentioned = (
            any(user in layer.users for layer in schedule.layers)
            or any(o.user == user for o in schedule.overrides)
            or any(o.user == user for o in mine)
        )
        if not mentioned:
            continue
        try:
            shifts = calc.shifts(oncall.final_schedule(schedule, mine), since, until)
        except ValueError:  # a stored spec the calculator refuses: nothing to show
            continue
        found += [
            MyShift(schedule.name, schedule.timezone, s.start, s.end)
            for s in shifts
            if s.user == user
        ]
    return sorted(found, key=lambda s: (s.start, s.schedule))
