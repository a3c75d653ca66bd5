"""Alert and incident rules: what an event does to an open alert, what people may do."""

from __future__ import annotations

import enum

from ownit.domain.errors import InvalidTransition
from ownit.domain.events import Action, Severity


class Status(enum.StrEnum):
    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Urgency(enum.StrEnum):
    HIGH = "high"
    LOW = "low"


class _ServiceUrgency(enum.StrEnum):
    """How a service sets the urgency of its incidents."""

    HIGH = "high"
    LOW = "low"
    SEVERITY = "severity"


class Outcome(enum.StrEnum):
    """What one event did; kept on the raw event so a user can see why it paged or not."""

    NEW_ALERT = "new alert"
    REPEATED = "repeated"
    ACKNOWLEDGED = "acknowledged"
    ALREADY_ACKNOWLEDGED = "already acknowledged"
    RESOLVED = "resolved"
    NO_OPEN_ALERT = "dropped: no open alert with this dedup key"
    CHANGE_RECORDED = "change recorded"


_HIGH_SEVERITIES = frozenset({Severity.CRITICAL, Severity.ERROR})


def urgency_for(service_urgency: _ServiceUrgency | str, severity: Severity | str) -> Urgency:
    """``high``/``low`` are fixed; ``severity`` maps critical/error to high, warning/info to low."""
    if service_urgency == _ServiceUrgency.HIGH:
        return Urgency.HIGH
    if service_urgency == _ServiceUrgency.LOW:
        return Urgency.LOW
    return Urgency.HIGH if severity in _HIGH_SEVERITIES else Urgency.LOW


def outcome_of(action: Action, open_status: Status | None) -> Outcome:
    """The dedup table of the Events API v2, for one event against the open alert (if any).

    ``open_status`` is the status of the open (unresolved) alert with the event's dedup key on
    the event's service, or ``None`` when there is none.
    """
    if action is Action.CHANGE:
        return Outcome.CHANGE_RECORDED
    if open_status is None or open_status is Status.RESOLVED:
        return Outcome.NEW_ALERT if action is Action.TRIGGER else Outcome.NO_OPEN_ALERT
    if action is Action.TRIGGER:
        return Outcome.REPEATED
    if action is Action.ACKNOWLEDGE:
        if open_status is Status.ACKNOWLEDGED:
            return Outcome.ALREADY_ACKNOWLEDGED
        return Outcome.ACKNOWLEDGED
    return Outcome.RESOLVED


def status_after(outcome: Outcome, before: Status | None) -> Status | None:
    """The open alert's status after an event with this outcome (``None``: no open alert)."""
    if outcome is Outcome.NEW_ALERT:
        return Status.TRIGGERED
    if outcome is Outcome.ACKNOWLEDGED:
        return Status.ACKNOWLEDGED
    if outcome is Outcome.RESOLVED:
        return None
    return before


def check_acknowledge(status: Status, number: int) -> bool:
    """Whether a person's acknowledge changes anything; raise if it cannot apply."""
    if status is Status.RESOLVED:
        raise InvalidTransition(f"incident #{number} is resolved and cannot be acknowledged")
    return status is Status.TRIGGERED


def check_resolve(status: Status, number: int) -> None:
    """Raise unless a person may resolve the incident."""
    if status is Status.RESOLVED:
        raise InvalidTransition(f"incident #{number} is already resolved")
