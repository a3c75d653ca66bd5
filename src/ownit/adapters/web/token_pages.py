"""API tokens in the UI: ``/me/tokens`` and ``/admin/tokens`` (:class:`TokenPages`).

Everyone signed in makes and revokes their own API tokens (a token acts as its maker, or only
reads when made read-only). Admins also see and revoke every token (decision 0011).

No ``from __future__ import annotations`` here: FastAPI reads the route signatures, whose
dependencies are local ``Annotated`` aliases.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from ownit.adapters.web.deps import Form, WebDeps, check_csrf, signed_in
from ownit.adapters.web.page_handlers import NO_STORE, PageHandlers, PostedForm, is_admin
from ownit.adapters.web.templating import Pages
from ownit.app.accounts import WebSession
from ownit.app.tokens import InvalidToken, Role, create_token

# How long a token made on /me/tokens works (the form's choices; decision 0031).
LIFETIMES: dict[str, timedelta | None] = {
    "30 days": timedelta(days=30),
    "90 days": timedelta(days=90),
    "1 year": timedelta(days=365),
    "never": None,
}
DEFAULT_LIFETIME = "90 days"


@dataclass
class TokenPages(PageHandlers):
    """One's own API tokens, and (for admins) everyone's."""

    def __post_init__(self) -> None:
        if self.deps.tokens is None:  # pragma: no cover - router() only builds it when wired
            raise RuntimeError("the token pages need deps.tokens")
        self._tokens = self.deps.tokens

    def _tokens_page(
        self,
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
        rows = self._tokens.all(None if everyone else session.account.user_id)
        return self.pages.render(
            "tokens.html",
            self._context(request, session)
            | {
                "everyone": everyone,
                "tokens": [r for r in rows if r["revoked_at"] is None],
                "lifetimes": list(LIFETIMES),
                "default_lifetime": DEFAULT_LIFETIME,
                "new_token": new_token,
                "errors": errors or {},
                "values": values or {},
                "done": done,
                "is_admin": is_admin(session),
            },
            status=status,
            headers=NO_STORE if new_token else None,
        )

    def my_tokens(self, request: Request, session: WebSession, revoked: str = "") -> Response:
        return self._tokens_page(request, session, done="The token is revoked." if revoked else "")

    def make_token(self, request: Request, session: WebSession, form: Form) -> Response:
        check_csrf(session, request, form)
        name = form.get("name").strip()
        read_only = form.get("read_only") == "yes"
        expires = form.get("expires", DEFAULT_LIFETIME)
        values = {"name": name, "read_only": read_only, "expires": expires}
        if expires not in LIFETIMES:
            return self._tokens_page(
                request,
                session,
                errors={"expires": f"choose one of {', '.join(LIFETIMES)}"},
                values=values,
                status=400,
            )
        try:
            token = create_token(
                store=self._tokens,
                clock=self.deps.clock,
                name=name,
                role=(Role.VIEWER if read_only else Role.RESPONDER).value,
                user_id=session.account.user_id,
                lifetime=LIFETIMES[expires],
            )
        except InvalidToken as exc:
            return self._tokens_page(
                request, session, errors={"name": str(exc)}, values=values, status=400
            )
        return self._tokens_page(request, session, new_token=token, status=201)

    def revoke_mine(
        self, request: Request, session: WebSession, form: Form, token_id: int
    ) -> Response:
        check_csrf(session, request, form)
        if form.get("confirm") != "yes":
            return self._tokens_page(
                request,
                session,
                errors={f"confirm-{token_id}": "tick the box to confirm"},
                status=400,
            )
        now = self.deps.clock.now()
        if not self._tokens.revoke(token_id, now, user_id=session.account.user_id):
            return self._error(
                request, session, 404, "No such token", "You have no live token with this id."
            )
        return RedirectResponse("/me/tokens?revoked=1", status_code=303)

    def all_tokens(self, request: Request, session: WebSession, revoked: str = "") -> Response:
        if not is_admin(session):
            return self._admins_only(request, session)
        done = "The token is revoked." if revoked else ""
        return self._tokens_page(request, session, everyone=True, done=done)

    def revoke_any(
        self, request: Request, session: WebSession, form: Form, token_id: int
    ) -> Response:
        check_csrf(session, request, form)
        if not is_admin(session):
            return self._admins_only(request, session)
        if form.get("confirm") != "yes":
            return self._tokens_page(
                request,
                session,
                everyone=True,
                errors={f"confirm-{token_id}": "tick the box to confirm"},
                status=400,
            )
        if not self._tokens.revoke(token_id, self.deps.clock.now()):
            return self._error(
                request, session, 404, "No such token", "There is no live token with this id."
            )
        return RedirectResponse("/admin/tokens?revoked=1", status_code=303)


def router(deps: WebDeps, pages: Pages) -> APIRouter:
    web = APIRouter(include_in_schema=False)
    if deps.tokens is None:
        return web  # not wired (a test app without them): no such pages
    handlers = TokenPages(deps, pages)
    me = Annotated[WebSession, Depends(signed_in(deps))]

    @web.get("/me/tokens")
    def my_tokens(request: Request, session: me, revoked: str = "") -> Response:
        return handlers.my_tokens(request, session, revoked)

    @web.post("/me/tokens")
    def make_token(request: Request, session: me, form: PostedForm) -> Response:
        return handlers.make_token(request, session, form)

    @web.post("/me/tokens/{token_id}/revoke")
    def revoke_mine(request: Request, session: me, form: PostedForm, token_id: int) -> Response:
        return handlers.revoke_mine(request, session, form, token_id)

    @web.get("/admin/tokens")
    def all_tokens(request: Request, session: me, revoked: str = "") -> Response:
        return handlers.all_tokens(request, session, revoked)

    @web.post("/admin/tokens/{token_id}/revoke")
    def revoke_any(request: Request, session: me, form: PostedForm, token_id: int) -> Response:
        return handlers.revoke_any(request, session, form, token_id)

    return web
