"""What people do to incidents: acknowledge, resolve, add notes, merge and split; and how
they find them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from ownit.app.clock import Clock
from ownit.domain.errors import DomainError, Forbidden, InvalidTransition, NotFound
from ownit.domain.incidents import Status, Urgency, check_acknowledge, check_resolve
from ownit.domain.permissions import Actor, may_respond_to

MAX_NOTE = 10_000


@dataclass(frozen=True, slots=True)
class IncidentFilter:
    statuses: tuple[Status, ...] = ()
    service: str | None = None
    services: tuple[str, ...] = ()  # any of these (with ``service``: both must hold)
    urgency: Urgency | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100
    # Only number, title, status, service, component and created_at, without who owns it or
    # is assigned (three queries fewer): lists that show no more (a service page's recent).
    brief: bool = False
    team: str | None = None  # the team's: its services' incidents and its components'


class IncidentStore(Protocol):
    def search(self, flt: IncidentFilter) -> list[dict[str, Any]]: ...

    def open_nearest(
        self, depths: Mapping[str, int], limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        """Open incidents on the services of ``depths`` (name → how far away): the
        ``limit`` nearest (the least depth first, then the oldest), each with ``service``,
        ``number``, ``title`` and ``status``; and how many are open there in all."""
        ...

    def get(self, ref: str) -> dict[str, Any] | None:
        """By id (``inc_…``) or by number (``42``)."""
        ...

    def timeline(self, incident_id: str) -> list[dict[str, Any]]: ...

    def alerts(self, incident_id: str) -> list[dict[str, Any]]: ...

    def set_status(
        self,
        incident_id: str,
        status: Status,
        *,
        by: str,
        at: datetime,
        message: str,
        via: str | None = None,
    ) -> dict[str, Any]:
        """Move the incident and its open alerts to ``status``, with a timeline entry, if the
        incident can still make that move (triggered, to acknowledge; open, to resolve): when
        someone else moved it first, nothing is written. Returns the incident as it now is.
        An acknowledgement with ``via`` (how a person gave it: web, api, cli, link, slack) is
        also recorded for analytics."""
        ...

    def add_note(self, incident_id: str, *, by: str, at: datetime, text: str) -> dict[str, Any]: ...

    def merge(
        self, target_id: str, source_ids: Sequence[str], *, by: str, at: datetime
    ) -> dict[str, Any]:
        """Move the sources' alerts into the target; resolve the sources. One transaction."""
        ...

    def split(
        self, incident_id: str, alert_ids: Sequence[str], *, by: str, at: datetime
    ) -> dict[str, Any]:
        """Move these alerts into a new incident; returns it. One transaction."""
        ...

    def service_exists(self, name: str) -> bool: ...

    def team_exists(self, name: str) -> bool: ...

    def responding(self, incident_id: str) -> tuple[bool, str | None]:
        """Whether the organisation responds by team, and the team owning the incident's
        service (``None``: no owner)."""
        ...


class InvalidNote(DomainError):
    pass


class InvalidField(DomainError):
    """A request names something wrong in one of its fields."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}")
        self.field = field
        self.detail = detail


def _require(store: IncidentStore, ref: str) -> dict[str, Any]:
    incident = store.get(ref)
    if incident is None:
        raise NotFound("incident", ref)
    return incident


def list_incidents(*, store: IncidentStore, flt: IncidentFilter) -> list[dict[str, Any]]:
    check_filter(store, flt)
    return store.search(flt)


def check_filter(store: IncidentStore, flt: IncidentFilter) -> None:
    """An unknown ``service`` or ``team`` is :class:`NotFound` naming it."""
    if flt.service is not None and not store.service_exists(flt.service):
        raise NotFound("service", flt.service)
    if flt.team is not None and not store.team_exists(flt.team):
        raise NotFound("team", flt.team)


def get_incident(*, store: IncidentStore, ref: str) -> dict[str, Any]:
    return _require(store, ref)


def acknowledge(
    *, store: IncidentStore, clock: Clock, ref: str, by: str, via: str | None = None
) -> dict[str, Any]:
    """Acknowledge; acknowledging an acknowledged incident changes nothing. ``via`` says how
    the person did it (``web``, ``api``, ``cli``, ``link``, ``slack``): analytics counts only
    such explicit acknowledgements."""
    incident = _require(store, ref)
    if not check_acknowledge(Status(incident["status"]), incident["number"]):
        return incident
    return store.set_status(
        incident["id"],
        Status.ACKNOWLEDGED,
        by=by,
        at=clock.now(),
        message=f"acknowledged by {by}",
        via=via,
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


def merge(
    *, store: IncidentStore, clock: Clock, ref: str, sources: Sequence[str], by: str
) -> dict[str, Any]:
    """Merge the ``sources`` (ids or numbers) into the open incident ``ref``: their alerts
    move to it, they are resolved (their escalation stops) and the target keeps its status."""
    target = _require(store, ref)
    if Status(target["status"]) is Status.RESOLVED:
        raise InvalidTransition(
            f"incident #{target['number']} is resolved: merge into an open incident"
        )
    if not sources:
        raise InvalidField("incidents", "name at least one incident to merge")
    found: dict[str, dict[str, Any]] = {}
    for source_ref in sources:
        source = store.get(str(source_ref))
        if source is None:
            raise InvalidField("incidents", f"no incident is {str(source_ref)!r}")
        if source["id"] == target["id"]:
            raise InvalidField(
                "incidents", f"incident #{target['number']} cannot merge into itself"
            )
        if source["id"] in found:
            raise InvalidField("incidents", f"incident #{source['number']} is named twice")
        found[source["id"]] = source
    return store.merge(target["id"], list(found), by=by, at=clock.now())


def split(
    *, store: IncidentStore, clock: Clock, ref: str, alerts: Sequence[str], by: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split these alerts of incident ``ref`` off into a new incident; returns the new
    incident and the source as it is afterwards. At least one alert must stay."""
    incident = _require(store, ref)
    if not alerts:
        raise InvalidField("alerts", "name at least one alert to split off")
    own = {a["id"] for a in store.alerts(incident["id"])}
    chosen: list[str] = []
    for alert_id in alerts:
        if alert_id not in own:
            raise InvalidField(
                "alerts", f"{alert_id!r} is not an alert of incident #{incident['number']}"
            )
        if alert_id in chosen:
            raise InvalidField("alerts", f"{alert_id!r} is named twice")
        chosen.append(alert_id)
    if len(chosen) == len(own):
        raise InvalidField(
            "alerts",
            f"incident #{incident['number']} would be left without alerts: at least one must stay",
        )
    new = store.split(incident["id"], chosen, by=by, at=clock.now())
    return new, _require(store, incident["id"])


def check_may_respond(*, store: IncidentStore, who: Actor, incident_id: str) -> None:
    """Raise :class:`Forbidden` unless ``who`` may respond to this incident now (with the
    organisation's responding setting: by team, only the owner team's managers and
    responders, and admins)."""
    by_team, team = store.responding(incident_id)
    if may_respond_to(who, team, by_team=by_team):
        return
    if not by_team:
        raise Forbidden("responding to incidents needs a role that may respond")
    owner = f"team {team!r}" if team else "no team (admins only)"
    raise Forbidden(
        f"this organisation responds by team: the incident's service belongs to {owner}, "
        "and responding needs the manager or responder role there (or admin)"
    )
