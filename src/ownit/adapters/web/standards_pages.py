"""``/standards`` (:class:`StandardsPages`): every service's level and what it misses, per
team; and the level badge on each service page (:func:`standards_badge`).

No ``from __future__ import annotations`` here: FastAPI reads the route signatures, whose
dependencies are local ``Annotated`` aliases.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from ownit.adapters.web.deps import WebDeps, signed_in
from ownit.adapters.web.page_handlers import PageHandlers
from ownit.adapters.web.templating import Pages
from ownit.app import standards as uc
from ownit.app.accounts import WebSession
from ownit.app.oncall import StoredOverride
from ownit.domain.catalog import Snapshot


def standards_badge(
    deps: WebDeps,
    service: str,
    snapshot: Snapshot | None = None,
    overrides: Sequence[StoredOverride] | None = None,
) -> dict[str, Any]:
    """For a service page: its level and the failing standards (``standards``: ``None``
    when the page has no standards source). ``snapshot`` and ``overrides``: the catalog and
    the schedules' API overrides (ending after a moment ago) that the page has just read
    (once a page, not once more for the badge)."""
    if deps.standards is None:
        return {"standards": None}
    try:
        found = uc.report(
            sources=deps.standards,
            clock=deps.clock,
            service=service,
            snapshot=snapshot,
            overrides=overrides,
        )
    except uc.InvalidStandardsRequest:
        return {"standards": None}
    return {"standards": found.services[0] if found.services else None}


@dataclass
class StandardsPages(PageHandlers):
    def page(self, request: Request, session: WebSession, team: str) -> Response:
        assert self.deps.standards is not None
        try:
            found = uc.report(sources=self.deps.standards, clock=self.deps.clock, team=team or None)
        except uc.InvalidStandardsRequest as exc:
            return self._error(request, session, 400, "Cannot show these standards", str(exc))
        by_team: dict[str, list[Any]] = {}
        for s in found.services:
            by_team.setdefault(s.team or "", []).append(s)
        return self.pages.render(
            "standards.html",
            self._context(request, session)
            | {
                "report": found,
                "by_team": sorted(by_team.items()),
                "level_names": ["none", *(lv.name for lv in found.levels)],
                "team": team,
            },
        )


def router(deps: WebDeps, pages: Pages) -> APIRouter:
    web = APIRouter(include_in_schema=False)
    handlers = StandardsPages(deps, pages)
    me = Annotated[WebSession, Depends(signed_in(deps))]

    @web.get("/standards")
    def standards_page(request: Request, session: me, team: str = "") -> Response:
        return handlers.page(request, session, team)

    return web
