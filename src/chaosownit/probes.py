"""Probes: plain values about the ownership path, for a steady-state hypothesis's
tolerances (``bool`` or ``int``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from chaoslib.types import Configuration, Secrets

from chaosownit.client import call

__all__ = ["incident_acknowledged", "incident_opened", "open_incidents", "team_paged"]


def _incidents(
    configuration: Configuration | None, secrets: Secrets | None, **params: Any
) -> list[dict[str, Any]]:
    found = call(
        "GET", "/api/v1/incidents", configuration=configuration, secrets=secrets, params=params
    )
    return list(found["incidents"])


def _since(within_seconds: float | str) -> datetime:
    return datetime.now(UTC) - timedelta(seconds=float(within_seconds))


POLL = 0.5  # seconds between two looks while waiting


def _waiting(wait_seconds: float | str, look: Callable[[], bool]) -> bool:
    """``look()``, again every :data:`POLL` seconds until it is true or ``wait_seconds`` ran
    out (``0``: once)."""
    deadline = time.monotonic() + max(0.0, float(wait_seconds))
    while True:
        if look():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL)


def team_paged(
    team: str,
    within_seconds: int = 60,
    wait_seconds: int = 0,
    configuration: Configuration | None = None,
    secrets: Secrets | None = None,
) -> bool:
    """True when someone was paged, within the last ``within_seconds``, for an incident on a
    service (or a monolith's component) that ``team`` owns. With ``wait_seconds``, looks
    again until that is true or the wait ran out (the page may still be on its way)."""

    def look() -> bool:
        found = call(
            "GET",
            "/api/v1/pages",
            configuration=configuration,
            secrets=secrets,
            params={"team": team, "within_seconds": int(float(within_seconds)), "limit": 1},
        )
        return bool(found["pages"])

    return _waiting(wait_seconds, look)


def incident_opened(
    service: str,
    within_seconds: int = 60,
    wait_seconds: int = 0,
    configuration: Configuration | None = None,
    secrets: Secrets | None = None,
) -> bool:
    """True when an incident was opened on ``service`` within the last ``within_seconds``
    (by this machine's clock); ``wait_seconds`` as for :func:`team_paged`."""

    def look() -> bool:
        since = _since(within_seconds).isoformat()
        return bool(_incidents(configuration, secrets, service=service, since=since, limit=1))

    return _waiting(wait_seconds, look)


def incident_acknowledged(
    service: str,
    within_seconds: int = 60,
    wait_seconds: int = 0,
    configuration: Configuration | None = None,
    secrets: Secrets | None = None,
) -> bool:
    """True when an incident on ``service`` was acknowledged within the last
    ``within_seconds`` (and may have been resolved since); ``wait_seconds`` as for
    :func:`team_paged` (a drill run by the method may be acknowledged a little later)."""

    def look() -> bool:
        since = _since(within_seconds)
        found = _incidents(
            configuration, secrets, service=service, status="acknowledged,resolved", limit=1000
        )
        return any(
            i.get("acknowledged_at") and datetime.fromisoformat(i["acknowledged_at"]) >= since
            for i in found
        )

    return _waiting(wait_seconds, look)


def open_incidents(
    service: str, configuration: Configuration | None = None, secrets: Secrets | None = None
) -> int:
    """How many incidents on ``service`` are open (triggered or acknowledged)."""
    return len(_incidents(configuration, secrets, service=service, status="open", limit=1000))
