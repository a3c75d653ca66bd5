"""The organisation's settings in the UI: ``/admin/settings`` (:class:`SettingsPages`),
admins only: who responds to incidents (decision 0031). A change is an audit-log row.

No ``from __future__ import annotations`` here: FastAPI reads the route signatures, whose
dependencies are local ``Annotated`` aliases.
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from ownit.adapters.web.deps import Form, WebDeps, check_csrf, signed_in
from ownit.adapters.web.page_handlers import PageHandlers, PostedForm, is_admin
from ownit.adapters.web.templating import Pages
from ownit.app import org_settings
from ownit.app.accounts import WebSession
from ownit.app.org_settings import RESPONDING, InvalidSetting, OrgSettingsStore


@dataclass
class SettingsPages(PageHandlers):
    """Show and change the organisation's settings."""

    def _store(self) -> OrgSettingsStore:
        if self.deps.org_settings is None:  # pragma: no cover - router() only wires it so
            raise RuntimeError("the settings page needs deps.org_settings")
        return self.deps.org_settings

    def _page(
        self,
        request: Request,
        session: WebSession,
        *,
        done: str = "",
        error: str = "",
        status: int = 200,
    ) -> Response:
        return self.pages.render(
            "settings.html",
            self._context(request, session)
            | {
                "responding": self._store().responding(),
                "choices": RESPONDING,
                "done": done,
                "error": error,
            },
            status=status,
        )

    def show(self, request: Request, session: WebSession, changed: str = "") -> Response:
        if not is_admin(session):
            return self._admins_only(request, session)
        return self._page(request, session, done="The settings are saved." if changed else "")

    def change(self, request: Request, session: WebSession, form: Form) -> Response:
        check_csrf(session, request, form)
        if not is_admin(session):
            return self._admins_only(request, session)
        try:
            org_settings.set_responding(
                store=self._store(), clock=self.deps.clock, value=form.get("responding", "")
            )
        except InvalidSetting as exc:
            return self._page(request, session, error=f"Responding: {exc}", status=400)
        return RedirectResponse("/admin/settings?changed=1", status_code=303)


def router(deps: WebDeps, pages: Pages) -> APIRouter:
    web = APIRouter(include_in_schema=False)
    if deps.org_settings is None:
        return web  # not wired (a test app without it): no such page
    handlers = SettingsPages(deps, pages)
    me = Annotated[WebSession, Depends(signed_in(deps))]

    @web.get("/admin/settings")
    def show(request: Request, session: me, changed: str = "") -> Response:
        return handlers.show(request, session, changed)

    @web.post("/admin/settings")
    def change(request: Request, session: me, form: PostedForm) -> Response:
        return handlers.change(request, session, form)

    return web
