"""What analytics needs recorded as it happens (migration 0011): when each person was first
paged for an incident, and who acknowledged it first and how.

Two small hooks call in here, inside the caller's transaction: the worker's outbox write
(``work_store``: each page) and the incident store's acknowledgement (``incident_store``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, case, func
from sqlalchemy.dialects import postgresql, sqlite

from ownit.adapters.db import tables as t
from ownit.adapters.db.analytics_figures import refresh

_r = t.incident_responses


def _insert(conn: Connection) -> Any:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(_r)


def _pages_upsert(dialect: Any) -> Any:
    """A page's row: the person's first page time and highest level kept."""
    stmt = dialect.insert(_r)
    new = stmt.excluded
    return stmt.on_conflict_do_update(
        index_elements=["incident_id", "user_name"],
        set_={
            "first_paged_at": func.coalesce(_r.c.first_paged_at, new.first_paged_at),
            "highest_level": case(
                (_r.c.highest_level.is_(None), new.highest_level),
                (new.highest_level > _r.c.highest_level, new.highest_level),
                else_=_r.c.highest_level,
            ),
        },
    )


# Built once: the engine records every page it writes (building it cost more than running it).
_PAGES = {"postgresql": _pages_upsert(postgresql), "sqlite": _pages_upsert(sqlite)}


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


def record_pages(conn: Connection, pages: Iterable[tuple[str, str, Any]], at: datetime) -> None:
    """For each ``(incident_id, user, data)`` of a page written to the outbox (``data`` holds
    ``level`` and ``paged_at``): keep the person's first page time and highest level."""
    first: dict[tuple[str, str], tuple[datetime, int]] = {}
    for incident_id, user, data in pages:
        when = _paged_at(data, at)
        level = data.get("level", 1) if isinstance(data, Mapping) else 1
        level = level if isinstance(level, int) else 1
        key = (incident_id, user)
        seen = first.get(key)
        first[key] = (when, level) if seen is None else (min(seen[0], when), max(seen[1], level))
    if not first:
        return
    conn.execute(
        _PAGES[conn.dialect.name],
        [
            {"incident_id": i, "user_name": u, "first_paged_at": when, "highest_level": level}
            for (i, u), (when, level) in first.items()
        ],
    )
    # A page at level 2 or beyond makes the incident escalated: its stored figures change.
    escalated = {i for (i, _), (_, level) in first.items() if level >= 2}
    if escalated:
        refresh(conn, escalated)


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
