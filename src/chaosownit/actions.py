"""Actions: send an event, start a maintenance window, run a drill (decision 0050)."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

from chaoslib.exceptions import ActivityFailed
from chaoslib.types import Configuration, Secrets

from chaosownit.client import call

__all__ = ["run_drill", "send_event", "start_maintenance"]

SEVERITIES = ("critical", "error", "warning", "info")


def _routing_key(service: str, configuration: Configuration | None, secrets: Secrets | None) -> str:
    """The key of ``service``'s Events v2 integration, where ownit can give it back (it
    keeps keys as digests: it shows only a hint, and then the caller must pass the key)."""
    found = call("GET", "/api/v1/integrations", configuration=configuration, secrets=secrets)
    keys = [
        i["key"]
        for i in found["integrations"]
        if i.get("service") == service and i.get("type") == "events-v2"
    ]
    if not keys:
        raise ActivityFailed(f"ownit: service {service!r} has no events-v2 integration to send to")
    if keys[0].endswith("…"):
        raise ActivityFailed(
            f"ownit keeps integration keys hashed and cannot give back {service!r}'s: "
            "give send_event its 'routing_key' (the key your monitoring sends with)"
        )
    return str(keys[0])


def send_event(
    summary: str,
    service: str | None = None,
    routing_key: str | None = None,
    severity: str = "critical",
    dedup_key: str | None = None,
    configuration: Configuration | None = None,
    secrets: Secrets | None = None,
) -> dict[str, Any]:
    """Trigger an alert through the Events v2 endpoint, by ``routing_key`` (no API token
    needed) or by ``service`` (its events-v2 integration's key, where ownit can give it back)."""
    if (service is None) == (routing_key is None):
        raise ActivityFailed("ownit send_event: give exactly one of 'service' or 'routing_key'")
    if severity not in SEVERITIES:
        raise ActivityFailed(
            f"ownit send_event: severity {severity!r} is not one of {', '.join(SEVERITIES)}"
        )
    key = (
        routing_key
        if routing_key is not None
        else _routing_key(str(service), configuration, secrets)
    )
    event = {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": dedup_key or f"chaos-{uuid.uuid4().hex[:12]}",
        "payload": {"summary": summary, "source": "chaostoolkit", "severity": severity},
    }
    answer: dict[str, Any] = call(
        "POST",
        "/v2/enqueue",
        configuration=configuration,
        secrets=secrets,
        body=event,
        authenticated=False,
    )
    return answer


def start_maintenance(
    service: str,
    duration: str = "10m",
    configuration: Configuration | None = None,
    secrets: Secrets | None = None,
) -> dict[str, Any]:
    """Start a maintenance window on ``service`` now for ``duration`` (``30m``, ``1h``):
    triggers page nobody while it runs. Needs a manager token of the owner team (or admin)."""
    found = call(
        "POST",
        "/api/v1/maintenance-windows",
        configuration=configuration,
        secrets=secrets,
        body={"services": [service], "duration": duration, "name": "chaos experiment"},
    )
    window: dict[str, Any] = found["maintenance_window"]
    return window


def run_drill(
    name: str, configuration: Configuration | None = None, secrets: Secrets | None = None
) -> dict[str, Any]:
    """Run the catalog's drill ``name`` now; the drill incident it opened."""
    found = call(
        "POST",
        f"/api/v1/drills/{quote(name, safe='')}/run",
        configuration=configuration,
        secrets=secrets,
    )
    incident: dict[str, Any] = found.get("incident", found)
    return incident
