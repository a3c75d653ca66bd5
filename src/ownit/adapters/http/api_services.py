"""Service dependencies over HTTP, and the incident context they give.

No ``from __future__ import annotations`` here: FastAPI reads the route signatures, whose
dependencies are local ``Annotated`` aliases.
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import Response

from ownit.adapters.http.api_v1 import ok
from ownit.adapters.http.auth import requires
from ownit.app import dependencies as uc
from ownit.app.incidents import IncidentStore
from ownit.app.tokens import Principal, Role, TokenStore


@dataclass
class ServicesDeps:
    directory: uc.ServiceDirectory
    incidents: IncidentStore
    tokens: TokenStore


def router(deps: ServicesDeps) -> APIRouter:
    api = APIRouter(prefix="/api/v1")
    viewer = Annotated[Principal, Depends(requires(deps.tokens, Role.VIEWER))]

    @api.get(
        "/services/{name}/dependencies",
        tags=["catalog"],
        summary="What a service depends on and what depends on it, transitively",
    )
    def dependencies(_: viewer, name: str) -> Response:
        return ok(
            uc.service_dependencies(directory=deps.directory, incidents=deps.incidents, name=name)
        )

    @api.get(
        "/incidents/{ref}/context",
        tags=["incidents"],
        summary="Open incidents upstream (a likely cause) and downstream (the impact)",
    )
    def context(_: viewer, ref: str) -> Response:
        return ok(uc.incident_context(directory=deps.directory, incidents=deps.incidents, ref=ref))

    return api
