"""The catalog as the catalog pages read it: services, teams and escalation policies with
what belongs to them."""

from __future__ import annotations

from typing import Any, Protocol

from ownit.domain.catalog import Snapshot


class CatalogView(Protocol):
    def services(self, q: str = "") -> list[dict[str, Any]]:
        """Every service whose name, description or owner team contains ``q`` (any case),
        with its owner, tier, policy and number of open incidents; by name."""
        ...

    def snapshot(self) -> Snapshot:
        """The catalog as the database holds it now (kept while its rows are unchanged,
        decision 0067): a service page reads it once for what it shows and its badge."""
        ...

    def service(self, name: str, snapshot: Snapshot | None = None) -> dict[str, Any] | None:
        """The service as the catalog has it (``obj``), its owner team and policy names,
        its integrations' names and types (never their keys), the dependency graph and the
        open incidents of the service and its direct neighbours; from ``snapshot`` when
        given (:meth:`snapshot`, just read)."""
        ...

    def teams(self) -> list[dict[str, Any]]:
        """Every team with its member and service counts, by name."""
        ...

    def team(self, name: str) -> dict[str, Any] | None:
        """The team, its members (with role), and the services, schedules and escalation
        policies that belong to it."""
        ...

    def policy(self, name: str) -> dict[str, Any] | None:
        """The policy as the catalog has it (``obj``), its team and the services using it."""
        ...
