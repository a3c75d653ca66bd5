"""What people do to incidents: acknowledge, resolve, add notes; and how they find them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from ownit.app.ports import Clock
from ownit.domain.errors import DomainError, NotFound
from ownit.domain.incidents import Status, Urgency, check_acknowledge, check_resolve

MAX_NOTE = 10_000


@dataclass(frozen=True, slots=True)
class IncidentFilter:
    statuses: tuple[Status, ...] = ()
    service: str | None = None
    urgency: Urgency | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100


class IncidentStore(Protocol):
    def search(self, flt: IncidentFilter) -> list[dict[str, Any]]: ...

    def get(self, ref: str) -> dict[str, Any] | None:
        """By id (``inc_…``) or by number (``42``)."""
        ...

    def timeline(self, incident_id: str) -> list[dict[str, Any]]: ...

    def alerts(self, incident_id: str) -> list[dict[str, Any]]: ...

    def set_status(
        self, incident_id: str, status: Status, *, by: str, at: datetime, message: str
    ) -> dict[str, Any]:
        """Move the incident and its open alerts to ``status``, with a timeline entry."""
        ...

    def add_note(self, incident_id: str, *, by: str, at: datetime, text: str) -> dict[str, Any]: ...

    def service_exists(self, name: str) -> bool: ...


class InvalidNote(DomainError):
    pass


def _require(store: IncidentStore, ref: str) -> dict[str, Any]:
    incident = store.get(ref)
    if incident is None:
        raise NotFound("incident", ref)
    return incident


def list_incidents(*, store: IncidentStore, flt: IncidentFilter) -> list[dict[str, Any]]:
    if flt.service is not None and not store.service_exists(flt.service):
        raise NotFound("service", flt.service)
    return store.search(flt)


def get_incident(*, store: IncidentStore, ref: str) -> dict[str, Any]:
    return _require(store, ref)


def acknowledge(*, store: IncidentStore, clock: Clock, ref: str, by: str) -> dict[str, Any]:
    """Acknowledge; acknowledging an acknowledged incident changes nothing."""
    incident = _require(store, ref)
    if not check_acknowledge(Status(incident["status"]), incident["number"]):
        return incident
    return store.set_status(
        incident["id"], Status.ACKNOWLEDGED, by=by, at=clock.now(), message=f"acknowledged by {by}"
    )


def resolve(*, store: IncidentStore, clock: Clock, ref: str, by: str) -> dict[str, Any]:
    incident = _require(store, ref)
    check_resolve(Status(incident["status"]), incident["number"])
    return store.set_status(
        incident["id"], Status.RESOLVED, by=by, at=clock.now(), message=f"resolved by {by}"
    )


def add_note(*, store: IncidentStore, clock: Clock, ref: str, by: str, text: str) -> dict[str, Any]:
    if not text.strip():
        raise InvalidNote("a note needs some text")
    if len(text) > MAX_NOTE:
        raise InvalidNote(f"a note is at most {MAX_NOTE} characters")
    incident = _require(store, ref)
    return store.add_note(incident["id"], by=by, at=clock.now(), text=text)


def timeline(*, store: IncidentStore, ref: str) -> Sequence[dict[str, Any]]:
    incident = _require(store, ref)
    return store.timeline(incident["id"])
