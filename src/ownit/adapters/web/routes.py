"""Puts the web UI into an application: the page routers, static files, error pages."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from fastapi import FastAPI, Request
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from ownit.adapters.web import (
    account_pages,
    analytics_pages,
    audit_pages,
    catalog_pages,
    drill_pages,
    health_pages,
    incident_pages,
    me_pages,
    oncall_pages,
    people_pages,
    postmortem_pages,
    schedule_pages,
    settings_pages,
    standards_pages,
    token_pages,
)
from ownit.adapters.web.deps import CsrfRefused, FormTooLarge, LoginRequired, WebDeps, session_of
from ownit.adapters.web.page_gate import PageGate
from ownit.adapters.web.page_handlers import context
from ownit.adapters.web.redirects import safe_next
from ownit.adapters.web.templating import STATIC, Pages

__all__ = ["WebDeps", "install"]


def install(app: FastAPI, deps: WebDeps) -> None:
    pages = Pages()
    app.include_router(account_pages.router(deps, pages))
    app.include_router(incident_pages.router(deps, pages))
    app.include_router(oncall_pages.router(deps, pages))
    app.include_router(schedule_pages.router(deps, pages))
    app.include_router(me_pages.router(deps, pages))
    app.include_router(catalog_pages.router(deps, pages))
    app.include_router(token_pages.router(deps, pages))
    app.include_router(people_pages.router(deps, pages))
    app.include_router(health_pages.router(deps, pages))
    app.include_router(audit_pages.router(deps, pages))
    app.include_router(settings_pages.router(deps, pages))
    if deps.analytics is not None:
        app.include_router(analytics_pages.router(deps, pages))
    if deps.postmortems is not None:
        app.include_router(postmortem_pages.router(deps, pages))
    if deps.standards is not None:
        app.include_router(standards_pages.router(deps, pages))
    if deps.drills is not None:
        app.include_router(drill_pages.router(deps, pages))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    if deps.page_concurrency > 0:
        app.add_middleware(PageGate, concurrency=deps.page_concurrency)

    def error_page(request: Request, status: int, title: str, message: str) -> Response:
        session = session_of(deps, request)
        return pages.render(
            "error.html",
            context(deps, request, session) | {"title": title, "message": message},
            status=status,
        )

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        if request.headers.get("hx-request") == "true":
            current = urlsplit(request.headers.get("hx-current-url", ""))
            back = safe_next(current.path + (f"?{current.query}" if current.query else ""))
            return Response(
                status_code=401, headers={"HX-Redirect": "/login?" + urlencode({"next": back})}
            )
        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET":
            back = "/incidents"
        return RedirectResponse("/login?" + urlencode({"next": safe_next(back)}), 303)

    @app.exception_handler(CsrfRefused)
    def _csrf(request: Request, exc: CsrfRefused) -> Response:
        return error_page(
            request,
            403,
            "This form has expired",
            "Nothing was changed. Reload the page and try again.",
        )

    @app.exception_handler(FormTooLarge)
    def _too_large(request: Request, exc: FormTooLarge) -> Response:
        return error_page(
            request, 413, "Too much text", "Nothing was changed: the form is too large."
        )
