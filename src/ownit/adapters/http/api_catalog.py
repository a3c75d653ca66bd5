"""REST API ``/api/v1`` over the catalog (:class:`CatalogApi`): services, teams, users, and the
integrations that send events (their key hints; keys rotated by admins, the new key shown
once).

No ``from __future__ import annotations`` here: FastAPI reads the route signatures, whose
dependencies are local ``Annotated`` aliases.
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import Response

from ownit.adapters.http.api_v1 import ApiDeps, RowId, ok
from ownit.adapters.http.auth import requires
from ownit.app.tokens import Principal, Role
from ownit.domain.errors import NotFound


@dataclass
class CatalogApi:
    """The catalog endpoints; the caller's principal comes checked (``router`` gates it)."""

    deps: ApiDeps

    def services(self) -> Response:
        return ok({"services": self.deps.directory.services()})

    def service(self, name: str) -> Response:
        found = self.deps.directory.service(name)
        if found is None:
            raise NotFound("service", name)
        return ok({"service": found})

    def teams(self) -> Response:
        return ok({"teams": self.deps.directory.teams()})

    def users(self) -> Response:
        return ok({"users": self.deps.directory.users()})

    def integrations(self) -> Response:
        # Keys are kept hashed (decision 0035): everyone sees the hint, as "abcd…".
        return ok({"integrations": self.deps.directory.integrations()})

    def rotate(self, integration_id: int) -> Response:
        found = self.deps.directory.rotate_key(integration_id, self.deps.clock.now())
        if found is None:
            raise NotFound("integration", str(integration_id))
        return ok({"integration": found})


def router(deps: ApiDeps) -> APIRouter:
    api = APIRouter(prefix="/api/v1")
    handlers = CatalogApi(deps)
    viewer = Annotated[Principal, Depends(requires(deps.tokens, Role.VIEWER, deps.clock))]
    admin = Annotated[Principal, Depends(requires(deps.tokens, Role.ADMIN, deps.clock))]

    @api.get("/services", tags=["catalog"], summary="Services")
    def services(_: viewer) -> Response:
        return handlers.services()

    @api.get("/services/{name}", tags=["catalog"], summary="One service")
    def service(_: viewer, name: str) -> Response:
        return handlers.service(name)

    @api.get("/teams", tags=["catalog"], summary="Teams and their members")
    def teams(_: viewer) -> Response:
        return handlers.teams()

    @api.get("/users", tags=["catalog"], summary="Users")
    def users(_: viewer) -> Response:
        return handlers.users()

    @api.get("/integrations", tags=["integrations"], summary="Integrations (key hints)")
    def integrations(_: viewer) -> Response:
        return handlers.integrations()

    @api.post(
        "/integrations/{integration_id}/rotate",
        tags=["integrations"],
        summary="Give an integration a new key; the old key stops working",
    )
    def rotate(_: admin, integration_id: RowId) -> Response:
        return handlers.rotate(integration_id)

    return api
