"""The raw events as they arrived, with their outcome and routing decision: what the API,
the incident page and ``ownit event`` read."""

from __future__ import annotations

from typing import Any, Protocol


class EventLog(Protocol):
    def recent(
        self, *, service: str | None = None, incident_id: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        """The newest events, of one service or one incident when given."""
        ...

    def get(self, event_id: str) -> dict[str, Any] | None:
        """One event with its payload and routing decision."""
        ...

    def routes(self, incident_id: str, limit: int = 20) -> list[dict[str, Any]]:
        """The router decisions of the incident's events, newest first (events that came
        through a service's own integration have none)."""
        ...
