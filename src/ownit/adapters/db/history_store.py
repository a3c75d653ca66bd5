"""History a first responder wants: recent changes on services, similar past incidents."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Integer, bindparam, select

from ownit.adapters.db import tables as t
from ownit.adapters.db.rows import row_dict

# Built once (a service page runs it): building and keying it on each call cost more than
# the query.
_CHANGES = (
    select(
        t.services.c.name.label("service"),
        t.change_events.c.received_at,
        t.change_events.c.timestamp,
        t.change_events.c.summary,
        t.change_events.c.source,
        t.change_events.c.links,
    )
    .join(t.services, t.services.c.id == t.change_events.c.service_id)
    .where(
        t.services.c.name.in_(bindparam("names", expanding=True)),
        t.change_events.c.received_at >= bindparam("since"),
    )
    .order_by(t.change_events.c.received_at.desc())
    .limit(bindparam("limit", type_=Integer))
)


class SqlHistory:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def changes(
        self, services: Sequence[str], since: datetime, limit: int = 50
    ) -> list[dict[str, Any]]:
        values = {"names": list(services), "since": since, "limit": limit}
        with self._engine.connect() as conn:
            return [row_dict(r) for r in conn.execute(_CHANGES, values)]

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
