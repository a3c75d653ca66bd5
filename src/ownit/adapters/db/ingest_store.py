"""The hot path's writer: one transaction per batch, multi-row statements, SQLAlchemy Core."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, bindparam, func, select, tuple_, update
from sqlalchemy.exc import IntegrityError

from ownit.adapters.db import tables as t
from ownit.app.ports import ItemResult
from ownit.domain.dedup import BatchPlan, OpenAlert, Target
from ownit.domain.events import Event
from ownit.domain.ids import make_id
from ownit.domain.incidents import Status

UNKNOWN_KEY = "unknown routing key"

_upd_alert_repeat = (
    update(t.alerts)
    .where(t.alerts.c.id == bindparam("b_id"))
    .values(
        repeat_count=t.alerts.c.repeat_count + bindparam("b_n"),
        last_event_at=bindparam("b_at"),
    )
)
_upd_alert_ack = (
    update(t.alerts)
    .where(t.alerts.c.id == bindparam("b_id"))
    .values(status=bindparam("b_status"), acknowledged_at=bindparam("b_at"))
)
_upd_alert_resolve = (
    update(t.alerts)
    .where(t.alerts.c.id == bindparam("b_id"))
    .values(
        status=bindparam("b_status"),
        acknowledged_at=func.coalesce(t.alerts.c.acknowledged_at, bindparam("b_ack")),
        resolved_at=bindparam("b_at"),
    )
)
_upd_escalation_wake = (
    update(t.escalations)
    .where(t.escalations.c.incident_id == bindparam("b_id"))
    .values(due_at=bindparam("b_at"), updated_at=bindparam("b_at"))
)
_upd_incident_touch = (
    update(t.incidents)
    .where(t.incidents.c.id == bindparam("b_id"))
    .values(updated_at=bindparam("b_at"))
)
_upd_incident_ack = (
    update(t.incidents)
    .where(t.incidents.c.id == bindparam("b_id"))
    .where(t.incidents.c.status == Status.TRIGGERED.value)
    .values(
        status=Status.ACKNOWLEDGED.value,
        acknowledged_at=bindparam("b_at"),
        acknowledged_by=bindparam("b_by"),
        updated_at=bindparam("b_at"),
    )
)
_upd_incident_resolve = (
    update(t.incidents)
    .where(t.incidents.c.id == bindparam("b_id"))
    .where(t.incidents.c.status != Status.RESOLVED.value)
    .values(
        status=Status.RESOLVED.value,
        resolved_at=bindparam("b_at"),
        resolved_by=bindparam("b_by"),
        updated_at=bindparam("b_at"),
    )
)


def policy_snapshot(name: str | None, spec: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The escalation policy as frozen on an incident when it opens."""
    if name is None or spec is None:
        return None
    return {"name": name, "repeat": spec.get("repeat", 0), "levels": spec.get("levels", [])}


def new_id(prefix: str, now: datetime) -> str:
    return make_id(prefix, now, os.urandom(10))


class SqlIngestStore:
    """Applies batches of events; on a lost race for an open-alert slot, retries the batch."""

    def __init__(self, engine: Engine, *, org_id: int = 1) -> None:
        self._engine = engine
        self._org_id = org_id

    def apply_batch(self, items: Sequence[Sequence[Event]], now: datetime) -> list[ItemResult]:
        for attempt in range(5):
            try:
                with self._engine.begin() as conn:
                    return self._apply(conn, items, now)
            except IntegrityError:
                # Another process opened an alert for one of our keys between our read and
                # our insert (PostgreSQL, several servers): read again and redo the batch.
                if attempt == 4:
                    raise
        raise AssertionError("unreachable")

    def _apply(
        self, conn: Any, items: Sequence[Sequence[Event]], now: datetime
    ) -> list[ItemResult]:
        keys = {event.routing_key for item in items for event in item}
        targets: dict[str, Target] = {}
        if keys:
            rows = conn.execute(
                select(
                    t.integrations.c.key,
                    t.integrations.c.id,
                    t.integrations.c.name,
                    t.integrations.c.service_id,
                    t.services.c.urgency,
                    t.escalation_policies.c.name.label("policy_name"),
                    t.escalation_policies.c.spec.label("policy_spec"),
                )
                .join(t.services, t.services.c.id == t.integrations.c.service_id)
                .outerjoin(
                    t.escalation_policies,
                    t.escalation_policies.c.id == t.services.c.escalation_policy_id,
                )
                .where(t.integrations.c.key.in_(keys))
            )
            for key, integration_id, name, service_id, urgency, policy_name, spec in rows:
                policy = policy_snapshot(policy_name, spec)
                targets[key] = Target(service_id, urgency, integration_id, name, policy)

        slots = {
            (targets[e.routing_key].service_id, e.dedup_key)
            for item in items
            for e in item
            if e.routing_key in targets and e.dedup_key is not None
        }
        open_alerts: dict[tuple[int, str], OpenAlert] = {}
        if slots:
            query = select(
                t.alerts.c.service_id,
                t.alerts.c.dedup_key,
                t.alerts.c.id,
                t.alerts.c.incident_id,
                t.alerts.c.status,
            ).where(t.alerts.c.status != Status.RESOLVED.value)
            query = query.where(
                tuple_(t.alerts.c.service_id, t.alerts.c.dedup_key).in_(sorted(slots))
            )
            for service_id, dedup_key, alert_id, incident_id, status in conn.execute(query):
                open_alerts[(service_id, dedup_key)] = OpenAlert(
                    alert_id, incident_id, Status(status)
                )

        plan = BatchPlan(
            now=now, new_id=lambda prefix: new_id(prefix, now), open_alerts=open_alerts
        )
        results: list[ItemResult] = []
        for item in items:
            outcomes: list[str] = []
            rejected = False
            for event in item:
                target = targets.get(event.routing_key)
                if target is None:
                    plan.reject(event, UNKNOWN_KEY)
                    rejected = True
                else:
                    outcomes.append(plan.apply(event, target).value)
            if rejected:
                results.append(ItemResult(False, error=UNKNOWN_KEY))
            else:
                results.append(ItemResult(True, tuple(outcomes)))
        self._write(conn, plan)
        return results

    def _write(self, conn: Any, plan: BatchPlan) -> None:
        now = plan.now
        if plan.new_incidents:
            last = conn.execute(
                update(t.organisations)
                .where(t.organisations.c.id == self._org_id)
                .values(incident_seq=t.organisations.c.incident_seq + len(plan.new_incidents))
                .returning(t.organisations.c.incident_seq)
            ).scalar_one()
            first = last - len(plan.new_incidents) + 1
            conn.execute(
                t.incidents.insert(),
                [
                    {
                        "id": inc.id,
                        "org_id": self._org_id,
                        "number": first + i,
                        "title": inc.title,
                        "status": inc.status.value,
                        "urgency": inc.urgency,
                        "severity": inc.severity,
                        "service_id": inc.service_id,
                        "component": None,
                        "dedup_key": inc.dedup_key,
                        "alert_count": 1,
                        "created_at": inc.created_at,
                        "updated_at": now,
                        "acknowledged_at": inc.acknowledged_at,
                        "acknowledged_by": inc.acknowledged_by,
                        "resolved_at": inc.resolved_at,
                        "resolved_by": inc.resolved_by,
                    }
                    for i, inc in enumerate(plan.new_incidents.values())
                ],
            )
            conn.execute(
                t.escalations.insert(),
                [
                    {
                        "incident_id": inc.id,
                        "policy": dict(inc.policy) if inc.policy is not None else None,
                        "state": None,
                        "due_at": now,
                        "updated_at": now,
                    }
                    for inc in plan.new_incidents.values()
                ],
            )
        if plan.new_alerts:
            conn.execute(
                t.alerts.insert(),
                [
                    {
                        "id": a.id,
                        "incident_id": a.incident_id,
                        "service_id": a.service_id,
                        "integration_id": a.integration_id,
                        "dedup_key": a.dedup_key,
                        "status": a.status.value,
                        "severity": a.severity,
                        "summary": a.summary,
                        "source": a.source,
                        "details": a.details,
                        "repeat_count": a.repeat_count,
                        "created_at": a.created_at,
                        "last_event_at": now,
                        "acknowledged_at": a.acknowledged_at,
                        "resolved_at": a.resolved_at,
                    }
                    for a in plan.new_alerts.values()
                ],
            )
        repeats = [c for c in plan.changes.values() if c.repeats]
        if repeats:
            conn.execute(
                _upd_alert_repeat,
                [{"b_id": c.alert_id, "b_n": c.repeats, "b_at": now} for c in repeats],
            )
        acks = [c for c in plan.changes.values() if c.status is Status.ACKNOWLEDGED]
        resolves = [c for c in plan.changes.values() if c.status is Status.RESOLVED]
        touched = [c for c in plan.changes.values() if c.status is None]
        if acks:
            conn.execute(
                _upd_alert_ack,
                [
                    {"b_id": c.alert_id, "b_status": "acknowledged", "b_at": c.acknowledged_at}
                    for c in acks
                ],
            )
            conn.execute(
                _upd_incident_ack,
                [
                    {"b_id": c.incident_id, "b_at": c.acknowledged_at, "b_by": c.acknowledged_by}
                    for c in acks
                ],
            )
        if resolves:
            conn.execute(
                _upd_alert_resolve,
                [
                    {
                        "b_id": c.alert_id,
                        "b_status": "resolved",
                        "b_at": c.resolved_at,
                        "b_ack": c.acknowledged_at,
                    }
                    for c in resolves
                ],
            )
            acked_too = [c for c in resolves if c.acknowledged_at is not None]
            if acked_too:
                conn.execute(
                    _upd_incident_ack,
                    [
                        {
                            "b_id": c.incident_id,
                            "b_at": c.acknowledged_at,
                            "b_by": c.acknowledged_by,
                        }
                        for c in acked_too
                    ],
                )
            conn.execute(
                _upd_incident_resolve,
                [
                    {"b_id": c.incident_id, "b_at": c.resolved_at, "b_by": c.resolved_by}
                    for c in resolves
                ],
            )
        if acks or resolves:
            conn.execute(
                _upd_escalation_wake,
                [{"b_id": c.incident_id, "b_at": now} for c in (*acks, *resolves)],
            )
        if touched:
            conn.execute(
                _upd_incident_touch, [{"b_id": c.incident_id, "b_at": now} for c in touched]
            )
        log = plan.log + plan.repeat_log()
        if log:
            conn.execute(
                t.log_entries.insert(),
                [
                    {
                        "incident_id": e.incident_id,
                        "at": e.at,
                        "kind": e.kind,
                        "actor": e.actor,
                        "message": e.message,
                        "data": e.data,
                    }
                    for e in log
                ],
            )
        if plan.changes_recorded:
            conn.execute(
                t.change_events.insert(),
                [
                    {
                        "id": new_id("chg", now),
                        "service_id": target.service_id,
                        "received_at": now,
                        "timestamp": event.timestamp,
                        "summary": event.summary,
                        "source": event.source,
                        "details": dict(event.custom_details) if event.custom_details else None,
                        "links": [{"href": link.href, "text": link.text} for link in event.links]
                        or None,
                    }
                    for event, target in plan.changes_recorded
                ],
            )
        if plan.records:
            conn.execute(
                t.events.insert(),
                [
                    {
                        "id": new_id("evt", now),
                        "received_at": now,
                        "format": r.event.format,
                        "routing_key": r.event.routing_key,
                        "integration_id": r.target.integration_id if r.target else None,
                        "service_id": r.target.service_id if r.target else None,
                        "action": r.event.action.value,
                        "dedup_key": r.event.dedup_key,
                        "outcome": r.outcome,
                        "incident_id": r.incident_id,
                        "raw": dict(r.event.raw) if r.event.raw is not None else None,
                    }
                    for r in plan.records
                ],
            )
