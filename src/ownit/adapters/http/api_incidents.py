"""REST API ``/api/v1/incidents`` (:class:`IncidentApi`): list and read incidents, acknowledge,
resolve, annotate, merge, split, escalate and reassign them.

No ``from __future__ import annotations`` here: FastAPI reads the route signatures, whose
dependencies are local ``Annotated`` aliases.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query
from pydantic import BaseModel, Field
from starlette.responses import Response

from ownit.adapters.http.api_catalog import filter_of
from ownit.adapters.http.api_v1 import MAX_LIMIT, ApiDeps, ok
from ownit.adapters.http.auth import requires
from ownit.adapters.http.problems import field_error
from ownit.app import escalations as esc_uc
from ownit.app import incidents as uc
from ownit.app.service_filters import incidents_of_tagged
from ownit.app.tokens import Principal, Role
from ownit.domain.errors import NotFound
from ownit.domain.incidents import Status, Urgency
from ownit.domain.instants import parse_instant


def parse_time(field: str, value: str | None) -> datetime | None:
    """An aware instant from a query string; a problem naming ``field`` otherwise (a time
    without an offset too: the on-call and maintenance endpoints refuse it the same way)."""
    if value is None or value == "":
        return None
    try:
        return parse_instant(value)
    except ValueError as exc:
        raise field_error(field, str(exc)) from None


def parse_statuses(value: str | None) -> tuple[Status, ...]:
    if not value:
        return ()
    result = []
    for part in value.split(","):
        part = part.strip()
        if part == "open":
            result += [Status.TRIGGERED, Status.ACKNOWLEDGED]
            continue
        try:
            result.append(Status(part))
        except ValueError:
            raise field_error(
                "status",
                f"{part!r} is not one of triggered, acknowledged, resolved, open",
            ) from None
    return tuple(result)


class EscalateIn(BaseModel):
    level: int = Field(ge=1, description="The level (1-based) to notify now")


class ReassignIn(BaseModel):
    users: list[str] = Field(min_length=1, description="User names to page now")


class NoteIn(BaseModel):
    text: str = Field(min_length=1, max_length=10_000, description="The note, plain text")


class MergeIn(BaseModel):
    incidents: list[int | str] = Field(
        min_length=1,
        max_length=100,
        description="Incidents (ids or numbers) to merge into this one",
    )


class SplitIn(BaseModel):
    alerts: list[str] = Field(
        min_length=1, max_length=1000, description="Alert ids to split off into a new incident"
    )


@dataclass
class IncidentApi:
    """The incident endpoints; the caller's principal comes checked (``router`` gates it)."""

    deps: ApiDeps

    def list_incidents(
        self,
        status: str | None = None,
        service: str | None = None,
        urgency: str | None = None,
        since: str | None = None,
        until: str | None = None,
        limit: int = 100,
        team: str | None = None,
        tags: Sequence[str] = (),
        labels: Sequence[str] = (),
    ) -> Response:
        by_tag = filter_of(tags, labels)
        parsed_urgency: Urgency | None = None
        if urgency:
            try:
                parsed_urgency = Urgency(urgency)
            except ValueError:
                raise field_error("urgency", f"{urgency!r} is not one of high, low") from None
        flt = uc.IncidentFilter(
            statuses=parse_statuses(status),
            service=service or None,
            urgency=parsed_urgency,
            since=parse_time("since", since),
            until=parse_time("until", until),
            limit=limit,
            team=team or None,
        )
        try:
            found = incidents_of_tagged(
                store=self.deps.incidents, directory=self.deps.directory, flt=flt, by_tag=by_tag
            )
        except NotFound as exc:
            if exc.kind == "team":
                raise field_error("team", f"no team is named {team!r}") from exc
            raise field_error("service", f"no service is named {service!r}") from exc
        return ok({"incidents": found})

    def get_incident(self, ref: str) -> Response:
        incident = uc.get_incident(store=self.deps.incidents, ref=ref)
        incident["alerts"] = self.deps.incidents.alerts(incident["id"])
        return ok({"incident": incident})

    def get_timeline(self, ref: str) -> Response:
        return ok({"timeline": list(uc.timeline(store=self.deps.incidents, ref=ref))})

    def get_alerts(self, ref: str) -> Response:
        incident = uc.get_incident(store=self.deps.incidents, ref=ref)
        return ok({"alerts": self.deps.incidents.alerts(incident["id"])})

    def _may_respond(self, who: Principal, ref: str) -> None:
        """A 403 unless ``who`` may respond to incident ``ref`` (the organisation may respond
        by team)."""
        incident = uc.get_incident(store=self.deps.incidents, ref=ref)
        uc.check_may_respond(
            store=self.deps.incidents, who=who.permissions, incident_id=incident["id"]
        )

    def acknowledge(self, who: Principal, ref: str) -> Response:
        deps = self.deps
        self._may_respond(who, ref)
        incident = uc.acknowledge(
            store=deps.incidents, clock=deps.clock, ref=ref, by=who.actor, via="api"
        )
        return ok({"incident": incident})

    def resolve(self, who: Principal, ref: str) -> Response:
        deps = self.deps
        self._may_respond(who, ref)
        incident = uc.resolve(store=deps.incidents, clock=deps.clock, ref=ref, by=who.actor)
        return ok({"incident": incident})

    def add_note(self, who: Principal, ref: str, note: NoteIn) -> Response:
        deps = self.deps
        self._may_respond(who, ref)
        entry = uc.add_note(
            store=deps.incidents, clock=deps.clock, ref=ref, by=who.actor, text=note.text
        )
        return ok({"note": entry}, 201)

    def merge(self, who: Principal, ref: str, body: MergeIn) -> Response:
        deps = self.deps
        for each in (ref, *(str(source) for source in body.incidents)):
            try:
                self._may_respond(who, each)
            except NotFound:
                continue  # an unknown source: merge names the field
        try:
            incident = uc.merge(
                store=deps.incidents,
                clock=deps.clock,
                ref=ref,
                sources=[str(ref) for ref in body.incidents],
                by=who.actor,
            )
        except uc.InvalidField as exc:
            raise field_error(exc.field, exc.detail) from exc
        incident["alerts"] = deps.incidents.alerts(incident["id"])
        return ok({"incident": incident})

    def split(self, who: Principal, ref: str, body: SplitIn) -> Response:
        deps = self.deps
        self._may_respond(who, ref)
        try:
            new, source = uc.split(
                store=deps.incidents, clock=deps.clock, ref=ref, alerts=body.alerts, by=who.actor
            )
        except uc.InvalidField as exc:
            raise field_error(exc.field, exc.detail) from exc
        new["alerts"] = deps.incidents.alerts(new["id"])
        source["alerts"] = deps.incidents.alerts(source["id"])
        return ok({"incident": new, "source": source}, 201)

    def escalate(self, who: Principal, ref: str, body: EscalateIn) -> Response:
        deps = self.deps
        self._may_respond(who, ref)
        incident = uc.get_incident(store=deps.incidents, ref=ref)
        esc_uc.escalate_now(
            store=deps.escalations,
            incident_id=incident["id"],
            level=body.level,
            now=deps.clock.now(),
            on_call=deps.on_call,
        )
        return ok({"incident": uc.get_incident(store=deps.incidents, ref=incident["id"])})

    def reassign(self, who: Principal, ref: str, body: ReassignIn) -> Response:
        deps = self.deps
        self._may_respond(who, ref)
        incident = uc.get_incident(store=deps.incidents, ref=ref)
        try:
            esc_uc.reassign(
                store=deps.escalations,
                incident_id=incident["id"],
                users=body.users,
                now=deps.clock.now(),
                on_call=deps.on_call,
                known_user=deps.escalations.known_user,
            )
        except NotFound as exc:
            raise field_error("users", f"no user is named {exc.ident!r}") from exc
        return ok({"incident": uc.get_incident(store=deps.incidents, ref=incident["id"])})


def router(deps: ApiDeps) -> APIRouter:
    api = APIRouter(prefix="/api/v1")
    handlers = IncidentApi(deps)
    viewer = Annotated[Principal, Depends(requires(deps.tokens, Role.VIEWER, deps.clock))]
    responder = Annotated[Principal, Depends(requires(deps.tokens, Role.RESPONDER, deps.clock))]

    @api.get("/incidents", tags=["incidents"], summary="List incidents, newest first")
    def list_incidents(
        _: viewer,
        status: Annotated[
            str | None,
            Query(description="triggered, acknowledged, resolved, open; comma-separated"),
        ] = None,
        service: Annotated[str | None, Query(description="service name")] = None,
        urgency: Annotated[str | None, Query(description="high or low")] = None,
        since: Annotated[str | None, Query(description="created at or after (ISO 8601)")] = None,
        until: Annotated[str | None, Query(description="created before (ISO 8601)")] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
        team: Annotated[
            str | None, Query(description="the team's incidents: its services' and components'")
        ] = None,
        tag: Annotated[
            list[str] | None,
            Query(description="incidents of services with this tag (repeat: all of them)"),
        ] = None,
        label: Annotated[
            list[str] | None,
            Query(description="key:value: incidents of services with this label (repeat: all)"),
        ] = None,
    ) -> Response:
        return handlers.list_incidents(
            status, service, urgency, since, until, limit, team, tag or (), label or ()
        )

    @api.get("/incidents/{ref}", tags=["incidents"], summary="One incident, by id or number")
    def get_incident(_: viewer, ref: str) -> Response:
        return handlers.get_incident(ref)

    @api.get("/incidents/{ref}/timeline", tags=["incidents"], summary="The incident's log")
    def get_timeline(_: viewer, ref: str) -> Response:
        return handlers.get_timeline(ref)

    @api.get("/incidents/{ref}/alerts", tags=["incidents"], summary="The incident's alerts")
    def get_alerts(_: viewer, ref: str) -> Response:
        return handlers.get_alerts(ref)

    @api.post("/incidents/{ref}/acknowledge", tags=["incidents"], summary="Acknowledge")
    def acknowledge(who: responder, ref: str) -> Response:
        return handlers.acknowledge(who, ref)

    @api.post("/incidents/{ref}/resolve", tags=["incidents"], summary="Resolve")
    def resolve(who: responder, ref: str) -> Response:
        return handlers.resolve(who, ref)

    @api.post("/incidents/{ref}/notes", tags=["incidents"], status_code=201, summary="Add a note")
    def add_note(who: responder, ref: str, note: Annotated[NoteIn, Body()]) -> Response:
        return handlers.add_note(who, ref, note)

    @api.post(
        "/incidents/{ref}/merge",
        tags=["incidents"],
        summary="Merge other incidents into this one: their alerts move here, they resolve",
    )
    def merge(who: responder, ref: str, body: Annotated[MergeIn, Body()]) -> Response:
        return handlers.merge(who, ref, body)

    @api.post(
        "/incidents/{ref}/split",
        tags=["incidents"],
        status_code=201,
        summary="Split alerts off into a new incident, which pages like a fresh one",
    )
    def split(who: responder, ref: str, body: Annotated[SplitIn, Body()]) -> Response:
        return handlers.split(who, ref, body)

    @api.post(
        "/incidents/{ref}/escalate",
        tags=["incidents"],
        summary="Notify a level of the escalation policy now",
    )
    def escalate(who: responder, ref: str, body: Annotated[EscalateIn, Body()]) -> Response:
        return handlers.escalate(who, ref, body)

    @api.post(
        "/incidents/{ref}/reassign",
        tags=["incidents"],
        summary="Page these users now; escalation continues from where it is",
    )
    def reassign(who: responder, ref: str, body: Annotated[ReassignIn, Body()]) -> Response:
        return handlers.reassign(who, ref, body)

    return api
