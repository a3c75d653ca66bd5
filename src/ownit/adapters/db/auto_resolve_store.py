"""Auto-resolve timers in ``incidents.auto_resolve_at``: claimed, decided, written."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, func, select, update

from ownit.adapters.db import tables as t
from ownit.adapters.db.retry import retried
from ownit.domain.auto_resolve import ACTOR, Decision, Disarm, Idle, Postpone, Resolve, decide
from ownit.domain.durations import parse_duration
from ownit.domain.incidents import Status

_i, _a = t.incidents, t.alerts


def _timeout(spec: Any) -> timedelta | None:
    raw = (spec or {}).get("autoResolve")
    try:
        return parse_duration(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


class SqlAutoResolveStore:
    """Implements :class:`ownit.app.auto_resolve.AutoResolveStore`."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def settle_due(self, now: datetime, limit: int) -> list[tuple[Idle, Decision]]:
        # A repeat event may hold an alert of an incident this pass resolves (deadlock on
        # PostgreSQL): the pass runs again.
        return retried(lambda: self._settle(now, limit))

    def _settle(self, now: datetime, limit: int) -> list[tuple[Idle, Decision]]:
        with self._engine.begin() as conn:
            ids = list(
                conn.execute(
                    select(_i.c.id)
                    .where(_i.c.auto_resolve_at <= now)
                    .order_by(_i.c.auto_resolve_at)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                ).scalars()
            )
            if not ids:
                return []
            rows = conn.execute(
                select(_i.c.id, _i.c.number, _i.c.status, _i.c.created_at, t.services.c.spec)
                .join(t.services, t.services.c.id == _i.c.service_id)
                .where(_i.c.id.in_(ids))
            ).all()
            last = dict(
                conn.execute(
                    select(_a.c.incident_id, func.max(_a.c.last_event_at))
                    .where(_a.c.incident_id.in_(ids))
                    .group_by(_a.c.incident_id)
                ).all()
            )
            settled = []
            for row in rows:
                idle = Idle(
                    incident_id=row.id,
                    number=row.number,
                    status=Status(row.status),
                    last_event_at=max(row.created_at, last.get(row.id) or row.created_at),
                    timeout=_timeout(row.spec),
                )
                decision = decide(idle, now)
                _write(conn, idle, decision, now)
                settled.append((idle, decision))
            return settled


def _write(conn: Connection, idle: Idle, decision: Decision, now: datetime) -> None:
    if isinstance(decision, Postpone):
        conn.execute(
            update(_i).where(_i.c.id == idle.incident_id).values(auto_resolve_at=decision.due_at)
        )
        return
    if isinstance(decision, Disarm):
        conn.execute(update(_i).where(_i.c.id == idle.incident_id).values(auto_resolve_at=None))
        return
    assert isinstance(decision, Resolve)
    conn.execute(
        update(_i)
        .where(_i.c.id == idle.incident_id, _i.c.status != Status.RESOLVED.value)
        .values(
            status=Status.RESOLVED.value,
            resolved_at=now,
            resolved_by=ACTOR,
            updated_at=now,
            auto_resolve_at=None,
        )
    )
    conn.execute(
        update(_a)
        .where(_a.c.incident_id == idle.incident_id, _a.c.status != Status.RESOLVED.value)
        .values(status=Status.RESOLVED.value, resolved_at=now)
    )
    conn.execute(
        t.log_entries.insert().values(
            incident_id=idle.incident_id,
            at=now,
            kind=Status.RESOLVED.value,
            actor=ACTOR,
            message=decision.message,
            data={"auto_resolved": True, "last_event_at": idle.last_event_at.isoformat()},
        )
    )
    # Wake the escalation: the worker stops it and cancels the pending pages.
    conn.execute(
        update(t.escalations)
        .where(t.escalations.c.incident_id == idle.incident_id)
        .values(due_at=now, updated_at=now)
    )
