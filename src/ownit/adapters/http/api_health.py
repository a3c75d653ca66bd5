"""``GET /api/v1/health/paging``: what would stop a page now or within 7 days (the same
report as ``ownit doctor``; ``docs/paging-health.md``).

No ``from __future__ import annotations`` here: FastAPI reads the route signatures, whose
dependencies are local ``Annotated`` aliases.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import Response

from ownit.adapters.http.api_v1 import ok
from ownit.adapters.http.auth import requires
from ownit.app.paging_health import Report
from ownit.app.tokens import Principal, Role, TokenStore


@dataclass
class HealthDeps:
    report: Callable[[], Report]  # a fresh report each call
    tokens: TokenStore


@dataclass
class HealthApi:
    deps: HealthDeps

    def paging(self) -> Response:
        """Always 200: ``ok`` says whether anything is wrong (``problems`` lists it)."""
        return ok(self.deps.report().to_json())


def router(deps: HealthDeps) -> APIRouter:
    api = APIRouter(prefix="/api/v1")
    handlers = HealthApi(deps)
    viewer = Annotated[Principal, Depends(requires(deps.tokens, Role.VIEWER))]

    @api.get(
        "/health/paging",
        tags=["operations"],
        summary="What would stop a page now or within 7 days: services without a (valid) "
        "policy, gaps in level 1, people without a contact, channels not configured, "
        "contacts whose last delivery failed",
    )
    def paging(_: viewer) -> Response:
        return handlers.paging()

    return api
