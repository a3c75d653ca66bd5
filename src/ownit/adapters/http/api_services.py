"""Service dependencies over HTTP, and the incident context they give (:class:`ServicesApi`).

No ``from __future__ import annotations`` here: FastAPI reads the route signatures, whose
dependencies are local ``Annotated`` aliases.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import Response

from ownit.adapters.http.api_v1 import ok
from ownit.adapters.http.auth import requires
from ownit.app import dependencies as uc
from ownit.app.clock import Clock
from ownit.app.incidents import IncidentStore
from ownit.app.oncall import ScheduleStore
from ownit.app.tokens import Principal, Role, TokenStore
from ownit.domain.dependencies import upstream
from ownit.domain.errors import NotFound


@dataclass
class ServicesDeps:
    directory: uc.ServiceDirectory
    incidents: IncidentStore
    tokens: TokenStore
    history: uc.History | None = None
    clock: Clock | None = None
    schedules: ScheduleStore | None = None


@dataclass
class ServicesApi:
    """The dependency endpoints; the caller's principal comes checked (``router`` gates it)."""

    deps: ServicesDeps

    def dependencies(self, name: str) -> Response:
        deps = self.deps
        return ok(
            uc.service_dependencies(directory=deps.directory, incidents=deps.incidents, name=name)
        )

    def context(self, ref: str) -> Response:
        deps = self.deps
        return ok(
            uc.incident_context(
                directory=deps.directory,
                incidents=deps.incidents,
                ref=ref,
                history=deps.history,
                now=deps.clock.now() if deps.clock is not None else None,
                schedules=deps.schedules,
            )
        )

    def changes(self, name: str, hours: int = 24) -> Response:
        deps = self.deps
        graph = uc.graph(deps.directory)
        if name not in graph:
            raise NotFound("service", name)
        if deps.history is None or deps.clock is None:
            return ok({"service": name, "changes": []})
        ups = [r.service for r in upstream(graph, name)]
        since = deps.clock.now() - timedelta(hours=max(1, min(hours, 24 * 30)))
        return ok({"service": name, "changes": deps.history.changes([name, *ups], since)})


def router(deps: ServicesDeps) -> APIRouter:
    api = APIRouter(prefix="/api/v1")
    handlers = ServicesApi(deps)
    viewer = Annotated[Principal, Depends(requires(deps.tokens, Role.VIEWER, deps.clock))]

    @api.get(
        "/services/{name}/dependencies",
        tags=["catalog"],
        summary="What a service depends on and what depends on it, transitively",
    )
    def dependencies(_: viewer, name: str) -> Response:
        return handlers.dependencies(name)

    @api.get(
        "/incidents/{ref}/context",
        tags=["incidents"],
        summary="First-responder context: owner, on call now, runbook, open incidents upstream "
        "(a likely cause) and downstream, changes in the last 24 h, similar past incidents",
    )
    def context(_: viewer, ref: str) -> Response:
        return handlers.context(ref)

    @api.get(
        "/services/{name}/changes",
        tags=["catalog"],
        summary="Change events of a service and what it depends on, newest first",
    )
    def changes(_: viewer, name: str, hours: int = 24) -> Response:
        return handlers.changes(name, hours)

    return api
