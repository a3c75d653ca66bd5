"""The audit log in the UI: ``/admin/audit`` (:class:`AuditPages`), admins only.

No ``from __future__ import annotations`` here: FastAPI reads the route signatures, whose
dependencies are local ``Annotated`` aliases.
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from ownit.adapters.web.deps import WebDeps, signed_in
from ownit.adapters.web.page_handlers import PageHandlers, is_admin
from ownit.adapters.web.templating import Pages
from ownit.app import audit
from ownit.app.accounts import WebSession
from ownit.app.audit import AuditFilter

PAGE = 50


def _printable(text: str) -> str:
    """A filter as typed, less what no stored name holds (control characters, NUL)."""
    return "".join(c for c in text if c.isprintable())


@dataclass
class AuditPages(PageHandlers):
    """Who changed what: newest first, filtered by actor and kind, a page at a time."""

    def log(
        self,
        request: Request,
        session: WebSession,
        actor: str = "",
        kind: str = "",
        before: int | None = None,
    ) -> Response:
        if not is_admin(session) or self.deps.audit is None:
            return self._admins_only(request, session)
        actor, kind = _printable(actor), _printable(kind)
        flt = AuditFilter(actor=actor or None, kind=kind or None, before_id=before, limit=PAGE)
        page = audit.entries(log=self.deps.audit, flt=flt)
        return self.pages.render(
            "audit.html",
            self._context(request, session)
            | {
                "entries": page["entries"],
                "next_before": page["next_before"],
                "actor": actor,
                "kind": kind,
            },
        )


def router(deps: WebDeps, pages: Pages) -> APIRouter:
    web = APIRouter(include_in_schema=False)
    handlers = AuditPages(deps, pages)
    me = Annotated[WebSession, Depends(signed_in(deps))]

    @web.get("/admin/audit")
    def log(
        request: Request,
        session: me,
        actor: Annotated[str, Query(max_length=200)] = "",
        kind: Annotated[str, Query(max_length=40)] = "",
        before: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    ) -> Response:
        return handlers.log(request, session, actor, kind, before)

    return web
