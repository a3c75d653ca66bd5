"""Pages for accounts: ``/login``, ``/logout``, ``/me/password`` (:class:`AccountPages`), and
the session cookie they set and clear.

No ``from __future__ import annotations`` here: FastAPI reads the route signatures, whose
dependencies are local ``Annotated`` aliases.
"""

import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from ownit.adapters.web.deps import (
    Form,
    WebDeps,
    check_csrf,
    client_of,
    session_of,
    signed_in,
)
from ownit.adapters.web.page_handlers import PageHandlers, PostedForm
from ownit.adapters.web.redirects import safe_next
from ownit.adapters.web.templating import Pages
from ownit.app import accounts
from ownit.app.accounts import AccountError, LoginRefused, NewSession, TooManyAttempts, WebSession

LOGIN_TOKEN_AGE = 3600


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


@dataclass
class AccountPages(PageHandlers):
    """Signing in and out, and changing one's password."""

    def _login_page(
        self,
        request: Request,
        *,
        next_url: str,
        email: str = "",
        error: str = "",
        status: int = 200,
    ) -> Response:
        deps = self.deps
        token = secrets.token_urlsafe(32)
        response = self.pages.render(
            "login.html",
            self._context(request, None)
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

    def login_form(self, request: Request, next: str = "") -> Response:
        target = safe_next(next)
        if session_of(self.deps, request) is not None:
            return RedirectResponse(target, status_code=303)
        return self._login_page(request, next_url=target)

    def login(self, request: Request, form: Form) -> Response:
        deps = self.deps
        target = safe_next(form.get("next"))
        email = form.get("email").strip()
        expected = request.cookies.get(deps.login_cookie, "")
        sent = form.get("csrf")
        if not expected or not secrets.compare_digest(sent.encode(), expected.encode()):
            return self._login_page(
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
                throttle=deps.throttle,
                limits=deps.limits,
                email=email,
                password=form.get("password"),
                client=client_of(request),
                previous_session_id=request.cookies.get(deps.session_cookie),
                policy=deps.policy,
            )
        except TooManyAttempts as exc:
            response = self._login_page(
                request, next_url=target, email=email, error=f"{exc}.".capitalize(), status=429
            )
            response.headers["Retry-After"] = str(int(exc.retry_after) + 1)
            return response
        except LoginRefused:
            return self._login_page(
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

    def logout_form(self, request: Request, session: WebSession) -> Response:
        return self.pages.render("logout.html", self._context(request, session))

    def logout(self, request: Request, form: Form) -> Response:
        deps = self.deps
        session = session_of(deps, request)
        response = RedirectResponse("/login", status_code=303)
        if session is not None:
            check_csrf(session, request, form)
            accounts.logout(
                store=deps.accounts, session_id=request.cookies.get(deps.session_cookie, "")
            )
        end_session(deps, response)
        return response

    def password_form(self, request: Request, session: WebSession, changed: str = "") -> Response:
        return self.pages.render(
            "password.html",
            self._context(request, session) | {"errors": {}, "changed": changed == "1"},
        )

    def change_password(self, request: Request, session: WebSession, form: Form) -> Response:
        deps = self.deps
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
            return self.pages.render(
                "password.html",
                self._context(request, session)
                | {"errors": {exc.field: exc.detail}, "changed": False},
                status=400,
            )
        response = RedirectResponse("/me/password?changed=1", status_code=303)
        start_session(deps, response, new)
        return response


def router(deps: WebDeps, pages: Pages) -> APIRouter:
    web = APIRouter(include_in_schema=False)
    handlers = AccountPages(deps, pages)
    me = Annotated[WebSession, Depends(signed_in(deps))]

    @web.get("/login")
    def login_form(request: Request, next: str = "") -> Response:
        return handlers.login_form(request, next)

    @web.post("/login")
    def login(request: Request, form: PostedForm) -> Response:
        return handlers.login(request, form)

    @web.get("/logout")
    def logout_form(request: Request, session: me) -> Response:
        return handlers.logout_form(request, session)

    @web.post("/logout")
    def logout(request: Request, form: PostedForm) -> Response:
        return handlers.logout(request, form)

    @web.get("/me/password")
    def password_form(request: Request, session: me, changed: str = "") -> Response:
        return handlers.password_form(request, session, changed)

    @web.post("/me/password")
    def change_password(request: Request, session: me, form: PostedForm) -> Response:
        return handlers.change_password(request, session, form)

    return web
