"""People and invitations in the UI: ``/people`` and ``/invite/{token}`` (:class:`PeoplePages`).

Admins list the catalog's people, invite them (a set-password link shown once) and change
organisation roles (decision 0011); the invited person sets a password on the link.

No ``from __future__ import annotations`` here: FastAPI reads the route signatures, whose
dependencies are local ``Annotated`` aliases.
"""

import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from ownit.adapters.web.account_pages import LOGIN_TOKEN_AGE, start_session
from ownit.adapters.web.deps import Form, WebDeps, check_csrf, signed_in
from ownit.adapters.web.page_handlers import NO_STORE, PageHandlers, PostedForm, is_admin
from ownit.adapters.web.templating import Pages
from ownit.app import accounts, invitations
from ownit.app.accounts import AccountError, WebSession


@dataclass
class PeoplePages(PageHandlers):
    """The people list, invitations and organisation roles (admins), and accepting an invite."""

    def __post_init__(self) -> None:
        if self.deps.people is None:  # pragma: no cover - router() only builds it when wired
            raise RuntimeError("the people pages need deps.people")
        self._people = self.deps.people

    def _people_page(
        self,
        request: Request,
        session: WebSession,
        *,
        link: str = "",
        linked: str = "",
        errors: dict[str, str] | None = None,
        done: str = "",
        status: int = 200,
    ) -> Response:
        return self.pages.render(
            "people.html",
            self._context(request, session)
            | {
                "people": self._people.people(),
                "link": link,
                "linked": linked,
                "errors": errors or {},
                "done": done,
            },
            status=status,
            headers=NO_STORE if link else None,
        )

    def people_list(self, request: Request, session: WebSession, changed: str = "") -> Response:
        if not is_admin(session):
            return self._admins_only(request, session)
        done = f"{changed}'s role is changed." if changed else ""
        return self._people_page(request, session, done=done)

    def invite(self, request: Request, session: WebSession, form: Form, name: str) -> Response:
        check_csrf(session, request, form)
        if not is_admin(session):
            return self._admins_only(request, session)
        try:
            person, token = invitations.invite(store=self._people, clock=self.deps.clock, name=name)
        except AccountError as exc:
            errors = {f"invite-{name}": exc.detail}
            return self._people_page(request, session, errors=errors, status=400)
        link = f"{self.deps.base_url.rstrip('/')}/invite/{token}"
        return self._people_page(request, session, link=link, linked=person.name, status=201)

    def change_role(self, request: Request, session: WebSession, form: Form, name: str) -> Response:
        check_csrf(session, request, form)
        if not is_admin(session):
            return self._admins_only(request, session)
        try:
            invitations.change_org_role(
                store=self._people, clock=self.deps.clock, name=name, role=form.get("role")
            )
        except AccountError as exc:
            errors = {f"role-{name}": exc.detail}
            return self._people_page(request, session, errors=errors, status=400)
        return RedirectResponse(f"/people?changed={name}", status_code=303)

    def _invite_page(
        self,
        request: Request,
        token: str,
        *,
        errors: dict[str, str] | None = None,
        status: int = 200,
    ) -> Response:
        deps = self.deps
        try:
            person = invitations.invited_person(store=self._people, clock=deps.clock, token=token)
        except invitations.InviteRefused as exc:
            message = f"{exc}.".capitalize()
            return self._error(request, None, 410, "This link does not work", message)
        form_token = secrets.token_urlsafe(32)  # as on /login: no session to carry a CSRF token
        response = self.pages.render(
            "invite.html",
            self._context(request, None)
            | {"person": person, "token": token, "errors": errors or {}, "form_csrf": form_token},
            status=status,
        )
        response.set_cookie(
            deps.login_cookie,
            form_token,
            max_age=LOGIN_TOKEN_AGE,
            path="/",
            secure=deps.secure_cookies,
            httponly=True,
            samesite="lax",
        )
        return response

    def invite_form(self, request: Request, token: str) -> Response:
        return self._invite_page(request, token)

    def accept(self, request: Request, token: str, form: Form) -> Response:
        deps = self.deps
        # No session yet: a cookie set with the form (as on /login) stops a cross-site POST
        # from signing a browser into someone else's new account.
        expected = request.cookies.get(deps.login_cookie, "")
        sent = form.get("csrf")
        if not expected or not secrets.compare_digest(sent.encode(), expected.encode()):
            expired = {"password": "this form had expired; try again"}
            return self._invite_page(request, token, errors=expired, status=403)
        try:
            new = invitations.accept_invite(
                store=self._people,
                accounts=deps.accounts,
                hasher=deps.hasher,
                clock=deps.clock,
                token=token,
                password=form.get("password"),
                password_again=form.get("password_again"),
                policy=deps.policy,
            )
        except AccountError as exc:
            return self._invite_page(request, token, errors={exc.field: exc.detail}, status=400)
        except invitations.InviteRefused:
            return self._invite_page(request, token)
        previous = request.cookies.get(deps.session_cookie)
        if previous:
            accounts.logout(store=deps.accounts, session_id=previous)
        response = RedirectResponse("/incidents", status_code=303)
        start_session(deps, response, new)
        response.delete_cookie(deps.login_cookie, path="/", secure=deps.secure_cookies)
        return response


def router(deps: WebDeps, pages: Pages) -> APIRouter:
    web = APIRouter(include_in_schema=False)
    if deps.people is None:
        return web  # not wired (a test app without them): no such pages
    handlers = PeoplePages(deps, pages)
    me = Annotated[WebSession, Depends(signed_in(deps))]

    @web.get("/people")
    def people_list(request: Request, session: me, changed: str = "") -> Response:
        return handlers.people_list(request, session, changed)

    @web.post("/people/{name}/invite")
    def invite(request: Request, session: me, form: PostedForm, name: str) -> Response:
        return handlers.invite(request, session, form, name)

    @web.post("/people/{name}/role")
    def change_role(request: Request, session: me, form: PostedForm, name: str) -> Response:
        return handlers.change_role(request, session, form, name)

    @web.get("/invite/{token}")
    def invite_form(request: Request, token: str) -> Response:
        return handlers.invite_form(request, token)

    @web.post("/invite/{token}")
    def accept(request: Request, token: str, form: PostedForm) -> Response:
        return handlers.accept(request, token, form)

    return web
