"""Writing an ingest batch's plan: multi-row statements at driver level, inside the batch's
transaction; none reads a result, so on PostgreSQL they all go in the caller's pipeline.

The plan (:class:`~ownit.domain.ingest.dedup.BatchPlan`) says what changes; this module only
turns it into rows.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from ownit.adapters.db.batch_sql import Sql
from ownit.domain.auto_resolve import first_due
from ownit.domain.ids import make_id
from ownit.domain.incidents import Status
from ownit.domain.ingest.dedup import BatchPlan
from ownit.domain.key_digests import stored_key


def new_id(prefix: str, now: datetime) -> str:
    """A fresh id for a row made at ``now`` (``inc``, ``alr``, ``chg``, ``evt``)."""
    return make_id(prefix, now, _entropy.take())


class _Entropy(threading.local):
    """The operating system's random bytes, read :data:`ENTROPY_READ` at a time and handed
    out 10 per id: one system call per hundreds of ids instead of one per id (the hot path
    makes three ids per event). Per thread; a forked child starts with none of its
    parent's bytes (:func:`os.register_at_fork`), so no two processes share an id."""

    def __init__(self) -> None:
        self.pool = b""
        self.at = 0

    def take(self) -> bytes:
        at = self.at
        if at + ID_ENTROPY > len(self.pool):
            self.pool, at = os.urandom(ENTROPY_READ), 0
        self.at = at + ID_ENTROPY
        return self.pool[at : at + ID_ENTROPY]


ID_ENTROPY = 10
ENTROPY_READ = ID_ENTROPY * 256
_entropy = _Entropy()


def _forget_entropy() -> None:
    global _entropy
    _entropy = _Entropy()


os.register_at_fork(after_in_child=_forget_entropy)


def write_plan(
    conn: Any, plan: BatchPlan, org_id: int, auto_resolve: Mapping[int, timedelta] | None = None
) -> None:
    """Write everything ``plan`` collected, with incident numbers reserved for ``org_id``;
    a new incident of a service in ``auto_resolve`` (service id → ``autoResolve``) starts its
    auto-resolve timer. No statement reads a result: inside a pipeline (PostgreSQL) they all
    go to the server together."""
    timers = auto_resolve or {}
    sql = Sql(conn)
    if plan.new_incidents:
        # Reserve the numbers (the organisation's row stays locked until the commit: only
        # a batch that opens an incident takes it); each new incident counts back from the
        # reserved last one, in the database, so nothing waits for the answer.
        sql.run(
            "UPDATE organisations SET incident_seq = incident_seq + ? WHERE id = ?",
            [(len(plan.new_incidents), org_id)],
        )
    _write(sql, plan, org_id, timers)


def _write(sql: Sql, plan: BatchPlan, org_id: int, timers: Mapping[int, timedelta]) -> None:
    now = sql.ts(plan.now)
    if plan.new_incidents:
        last = len(plan.new_incidents) - 1
        sql.insert(
            "incidents",
            _INCIDENT_COLUMNS,
            [
                (
                    inc.id,
                    org_id,
                    org_id,
                    last - i,  # the batch's first incident gets the first number reserved
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
                    sql.ts(first_due(inc.created_at, timers.get(inc.service_id))),
                )
                for i, inc in enumerate(plan.new_incidents.values())
            ],
            values=_NUMBERED,
        )
        # Every new incident gets a timer the engine picks up at once (in the same
        # statement: no query more per event). With a policy it escalates; without one the
        # timeline says so right away and the engine pages the fallback (never silent).
        sql.insert(
            "escalations",
            ("incident_id", "policy", "state", "due_at", "updated_at", "service_id"),
            [
                (inc.id, sql.json(inc.policy), None, now, now, inc.service_id)
                for inc in plan.new_incidents.values()
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
            for e in (*plan.log, *plan.repeat_log(), *plan.unassigned_log())
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
                stored_key(r.event.routing_key),  # the key's digest (decision 0035)
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
    "auto_resolve_at",
)
# A new incident's row: its number counts back (by the fourth value) from the last one the
# batch reserved for its organisation (the third).
_NUMBERED = (
    "(?, ?, (SELECT incident_seq FROM organisations WHERE id = ?) - ?, "
    + ", ".join("?" for _ in _INCIDENT_COLUMNS[3:])
    + ")"
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
