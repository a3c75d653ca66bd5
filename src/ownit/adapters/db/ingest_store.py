"""The hot path's writer: one transaction per batch, multi-row statements, SQLAlchemy Core."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import psycopg
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from ownit.adapters.db.batch_sql import Sql
from ownit.adapters.db.ingest_groups import load_groups, wanted_groups
from ownit.adapters.db.ingest_targets import (
    ParsedServices,
    Resolution,
    TargetResolver,
    unique_targets,
)
from ownit.app.ingest import ItemResult
from ownit.app.routing import RouterBook, event_labels
from ownit.domain.events import Action, Event
from ownit.domain.ids import make_id
from ownit.domain.incidents import Status
from ownit.domain.ingest.dedup import BatchPlan, OpenAlert

UNKNOWN_KEY = "unknown routing key"
NO_POLICY = "the service has no escalation policy: nobody is paged"


def new_id(prefix: str, now: datetime) -> str:
    return make_id(prefix, now, os.urandom(10))


# Conflicts between concurrent writers that a fresh attempt resolves.
_TRANSIENT = (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure)


def _fold(
    plan: BatchPlan,
    event: Event,
    resolution: Resolution,
    maintenance: Mapping[int, str] | None = None,
) -> str:
    """Apply one event to every target it was routed to; the first outcome is the answer.

    A trigger for a service under a maintenance window (``maintenance``: service id -> window
    name) is kept but pages nobody; acknowledge, resolve and change events still apply."""
    if resolution.dropped:
        return "dropped by router"
    outcomes: list[str] = []
    for target in unique_targets(resolution.pages):
        window = maintenance.get(target.service_id) if maintenance else None
        if window is not None and event.action is Action.TRIGGER:
            outcomes.append(
                plan.suppress(
                    event, target, resolution.route, f"suppressed: maintenance window {window}"
                )
            )
        else:
            outcomes.append(plan.apply(event, target, resolution.route).value)
    for held in resolution.suppressed:
        outcomes.append(plan.suppress(event, held, resolution.route or {}))
    return outcomes[0] if outcomes else "dropped by router"


def _in_maintenance(sql: Sql, service_ids: set[int], now: datetime) -> dict[int, str]:
    """Which of these services are under a maintenance window at ``now`` (one query a batch;
    when windows overlap, the one ending last names the suppression)."""
    if not service_ids:
        return {}
    ordered = sorted(service_ids)
    marks = ", ".join("?" for _ in ordered)
    found = sql.rows(
        "SELECT s.service_id, w.name FROM maintenance_windows w "
        "JOIN maintenance_window_services s ON s.window_id = w.id "
        f"WHERE w.start_at <= ? AND w.end_at > ? AND s.service_id IN ({marks}) "
        "ORDER BY w.end_at, w.name",
        (sql.ts(now), sql.ts(now), *ordered),
    )
    return {int(service_id): str(name) for service_id, name in found}


class SqlIngestStore:
    """Applies batches of events; on a lost race for an open-alert slot, retries the batch."""

    def __init__(
        self, engine: Engine, *, org_id: int = 1, routers: RouterBook | None = None
    ) -> None:
        self._engine = engine
        self._org_id = org_id
        self._routers = routers
        self._parsed = ParsedServices()  # services parsed once, kept while unchanged

    def apply_batch(self, items: Sequence[Sequence[Event]], now: datetime) -> list[ItemResult]:
        for attempt in range(5):
            try:
                with self._engine.begin() as conn:
                    return self._apply(conn, items, now)
            except (IntegrityError, psycopg.IntegrityError, *_TRANSIENT):
                # Another process opened an alert for one of our keys between our read and
                # our insert (PostgreSQL, several servers): read again and redo the batch.
                # (Inside a pipeline the driver's own error surfaces, not SQLAlchemy's.)
                if attempt == 4:
                    raise
            except OperationalError as exc:
                if not isinstance(exc.orig, _TRANSIENT) or attempt == 4:
                    raise
        raise AssertionError("unreachable")

    def _apply(
        self, conn: Any, items: Sequence[Sequence[Event]], now: datetime
    ) -> list[ItemResult]:
        resolver = TargetResolver(conn, self._routers, self._parsed)
        resolver.load({event.routing_key for item in items for event in item})
        resolver.prepare(event for item in items for event in item)  # routed: one query
        resolved = [[resolver.resolve(event) for event in item] for item in items]

        keys_by_service: dict[int, set[str]] = {}
        for item, where in zip(items, resolved, strict=True):
            for e, resolution in zip(item, where, strict=True):
                if resolution is None or e.dedup_key is None:
                    continue
                for target in resolution.pages:
                    keys_by_service.setdefault(target.service_id, set()).add(e.dedup_key)
        open_alerts: dict[tuple[int, str], OpenAlert] = {}
        open_counts: dict[str, int] = {}
        sql = Sql(conn)
        if keys_by_service:
            # One query for every service of the batch (a router spreads a batch over many);
            # each OR term names one service and repeats the open-alert index's condition,
            # so both databases search that index once per term instead of scanning.
            terms: list[str] = []
            params: list[Any] = []
            for service_id, dedup_keys in sorted(keys_by_service.items()):
                ordered = sorted(dedup_keys)
                marks = ", ".join("?" for _ in ordered)
                terms.append(
                    f"(service_id = ? AND dedup_key IN ({marks}) AND status != 'resolved')"
                )
                params += [service_id, *ordered]
            # With each alert, how many alerts of its incident are open (a grouped or merged
            # incident resolves with its last open alert).
            found = sql.rows(
                "SELECT service_id, dedup_key, id, incident_id, status, (SELECT COUNT(*) "
                "FROM alerts o WHERE o.incident_id = alerts.incident_id "
                "AND o.status != 'resolved') FROM alerts WHERE " + " OR ".join(terms),
                tuple(params),
            )
            for service_id, dedup_key, alert_id, incident_id, status, count in found:
                open_alerts[(service_id, dedup_key)] = OpenAlert(
                    alert_id, incident_id, Status(status)
                )
                open_counts[incident_id] = int(count)
        maintenance = _in_maintenance(
            sql,
            {t.service_id for where in resolved for r in where if r for t in r.pages},
            now,
        )
        groups, group_counts = load_groups(conn, wanted_groups(items, resolved))
        open_counts.update(group_counts)

        plan = BatchPlan(
            now=now,
            new_id=lambda prefix: new_id(prefix, now),
            open_alerts=open_alerts,
            open_counts=open_counts,
            groups=groups,
            labels_of=event_labels,
        )
        results: list[ItemResult] = []
        for item, where in zip(items, resolved, strict=True):
            outcomes: list[str] = []
            rejected = False
            for event, resolution in zip(item, where, strict=True):
                if resolution is None:
                    plan.reject(event, UNKNOWN_KEY)
                    rejected = True
                    continue
                outcomes.append(_fold(plan, event, resolution, maintenance))
            if rejected:
                results.append(ItemResult(False, error=UNKNOWN_KEY))
            else:
                results.append(ItemResult(True, tuple(outcomes)))
        first = self._numbers(conn, len(plan.new_incidents))
        if conn.dialect.name == "postgresql":
            # Send every statement of the batch in one pipeline: one round trip, not ten.
            with conn.connection.driver_connection.pipeline():
                self._write(conn, plan, first)
        else:
            self._write(conn, plan, first)
        return results

    def _numbers(self, conn: Any, count: int) -> int:
        """Reserve ``count`` incident numbers; returns the first."""
        if not count:
            return 0
        [(last,)] = Sql(conn).rows(
            "UPDATE organisations SET incident_seq = incident_seq + ? WHERE id = ? "
            "RETURNING incident_seq",
            (count, self._org_id),
        )
        return int(last) - count + 1

    def _write(self, conn: Any, plan: BatchPlan, first: int) -> None:
        sql = Sql(conn)
        now = sql.ts(plan.now)
        if plan.new_incidents:
            sql.insert(
                "incidents",
                _INCIDENT_COLUMNS,
                [
                    (
                        inc.id,
                        self._org_id,
                        first + i,
                        inc.title,
                        inc.status.value,
                        inc.urgency,
                        inc.severity,
                        inc.service_id,
                        inc.component,
                        inc.dedup_key,
                        inc.alert_count,
                        sql.ts(inc.created_at),
                        now,
                        sql.ts(inc.acknowledged_at),
                        inc.acknowledged_by,
                        sql.ts(inc.resolved_at),
                        inc.resolved_by,
                        inc.group_key,
                    )
                    for i, inc in enumerate(plan.new_incidents.values())
                ],
            )
            # Incidents with a policy get a timer the engine picks up at once; without one
            # there is nothing to escalate, and the timeline says so right away.
            sql.insert(
                "escalations",
                ("incident_id", "policy", "state", "due_at", "updated_at"),
                [
                    (inc.id, sql.json(inc.policy), None, now, now)
                    for inc in plan.new_incidents.values()
                    if inc.policy is not None
                ],
            )

        sql.insert(
            "alerts",
            _ALERT_COLUMNS,
            [
                (
                    a.id,
                    a.incident_id,
                    a.service_id,
                    a.integration_id,
                    a.dedup_key,
                    a.status.value,
                    a.severity,
                    a.summary,
                    a.source,
                    sql.json(a.details),
                    sql.json(a.labels),
                    a.repeat_count,
                    sql.ts(a.created_at),
                    now,
                    sql.ts(a.acknowledged_at),
                    sql.ts(a.resolved_at),
                )
                for a in plan.new_alerts.values()
            ],
        )
        # Rows are locked in one order (by id) in every batch, so two writers never deadlock.
        changes = sorted(plan.changes.values(), key=lambda c: c.alert_id)
        sql.run(
            "UPDATE alerts SET repeat_count = repeat_count + ?, last_event_at = ? WHERE id = ?",
            [(c.repeats, now, c.alert_id) for c in changes if c.repeats],
        )
        acks = [c for c in changes if c.acknowledged_at is not None]
        resolves = [c for c in changes if c.status is Status.RESOLVED]
        sql.run(
            "UPDATE alerts SET status = 'acknowledged', acknowledged_at = ? "
            "WHERE id = ? AND status = 'triggered'",
            [(sql.ts(c.acknowledged_at), c.alert_id) for c in acks],
        )
        incident_acks = sorted(plan.incident_acks.items())
        sql.run(
            "UPDATE incidents SET status = 'acknowledged', acknowledged_at = ?, "
            "acknowledged_by = ?, updated_at = ? WHERE id = ? AND status = 'triggered'",
            [(sql.ts(at), by, now, incident_id) for incident_id, (at, by) in incident_acks],
        )
        sql.run(
            "UPDATE alerts SET status = 'resolved', resolved_at = ? "
            "WHERE id = ? AND status != 'resolved'",
            [(sql.ts(c.resolved_at), c.alert_id) for c in resolves],
        )
        # Alerts grouped into incidents opened before the batch (nobody is paged again).
        sql.run(
            "UPDATE incidents SET alert_count = alert_count + ?, updated_at = ? WHERE id = ?",
            [(n, now, incident_id) for incident_id, n in sorted(plan.joined.items())],
        )
        # An incident resolves with its last open alert (the plan counted them; the
        # condition keeps an incident open that still has one, whatever raced with us).
        incident_resolves = sorted(plan.incident_resolves.items())
        sql.run(
            "UPDATE incidents SET status = 'resolved', resolved_at = ?, resolved_by = ?, "
            "updated_at = ? WHERE id = ? AND status != 'resolved' AND NOT EXISTS "
            "(SELECT 1 FROM alerts o WHERE o.incident_id = incidents.id "
            "AND o.status != 'resolved')",
            [(sql.ts(at), by, now, incident_id) for incident_id, (at, by) in incident_resolves],
        )
        woken = {incident_id for incident_id, _ in (*incident_acks, *incident_resolves)}
        sql.run(
            "UPDATE escalations SET due_at = ?, updated_at = ? WHERE incident_id = ?",
            [(now, now, incident_id) for incident_id in sorted(woken)],
        )
        sql.run(
            "UPDATE incidents SET updated_at = ? WHERE id = ?",
            [(now, c.incident_id) for c in changes if c.status is None and c.repeats],
        )
        sql.insert(
            "log_entries",
            ("incident_id", "at", "kind", "actor", "message", "data"),
            [
                (e.incident_id, sql.ts(e.at), e.kind, e.actor, e.message, sql.json(e.data))
                for e in (*plan.log, *plan.repeat_log())
            ]
            + [
                (inc.id, now, "unassigned", "engine", NO_POLICY, None)
                for inc in plan.new_incidents.values()
                if inc.policy is None
            ],
        )
        sql.insert(
            "change_events",
            (
                "id",
                "service_id",
                "received_at",
                "timestamp",
                "summary",
                "source",
                "details",
                "links",
            ),
            [
                (
                    new_id("chg", plan.now),
                    target.service_id,
                    now,
                    sql.ts(event.timestamp),
                    event.summary,
                    event.source,
                    sql.json(dict(event.custom_details) if event.custom_details else None),
                    sql.json([{"href": k.href, "text": k.text} for k in event.links] or None),
                )
                for event, target in plan.changes_recorded
            ],
        )
        sql.insert(
            "events",
            _EVENT_COLUMNS,
            [
                (
                    new_id("evt", plan.now),
                    now,
                    r.event.format,
                    r.event.routing_key,
                    r.target.integration_id if r.target else None,
                    r.target.service_id if r.target else None,
                    r.event.action.value,
                    r.event.dedup_key,
                    r.outcome,
                    r.incident_id,
                    sql.json(r.event.raw),
                    sql.json(r.route),
                )
                for r in plan.records
            ],
        )


_INCIDENT_COLUMNS = (
    "id",
    "org_id",
    "number",
    "title",
    "status",
    "urgency",
    "severity",
    "service_id",
    "component",
    "dedup_key",
    "alert_count",
    "created_at",
    "updated_at",
    "acknowledged_at",
    "acknowledged_by",
    "resolved_at",
    "resolved_by",
    "group_key",
)
_ALERT_COLUMNS = (
    "id",
    "incident_id",
    "service_id",
    "integration_id",
    "dedup_key",
    "status",
    "severity",
    "summary",
    "source",
    "details",
    "labels",
    "repeat_count",
    "created_at",
    "last_event_at",
    "acknowledged_at",
    "resolved_at",
)
_CHANGE_COLUMNS = (
    "id",
    "service_id",
    "received_at",
    "timestamp",
    "summary",
    "source",
    "details",
    "links",
)
_EVENT_COLUMNS = (
    "id",
    "received_at",
    "format",
    "routing_key",
    "integration_id",
    "service_id",
    "action",
    "dedup_key",
    "outcome",
    "incident_id",
    "raw",
    "route",
)
