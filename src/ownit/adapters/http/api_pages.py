"""REST API ``GET /api/v1/pages`` (:func:`router`): who was paged lately, for which incident
and which team (decision 0049). The Chaos Toolkit extension's ``team_paged`` probe reads it.

No ``from __future__ import annotations`` here: FastAPI reads the route signatures, whose
dependencies are local ``Annotated`` aliases.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from ownit.adapters.http.api_v1 import MAX_LIMIT, ok
from ownit.adapters.http.auth import requires
from ownit.adapters.http.problems import field_error
from ownit.app import pages as uc
from ownit.app.clock import Clock
from ownit.app.tokens import Principal, Role, TokenStore
from ownit.domain.errors import FieldError


@dataclass
class PagesDeps:
    store: uc.PageStore
    tokens: TokenStore
    clock: Clock


def router(deps: PagesDeps) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["incidents"])
    viewer = Annotated[Principal, Depends(requires(deps.tokens, Role.VIEWER, deps.clock))]
    most = int(uc.MAX_WITHIN.total_seconds())

    @api.get("/pages", summary="Recent pages: who was paged, when, for which team's incident")
    def pages(
        _: viewer,
        within_seconds: Annotated[
            int, Query(ge=1, le=most, description="pages in the last this many seconds")
        ] = 3600,
        team: Annotated[
            str | None,
            Query(
                description="only incidents on what this team owns (a component's owner "
                "for an incident on a monolith's component, else the service's owner)"
            ),
        ] = None,
        service: Annotated[str | None, Query(description="only incidents on this service")] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
        drills: Annotated[
            str | None,
            Query(
                description="practice pages (drills, game days, test events): "
                "include (default), exclude or only"
            ),
        ] = None,
    ) -> Response:
        query = uc.PageQuery(
            timedelta(seconds=within_seconds), team or None, service or None, limit, drills
        )
        try:
            found = uc.recent_pages(store=deps.store, clock=deps.clock, query=query)
        except FieldError as exc:
            raise field_error(exc.field, exc.detail) from exc
        return ok({"pages": found})

    return api
