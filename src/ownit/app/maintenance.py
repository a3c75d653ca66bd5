"""Maintenance windows made through the API or the CLI: services whose triggers page nobody.

During a window a trigger for one of its services is kept as an event (``suppressed:
maintenance window <name>``) and opens nothing; acknowledge and resolve events still act on
alerts opened before the window, and change events are recorded as always. Windows written
in the catalog (``source`` set) are changed there, not here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from ownit.domain.errors import FieldError, Forbidden, NotFound
from ownit.domain.permissions import Action, Actor

MAX_NAME = 100
MAX_DESCRIPTION = 2000
MAX_SERVICES = 1000


class InvalidWindow(FieldError):
    """A window request that cannot be kept; ``field`` names the culprit."""


@dataclass(frozen=True, slots=True)
class Window:
    id: int
    name: str
    description: str
    start_at: datetime
    end_at: datetime
    services: tuple[str, ...]
    source: str | None
    created_by: str

    def state(self, now: datetime) -> str:
        if now < self.start_at:
            return "scheduled"
        return "active" if now < self.end_at else "ended"


class MaintenanceStore(Protocol):
    def owners(self, services: Sequence[str]) -> dict[str, str | None]:
        """Each known service's owner team name (None: no owner); unknown names are absent."""
        ...

    def windows(self, *, ending_after: datetime | None) -> list[Window]: ...

    def get(self, window_id: int) -> Window | None: ...

    def name_taken(self, name: str) -> bool: ...

    def insert(
        self,
        *,
        name: str,
        description: str,
        start_at: datetime,
        end_at: datetime,
        services: Sequence[str],
        created_by: str,
        at: datetime,
    ) -> Window: ...

    def end(self, window_id: int, at: datetime) -> None: ...

    def delete(self, window_id: int, at: datetime) -> None: ...


def _check_managed(store: MaintenanceStore, who: Actor, services: Sequence[str]) -> None:
    owners = store.owners(services)
    for name in services:
        if name not in owners:
            raise InvalidWindow("services", f"service {name!r} does not exist")
    for name in services:
        team = owners[name]
        if not who.may(Action.MANAGE, team):
            owner = f"team {team!r}" if team else "no team (administrators only)"
            raise Forbidden(
                f"you may not put service {name!r} in maintenance: it belongs to {owner}"
            )


def start_window(
    *,
    store: MaintenanceStore,
    who: Actor,
    actor: str,
    now: datetime,
    services: Sequence[str],
    start: datetime | None = None,
    end: datetime | None = None,
    duration: timedelta | None = None,
    name: str | None = None,
    description: str = "",
) -> Window:
    """Schedule a window (from ``start``, default now, until ``end`` or for ``duration``)."""
    wanted = list(dict.fromkeys(s.strip() for s in services))
    if not wanted or any(not s for s in wanted):
        raise InvalidWindow("services", "name at least one service")
    if (end is None) == (duration is None):
        raise InvalidWindow("end", "give either end or duration, not both or neither")
    start_at = now if start is None else start
    if duration is not None:
        if duration <= timedelta(0):
            raise InvalidWindow("duration", "must be longer than zero")
        end_at = start_at + duration
    else:
        assert end is not None
        end_at = end
        if end_at <= start_at:
            raise InvalidWindow("end", "the window must end after it starts")
    if end_at <= now:
        raise InvalidWindow("end", "the window would already be over")
    if name is None or not name.strip():
        name = f"{wanted[0]}-{start_at.strftime('%Y%m%dT%H%M%S')}"
    name = name.strip()
    if len(name) > MAX_NAME:
        raise InvalidWindow("name", f"at most {MAX_NAME} characters")
    if len(description) > MAX_DESCRIPTION:
        raise InvalidWindow("description", f"at most {MAX_DESCRIPTION} characters")
    if len(wanted) > MAX_SERVICES:
        raise InvalidWindow("services", f"at most {MAX_SERVICES} services in one window")
    _check_managed(store, who, wanted)
    if store.name_taken(name):
        raise InvalidWindow("name", f"a maintenance window named {name!r} exists already")
    return store.insert(
        name=name,
        description=description,
        start_at=start_at,
        end_at=end_at,
        services=wanted,
        created_by=actor,
        at=now,
    )


def list_windows(
    *, store: MaintenanceStore, now: datetime, include_past: bool = False
) -> list[Window]:
    """Current and future windows (all of them with ``include_past``), by start."""
    return store.windows(ending_after=None if include_past else now)


def cancel_window(*, store: MaintenanceStore, who: Actor, now: datetime, window_id: int) -> str:
    """End a running window now, or delete a future one; returns ``ended`` or ``deleted``."""
    window = store.get(window_id)
    if window is None:
        raise NotFound("maintenance window", str(window_id))
    if window.source is not None:
        raise Forbidden(
            f"maintenance window {window.name!r} comes from the catalog ({window.source}): "
            "edit or remove it there and apply the catalog"
        )
    _check_managed(store, who, window.services)
    state = window.state(now)
    if state == "scheduled":
        store.delete(window_id, now)
        return "deleted"
    if state == "active":
        store.end(window_id, now)
        return "ended"
    raise InvalidWindow("id", f"maintenance window {window.name!r} is already over")
