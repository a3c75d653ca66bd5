"""Pages for accounts: ``/login``, ``/logout``, ``/me/password``.

No ``from __future__ import annotations`` here: FastAPI reads the route signatures, whose
dependencies are local ``Annotated`` aliases.
"""

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from ownit.adapters.web.deps import (
    Form,
    WebDeps,
    check_csrf,
    read_form,
    session_of,
    signed_in,
)
from ownit.adapters.web.redirects import safe_next
from ownit.adapters.web.templating import Pages
from ownit.app import accounts
from ownit.app.accounts import AccountError, LoginRefused, NewSession, TooManyAttempts, WebSession

LOGIN_TOKEN_AGE = 3600


def context(deps: WebDeps, request: Request, session: WebSession | None) -> dict[str, Any]:
    """What every page's layout needs."""
    return {
        "me": session.account if session else None,
        "csrf": session.csrf_token if session else "",
        "path": request.url.path,
        "now": deps.clock.now(),
    }


def start_session(deps: WebDeps, response: Response, new: NewSession) -> None:
    max_age = max(0, int((new.expires_at - deps.clock.now()).total_seconds()))
    response.set_cookie(
        deps.session_cookie,
        new.session_id,
        max_age=max_age,
        path="/",
        secure=deps.secure_cookies,
        httponly=True,
        samesite="lax",
    )


def end_session(deps: WebDeps, response: Response) -> None:
    response.delete_cookie(
        deps.session_cookie, path="/", secure=deps.secure_cookies, httponly=True, samesite="lax"
    )


def router(deps: WebDeps, pages: Pages) -> APIRouter:
    web = APIRouter(include_in_schema=False)
    posted_form = Annotated[Form, Depends(read_form)]

    me = Annotated[WebSession, Depends(signed_in(deps))]

    def login_page(
        request: Request,
        *,
        next_url: str,
        email: str = "",
        error: str = "",
        status: int = 200,
    ) -> Response:
        token = secrets.token_urlsafe(32)
        response = pages.render(
            "login.html",
            context(deps, request, None)
            | {"login_csrf": token, "next": next_url, "email": email, "error": error},
            status=status,
        )
        response.set_cookie(
            deps.login_cookie,
            token,
            max_age=LOGIN_TOKEN_AGE,
            path="/",
            secure=deps.secure_cookies,
            httponly=True,
            samesite="lax",
        )
        return response

    @web.get("/login")
    def login_form(request: Request, next: str = "") -> Response:
        target = safe_next(next)
        if session_of(deps, request) is not None:
            return RedirectResponse(target, status_code=303)
        return login_page(request, next_url=target)

    @web.post("/login")
    def login(request: Request, form: posted_form) -> Response:
        target = safe_next(form.get("next"))
        email = form.get("email").strip()
        expected = request.cookies.get(deps.login_cookie, "")
        sent = form.get("csrf")
        if not expected or not secrets.compare_digest(sent.encode(), expected.encode()):
            return login_page(
                request,
                next_url=target,
                email=email,
                error="This form had expired. Please sign in again.",
                status=403,
            )
        try:
            new = accounts.login(
                store=deps.accounts,
                hasher=deps.hasher,
                clock=deps.clock,
                throttles=deps.throttles,
                email=email,
                password=form.get("password"),
                client=request.client.host if request.client else "unknown",
                previous_session_id=request.cookies.get(deps.session_cookie),
                policy=deps.policy,
            )
        except TooManyAttempts as exc:
            response = login_page(
                request, next_url=target, email=email, error=f"{exc}.".capitalize(), status=429
            )
            response.headers["Retry-After"] = str(int(exc.retry_after) + 1)
            return response
        except LoginRefused:
            return login_page(
                request,
                next_url=target,
                email=email,
                error="The email or the password is wrong.",
                status=400,
            )
        response = RedirectResponse(target, status_code=303)
        start_session(deps, response, new)
        response.delete_cookie(deps.login_cookie, path="/", secure=deps.secure_cookies)
        return response

    @web.get("/logout")
    def logout_form(request: Request, session: me) -> Response:
        return pages.render("logout.html", context(deps, request, session))

    @web.post("/logout")
    def logout(request: Request, form: posted_form) -> Response:
        session = session_of(deps, request)
        response = RedirectResponse("/login", status_code=303)
        if session is not None:
            check_csrf(session, request, form)
            accounts.logout(
                store=deps.accounts, session_id=request.cookies.get(deps.session_cookie, "")
            )
        end_session(deps, response)
        return response

    @web.get("/me/password")
    def password_form(request: Request, session: me, changed: str = "") -> Response:
        return pages.render(
            "password.html",
            context(deps, request, session) | {"errors": {}, "changed": changed == "1"},
        )

    @web.post("/me/password")
    def change_password(request: Request, session: me, form: posted_form) -> Response:
        check_csrf(session, request, form)
        try:
            new = accounts.change_password(
                store=deps.accounts,
                hasher=deps.hasher,
                clock=deps.clock,
                session=session,
                current=form.get("current"),
                new=form.get("new"),
                new_again=form.get("new_again"),
                policy=deps.policy,
            )
        except AccountError as exc:
            return pages.render(
                "password.html",
                context(deps, request, session)
                | {"errors": {exc.field: exc.detail}, "changed": False},
                status=400,
            )
        response = RedirectResponse("/me/password?changed=1", status_code=303)
        start_session(deps, response, new)
        return response

    return web
