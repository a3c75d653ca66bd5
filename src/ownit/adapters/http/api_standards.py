"""REST API ``GET /api/v1/standards?service=&team=``: every service's level and each
standard's verdict with its reason; per team, the services by level (``docs/standards.md``).

No ``from __future__ import annotations`` here: FastAPI reads the route signatures, whose
dependencies are local ``Annotated`` aliases.
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from ownit.adapters.http.api_v1 import ok
from ownit.adapters.http.auth import requires
from ownit.adapters.http.problems import field_error
from ownit.app import standards as uc
from ownit.app.clock import Clock
from ownit.app.tokens import Principal, Role, TokenStore


@dataclass
class StandardsDeps:
    sources: uc.Sources
    tokens: TokenStore
    clock: Clock


def router(deps: StandardsDeps) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["standards"])
    viewer = Annotated[Principal, Depends(requires(deps.tokens, Role.VIEWER))]

    @api.get("/standards", summary="Ownership standards: each service's level and what it misses")
    def standards(
        _: viewer,
        service: Annotated[str | None, Query(description="one service")] = None,
        team: Annotated[
            str | None, Query(description="a team: its services and those of teams under it")
        ] = None,
    ) -> Response:
        try:
            found = uc.report(sources=deps.sources, clock=deps.clock, service=service, team=team)
        except uc.InvalidStandardsRequest as exc:
            raise field_error(exc.field, exc.detail) from None
        return ok(uc.answer(found))

    return api
