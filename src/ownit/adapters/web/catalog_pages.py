"""The catalog pages: ``/services``, ``/services/{name}``, ``/teams``, ``/teams/{name}`` and
``/policies/{name}``. Read-only: the catalog is changed as code (``ownit catalog apply``).

Each page reads what it shows in a few batch queries (``SqlCatalogView``); who is on call now
comes from the on-call use cases (``oncall.everyone``, ``policy_reach.reach``).

No ``from __future__ import annotations`` here: FastAPI reads the route signatures, whose
dependencies are local ``Annotated`` aliases.
"""

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from ownit.adapters.web.account_pages import context
from ownit.adapters.web.dependency_picture import layout
from ownit.adapters.web.deps import WebDeps, signed_in
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


def router(deps: WebDeps, pages: Pages) -> APIRouter:
    web = APIRouter(include_in_schema=False)
    view, history = deps.catalog, deps.history
    if view is None or history is None:  # pragma: no cover - bootstrap wires them
        raise RuntimeError("the catalog pages need deps.catalog and deps.history")

    me = Annotated[WebSession, Depends(signed_in(deps))]

    def not_found(request: Request, session: WebSession, what: str, name: str) -> Response:
        return pages.render(
            "error.html",
            context(deps, request, session)
            | {"title": "Not found", "message": f"There is no {what} {name}."},
            status=404,
        )

    def common(request: Request, session: WebSession) -> dict[str, Any]:
        return context(deps, request, session) | {"duration": duration}

    # --- services --------------------------------------------------------------------------

    @web.get("/services")
    def service_list(request: Request, session: me, q: str = "") -> Response:
        q = q.strip()[:100]
        rows = view.services(q)
        now = oncall.everyone(store=deps.schedules, at=deps.clock.now())
        first: dict[str, tuple[Person, ...]] = {
            s.service: s.levels[0].people if s.levels else () for s in now.services
        }
        ctx = common(request, session) | {"rows": rows, "q": q, "first": first}
        if (
            request.headers.get("hx-request") == "true"
            and request.headers.get("hx-target") == "service-table"
        ):
            return pages.render("_service_table.html", ctx)
        return pages.render("services.html", ctx)

    @web.get("/services/{name}")
    def service_page(request: Request, session: me, name: str) -> Response:
        found = view.service(name)
        if found is None:
            return not_found(request, session, "service", name)
        at = deps.clock.now()
        graph, counts = found["graph"], found["open_counts"]
        upstream = list(graph.get(name, ()))
        dependants = graphs.reverse(graph)
        downstream = list(dependants.get(name, ()))
        picture = layout(name, upstream, downstream, counts)
        policy = (
            view.policy_object(found["escalation_policy"]) if found["escalation_policy"] else None
        )
        levels = reach(store=deps.schedules, policy=policy, at=at) if policy else ()
        incidents = deps.incidents.search(IncidentFilter(service=name, limit=RECENT_INCIDENTS))
        changes = history.changes([name], at - CHANGES_WINDOW, limit=RECENT_CHANGES)
        obj = found["obj"]
        return pages.render(
            "service.html",
            common(request, session)
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

    def on_call_names() -> dict[str, list[str]]:
        """Each person on call now, with the schedules they are on call in."""
        found: dict[str, list[str]] = {}
        for s in oncall.everyone(store=deps.schedules, at=deps.clock.now()).schedules:
            for p in s.people:
                found.setdefault(p.name, []).append(s.schedule)
        return found

    @web.get("/teams")
    def team_list(request: Request, session: me) -> Response:
        return pages.render("teams.html", common(request, session) | {"rows": view.teams()})

    @web.get("/teams/{name}")
    def team_page(request: Request, session: me, name: str) -> Response:
        found = view.team(name)
        if found is None:
            return not_found(request, session, "team", name)
        return pages.render(
            "team.html", common(request, session) | {"team": found, "on_call": on_call_names()}
        )

    # --- escalation policies ---------------------------------------------------------------

    @web.get("/policies/{name}")
    def policy_page(request: Request, session: me, name: str) -> Response:
        found = view.policy(name)
        if found is None:
            return not_found(request, session, "escalation policy", name)
        at = deps.clock.now()
        return pages.render(
            "policy.html",
            common(request, session)
            | {
                "p": found,
                "obj": found["obj"],
                "levels": reach(store=deps.schedules, policy=found["obj"], at=at),
            },
        )

    return web
