"""Folding a batch of events into alert and incident changes (the Events API v2 dedup rules).

The store loads the open alerts that the batch's dedup keys touch, hands them to
:class:`BatchPlan` with each event and where it goes, and then writes what the plan
collected in a handful of multi-row statements. The plan itself is pure.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ownit.domain.events import Action, Event
from ownit.domain.incidents import Outcome, Status, outcome_of, status_after, urgency_for


@dataclass(frozen=True, slots=True)
class Destination:
    """Where an event goes: a service, through one of its integrations."""

    service_id: int
    service_urgency: str
    integration_id: int
    integration_name: str
    policy: Mapping[str, Any] | None = None  # the escalation policy, frozen on new incidents
    component: str | None = None  # the monolith component that owns the event, if any
    group_by: tuple[str, ...] = ()  # the service's grouping labels; () = no grouping
    group_window: timedelta | None = None  # None: group while the incident is open


GROUP_KEY_MAX = 255
NO_POLICY = "the service has no escalation policy: nobody is paged"


def group_key(labels: Mapping[str, str], by: Sequence[str]) -> str:
    """The values of the ``by`` labels as compact JSON text (a missing label is ``""``);
    a key longer than the column is kept as its SHA-256."""
    text = json.dumps([labels.get(name, "") for name in by], separators=(",", ":"))
    if len(text) > GROUP_KEY_MAX:
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    return text


@dataclass(slots=True)
class GroupHead:
    """The open incident new alerts of one group join: (service, component, group key)."""

    incident_id: str
    created_at: datetime


GroupSlot = tuple[int, str | None, str]


def _own_labels(event: Event) -> Mapping[str, str]:
    return event.labels


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
    group_key: str | None = None
    alert_count: int = 1


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
    target: Destination | None
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
    rejected: int = 0  # events refused for an unknown key: counted, never kept (finding 2)
    changes_recorded: list[tuple[Event, Destination]] = field(default_factory=list)
    # Open alerts per incident, where known (the store loads them with the open alerts);
    # an incident resolves when its last open alert does. Unknown counts as one.
    open_counts: dict[str, int] = field(default_factory=dict)
    # Content-based grouping: the open incident of each group, loaded per service.
    groups: dict[GroupSlot, GroupHead] = field(default_factory=dict)
    labels_of: Callable[[Event], Mapping[str, str]] = _own_labels
    # Incidents that existed before the batch: alerts grouped into them, and status changes.
    joined: dict[str, int] = field(default_factory=dict)
    incident_acks: dict[str, tuple[datetime, str]] = field(default_factory=dict)
    incident_resolves: dict[str, tuple[datetime, str]] = field(default_factory=dict)

    def leaves_work(self) -> bool:
        """Whether the engine has work once this batch commits: a new incident (a first
        page due now, or, without a policy, the fallback page: never silent), or an
        escalation woken by an acknowledgement or a resolution."""
        return bool(self.new_incidents or self.incident_acks or self.incident_resolves)

    def reject(self, event: Event) -> None:
        """An event nobody owns (unknown key): no row, no raw body — anyone can send one, so
        keeping them would let strangers fill the raw-event store; the sender is told."""
        self.rejected += 1

    def suppress(
        self,
        event: Event,
        target: Destination | None,
        route: Mapping[str, Any] | None,
        outcome: str = "suppressed by router",
    ) -> str:
        """A router (or a maintenance window) said: keep it, page nobody."""
        self.records.append(EventRecord(event, target, outcome, None, route))
        return outcome

    def apply(
        self, event: Event, target: Destination, route: Mapping[str, Any] | None = None
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
            whole = self._set_status(current, new_status, actor)
            if new_status is Status.RESOLVED:
                del self.open_alerts[slot]
            else:
                current.status = new_status
            if whole:
                self.log.append(
                    LogEntry(
                        current.incident_id, now, new_status.value, actor, f"{outcome} by event"
                    )
                )
            else:  # other alerts of the incident are still open
                self.log.append(
                    LogEntry(
                        current.incident_id,
                        now,
                        "alert resolved",
                        actor,
                        f"alert {event.dedup_key} resolved by event",
                        {"alert_id": current.alert_id},
                    )
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

    def unassigned_log(self) -> list[LogEntry]:
        """One ``unassigned`` entry per new incident without an escalation policy: there is
        nobody to page, and its timeline says so at once."""
        return [
            LogEntry(incident.id, self.now, "unassigned", "engine", NO_POLICY)
            for incident in self.new_incidents.values()
            if incident.policy is None
        ]

    def _open(self, event: Event, target: Destination, actor: str) -> str:
        assert event.dedup_key is not None
        now = self.now
        alert_id = self.new_id("alr")
        severity = event.severity.value
        summary = event.summary or event.dedup_key
        key: str | None = None
        head: GroupHead | None = None
        if target.group_by:
            key = group_key(self.labels_of(event), target.group_by)
            slot = (target.service_id, target.component, key)
            head = self.groups.get(slot)
            window = target.group_window
            if head is not None and window is not None and now - head.created_at > window:
                head = None
        if head is not None:
            incident_id = head.incident_id
            fresh_incident = self.new_incidents.get(incident_id)
            if fresh_incident is not None:
                fresh_incident.alert_count += 1
            else:
                self.joined[incident_id] = self.joined.get(incident_id, 0) + 1
            self.open_counts[incident_id] = self.open_counts.get(incident_id, 1) + 1
        else:
            incident_id = self.new_id("inc")
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
                group_key=key,
            )
            self.open_counts[incident_id] = 1
            if key is not None:
                self.groups[(target.service_id, target.component, key)] = GroupHead(
                    incident_id, now
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
        data = {"alert_id": alert_id, "source": event.source, "severity": severity}
        if head is not None:  # nobody is paged again: the incident is already being handled
            self.log.append(
                LogEntry(
                    incident_id,
                    now,
                    "grouped",
                    actor,
                    f"alert grouped: {event.dedup_key} ({summary})",
                    {**data, "group_key": key},
                )
            )
        else:
            self.log.append(
                LogEntry(
                    incident_id, now, "triggered", actor, f"triggered by {event.format} event", data
                )
            )
        return incident_id

    def _change(self, alert: OpenAlert) -> AlertChange:
        change = self.changes.get(alert.alert_id)
        if change is None:
            change = self.changes[alert.alert_id] = AlertChange(alert.alert_id, alert.incident_id)
        return change

    def _set_status(self, alert: OpenAlert, status: Status, actor: str) -> bool:
        """Move one alert; its incident follows (acknowledge: at once; resolve: with its last
        open alert). Returns whether the incident moved with it."""
        now = self.now
        whole = True
        if status is Status.RESOLVED:
            left = self.open_counts.get(alert.incident_id, 1) - 1
            self.open_counts[alert.incident_id] = left
            whole = left <= 0
            if whole:
                self._forget_group(alert.incident_id)
        fresh = self.new_alerts.get(alert.alert_id)
        if fresh is not None:
            fresh.status = status
            if status is Status.ACKNOWLEDGED:
                fresh.acknowledged_at = now
            else:
                fresh.resolved_at = now
        else:
            change = self._change(alert)
            change.status = status
            if status is Status.ACKNOWLEDGED:
                change.acknowledged_at, change.acknowledged_by = now, actor
            else:
                change.resolved_at, change.resolved_by = now, actor
        if not whole:
            return False
        incident = self.new_incidents.get(alert.incident_id)
        if incident is None:  # opened before the batch: the store moves it
            if status is Status.ACKNOWLEDGED:
                self.incident_acks.setdefault(alert.incident_id, (now, actor))
            else:
                self.incident_resolves[alert.incident_id] = (now, actor)
            return True
        if status is Status.ACKNOWLEDGED:
            if incident.status is Status.TRIGGERED:
                incident.status = status
                incident.acknowledged_at, incident.acknowledged_by = now, actor
        else:
            incident.status = status
            incident.resolved_at, incident.resolved_by = now, actor
        return True

    def _forget_group(self, incident_id: str) -> None:
        """A resolved incident takes no more alerts."""
        for slot, head in list(self.groups.items()):
            if head.incident_id == incident_id:
                del self.groups[slot]
