"""``/admin/paging``: what would stop a page now or within 7 days, for admins (the report of
``ownit doctor`` and ``GET /api/v1/health/paging``).

No ``from __future__ import annotations`` here: FastAPI reads the route signatures, whose
dependencies are local ``Annotated`` aliases.
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from ownit.adapters.web.deps import WebDeps, signed_in
from ownit.adapters.web.page_handlers import PageHandlers, is_admin
from ownit.adapters.web.templating import Pages
from ownit.app.accounts import WebSession


@dataclass
class HealthPages(PageHandlers):
    def paging(self, request: Request, session: WebSession) -> Response:
        if not is_admin(session) or self.deps.paging_report is None:
            return self._admins_only(request, session)
        report = self.deps.paging_report()
        return self.pages.render(
            "paging_health.html", self._context(request, session) | {"report": report}
        )


def router(deps: WebDeps, pages: Pages) -> APIRouter:
    web = APIRouter(include_in_schema=False)
    if deps.paging_report is None:
        return web  # not wired (a test app without it): no such page
    handlers = HealthPages(deps, pages)
    me = Annotated[WebSession, Depends(signed_in(deps))]

    @web.get("/admin/paging")
    def paging(request: Request, session: me) -> Response:
        return handlers.paging(request, session)

    return web
