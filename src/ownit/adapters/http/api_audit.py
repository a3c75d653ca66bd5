"""REST API ``GET /api/v1/audit`` (:class:`AuditApi`): who changed what, for admins only.

No ``from __future__ import annotations`` here: FastAPI reads the route signatures, whose
dependencies are local ``Annotated`` aliases.
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from ownit.adapters.http.api_incidents import parse_time
from ownit.adapters.http.api_v1 import MAX_LIMIT, ok
from ownit.adapters.http.auth import requires
from ownit.adapters.http.problems import field_error
from ownit.app import audit
from ownit.app.audit import AuditFilter, AuditLog
from ownit.app.clock import Clock
from ownit.app.tokens import Principal, Role, TokenStore


@dataclass
class AuditDeps:
    log: AuditLog
    tokens: TokenStore
    clock: Clock


@dataclass
class AuditApi:
    deps: AuditDeps

    def entries(
        self,
        since: str | None = None,
        actor: str | None = None,
        kind: str | None = None,
        before: int | None = None,
        limit: int = 100,
    ) -> Response:
        for field, value in (("actor", actor), ("kind", kind)):
            if value is not None and not value.isprintable():
                raise field_error(field, "must be printable text")
        flt = AuditFilter(
            since=parse_time("since", since),
            actor=actor or None,
            kind=kind or None,
            before_id=before,
            limit=limit,
        )
        return ok(audit.entries(log=self.deps.log, flt=flt))


def router(deps: AuditDeps) -> APIRouter:
    api = APIRouter(prefix="/api/v1")
    handlers = AuditApi(deps)
    admin = Annotated[Principal, Depends(requires(deps.tokens, Role.ADMIN, deps.clock))]

    @api.get(
        "/audit",
        tags=["audit"],
        summary="The audit log: every change by a person or token, newest first (admins)",
    )
    def entries(
        _: admin,
        since: Annotated[
            str | None, Query(description="entries at or after (ISO 8601)", max_length=64)
        ] = None,
        actor: Annotated[
            str | None, Query(description="a user, token/NAME or cli/USER", max_length=200)
        ] = None,
        kind: Annotated[
            str | None,
            Query(description="catalog, incident, token, login, user, …", max_length=40),
        ] = None,
        before: Annotated[
            int | None, Query(ge=1, le=2**63 - 1, description="paging: entries older than this id")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    ) -> Response:
        return handlers.entries(since, actor, kind, before, limit)

    return api
