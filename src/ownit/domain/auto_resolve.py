"""A service's ``autoResolve``: an open incident with no new event for that long resolves.

The timer is a time stored on the incident (``auto_resolve_at``), set when the incident
opens. New events do not move it: when it comes due, :func:`decide` looks at the incident's
latest event and the service's *current* ``autoResolve``, and either resolves the incident,
moves the timer to ``last event + autoResolve`` (events came meanwhile), or drops it (the
service no longer auto-resolves, or the incident is already resolved). So the hot ingest path
writes nothing more per event, and a changed ``autoResolve`` applies to open incidents too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ownit.domain.durations import format_duration
from ownit.domain.incidents import Status

ACTOR = "auto-resolve"  # ``resolved_by`` of an auto-resolved incident (analytics counts it)


@dataclass(frozen=True, slots=True)
class Idle:
    """An incident whose auto-resolve timer is due, as the store read it (locked)."""

    incident_id: str
    number: int
    status: Status
    last_event_at: datetime  # the latest trigger (new alert or repeat) of any of its alerts
    timeout: timedelta | None  # the service's autoResolve now; None: no longer set


@dataclass(frozen=True, slots=True)
class Resolve:
    message: str


@dataclass(frozen=True, slots=True)
class Postpone:
    due_at: datetime


@dataclass(frozen=True, slots=True)
class Disarm:
    pass


Decision = Resolve | Postpone | Disarm


def first_due(opened_at: datetime, timeout: timedelta | None) -> datetime | None:
    """When a new incident's timer first comes due (``None``: the service has none)."""
    return None if timeout is None or timeout <= timedelta(0) else opened_at + timeout


def decide(idle: Idle, now: datetime) -> Decision:
    """What a due timer does to its incident at ``now``."""
    if idle.status is Status.RESOLVED or idle.timeout is None or idle.timeout <= timedelta(0):
        return Disarm()
    due = idle.last_event_at + idle.timeout
    if due > now:
        return Postpone(due)
    return Resolve(f"auto-resolved after {format_duration(idle.timeout)} without new events")
