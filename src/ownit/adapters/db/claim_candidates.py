"""What the engine's claims choose from: the oldest and the newest due rows, and each
service's oldest first page (decisions 0027, 0071, 0076 and 0077).

The statements are built once, with ``:now`` and ``:rows`` bound; the pure rule that picks
among the candidates is ``domain.escalation.claims``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Integer, Select, and_, bindparam, case, func, literal, select

from ownit.adapters.db import tables as t

_e = t.escalations

CANDIDATES = 256
"""At most how many of the oldest and of the newest due rows a claim chooses from (so the
claim costs the same whatever the backlog: two index range scans)."""
CANDIDATES_PER_PICK = 4
"""A claim of ``limit`` rows reads at most this many times ``limit`` of the oldest rows: the
engine's claims of 8 escalations (PostgreSQL) read the 32 oldest, not 128 (under a storm's
backlog, reading the candidates was about a quarter of the engine's CPU; decisions 0071 and
0077).
The newest end keeps its ``CANDIDATES``: there a storm's new first pages, and the several
first pages a quieter service may have waiting, are seen (each service's index gives only
its oldest one, :func:`_first_pages_by_service`)."""


def oldest_window(limit: int) -> int:
    """How many of the oldest rows a claim of ``limit`` reads."""
    return min(CANDIDATES, max(1, CANDIDATES_PER_PICK * limit))


Ends = tuple[Select[Any], Select[Any]]


def _ends(query: Select[Any], due_at: Any, key: Any) -> Ends:
    """``query``'s oldest and newest rows, due at ``:now`` or earlier, ``:rows`` of them:
    built once (built again at every claim, the statements cost the engine measurable CPU
    under a backlog; decision 0077)."""
    due = query.where(due_at <= bindparam("now", type_=due_at.type))
    rows = bindparam("rows", type_=Integer)
    return (
        due.order_by(due_at, key).limit(rows),
        due.order_by(due_at.desc(), key.desc()).limit(rows),
    )


def both_ends(conn: Connection, ends: Ends, now: datetime, oldest_rows: int) -> list[Any]:
    """The ``oldest_rows`` oldest and the ``CANDIDATES`` newest rows of ``ends`` due at
    ``now``, once each: the oldest so nothing waits forever, the newest so new work (a first
    page) is seen even behind a backlog of thousands (the claim order then puts it first)."""
    oldest_query, newest_query = ends
    oldest = list(conn.execute(oldest_query, {"now": now, "rows": oldest_rows}))
    newest = list(conn.execute(newest_query, {"now": now, "rows": CANDIDATES}))
    seen = {row[0] for row in oldest}
    return oldest + [row for row in newest if row[0] not in seen]


_DUE_ESCALATIONS = select(
    _e.c.incident_id,
    _e.c.service_id,
    _e.c.due_at,
    case((_e.c.state.is_(None), 1), else_=0).label("first"),
)
DUE_ENDS = _ends(_DUE_ESCALATIONS, _e.c.due_at, _e.c.incident_id)


def _first_pages_by_service() -> Select[Any]:
    """Each service's oldest first page due at ``:now``, whatever the backlog: the services
    with one waiting are walked through the first pages' index (one probe each), then each
    one's oldest is read by the same index (decision 0076)."""
    waiting = _e.alias("waiting")
    now = bindparam("now", type_=_e.c.due_at.type)

    def first_due(e: Any) -> Any:
        return and_(e.c.state.is_(None), e.c.due_at <= now)

    services = select(func.min(_e.c.service_id).label("service_id")).where(first_due(_e))
    walk = services.cte("services", recursive=True)
    after = (
        select(func.min(waiting.c.service_id))
        .where(first_due(waiting), waiting.c.service_id > walk.c.service_id)
        .scalar_subquery()
    )
    walk = walk.union_all(select(after).where(walk.c.service_id.is_not(None)))
    mine = and_(first_due(waiting), waiting.c.service_id == walk.c.service_id)
    oldest = (
        select(waiting.c.incident_id)
        .where(mine)
        .order_by(waiting.c.due_at, waiting.c.incident_id)
        .limit(1)
        .scalar_subquery()
    )
    due_at = select(func.min(waiting.c.due_at)).where(mine).scalar_subquery()
    return select(
        oldest.label("incident_id"),
        walk.c.service_id,
        due_at.label("due_at"),
        literal(1).label("first"),
    ).where(walk.c.service_id.is_not(None))


FIRST_PAGES = _first_pages_by_service()

_n = t.notifications
_PENDING = select(
    _n.c.id, _n.c.user_name, _n.c.contact, _n.c.due_at, _n.c.event_type, _n.c.channel
).where(_n.c.status == "pending")
PENDING_ENDS = _ends(_PENDING, _n.c.due_at, _n.c.id)
