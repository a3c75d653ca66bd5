"""Service dependencies, and what they say about an incident: likely causes upstream, impact
downstream."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from ownit.app import oncall
from ownit.app.incidents import IncidentStore
from ownit.app.oncall import ScheduleStore
from ownit.domain import dependencies as deps
from ownit.domain.errors import NotFound

NEAREST_OPEN = 20
"""Open incidents listed each way (upstream, downstream), nearest first; the rest are
counted (``…_total``), not listed: a person reads the nearest, and a page with a deep graph
stays as fast with hundreds open (decision 0078)."""


class History(Protocol):
    def changes(
        self, services: Sequence[str], since: datetime, limit: int = 50
    ) -> list[dict[str, Any]]: ...

    def similar(self, incident_id: str, limit: int = 3) -> list[dict[str, Any]]: ...


CHANGES_WINDOW = timedelta(hours=24)


class ServiceDirectory(Protocol):
    def services(self) -> list[dict[str, Any]]:
        """Every service with its ``name``, ``depends_on`` (names), ``tags`` (a list) and
        ``labels`` (a mapping)."""
        ...

    def service(self, name: str) -> dict[str, Any] | None:
        """One service as :meth:`services` shows it."""
        ...

    def dependency_graph(self) -> dict[str, tuple[str, ...]]:
        """Each service's name and what it depends on (names)."""
        ...


def graph(directory: ServiceDirectory) -> dict[str, tuple[str, ...]]:
    return directory.dependency_graph()


def _reaches(reaches: list[deps.Reach]) -> list[dict[str, Any]]:
    return [{"service": r.service, "depth": r.depth} for r in reaches]


def _open_on(
    incidents: IncidentStore, where: Mapping[str, int]
) -> tuple[list[dict[str, Any]], int]:
    """The nearest open incidents on the services of ``where`` (name → depth), nearest
    first, then oldest, each with its ``depth``; and how many are open there in all."""
    if not where:
        return [], 0
    found, total = incidents.open_nearest(where, NEAREST_OPEN)
    return [{**i, "depth": where[i["service"]]} for i in found], total


def service_dependencies(
    *, directory: ServiceDirectory, incidents: IncidentStore, name: str
) -> dict[str, Any]:
    """The service's upstream and downstream closures and the open incidents upstream."""
    g = graph(directory)
    if name not in g:
        raise NotFound("service", name)
    up = deps.upstream(g, name)
    listed, total = _open_on(incidents, deps.depths(up))
    return {
        "service": name,
        "upstream": _reaches(up),
        "downstream": _reaches(deps.downstream(g, name)),
        "open_incidents_upstream": listed,
        "open_incidents_upstream_total": total,
    }


def incident_context(
    *,
    directory: ServiceDirectory,
    incidents: IncidentStore,
    ref: str,
    history: History | None = None,
    now: datetime | None = None,
    schedules: ScheduleStore | None = None,
    incident: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Open incidents upstream of the incident's service (a likely cause) and downstream
    (who else is hurt); with ``history``, changes in the last 24 h and similar past incidents;
    with ``schedules``, who is on call now for the service and what it depends on.
    ``incident``: the incident ``ref`` names, when the caller has just read it."""
    incident = incident or incidents.get(ref)
    if incident is None:
        raise NotFound("incident", ref)
    g = graph(directory)
    name = incident["service"]
    up = deps.depths(deps.upstream(g, name))
    down = deps.depths(deps.downstream(g, name))
    service = directory.service(name) or {}
    component = incident.get("component")
    part = next((c for c in service.get("components") or () if c["name"] == component), None)
    context: dict[str, Any] = {
        "incident": {"number": incident["number"], "service": name, "component": component},
        # the team that owns the part that broke: a monolith's component has its own owner
        "owner": (part or {}).get("owner") or service.get("owner"),
        "service_owner": service.get("owner"),
        "runbook": service.get("runbook"),
        "runbook_text": service.get("runbook_text"),  # inline Markdown, when no URL is given
        "docs": service.get("docs") or [],
        "contract": service.get("contract"),
        "depends_on": list(service.get("depends_on") or []),
    }
    # each side's nearest few, and how many are open on it in all
    context["likely_cause_upstream"], context["likely_cause_upstream_total"] = _open_on(
        incidents, up
    )
    context["downstream_impact"], context["downstream_impact_total"] = _open_on(incidents, down)
    if history is not None and now is not None:
        context["recent_changes"] = history.changes([name, *up], now - CHANGES_WINDOW)
        context["similar_incidents"] = history.similar(incident["id"])
    if schedules is not None and now is not None:
        own = [f"{name}/{component}"] if part is not None else []
        context["on_call"] = on_call_for(schedules, [*own, name, *up], now)
    return context


def on_call_for(
    schedules: ScheduleStore, services: Sequence[str], now: datetime
) -> list[dict[str, Any]]:
    """Who the first level of each service's escalation policy would page now, in the
    order of ``services`` (services without a policy are left out)."""
    found_now = oncall.everyone(store=schedules, at=now, services=services).services
    everyone = {s.service: s for s in found_now}
    out = []
    for name in services:
        found = everyone.get(name)
        if found is None or found.escalation_policy is None:
            continue
        first = found.levels[0].people if found.levels else ()
        out.append(
            {
                "service": name,
                "escalation_policy": found.escalation_policy,
                "users": [p.name for p in first],
            }
        )
    return out
