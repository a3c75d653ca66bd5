"""``/oncall``: who is on call now, in every schedule and for every service.

No ``from __future__ import annotations`` here: FastAPI reads the route signatures, whose
dependencies are local ``Annotated`` aliases.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from ownit.adapters.web.account_pages import context
from ownit.adapters.web.deps import WebDeps, signed_in
from ownit.adapters.web.templating import Pages
from ownit.app import oncall
from ownit.app.accounts import WebSession


def router(deps: WebDeps, pages: Pages) -> APIRouter:
    web = APIRouter(include_in_schema=False)

    me = Annotated[WebSession, Depends(signed_in(deps))]

    @web.get("/oncall")
    def on_call_now(request: Request, session: me) -> Response:
        at = deps.clock.now()
        now = oncall.everyone(store=deps.schedules, at=at)
        upcoming = oncall.handoffs(store=deps.schedules, at=at)
        return pages.render(
            "oncall.html",
            context(deps, request, session)
            | {"oc": now, "upcoming": upcoming, "horizon_days": oncall.NEXT_HORIZON.days},
        )

    return web
