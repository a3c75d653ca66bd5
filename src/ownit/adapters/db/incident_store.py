"""Incidents for people: listing, one incident, its timeline and alerts, status changes, notes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Row, and_, select, update

from ownit.adapters.db import tables as t
from ownit.adapters.db.rows import row_dict
from ownit.app.incidents import IncidentFilter
from ownit.domain.incidents import Status

_i = t.incidents
_COLUMNS = (
    _i.c.id,
    _i.c.number,
    _i.c.title,
    _i.c.status,
    _i.c.urgency,
    _i.c.severity,
    t.services.c.name.label("service"),
    _i.c.component,
    _i.c.dedup_key,
    _i.c.alert_count,
    _i.c.created_at,
    _i.c.updated_at,
    _i.c.acknowledged_at,
    _i.c.acknowledged_by,
    _i.c.resolved_at,
    _i.c.resolved_by,
)
_BASE = select(*_COLUMNS).join(t.services, t.services.c.id == _i.c.service_id)


def _as_dict(row: Row[*tuple[Any, ...]]) -> dict[str, Any]:
    return row_dict(row)


class SqlIncidentStore:
    def __init__(self, engine: Engine, *, org_id: int = 1) -> None:
        self._engine = engine
        self._org_id = org_id

    def search(self, flt: IncidentFilter) -> list[dict[str, Any]]:
        query = _BASE.where(_i.c.org_id == self._org_id)
        if flt.statuses:
            query = query.where(_i.c.status.in_([s.value for s in flt.statuses]))
        if flt.service is not None:
            query = query.where(t.services.c.name == flt.service)
        if flt.urgency is not None:
            query = query.where(_i.c.urgency == flt.urgency.value)
        if flt.since is not None:
            query = query.where(_i.c.created_at >= flt.since)
        if flt.until is not None:
            query = query.where(_i.c.created_at < flt.until)
        query = query.order_by(_i.c.created_at.desc(), _i.c.number.desc()).limit(flt.limit)
        with self._engine.connect() as conn:
            return [_as_dict(r) for r in conn.execute(query)]

    def get(self, ref: str) -> dict[str, Any] | None:
        ref = ref.strip().lstrip("#")
        if ref.isdigit():
            cond = and_(_i.c.org_id == self._org_id, _i.c.number == int(ref))
        else:
            cond = and_(_i.c.org_id == self._org_id, _i.c.id == ref)
        with self._engine.connect() as conn:
            row = conn.execute(_BASE.where(cond)).first()
        return None if row is None else _as_dict(row)

    def timeline(self, incident_id: str) -> list[dict[str, Any]]:
        le = t.log_entries
        query = (
            select(le.c.id, le.c.at, le.c.kind, le.c.actor, le.c.message, le.c.data)
            .where(le.c.incident_id == incident_id)
            .order_by(le.c.at, le.c.id)
        )
        with self._engine.connect() as conn:
            return [_as_dict(r) for r in conn.execute(query)]

    def alerts(self, incident_id: str) -> list[dict[str, Any]]:
        a = t.alerts
        query = (
            select(
                a.c.id,
                a.c.dedup_key,
                a.c.status,
                a.c.severity,
                a.c.summary,
                a.c.source,
                a.c.repeat_count,
                a.c.created_at,
                a.c.last_event_at,
                a.c.acknowledged_at,
                a.c.resolved_at,
                a.c.details,
            )
            .where(a.c.incident_id == incident_id)
            .order_by(a.c.created_at)
        )
        with self._engine.connect() as conn:
            return [_as_dict(r) for r in conn.execute(query)]

    def set_status(
        self, incident_id: str, status: Status, *, by: str, at: datetime, message: str
    ) -> dict[str, Any]:
        with self._engine.begin() as conn:
            if status is Status.ACKNOWLEDGED:
                conn.execute(
                    update(_i)
                    .where(_i.c.id == incident_id, _i.c.status == Status.TRIGGERED.value)
                    .values(
                        status=status.value, acknowledged_at=at, acknowledged_by=by, updated_at=at
                    )
                )
                conn.execute(
                    update(t.alerts)
                    .where(
                        t.alerts.c.incident_id == incident_id,
                        t.alerts.c.status == Status.TRIGGERED.value,
                    )
                    .values(status=status.value, acknowledged_at=at)
                )
            else:
                conn.execute(
                    update(_i)
                    .where(_i.c.id == incident_id, _i.c.status != Status.RESOLVED.value)
                    .values(status=status.value, resolved_at=at, resolved_by=by, updated_at=at)
                )
                conn.execute(
                    update(t.alerts)
                    .where(
                        t.alerts.c.incident_id == incident_id,
                        t.alerts.c.status != Status.RESOLVED.value,
                    )
                    .values(status=status.value, resolved_at=at)
                )
            conn.execute(
                t.log_entries.insert().values(
                    incident_id=incident_id, at=at, kind=status.value, actor=by, message=message
                )
            )
            # Wake the engine: it stops escalation and cancels pending notifications.
            conn.execute(
                update(t.escalations)
                .where(t.escalations.c.incident_id == incident_id)
                .values(due_at=at, updated_at=at)
            )
        found = self.get(incident_id)
        assert found is not None
        return found

    def add_note(self, incident_id: str, *, by: str, at: datetime, text: str) -> dict[str, Any]:
        with self._engine.begin() as conn:
            conn.execute(
                t.log_entries.insert().values(
                    incident_id=incident_id, at=at, kind="note", actor=by, message=text
                )
            )
            conn.execute(update(_i).where(_i.c.id == incident_id).values(updated_at=at))
        return {"incident_id": incident_id, "at": at, "kind": "note", "actor": by, "message": text}

    def service_exists(self, name: str) -> bool:
        with self._engine.connect() as conn:
            return (
                conn.execute(select(t.services.c.id).where(t.services.c.name == name)).first()
                is not None
            )

    def open_counts(self) -> dict[tuple[str, str], int]:
        """Open incidents by (status, urgency), for the metrics endpoint."""
        from sqlalchemy import func

        query = (
            select(_i.c.status, _i.c.urgency, func.count())
            .where(_i.c.status != Status.RESOLVED.value)
            .group_by(_i.c.status, _i.c.urgency)
        )
        with self._engine.connect() as conn:
            return {(s, u): n for s, u, n in conn.execute(query)}
