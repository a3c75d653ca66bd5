"""What every page handler class shares: the deps and the templates, the layout's context, the
error pages, and the form dependency the routes name.
"""

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.responses import Response

from ownit.adapters.web.deps import Form, WebDeps, read_form
from ownit.adapters.web.templating import Pages
from ownit.app.accounts import WebSession
from ownit.domain.permissions import Action

# A route's posted form (``application/x-www-form-urlencoded``, at most ``MAX_FORM`` bytes).
PostedForm = Annotated[Form, Depends(read_form)]

NO_STORE = {"Cache-Control": "no-store"}  # pages that show a secret once


def context(deps: WebDeps, request: Request, session: WebSession | None) -> dict[str, Any]:
    """What every page's layout needs."""
    return {
        "me": session.account if session else None,
        "csrf": session.csrf_token if session else "",
        "path": request.url.path,
        "now": deps.clock.now(),
        "standards_page": deps.standards is not None,
    }


def is_admin(session: WebSession) -> bool:
    """The signed-in person may administer (see every token, invite people, change roles)."""
    return session.account.permissions.may(Action.ADMINISTER)


def is_htmx(request: Request) -> bool:
    """The request comes from htmx (it swaps a fragment of the page)."""
    return request.headers.get("hx-request") == "true"


@dataclass
class PageHandlers:
    """The base of the page handler classes: they hold ``deps`` and ``pages``."""

    deps: WebDeps
    pages: Pages

    def _context(self, request: Request, session: WebSession | None) -> dict[str, Any]:
        return context(self.deps, request, session)

    def _error(
        self, request: Request, session: WebSession | None, status: int, title: str, message: str
    ) -> Response:
        """The error page: ``title`` and ``message``, answered with ``status``."""
        return self.pages.render(
            "error.html",
            self._context(request, session) | {"title": title, "message": message},
            status=status,
        )

    def _admins_only(self, request: Request, session: WebSession) -> Response:
        """The answer to someone who is not an admin, on an admins' page or form."""
        return self._error(
            request, session, 403, "Not allowed", "Only admins may do this. Nothing was changed."
        )
