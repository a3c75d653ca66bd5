"""The catalog pages (:class:`CatalogPages`): ``/services``, ``/services/{name}``, ``/teams``,
``/teams/{name}`` and ``/policies/{name}``. Read-only: the catalog is changed as code
(``ownit catalog apply``).

Each page reads what it shows in a few batch queries (``SqlCatalogView``); who is on call now
comes from the on-call use cases (``oncall.everyone``, ``policy_reach.reach``).

No ``from __future__ import annotations`` here: FastAPI reads the route signatures, whose
dependencies are local ``Annotated`` aliases.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from ownit.adapters.web.analytics_pages import baseline_flags
from ownit.adapters.web.dependency_picture import layout
from ownit.adapters.web.deps import WebDeps, signed_in
from ownit.adapters.web.page_handlers import PageHandlers, is_htmx
from ownit.adapters.web.standards_pages import standards_badge
from ownit.adapters.web.templating import Pages
from ownit.app import oncall
from ownit.app.accounts import WebSession
from ownit.app.incidents import IncidentFilter
from ownit.app.oncall import Person
from ownit.app.policy_reach import reach
from ownit.domain import dependencies as graphs
from ownit.domain.durations import format_duration

RECENT_INCIDENTS = 20
RECENT_CHANGES = 20
CHANGES_WINDOW = timedelta(hours=24)


def duration(value: timedelta | None) -> str:
    if value is None:
        return ""
    return "at once" if value == timedelta(0) else format_duration(value)


def components(raw: tuple[Any, ...]) -> list[dict[str, Any]]:
    """A service's components as the page lists them (name, owner, policy, matchers)."""
    found = []
    for item in raw:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            match = item.get("match") or []
            found.append(
                {
                    "name": item["name"],
                    "owner": item.get("owner"),
                    "policy": item.get("escalationPolicy"),
                    "match": [m for m in match if isinstance(m, str)]
                    if isinstance(match, list)
                    else [],
                }
            )
    return found


@dataclass
class CatalogPages(PageHandlers):
    """Services, teams and escalation policies, as the catalog states them."""

    def __post_init__(self) -> None:
        view, history = self.deps.catalog, self.deps.history
        if view is None or history is None:  # pragma: no cover - bootstrap wires them
            raise RuntimeError("the catalog pages need deps.catalog and deps.history")
        self._view, self._history = view, history
        # The service page only reads: the read-only stores where they are wired.
        self._incidents = self.deps.incident_reads or self.deps.incidents
        self._schedules = self.deps.schedule_reads or self.deps.schedules

    def _not_found(self, request: Request, session: WebSession, what: str, name: str) -> Response:
        return self._error(request, session, 404, "Not found", f"There is no {what} {name}.")

    def _common(self, request: Request, session: WebSession) -> dict[str, Any]:
        return self._context(request, session) | {"duration": duration}

    # --- services --------------------------------------------------------------------------

    def service_list(self, request: Request, session: WebSession, q: str = "") -> Response:
        deps = self.deps
        q = q.strip()[:100]
        rows = self._view.services(q)
        now = oncall.everyone(store=deps.schedules, at=deps.clock.now())
        first: dict[str, tuple[Person, ...]] = {
            s.service: s.levels[0].people if s.levels else () for s in now.services
        }
        ctx = self._common(request, session) | {"rows": rows, "q": q, "first": first}
        if is_htmx(request) and request.headers.get("hx-target") == "service-table":
            return self.pages.render("_service_table.html", ctx)
        return self.pages.render("services.html", ctx)

    def service_page(self, request: Request, session: WebSession, name: str) -> Response:
        deps, view = self.deps, self._view
        # The catalog once a page (kept while unchanged, decision 0067): the service, its
        # neighbours, its policy and that policy's schedules, and the standards badge.
        snapshot = view.snapshot()
        found = view.service(name, snapshot)
        if found is None:
            return self._not_found(request, session, "service", name)
        at = deps.clock.now()
        graph, counts = found["graph"], found["open_counts"]
        upstream = list(graph.get(name, ()))
        dependants = graphs.reverse(graph)
        downstream = list(dependants.get(name, ()))
        picture = layout(name, upstream, downstream, counts)
        policy = snapshot.policies.get(found["escalation_policy"] or "")
        # The schedules' API overrides once, for the policy's reach and the badge's world.
        overrides = self._schedules.overrides(since=at)
        levels = (
            reach(
                store=self._schedules,
                policy=policy,
                at=at,
                schedules=snapshot.schedules,
                overrides=overrides,
            )
            if policy
            else ()
        )
        # Brief: the list shows number, title, status, component and age, not the owners.
        incidents = self._incidents.search(
            IncidentFilter(service=name, limit=RECENT_INCIDENTS, brief=True)
        )
        changes = self._history.changes([name], at - CHANGES_WINDOW, limit=RECENT_CHANGES)
        obj = found["obj"]
        return self.pages.render(
            "service.html",
            self._common(request, session)
            | baseline_flags(deps, "service", name)
            | standards_badge(deps, name, snapshot, overrides)
            | {
                "s": found,
                "obj": obj,
                "components": components(obj.components),
                "pic": picture,
                "open_here": counts.get(name, 0),
                "levels": levels,
                "incidents": incidents,
                "changes": changes,
                "upstream_all": graphs.upstream(graph, name),
                "downstream_all": graphs.closure(dependants, name),  # = graphs.downstream
            },
        )

    # --- teams -----------------------------------------------------------------------------

    def _on_call_names(self) -> dict[str, list[str]]:
        """Each person on call now, with the schedules they are on call in."""
        found: dict[str, list[str]] = {}
        for s in oncall.everyone(store=self.deps.schedules, at=self.deps.clock.now()).schedules:
            for p in s.people:
                found.setdefault(p.name, []).append(s.schedule)
        return found

    def team_list(self, request: Request, session: WebSession) -> Response:
        rows = self._view.teams()
        return self.pages.render("teams.html", self._common(request, session) | {"rows": rows})

    def team_page(self, request: Request, session: WebSession, name: str) -> Response:
        found = self._view.team(name)
        if found is None:
            return self._not_found(request, session, "team", name)
        return self.pages.render(
            "team.html",
            self._common(request, session)
            | baseline_flags(self.deps, "team", name)
            | {"team": found, "on_call": self._on_call_names()},
        )

    # --- escalation policies ---------------------------------------------------------------

    def policy_page(self, request: Request, session: WebSession, name: str) -> Response:
        found = self._view.policy(name)
        if found is None:
            return self._not_found(request, session, "escalation policy", name)
        at = self.deps.clock.now()
        return self.pages.render(
            "policy.html",
            self._common(request, session)
            | {
                "p": found,
                "obj": found["obj"],
                "levels": reach(store=self.deps.schedules, policy=found["obj"], at=at),
            },
        )


def router(deps: WebDeps, pages: Pages) -> APIRouter:
    web = APIRouter(include_in_schema=False)
    handlers = CatalogPages(deps, pages)
    me = Annotated[WebSession, Depends(signed_in(deps))]

    @web.get("/services")
    def service_list(request: Request, session: me, q: str = "") -> Response:
        return handlers.service_list(request, session, q)

    @web.get("/services/{name}")
    def service_page(request: Request, session: me, name: str) -> Response:
        return handlers.service_page(request, session, name)

    @web.get("/teams")
    def team_list(request: Request, session: me) -> Response:
        return handlers.team_list(request, session)

    @web.get("/teams/{name}")
    def team_page(request: Request, session: me, name: str) -> Response:
        return handlers.team_page(request, session, name)

    @web.get("/policies/{name}")
    def policy_page(request: Request, session: me, name: str) -> Response:
        return handlers.policy_page(request, session, name)

    return web
