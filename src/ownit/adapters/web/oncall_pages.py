"""``/oncall`` (:class:`OnCallPages`): who is on call now, in every schedule and for every
service.

No ``from __future__ import annotations`` here: FastAPI reads the route signatures, whose
dependencies are local ``Annotated`` aliases.
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from ownit.adapters.web.deps import WebDeps, signed_in
from ownit.adapters.web.page_handlers import PageHandlers
from ownit.adapters.web.templating import Pages
from ownit.app import oncall
from ownit.app.accounts import WebSession


@dataclass
class OnCallPages(PageHandlers):
    """Who is on call now, and the handoffs coming up."""

    def on_call_now(self, request: Request, session: WebSession) -> Response:
        at = self.deps.clock.now()
        now = oncall.everyone(store=self.deps.schedules, at=at)
        upcoming = oncall.handoffs(store=self.deps.schedules, at=at)
        return self.pages.render(
            "oncall.html",
            self._context(request, session)
            | {"oc": now, "upcoming": upcoming, "horizon_days": oncall.NEXT_HORIZON.days},
        )


def router(deps: WebDeps, pages: Pages) -> APIRouter:
    web = APIRouter(include_in_schema=False)
    handlers = OnCallPages(deps, pages)
    me = Annotated[WebSession, Depends(signed_in(deps))]

    @web.get("/oncall")
    def on_call_now(request: Request, session: me) -> Response:
        return handlers.on_call_now(request, session)

    return web
