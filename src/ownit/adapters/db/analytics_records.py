"""What analytics needs recorded as it happens (migration 0011): when each person was first
paged for an incident, and who acknowledged it first and how.

Two small hooks call in here, inside the caller's transaction: the engine's outbox write
(``escalation_unit.write_held``: each page of a person) and the incident store's
acknowledgement (``incident_store``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func
from sqlalchemy.dialects import postgresql, sqlite

from ownit.adapters.db import tables as t
from ownit.adapters.db.batch_sql import Sql

_r = t.incident_responses


def _insert(conn: Connection) -> Any:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(_r)


_PAGE_COLUMNS = ("incident_id", "user_name", "first_paged_at", "highest_level")
# A page's row: the person's first page time and highest level kept. Plain SQL at driver
# level: the engine writes it for every page, with its batch's other writes (decision 0074).
_PAGES_KEPT = (
    " ON CONFLICT (incident_id, user_name) DO UPDATE SET"
    " first_paged_at = COALESCE(incident_responses.first_paged_at, excluded.first_paged_at),"
    " highest_level = CASE WHEN incident_responses.highest_level IS NULL"
    " OR excluded.highest_level > incident_responses.highest_level"
    " THEN excluded.highest_level ELSE incident_responses.highest_level END"
)


def _paged_at(data: Any, default: datetime) -> datetime:
    text = data.get("paged_at") if isinstance(data, Mapping) else None
    if isinstance(text, str):
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            return default
        if value.tzinfo is not None:
            return value.astimezone(UTC)
    return default


def write_pages(sql: Sql, pages: Iterable[tuple[str, str, Any]], at: datetime) -> set[str]:
    """For each ``(incident_id, user, data)`` of a page written to the outbox (``data`` holds
    ``level`` and ``paged_at``): keep the person's first page time and highest level. Reads
    nothing (it may run in a pipeline); returns the incidents a page made escalated (level 2
    or beyond): the caller refreshes their stored figures (``analytics_figures.refresh``)."""
    first: dict[tuple[str, str], tuple[datetime, int]] = {}
    for incident_id, user, data in pages:
        when = _paged_at(data, at)
        level = data.get("level", 1) if isinstance(data, Mapping) else 1
        level = level if isinstance(level, int) else 1
        key = (incident_id, user)
        seen = first.get(key)
        first[key] = (when, level) if seen is None else (min(seen[0], when), max(seen[1], level))
    sql.insert(
        "incident_responses",
        _PAGE_COLUMNS,
        [(i, u, sql.ts(when), level) for (i, u), (when, level) in first.items()],
        tail=_PAGES_KEPT,
    )
    return {i for (i, _), (_, level) in first.items() if level >= 2}


def record_acknowledgement(
    conn: Connection, incident_id: str, user: str, at: datetime, via: str
) -> None:
    """``user`` acknowledged ``incident_id`` at ``at`` through ``via``; the first one stays.
    A signed link's actor ``user/NAME`` is recorded as the person ``NAME``."""
    user = user.removeprefix("user/")
    stmt = _insert(conn).values(
        incident_id=incident_id, user_name=user, acknowledged_at=at, acknowledged_via=via
    )
    new = stmt.excluded
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["incident_id", "user_name"],
            set_={
                "acknowledged_at": func.coalesce(_r.c.acknowledged_at, new.acknowledged_at),
                "acknowledged_via": func.coalesce(_r.c.acknowledged_via, new.acknowledged_via),
            },
        )
    )
