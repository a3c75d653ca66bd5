"""Folding a batch of events into alert and incident changes (the Events API v2 dedup rules).

The store loads the open alerts that the batch's dedup keys touch, hands them to
:class:`BatchPlan` with each event and where it goes, and then writes what the plan
collected in a handful of multi-row statements. The plan itself is pure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ownit.domain.events import Action, Event
from ownit.domain.incidents import Outcome, Status, outcome_of, status_after, urgency_for


@dataclass(frozen=True, slots=True)
class Target:
    """Where an event goes: a service, through one of its integrations."""

    service_id: int
    service_urgency: str
    integration_id: int
    integration_name: str
    policy: Mapping[str, Any] | None = None  # the escalation policy, frozen on new incidents
    component: str | None = None  # the monolith component that owns the event, if any


@dataclass(slots=True)
class OpenAlert:
    alert_id: str
    incident_id: str
    status: Status


@dataclass(slots=True)
class NewAlert:
    id: str
    incident_id: str
    service_id: int
    integration_id: int
    dedup_key: str
    status: Status
    severity: str
    summary: str
    source: str
    details: dict[str, Any] | None
    created_at: datetime
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    repeat_count: int = 0
    labels: Mapping[str, str] | None = None


@dataclass(slots=True)
class NewIncident:
    id: str
    policy: Mapping[str, Any] | None
    component: str | None
    title: str
    status: Status
    urgency: str
    severity: str
    service_id: int
    dedup_key: str
    created_at: datetime
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None


@dataclass(slots=True)
class AlertChange:
    """Changes to an alert that existed before the batch."""

    alert_id: str
    incident_id: str
    repeats: int = 0
    status: Status | None = None  # None: unchanged
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None


@dataclass(frozen=True, slots=True)
class LogEntry:
    incident_id: str
    at: datetime
    kind: str
    actor: str
    message: str
    data: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class EventRecord:
    """The raw event as it will be kept, with what it did."""

    event: Event
    target: Target | None
    outcome: str
    incident_id: str | None
    route: Mapping[str, Any] | None = None  # a router's decision path


@dataclass(slots=True)
class BatchPlan:
    """Everything a batch changes, collected event by event in arrival order."""

    now: datetime
    new_id: Callable[[str], str]
    open_alerts: dict[tuple[int, str], OpenAlert]
    new_alerts: dict[str, NewAlert] = field(default_factory=dict)
    new_incidents: dict[str, NewIncident] = field(default_factory=dict)
    changes: dict[str, AlertChange] = field(default_factory=dict)
    log: list[LogEntry] = field(default_factory=list)
    records: list[EventRecord] = field(default_factory=list)
    changes_recorded: list[tuple[Event, Target]] = field(default_factory=list)

    def reject(self, event: Event, reason: str) -> None:
        self.records.append(EventRecord(event, None, f"rejected: {reason}", None))

    def suppress(self, event: Event, target: Target | None, route: Mapping[str, Any]) -> str:
        """A router said: keep it, page nobody."""
        outcome = "suppressed by router"
        self.records.append(EventRecord(event, target, outcome, None, route))
        return outcome

    def apply(
        self, event: Event, target: Target, route: Mapping[str, Any] | None = None
    ) -> Outcome:
        """Fold one event into the plan and return what it did."""
        if event.action is Action.CHANGE:
            self.changes_recorded.append((event, target))
            self.records.append(EventRecord(event, target, Outcome.CHANGE_RECORDED, None, route))
            return Outcome.CHANGE_RECORDED
        assert event.dedup_key is not None, "the ingest use case gives every trigger a key"
        slot = (target.service_id, event.dedup_key)
        current = self.open_alerts.get(slot)
        outcome = outcome_of(event.action, current.status if current else None)
        actor = f"integration/{target.integration_name}"
        now = self.now
        incident_id: str | None = current.incident_id if current else None
        if outcome is Outcome.NEW_ALERT:
            incident_id = self._open(event, target, actor)
        elif current is not None and outcome is Outcome.REPEATED:
            fresh = self.new_alerts.get(current.alert_id)
            if fresh is not None:
                fresh.repeat_count += 1
            else:
                self._change(current).repeats += 1
        elif current is not None and outcome in (Outcome.ACKNOWLEDGED, Outcome.RESOLVED):
            new_status = status_after(outcome, current.status) or Status.RESOLVED
            self._set_status(current, new_status, actor)
            if new_status is Status.RESOLVED:
                del self.open_alerts[slot]
            else:
                current.status = new_status
            self.log.append(
                LogEntry(current.incident_id, now, new_status.value, actor, f"{outcome} by event")
            )
        self.records.append(EventRecord(event, target, outcome, incident_id, route))
        return outcome

    def repeat_log(self) -> list[LogEntry]:
        """One ``repeated`` entry per alert that repeated in this batch, with the count."""
        entries = []
        for alert_id, change in self.changes.items():
            if change.repeats:
                entries.append(
                    LogEntry(
                        change.incident_id,
                        self.now,
                        "repeated",
                        "events",
                        f"{change.repeats} repeated trigger(s)",
                        {"alert_id": alert_id, "count": change.repeats},
                    )
                )
        for alert in self.new_alerts.values():
            if alert.repeat_count:
                entries.append(
                    LogEntry(
                        alert.incident_id,
                        self.now,
                        "repeated",
                        "events",
                        f"{alert.repeat_count} repeated trigger(s)",
                        {"alert_id": alert.id, "count": alert.repeat_count},
                    )
                )
        return entries

    def _open(self, event: Event, target: Target, actor: str) -> str:
        assert event.dedup_key is not None
        now = self.now
        incident_id = self.new_id("inc")
        alert_id = self.new_id("alr")
        severity = event.severity.value
        summary = event.summary or event.dedup_key
        self.new_incidents[incident_id] = NewIncident(
            id=incident_id,
            policy=target.policy,
            component=target.component,
            title=summary,
            status=Status.TRIGGERED,
            urgency=urgency_for(target.service_urgency, event.severity).value,
            severity=severity,
            service_id=target.service_id,
            dedup_key=event.dedup_key,
            created_at=now,
        )
        self.new_alerts[alert_id] = NewAlert(
            id=alert_id,
            incident_id=incident_id,
            service_id=target.service_id,
            integration_id=target.integration_id,
            dedup_key=event.dedup_key,
            status=Status.TRIGGERED,
            severity=severity,
            summary=summary,
            source=event.source,
            details=dict(event.raw) if event.raw is not None else None,
            created_at=now,
            labels=dict(event.labels) if event.labels else None,
        )
        self.open_alerts[(target.service_id, event.dedup_key)] = OpenAlert(
            alert_id, incident_id, Status.TRIGGERED
        )
        self.log.append(
            LogEntry(
                incident_id,
                now,
                "triggered",
                actor,
                f"triggered by {event.format} event",
                {"alert_id": alert_id, "source": event.source, "severity": severity},
            )
        )
        return incident_id

    def _change(self, alert: OpenAlert) -> AlertChange:
        change = self.changes.get(alert.alert_id)
        if change is None:
            change = self.changes[alert.alert_id] = AlertChange(alert.alert_id, alert.incident_id)
        return change

    def _set_status(self, alert: OpenAlert, status: Status, actor: str) -> None:
        now = self.now
        fresh = self.new_alerts.get(alert.alert_id)
        if fresh is not None:
            fresh.status = status
            incident = self.new_incidents[fresh.incident_id]
            incident.status = status
            if status is Status.ACKNOWLEDGED:
                fresh.acknowledged_at = incident.acknowledged_at = now
                incident.acknowledged_by = actor
            else:
                fresh.resolved_at = incident.resolved_at = now
                incident.resolved_by = actor
            return
        change = self._change(alert)
        change.status = status
        if status is Status.ACKNOWLEDGED:
            change.acknowledged_at, change.acknowledged_by = now, actor
        else:
            change.resolved_at, change.resolved_by = now, actor
