"""REST API ``/api/v1`` over the catalog (:class:`CatalogApi`): services, teams, users, and the
integrations that send events (their key hints; keys rotated by admins, the new key shown
once).

No ``from __future__ import annotations`` here: FastAPI reads the route signatures, whose
dependencies are local ``Annotated`` aliases.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from ownit.adapters.http.api_v1 import ApiDeps, RowId, ok
from ownit.adapters.http.auth import requires
from ownit.adapters.http.problems import field_error
from ownit.app.service_filters import selected
from ownit.app.tokens import Principal, Role
from ownit.domain.catalog.tags import BadTagFilter, TagFilter, tag_filter
from ownit.domain.errors import NotFound


def filter_of(tags: Sequence[str], labels: Sequence[str]) -> TagFilter:
    """The ``tag`` and ``label`` query parameters; a bad one is a 400 naming it."""
    try:
        return tag_filter(tags, labels)
    except BadTagFilter as exc:
        raise field_error(exc.field, exc.detail) from None


@dataclass
class CatalogApi:
    """The catalog endpoints; the caller's principal comes checked (``router`` gates it)."""

    deps: ApiDeps

    def services(self, tag: Sequence[str] = (), label: Sequence[str] = ()) -> Response:
        flt = filter_of(tag, label)
        return ok({"services": selected(self.deps.directory.services(), flt)})

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

    @api.get("/services", tags=["catalog"], summary="Services, or those with tags and labels")
    def services(
        _: viewer,
        tag: Annotated[
            list[str] | None, Query(description="a tag the service has (repeat: all of them)")
        ] = None,
        label: Annotated[
            list[str] | None,
            Query(description="key:value, a label the service has (repeat: all of them)"),
        ] = None,
    ) -> Response:
        return handlers.services(tag or (), label or ())

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
