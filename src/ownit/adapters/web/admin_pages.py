"""API tokens and people in the UI: ``/me/tokens``, ``/admin/tokens``, ``/people``,
``/invite/{token}``.

Everyone signed in makes and revokes their own API tokens (a token acts as its maker, or only
reads when made read-only). Admins also see and revoke every token, list the catalog's people,
invite them (a set-password link shown once) and change organisation roles (decision 0011).

No ``from __future__ import annotations`` here: FastAPI reads the route signatures, whose
dependencies are local ``Annotated`` aliases.
"""

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from ownit.adapters.web.account_pages import LOGIN_TOKEN_AGE, context, start_session
from ownit.adapters.web.deps import (
    Form,
    WebDeps,
    check_csrf,
    read_form,
    signed_in,
)
from ownit.adapters.web.templating import Pages
from ownit.app import accounts, invitations
from ownit.app.accounts import AccountError, WebSession
from ownit.app.tokens import InvalidToken, Role, create_token
from ownit.domain.permissions import Action

NO_STORE = {"Cache-Control": "no-store"}  # pages that show a secret once


def router(deps: WebDeps, pages: Pages) -> APIRouter:
    web = APIRouter(include_in_schema=False)
    posted_form = Annotated[Form, Depends(read_form)]
    tokens, people = deps.tokens, deps.people
    if tokens is None or people is None:
        return web  # not wired (a test app without them): no such pages

    me = Annotated[WebSession, Depends(signed_in(deps))]

    def is_admin(session: WebSession) -> bool:
        return session.account.permissions.may(Action.ADMINISTER)

    def refused(request: Request, session: WebSession) -> Response:
        return pages.render(
            "error.html",
            context(deps, request, session)
            | {"title": "Not allowed", "message": "Only admins may do this. Nothing was changed."},
            status=403,
        )

    # --- API tokens ----------------------------------------------------------------------

    def tokens_page(
        request: Request,
        session: WebSession,
        *,
        everyone: bool = False,
        new_token: str = "",
        errors: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
        done: str = "",
        status: int = 200,
    ) -> Response:
        rows = tokens.all(None if everyone else session.account.user_id)
        return pages.render(
            "tokens.html",
            context(deps, request, session)
            | {
                "everyone": everyone,
                "tokens": [r for r in rows if r["revoked_at"] is None],
                "new_token": new_token,
                "errors": errors or {},
                "values": values or {},
                "done": done,
                "is_admin": is_admin(session),
            },
            status=status,
            headers=NO_STORE if new_token else None,
        )

    @web.get("/me/tokens")
    def my_tokens(request: Request, session: me, revoked: str = "") -> Response:
        return tokens_page(request, session, done="The token is revoked." if revoked else "")

    @web.post("/me/tokens")
    def make_token(request: Request, session: me, form: posted_form) -> Response:
        check_csrf(session, request, form)
        name = form.get("name").strip()
        read_only = form.get("read_only") == "yes"
        try:
            token = create_token(
                store=tokens,
                clock=deps.clock,
                name=name,
                role=(Role.VIEWER if read_only else Role.RESPONDER).value,
                user_id=session.account.user_id,
            )
        except InvalidToken as exc:
            return tokens_page(
                request,
                session,
                errors={"name": str(exc)},
                values={"name": name, "read_only": read_only},
                status=400,
            )
        return tokens_page(request, session, new_token=token, status=201)

    @web.post("/me/tokens/{token_id}/revoke")
    def revoke_mine(request: Request, session: me, form: posted_form, token_id: int) -> Response:
        check_csrf(session, request, form)
        if form.get("confirm") != "yes":
            return tokens_page(
                request,
                session,
                errors={f"confirm-{token_id}": "tick the box to confirm"},
                status=400,
            )
        if not tokens.revoke(token_id, deps.clock.now(), user_id=session.account.user_id):
            return pages.render(
                "error.html",
                context(deps, request, session)
                | {"title": "No such token", "message": "You have no live token with this id."},
                status=404,
            )
        return RedirectResponse("/me/tokens?revoked=1", status_code=303)

    @web.get("/admin/tokens")
    def all_tokens(request: Request, session: me, revoked: str = "") -> Response:
        if not is_admin(session):
            return refused(request, session)
        done = "The token is revoked." if revoked else ""
        return tokens_page(request, session, everyone=True, done=done)

    @web.post("/admin/tokens/{token_id}/revoke")
    def revoke_any(request: Request, session: me, form: posted_form, token_id: int) -> Response:
        check_csrf(session, request, form)
        if not is_admin(session):
            return refused(request, session)
        if form.get("confirm") != "yes":
            return tokens_page(
                request,
                session,
                everyone=True,
                errors={f"confirm-{token_id}": "tick the box to confirm"},
                status=400,
            )
        if not tokens.revoke(token_id, deps.clock.now()):
            return pages.render(
                "error.html",
                context(deps, request, session)
                | {"title": "No such token", "message": "There is no live token with this id."},
                status=404,
            )
        return RedirectResponse("/admin/tokens?revoked=1", status_code=303)

    # --- people and invitations ------------------------------------------------------------

    def people_page(
        request: Request,
        session: WebSession,
        *,
        link: str = "",
        linked: str = "",
        errors: dict[str, str] | None = None,
        done: str = "",
        status: int = 200,
    ) -> Response:
        return pages.render(
            "people.html",
            context(deps, request, session)
            | {
                "people": people.people(),
                "link": link,
                "linked": linked,
                "errors": errors or {},
                "done": done,
            },
            status=status,
            headers=NO_STORE if link else None,
        )

    @web.get("/people")
    def people_list(request: Request, session: me, changed: str = "") -> Response:
        if not is_admin(session):
            return refused(request, session)
        done = f"{changed}'s role is changed." if changed else ""
        return people_page(request, session, done=done)

    @web.post("/people/{name}/invite")
    def invite(request: Request, session: me, form: posted_form, name: str) -> Response:
        check_csrf(session, request, form)
        if not is_admin(session):
            return refused(request, session)
        try:
            person, token = invitations.invite(store=people, clock=deps.clock, name=name)
        except AccountError as exc:
            return people_page(request, session, errors={f"invite-{name}": exc.detail}, status=400)
        link = f"{deps.base_url.rstrip('/')}/invite/{token}"
        return people_page(request, session, link=link, linked=person.name, status=201)

    @web.post("/people/{name}/role")
    def change_role(request: Request, session: me, form: posted_form, name: str) -> Response:
        check_csrf(session, request, form)
        if not is_admin(session):
            return refused(request, session)
        try:
            invitations.change_org_role(
                store=people, clock=deps.clock, name=name, role=form.get("role")
            )
        except AccountError as exc:
            return people_page(request, session, errors={f"role-{name}": exc.detail}, status=400)
        return RedirectResponse(f"/people?changed={name}", status_code=303)

    def invite_page(
        request: Request,
        token: str,
        *,
        errors: dict[str, str] | None = None,
        status: int = 200,
    ) -> Response:
        try:
            person = invitations.invited_person(store=people, clock=deps.clock, token=token)
        except invitations.InviteRefused as exc:
            return pages.render(
                "error.html",
                context(deps, request, None)
                | {"title": "This link does not work", "message": f"{exc}.".capitalize()},
                status=410,
            )
        form_token = secrets.token_urlsafe(32)  # as on /login: no session to carry a CSRF token
        response = pages.render(
            "invite.html",
            context(deps, request, None)
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

    @web.get("/invite/{token}")
    def invite_form(request: Request, token: str) -> Response:
        return invite_page(request, token)

    @web.post("/invite/{token}")
    def accept(request: Request, token: str, form: posted_form) -> Response:
        # No session yet: a cookie set with the form (as on /login) stops a cross-site POST
        # from signing a browser into someone else's new account.
        expected = request.cookies.get(deps.login_cookie, "")
        sent = form.get("csrf")
        if not expected or not secrets.compare_digest(sent.encode(), expected.encode()):
            return invite_page(
                request, token, errors={"password": "this form had expired; try again"}, status=403
            )
        try:
            new = invitations.accept_invite(
                store=people,
                accounts=deps.accounts,
                hasher=deps.hasher,
                clock=deps.clock,
                token=token,
                password=form.get("password"),
                password_again=form.get("password_again"),
                policy=deps.policy,
            )
        except AccountError as exc:
            return invite_page(request, token, errors={exc.field: exc.detail}, status=400)
        except invitations.InviteRefused:
            return invite_page(request, token)
        previous = request.cookies.get(deps.session_cookie)
        if previous:
            accounts.logout(store=deps.accounts, session_id=previous)
        response = RedirectResponse("/incidents", status_code=303)
        start_session(deps, response, new)
        response.delete_cookie(deps.login_cookie, path="/", secure=deps.secure_cookies)
        return response

    return web
