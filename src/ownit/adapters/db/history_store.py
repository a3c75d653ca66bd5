"""History a first responder wants: recent changes on services, similar past incidents."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from ownit.adapters.db import tables as t
from ownit.adapters.db.rows import row_dict


class SqlHistory:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def changes(
        self, services: Sequence[str], since: datetime, limit: int = 50
    ) -> list[dict[str, Any]]:
        c, s = t.change_events, t.services
        query = (
            select(
                s.c.name.label("service"),
                c.c.received_at,
                c.c.timestamp,
                c.c.summary,
                c.c.source,
                c.c.links,
            )
            .join(s, s.c.id == c.c.service_id)
            .where(s.c.name.in_(list(services)), c.c.received_at >= since)
            .order_by(c.c.received_at.desc())
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return [row_dict(r) for r in conn.execute(query)]

    def similar(self, incident_id: str, limit: int = 3) -> list[dict[str, Any]]:
        """Resolved incidents of the same service with the same dedup key, newest first."""
        i = t.incidents
        with self._engine.connect() as conn:
            me = conn.execute(
                select(i.c.service_id, i.c.dedup_key).where(i.c.id == incident_id)
            ).first()
            if me is None:
                return []
            rows = conn.execute(
                select(
                    i.c.number,
                    i.c.title,
                    i.c.created_at,
                    i.c.acknowledged_by,
                    i.c.resolved_at,
                    i.c.resolved_by,
                )
                .where(
                    i.c.service_id == me.service_id,
                    i.c.dedup_key == me.dedup_key,
                    i.c.id != incident_id,
                    i.c.status == "resolved",
                )
                .order_by(i.c.created_at.desc())
                .limit(limit)
            )
            found = [row_dict(r) for r in rows]
        for item in found:
            item["time_to_resolve_s"] = int(
                (item["resolved_at"] - item["created_at"]).total_seconds()
            )
        return found
