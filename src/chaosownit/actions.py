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


def send_event(
    summary: str,
    service: str | None = None,
    routing_key: str | None = None,
    severity: str = "critical",
    dedup_key: str | None = None,
    configuration: Configuration | None = None,
    secrets: Secrets | None = None,
) -> dict[str, Any]:
    """Trigger an alert: by ``routing_key`` through the Events v2 endpoint (a real event, no
    API token needed; the Events v2 answer), or by ``service`` name through ownit's test-event
    endpoint (a responder token; a practice event marked as a drill; ownit's answer with the
    incident it opened)."""
    if (service is None) == (routing_key is None):
        raise ActivityFailed("ownit send_event: give exactly one of 'service' or 'routing_key'")
    if severity not in SEVERITIES:
        raise ActivityFailed(
            f"ownit send_event: severity {severity!r} is not one of {', '.join(SEVERITIES)}"
        )
    dedup = dedup_key or f"chaos-{uuid.uuid4().hex[:12]}"
    if service is not None:
        sent: dict[str, Any] = call(
            "POST",
            f"/api/v1/services/{quote(service, safe='')}/test-event",
            configuration=configuration,
            secrets=secrets,
            body={"summary": summary, "severity": severity, "dedup_key": dedup},
        )
        return sent
    event = {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": dedup,
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
