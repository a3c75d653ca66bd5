"""Who is on call: schedules with their overrides, shifts and gaps, everyone now, overrides.

A schedule's final answer merges the overrides written in the catalog with the overrides
made through the API or the CLI (``schedule_overrides``). The API's come after the catalog's
(oldest first), and in the calculator a later override wins, so where overrides overlap an
API override beats a catalog override and the most recently created API override wins.

Every instant given must be aware (an offset or ``Z``); instants returned are UTC.
:class:`ScheduleStore` is what these use cases need from storage.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from ownit.app.clock import Clock
from ownit.domain.catalog import EscalationPolicy, PolicyLevel, Schedule
from ownit.domain.catalog.schedules import calculator
from ownit.domain.errors import FieldError, NotFound
from ownit.domain.oncall import schedules as calc

__all__ = [
    "MAX_RANGE",
    "NEXT_HORIZON",
    "Everyone",
    "Handoff",
    "InvalidOnCallRequest",
    "LevelOnCall",
    "OnCall",
    "OverrideView",
    "Person",
    "ScheduleStore",
    "ServiceOnCall",
    "ServicePolicy",
    "StoredOverride",
    "Timeline",
    "add_override",
    "delete_override",
    "everyone",
    "final_schedule",
    "get_schedule",
    "handoffs",
    "instant",
    "list_overrides",
    "list_schedules",
    "on_call",
    "on_call_names",
    "timeline",
]

MAX_RANGE = timedelta(days=90)
_TICK = timedelta(microseconds=1)


# --- what the on-call use cases need from storage ---------------------------------------------


@dataclass(frozen=True, slots=True)
class Person:
    """A user as the on-call answers show them."""

    name: str
    display_name: str
    email: str | None = None


@dataclass(frozen=True, slots=True)
class StoredOverride:
    """An override made through the API or the CLI (``schedule_overrides``): UTC instants."""

    id: int
    schedule: str
    user: str
    start: datetime
    end: datetime
    created_by: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ServicePolicy:
    """A service and its escalation policy (``None`` when it has none). A monolith's
    component with a policy of its own is one too, named ``service/component``."""

    service: str
    policy: EscalationPolicy | None


class ScheduleStore(Protocol):
    def schedules(self) -> list[Schedule]:
        """Every stored schedule, by name."""
        ...

    def schedule(self, name: str) -> Schedule | None: ...

    def overrides(
        self, *, since: datetime, until: datetime | None = None, schedule: str | None = None
    ) -> list[StoredOverride]:
        """Overrides that meet ``[since, until)`` (no ``until``: that end after ``since``),
        of one schedule or of all, oldest first (by creation)."""
        ...

    def add_override(
        self,
        *,
        schedule: str,
        user: str,
        start: datetime,
        end: datetime,
        created_by: str,
        created_at: datetime,
    ) -> StoredOverride | None:
        """The new override; ``None`` when there is no such schedule."""
        ...

    def delete_override(self, *, schedule: str, override_id: int, at: datetime) -> bool:
        """``False`` when the schedule has no override with that id."""
        ...

    def people(self, names: Collection[str]) -> dict[str, Person]:
        """The users among ``names`` that exist."""
        ...

    def service_policies(self, only: Collection[str] | None = None) -> list[ServicePolicy]:
        """Every service with its escalation policy, by service name, each followed by its
        components that have a policy of their own (``service/component``); with ``only``,
        just those named there."""
        ...


# --- refusals and answers ---------------------------------------------------------------------


class InvalidOnCallRequest(FieldError):
    """A request the rules refuse; ``field`` names the input at fault."""


@dataclass(frozen=True, slots=True)
class OnCall:
    """Who is on call in ``schedule`` at ``at``: one person, or nobody (a gap)."""

    schedule: str
    at: datetime
    people: tuple[Person, ...]


@dataclass(frozen=True, slots=True)
class Timeline:
    """The final schedule within ``[since, until)``: shifts and the gaps between them."""

    schedule: str
    since: datetime
    until: datetime
    shifts: tuple[calc.Shift, ...]
    gaps: tuple[tuple[datetime, datetime], ...]


@dataclass(frozen=True, slots=True)
class LevelOnCall:
    level: int  # 1-based
    people: tuple[Person, ...]


@dataclass(frozen=True, slots=True)
class ServiceOnCall:
    """Who each level of a service's escalation policy would page at that instant."""

    service: str
    escalation_policy: str | None
    levels: tuple[LevelOnCall, ...]


@dataclass(frozen=True, slots=True)
class Everyone:
    at: datetime
    schedules: tuple[OnCall, ...]
    services: tuple[ServiceOnCall, ...]


@dataclass(frozen=True, slots=True)
class OverrideView:
    """An override as listed: from the catalog (no id) or made through the API."""

    schedule: str
    user: str
    start: datetime
    end: datetime
    source: str  # catalog | api
    id: int | None = None
    created_by: str | None = None
    created_at: datetime | None = None


def instant(field: str, value: datetime) -> datetime:
    """``value`` in UTC; naive values are refused, naming ``field``."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidOnCallRequest(
            field, f"{value.isoformat()} has no UTC offset (write …Z or …+01:00)"
        )
    return value.astimezone(UTC)


# --- reading ----------------------------------------------------------------------------------


def list_schedules(*, store: ScheduleStore) -> list[Schedule]:
    return store.schedules()


def get_schedule(*, store: ScheduleStore, name: str) -> Schedule:
    found = store.schedule(name)
    if found is None:
        raise NotFound("schedule", name)
    return found


def final_schedule(schedule: Schedule, overrides: Iterable[StoredOverride] = ()) -> calc.Schedule:
    """The calculator's schedule with the API overrides of ``schedule`` after its own."""
    extra = [
        calc.Override(o.user, o.start, o.end) for o in overrides if o.schedule == schedule.name
    ]
    return calculator(schedule, extra)


def _people(store: ScheduleStore, names: Sequence[str]) -> tuple[Person, ...]:
    found = store.people(set(names))
    return tuple(found.get(n) or Person(n, n) for n in names)


def on_call(*, store: ScheduleStore, name: str, at: datetime) -> OnCall:
    at = instant("at", at)
    schedule = get_schedule(store=store, name=name)
    overrides = store.overrides(since=at, until=at + _TICK, schedule=name)
    user = calc.on_call(final_schedule(schedule, overrides), at)
    return OnCall(name, at, _people(store, [user] if user else []))


def on_call_names(
    *,
    store: ScheduleStore,
    name: str,
    at: datetime,
    known: Mapping[str, Schedule] | None = None,
    overrides: Sequence[StoredOverride] | None = None,
) -> tuple[str, ...]:
    """The names on call in ``name`` at ``at`` for escalation: none for an unknown schedule.
    What the caller has read already is not read again: ``known``, the schedules (the
    service page's kept catalog snapshot, decision 0067); ``overrides``, the API overrides
    of every schedule that end after ``at`` (oldest first, as :meth:`ScheduleStore.overrides`
    gives them)."""
    schedule = store.schedule(name) if known is None else known.get(name)
    if schedule is None:
        return ()
    at = instant("at", at)
    if overrides is None:
        overrides = store.overrides(since=at, until=at + _TICK, schedule=name)
    else:  # those the query above would return, in the same order
        overrides = [
            o for o in overrides if o.schedule == name and o.start < at + _TICK and o.end > at
        ]
    try:
        user = calc.on_call(final_schedule(schedule, overrides), at)
    except ValueError:  # a stored spec the calculator refuses: nobody, the level is skipped
        return ()
    return (user,) if user is not None else ()


def timeline(*, store: ScheduleStore, name: str, since: datetime, until: datetime) -> Timeline:
    """Shifts and gaps within ``[since, until)``, at most :data:`MAX_RANGE` long."""
    since, until = instant("since", since), instant("until", until)
    if until <= since:
        raise InvalidOnCallRequest("until", "must be after since")
    if until - since > MAX_RANGE:
        raise InvalidOnCallRequest("until", f"the range may span at most {MAX_RANGE.days} days")
    schedule = get_schedule(store=store, name=name)
    final = final_schedule(schedule, store.overrides(since=since, until=until, schedule=name))
    return Timeline(
        name,
        since,
        until,
        tuple(calc.shifts(final, since, until)),
        tuple(calc.gaps(final, since, until)),
    )


def everyone(
    *, store: ScheduleStore, at: datetime, services: Collection[str] | None = None
) -> Everyone:
    """Who is on call in every schedule, and whom each level of each service would page.
    With ``services`` (names, ``service/component`` for a component), only those services
    and the schedules their policies name: what one incident's context needs."""
    at = instant("at", at)
    overrides = store.overrides(since=at, until=at + _TICK)
    policies = store.service_policies(services)
    if services is None:
        chosen = store.schedules()
    else:
        named = sorted(
            {
                t.name
                for item in policies
                for lv in _levels(item.policy)
                for t in lv.targets
                if t.type == "schedule"
            }
        )
        chosen = [s for name in named if (s := store.schedule(name)) is not None]
    users: dict[str, str | None] = {
        s.name: calc.on_call(final_schedule(s, overrides), at) for s in chosen
    }
    wanted = {u for u in users.values() if u is not None}
    for item in policies:
        wanted |= {t.name for lv in _levels(item.policy) for t in lv.targets if t.type == "user"}
    found = store.people(wanted)

    def people(names: Iterable[str | None]) -> tuple[Person, ...]:
        unique = dict.fromkeys(n for n in names if n is not None)
        return tuple(found.get(n) or Person(n, n) for n in unique)

    return Everyone(
        at,
        tuple(OnCall(name, at, people([user])) for name, user in users.items()),
        tuple(
            ServiceOnCall(
                item.service,
                item.policy.name if item.policy is not None else None,
                tuple(
                    LevelOnCall(
                        i,
                        people(
                            t.name if t.type == "user" else users.get(t.name) for t in lv.targets
                        ),
                    )
                    for i, lv in enumerate(_levels(item.policy), start=1)
                ),
            )
            for item in policies
        ),
    )


NEXT_HORIZON = timedelta(days=14)


@dataclass(frozen=True, slots=True)
class Handoff:
    """Who comes on call next in ``schedule``, and when."""

    schedule: str
    person: Person
    start: datetime


def handoffs(
    *, store: ScheduleStore, at: datetime, horizon: timedelta = NEXT_HORIZON
) -> dict[str, Handoff]:
    """The next handoff of every schedule within ``horizon`` (schedules where nobody comes on
    within it are left out)."""
    at = instant("at", at)
    overrides = store.overrides(since=at, until=at + horizon)
    found = {
        s.name: shift
        for s in store.schedules()
        if (shift := calc.next_shift(final_schedule(s, overrides), at, horizon)) is not None
    }
    people = store.people({shift.user for shift in found.values()})
    return {
        name: Handoff(name, people.get(shift.user) or Person(shift.user, shift.user), shift.start)
        for name, shift in found.items()
    }


def _levels(policy: EscalationPolicy | None) -> Collection[PolicyLevel]:
    return policy.levels if policy is not None else ()


# --- overrides --------------------------------------------------------------------------------


def list_overrides(*, store: ScheduleStore, schedule: str, since: datetime) -> list[OverrideView]:
    """The schedule's overrides that end after ``since``, catalog and API, by start."""
    since = instant("since", since)
    found = get_schedule(store=store, name=schedule)
    views = [
        OverrideView(schedule, o.user, o.start.astimezone(UTC), o.end.astimezone(UTC), "catalog")
        for o in found.overrides
        if o.end > since
    ]
    views += [
        OverrideView(schedule, o.user, o.start, o.end, "api", o.id, o.created_by, o.created_at)
        for o in store.overrides(since=since, schedule=schedule)
    ]
    return sorted(views, key=lambda v: (v.start, v.source == "api", v.id or 0))


def add_override(
    *,
    store: ScheduleStore,
    clock: Clock,
    schedule: str,
    user: str,
    start: datetime,
    end: datetime,
    by: str,
) -> StoredOverride:
    """Put ``user`` on call in ``schedule`` during ``[start, end)``, beating every layer."""
    start, end = instant("start", start), instant("end", end)
    get_schedule(store=store, name=schedule)
    if not store.people([user]):
        raise InvalidOnCallRequest("user", f"there is no user named {user!r}")
    if end <= start:
        raise InvalidOnCallRequest("end", "must be after start")
    now = clock.now()
    if end <= now:
        raise InvalidOnCallRequest("end", "is in the past: an override must end in the future")
    created = store.add_override(
        schedule=schedule, user=user, start=start, end=end, created_by=by, created_at=now
    )
    if created is None:  # deleted in between
        raise NotFound("schedule", schedule)
    return created


def delete_override(*, store: ScheduleStore, clock: Clock, schedule: str, override_id: int) -> None:
    get_schedule(store=store, name=schedule)
    if not store.delete_override(schedule=schedule, override_id=override_id, at=clock.now()):
        raise NotFound("override", f"{schedule}/{override_id}")
