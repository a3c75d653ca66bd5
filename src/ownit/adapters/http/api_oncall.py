"""On call over HTTP: schedules, who is on call, shifts, overrides (:class:`OnCallApi`), private
calendar feeds (:class:`CalendarFeed`).

``/api/v1/…`` needs an API token (any token reads; overrides need manage on the schedule's team —
its managers or admins, admins only for a schedule without a team — and admin makes feed
links); ``/calendar/{token}.ics`` needs nothing but its token.

No ``from __future__ import annotations`` here: FastAPI reads the route signatures, whose
dependencies are local ``Annotated`` aliases.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Body, Depends, Query
from pydantic import BaseModel, Field
from starlette.responses import Response

from ownit.adapters.http.api_v1 import RowId, ok
from ownit.adapters.http.auth import require_manage, requires
from ownit.adapters.http.ical import CalendarEvent, write_calendar
from ownit.adapters.http.problems import Problem, field_error
from ownit.app import calendar_feed as feeds
from ownit.app import oncall as uc
from ownit.app.calendar_feed import CalendarTokenStore
from ownit.app.clock import Clock
from ownit.app.oncall import Person, ScheduleStore, StoredOverride
from ownit.app.tokens import Principal, Role, TokenStore
from ownit.domain.catalog import Schedule, to_spec
from ownit.domain.instants import parse_instant as instant

DEFAULT_SPAN = timedelta(days=7)


@dataclass
class OnCallDeps:
    schedules: ScheduleStore
    calendars: CalendarTokenStore
    tokens: TokenStore
    clock: Clock
    base_url: str


class OverrideIn(BaseModel):
    user: str = Field(min_length=1, max_length=100, description="who is on call instead")
    start: str = Field(description="ISO 8601 instant with an offset: 2026-02-01T18:00:00+01:00")
    end: str = Field(description="ISO 8601 instant with an offset, after start")


def parse_instant(field: str, value: str | None) -> datetime | None:
    """An aware instant from a query or body string; a problem naming ``field`` otherwise."""
    if value is None or value == "":
        return None
    try:
        return instant(value)
    except ValueError as exc:
        raise field_error(field, str(exc)) from None


def _person(p: Person) -> dict[str, Any]:
    return {"name": p.name, "display_name": p.display_name, "email": p.email}


def _schedule(s: Schedule) -> dict[str, Any]:
    return {"name": s.name, **to_spec(s)}


def _override(o: StoredOverride | uc.OverrideView) -> dict[str, Any]:
    view = o if isinstance(o, uc.OverrideView) else None
    return {
        "id": o.id,
        "schedule": o.schedule,
        "user": o.user,
        "start": o.start,
        "end": o.end,
        "source": view.source if view is not None else "api",
        "created_by": o.created_by,
        "created_at": o.created_at,
    }


def _field_errors(exc: uc.InvalidOnCallRequest) -> Problem:
    return field_error(exc.field, exc.detail)


def _uid(shift: feeds.CalendarShift, user: str, host: str) -> str:
    key = f"{shift.schedule}\n{user}\n{shift.start.isoformat()}".encode()
    return f"{hashlib.sha256(key).hexdigest()[:32]}@{host}"


@dataclass
class OnCallApi:
    """The on-call endpoints; the caller's principal comes checked (``router`` gates it)."""

    deps: OnCallDeps

    def list_schedules(self) -> Response:
        found = uc.list_schedules(store=self.deps.schedules)
        return ok({"schedules": [_schedule(s) for s in found]})

    def get_schedule(self, name: str) -> Response:
        return ok({"schedule": _schedule(uc.get_schedule(store=self.deps.schedules, name=name))})

    def schedule_oncall(self, name: str, at: str | None = None) -> Response:
        when = parse_instant("at", at) or self.deps.clock.now()
        found = uc.on_call(store=self.deps.schedules, name=name, at=when)
        return ok({"schedule": name, "at": found.at, "users": [_person(p) for p in found.people]})

    def shifts(self, name: str, since: str | None = None, until: str | None = None) -> Response:
        start = parse_instant("since", since) or self.deps.clock.now()
        end = parse_instant("until", until) or start + DEFAULT_SPAN
        try:
            found = uc.timeline(store=self.deps.schedules, name=name, since=start, until=end)
        except uc.InvalidOnCallRequest as exc:
            raise _field_errors(exc) from None
        return ok(
            {
                "schedule": name,
                "since": found.since,
                "until": found.until,
                "shifts": [{"user": s.user, "start": s.start, "end": s.end} for s in found.shifts],
                "gaps": [{"start": a, "end": b} for a, b in found.gaps],
            }
        )

    def everyone(self, at: str | None = None) -> Response:
        when = parse_instant("at", at) or self.deps.clock.now()
        found = uc.everyone(store=self.deps.schedules, at=when)
        return ok(
            {
                "at": found.at,
                "schedules": [
                    {"schedule": s.schedule, "users": [_person(p) for p in s.people]}
                    for s in found.schedules
                ],
                "services": [
                    {
                        "service": s.service,
                        "escalation_policy": s.escalation_policy,
                        "levels": [
                            {"level": lv.level, "users": [_person(p) for p in lv.people]}
                            for lv in s.levels
                        ],
                    }
                    for s in found.services
                ],
            }
        )

    def list_overrides(self, name: str, since: str | None = None) -> Response:
        when = parse_instant("since", since) or self.deps.clock.now()
        found = uc.list_overrides(store=self.deps.schedules, schedule=name, since=when)
        return ok({"overrides": [_override(o) for o in found]})

    def add_override(self, who: Principal, name: str, body: OverrideIn) -> Response:
        store = self.deps.schedules
        require_manage(who, uc.get_schedule(store=store, name=name).team)
        start = parse_instant("start", body.start)
        end = parse_instant("end", body.end)
        if start is None or end is None:
            raise field_error("start" if start is None else "end", "is required")
        try:
            created = uc.add_override(
                store=store,
                clock=self.deps.clock,
                schedule=name,
                user=body.user,
                start=start,
                end=end,
                by=who.actor,
            )
        except uc.InvalidOnCallRequest as exc:
            raise _field_errors(exc) from None
        return ok({"override": _override(created)}, 201)

    def delete_override(self, who: Principal, name: str, override_id: int) -> Response:
        store = self.deps.schedules
        require_manage(who, uc.get_schedule(store=store, name=name).team)
        uc.delete_override(
            store=store, clock=self.deps.clock, schedule=name, override_id=override_id
        )
        return Response(status_code=204)

    def calendar_token(self, name: str) -> Response:
        deps = self.deps
        token = feeds.rotate_calendar_token(tokens=deps.calendars, clock=deps.clock, user=name)
        return ok({"user": name, "url": f"{deps.base_url}/calendar/{token}.ics"}, 201)


@dataclass
class CalendarFeed:
    """A user's on-call shifts as an iCalendar feed; the link's token is the only key."""

    deps: OnCallDeps

    def __post_init__(self) -> None:
        self._host = urlsplit(self.deps.base_url).hostname or "ownit"  # in each event's UID

    def calendar(self, token: str) -> Response:
        deps = self.deps
        try:
            feed = feeds.calendar_feed(
                store=deps.schedules, tokens=deps.calendars, token=token, now=deps.clock.now()
            )
        except feeds.FeedNotFound as exc:
            raise Problem(404, "Not found", str(exc), slug="not-found") from None
        events = [
            CalendarEvent(
                uid=_uid(s, feed.person.name, self._host),
                start=s.start,
                end=s.end,
                summary=f"On call: {s.schedule}",
                description=f"{feed.person.display_name} is on call in {s.schedule} "
                f"(schedule time zone {s.timezone}).",
            )
            for s in feed.shifts
        ]
        text = write_calendar(
            name=f"On call: {feed.person.display_name}", stamp=feed.generated_at, events=events
        )
        return Response(
            text.encode("utf-8"),
            media_type="text/calendar; charset=utf-8",
            headers={"Cache-Control": "private, max-age=300"},
        )


def router(deps: OnCallDeps) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["on call"])
    handlers = OnCallApi(deps)
    viewer = Annotated[Principal, Depends(requires(deps.tokens, Role.VIEWER, deps.clock))]
    responder = Annotated[Principal, Depends(requires(deps.tokens, Role.RESPONDER, deps.clock))]
    admin = Annotated[Principal, Depends(requires(deps.tokens, Role.ADMIN, deps.clock))]
    instant_query = Annotated[str | None, Query(description="ISO 8601 with an offset")]

    @api.get("/schedules", summary="Schedules with their layers and catalog overrides")
    def list_schedules(_: viewer) -> Response:
        return handlers.list_schedules()

    @api.get("/schedules/{name}", summary="One schedule")
    def get_schedule(_: viewer, name: str) -> Response:
        return handlers.get_schedule(name)

    @api.get("/schedules/{name}/oncall", summary="Who is on call at an instant (default: now)")
    def schedule_oncall(_: viewer, name: str, at: instant_query = None) -> Response:
        return handlers.schedule_oncall(name, at)

    @api.get("/schedules/{name}/shifts", summary="Final shifts and gaps (at most 90 days)")
    def shifts(
        _: viewer, name: str, since: instant_query = None, until: instant_query = None
    ) -> Response:
        return handlers.shifts(name, since, until)

    @api.get("/oncall", summary="Everyone on call, by schedule and by service")
    def everyone(_: viewer, at: instant_query = None) -> Response:
        return handlers.everyone(at)

    @api.get("/schedules/{name}/overrides", summary="Overrides that end after since (now)")
    def list_overrides(_: viewer, name: str, since: instant_query = None) -> Response:
        return handlers.list_overrides(name, since)

    @api.post("/schedules/{name}/overrides", status_code=201, summary="Add an override")
    def add_override(who: responder, name: str, body: Annotated[OverrideIn, Body()]) -> Response:
        return handlers.add_override(who, name, body)

    @api.delete(
        "/schedules/{name}/overrides/{override_id}", status_code=204, summary="Delete an override"
    )
    def delete_override(who: responder, name: str, override_id: RowId) -> Response:
        return handlers.delete_override(who, name, override_id)

    @api.post(
        "/users/{name}/calendar-token",
        status_code=201,
        summary="A new private calendar feed link for a user; the old link stops working",
    )
    def calendar_token(_: admin, name: str) -> Response:
        return handlers.calendar_token(name)

    root = APIRouter()
    root.include_router(api)
    feed = CalendarFeed(deps)

    @root.get("/calendar/{token}.ics", tags=["on call"], summary="A user's on-call calendar")
    def calendar(token: str) -> Response:
        return feed.calendar(token)

    return root
