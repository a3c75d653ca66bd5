"""REST API ``/api/v1/events`` (:class:`EventLogApi`): the raw events as they arrived, and what
they did.

No ``from __future__ import annotations`` here: FastAPI reads the route signatures, whose
dependencies are local ``Annotated`` aliases.
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from ownit.adapters.http.api_v1 import MAX_LIMIT, ApiDeps, ok
from ownit.adapters.http.auth import requires
from ownit.adapters.http.problems import field_error
from ownit.app import incidents as uc
from ownit.app.tokens import Principal, Role
from ownit.domain.errors import NotFound


@dataclass
class EventLogApi:
    """The event-log endpoints; the caller's principal comes checked (``router`` gates it)."""

    deps: ApiDeps

    def events(
        self, service: str | None = None, incident: str | None = None, limit: int = 100
    ) -> Response:
        deps = self.deps
        incident_id = None
        if incident:
            incident_id = uc.get_incident(store=deps.incidents, ref=incident)["id"]
        if service and deps.directory.service(service) is None:
            raise field_error("service", f"no service is named {service!r}")
        return ok(
            {"events": deps.events.recent(service=service, incident_id=incident_id, limit=limit)}
        )

    def event(self, event_id: str) -> Response:
        found = self.deps.events.get(event_id)
        if found is None:
            raise NotFound("event", event_id)
        return ok({"event": found})


def router(deps: ApiDeps) -> APIRouter:
    api = APIRouter(prefix="/api/v1")
    handlers = EventLogApi(deps)
    viewer = Annotated[Principal, Depends(requires(deps.tokens, Role.VIEWER, deps.clock))]

    @api.get("/events", tags=["events"], summary="Raw events as they arrived, and what they did")
    def events(
        _: viewer,
        service: str | None = None,
        incident: str | None = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    ) -> Response:
        return handlers.events(service, incident, limit)

    @api.get("/events/{event_id}", tags=["events"], summary="One raw event")
    def event(_: viewer, event_id: str) -> Response:
        return handlers.event(event_id)

    return api
