"""The directory: services, teams, users and integrations as stored, as the API, the web UI
and the CLI list them; and a new key for an integration."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from ownit.app.dependencies import ServiceDirectory


class Directory(ServiceDirectory, Protocol):
    def service_names(self) -> list[str]:
        """Every service's name, sorted (what a filter offers; cheaper than ``services``)."""
        ...

    def teams(self) -> list[dict[str, Any]]: ...

    def users(self) -> list[dict[str, Any]]: ...

    def integrations(self) -> list[dict[str, Any]]: ...

    def rotate_key(self, integration_id: int, at: datetime) -> dict[str, Any] | None:
        """Give the integration a new key; the old one stops working at once."""
        ...
