"""What the incident page shows a first responder besides the incident itself: the context
(owner, on call, runbook, docs, dependencies, changes, similar incidents) and why the
incident's events came here (a router's decision path)."""

from __future__ import annotations

from typing import Any

from ownit.adapters.web.deps import WebDeps
from ownit.app import dependencies as uc


def responder_context(deps: WebDeps, incident: dict[str, Any]) -> dict[str, Any]:
    """The first-responder context, as the API's ``/incidents/{ref}/context`` gives it."""
    return uc.incident_context(
        directory=deps.directory,
        incidents=deps.incidents,
        ref=incident["id"],
        history=deps.history,
        now=deps.clock.now(),
        schedules=deps.schedules,
        incident=incident,  # read once a page
    )


def routed(deps: WebDeps, incident: dict[str, Any]) -> list[dict[str, Any]]:
    """The distinct router decisions that brought the incident's events here, newest first."""
    if deps.events is None:
        return []
    seen: set[str] = set()
    out = []
    for event in deps.events.routes(incident["id"]):
        route = event["route"]
        key = repr(route)
        if key in seen:
            continue
        seen.add(key)
        out.append({"event": event["id"], "at": event["received_at"], **route})
    return out
