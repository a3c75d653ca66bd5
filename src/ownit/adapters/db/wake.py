"""Waking the escalations of a person's pages in progress when their rules change.

The worker then plans the pages again with the rules as they are now (decision 0021: a
rule added during a page fires when its time is still ahead). Only triggered incidents are
woken; waking one with nothing due changes nothing but that.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select, update

from ownit.adapters.db import tables as t
from ownit.app.notify import PAGE_EVENTS
from ownit.domain.incidents import Status


def wake_pages_of(conn: Connection, user: str, now: datetime) -> None:
    """In ``conn``'s transaction: every triggered incident ``user`` was paged for is due."""
    n, e, i = t.notifications, t.escalations, t.incidents
    paged = select(n.c.incident_id).where(
        n.c.user_name == user, n.c.event_type.in_(sorted(PAGE_EVENTS))
    )
    open_ = select(i.c.id).where(i.c.status == Status.TRIGGERED.value)
    conn.execute(
        update(e)
        .where(e.c.incident_id.in_(paged), e.c.incident_id.in_(open_))
        .values(due_at=now, updated_at=now)
    )
