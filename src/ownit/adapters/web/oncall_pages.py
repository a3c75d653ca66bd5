"""``/oncall``: who is on call now, in every schedule and for every service.

No ``from __future__ import annotations`` here: FastAPI reads the route signatures, whose
dependencies are local ``Annotated`` aliases.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from ownit.adapters.web.account_pages import context
from ownit.adapters.web.deps import LoginRequired, WebDeps, session_of
from ownit.adapters.web.templating import Pages
from ownit.app import oncall
from ownit.app.accounts import WebSession


def router(deps: WebDeps, pages: Pages) -> APIRouter:
    web = APIRouter(include_in_schema=False)

    def signed_in(request: Request) -> WebSession:
        found = session_of(deps, request)
        if found is None:
            raise LoginRequired
        return found

    me = Annotated[WebSession, Depends(signed_in)]

    @web.get("/oncall")
    def on_call_now(request: Request, session: me) -> Response:
        now = oncall.everyone(store=deps.schedules, at=deps.clock.now())
        return pages.render("oncall.html", context(deps, request, session) | {"oc": now})

    return web
