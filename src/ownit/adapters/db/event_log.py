"""The raw events as they arrived, with their outcome; and their bounded retention."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, func, select

from ownit.adapters.db import tables as t
from ownit.adapters.db.rows import row_dict

_e = t.events


class SqlEventLog:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def recent(
        self, *, service: str | None = None, incident_id: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        query = select(
            _e.c.id,
            _e.c.received_at,
            _e.c.format,
            _e.c.action,
            _e.c.dedup_key,
            _e.c.outcome,
            _e.c.incident_id,
            t.services.c.name.label("service"),
        ).outerjoin(t.services, t.services.c.id == _e.c.service_id)
        if service is not None:
            query = query.where(t.services.c.name == service)
        if incident_id is not None:
            query = query.where(_e.c.incident_id == incident_id)
        query = query.order_by(_e.c.received_at.desc(), _e.c.id.desc()).limit(limit)
        with self._engine.connect() as conn:
            return [row_dict(r) for r in conn.execute(query)]

    def get(self, event_id: str) -> dict[str, Any] | None:
        query = (
            select(
                _e,
                t.services.c.name.label("service"),
                t.incidents.c.number.label("incident_number"),
                t.incidents.c.component,
            )
            .outerjoin(t.services, t.services.c.id == _e.c.service_id)
            .outerjoin(t.incidents, t.incidents.c.id == _e.c.incident_id)
            .where(_e.c.id == event_id)
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        found = row_dict(row)
        found.pop("routing_key", None)  # a credential: never shown back
        return found

    def routes(self, incident_id: str, limit: int = 20) -> list[dict[str, Any]]:
        """The router decisions of the incident's events, newest first (events that came
        through a service's own integration have none)."""
        query = (
            select(_e.c.id, _e.c.received_at, _e.c.action, _e.c.route)
            .where(_e.c.incident_id == incident_id, _e.c.route.is_not(None))
            .order_by(_e.c.received_at.desc(), _e.c.id.desc())
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return [row_dict(r) for r in conn.execute(query) if r.route]

    def prune(self, *, older_than: datetime, keep_at_most: int) -> int:
        """Delete events received before ``older_than`` and beyond the newest ``keep_at_most``."""
        deleted = 0
        with self._engine.begin() as conn:
            deleted += conn.execute(delete(_e).where(_e.c.received_at < older_than)).rowcount
            count = conn.execute(select(func.count()).select_from(_e)).scalar_one()
            if count > keep_at_most:
                cutoff = conn.execute(
                    select(_e.c.received_at)
                    .order_by(_e.c.received_at.desc())
                    .offset(keep_at_most)
                    .limit(1)
                ).scalar_one()
                deleted += conn.execute(delete(_e).where(_e.c.received_at <= cutoff)).rowcount
        return deleted
