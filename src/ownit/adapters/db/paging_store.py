"""Never silent, in SQL: an incident's paging state, who the fallback pages, the outbox's
page rows of an incident, and the failure counts behind ``ownit_paging_failures_total``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select, update

from ownit.adapters.db import tables as t
from ownit.adapters.db.batch_sql import Sql
from ownit.app.escalations import Reach
from ownit.app.paging import PageRow
from ownit.app.paging_health import FailingContact
from ownit.domain.oncall.notification_rules import Contact
from ownit.domain.paging import FALLBACK_EVENT, Paging, Reason

_i, _n = t.incidents, t.notifications


_MARK = (
    "UPDATE incidents SET paging = ?, paging_reason = ? WHERE id = ?"
    " AND (paging != ? OR paging_reason IS NULL OR paging_reason != ?)"
)
_COUNT = (
    "INSERT INTO paging_failures (incident_id, reason, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
)


def mark_unpaged(conn: Connection, incident_id: str, at: datetime, reason: Reason) -> bool:
    """Set the incident's paging state; count ``reason`` once for it. ``True`` when it was
    not already so. (Plain SQL at driver level: the engine runs this for every incident of
    a flood on a service without a policy.)"""
    sql = Sql(conn)
    state, code = reason.paging.value, reason.code
    changed = conn.exec_driver_sql(
        sql.statement(_MARK), (state, code, incident_id, state, code)
    ).rowcount
    if not changed:
        return False
    sql.run(_COUNT, [(incident_id, code, sql.ts(at))])
    return True


def fallback_people(
    conn: Connection, service_id: int, tier: str, reach_of: Any
) -> list[tuple[str, Reach]]:
    """``managers`` of the team owning the service, or the org's ``admins``, in name order,
    each with their reach (``reach_of``: a user's spec to a :class:`Reach`)."""
    u = t.users
    if tier == "managers":
        query = (
            select(u.c.name, u.c.spec)
            .join(t.team_members, t.team_members.c.user_id == u.c.id)
            .join(t.services, t.services.c.owner_team_id == t.team_members.c.team_id)
            .where(t.services.c.id == service_id, t.team_members.c.role == "manager")
        )
    else:
        c = t.user_credentials
        query = (
            select(u.c.name, u.c.spec).join(c, c.c.user_id == u.c.id).where(c.c.org_role == "admin")
        )
    rows = conn.execute(query.order_by(u.c.name)).all()
    return [(row.name, reach_of(row.spec or {})) for row in rows]


class SqlPagingStore:
    """:class:`ownit.app.paging.PagingStore` and :class:`ownit.app.paging_health.HealthStore`,
    and the counts for the metric."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def page_rows(self, incident_id: str) -> list[PageRow]:
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(_n.c.event_type, _n.c.status, _n.c.last_error, _n.c.data).where(
                    _n.c.incident_id == incident_id,
                    _n.c.event_type.in_(
                        ["incident.triggered", "incident.escalated", FALLBACK_EVENT]
                    ),
                )
            ).all()
        return [
            PageRow(
                event_type=r.event_type,
                status=r.status,
                error=r.last_error or "",
                tier=(r.data or {}).get("fallback") if r.event_type == FALLBACK_EVENT else None,
            )
            for r in rows
        ]

    def paging_ok(self, incident_ids: Sequence[str], at: datetime) -> None:
        del at  # the state has no time of its own; the timeline has the delivery
        with self._engine.begin() as conn:
            conn.execute(
                update(_i)
                .where(_i.c.id.in_(list(incident_ids)), _i.c.paging != Paging.OK.value)
                .values(paging=Paging.OK.value, paging_reason=None)
            )

    def failure_counts(self) -> dict[str, int]:
        """Incidents that could not be paged, by reason, ever (a counter: rows only grow)."""
        f = t.paging_failures
        with self._engine.connect() as conn:
            rows = conn.execute(select(f.c.reason, func.count()).group_by(f.c.reason)).all()
        return {str(reason): int(count) for reason, count in rows}

    # --- ownit doctor ------------------------------------------------------------------------

    def contacts(self) -> dict[str, tuple[Contact, ...]]:
        from ownit.adapters.db.escalation_unit import contacts_of  # the engine's own reading

        with self._engine.connect() as conn:
            rows = conn.execute(select(t.users.c.name, t.users.c.spec)).all()
        return {row.name: contacts_of(row.spec or {}).contacts for row in rows}

    def failing_contacts(self) -> list[FailingContact]:
        last = (
            select(func.max(_n.c.id).label("id"))
            .where(_n.c.status.in_(["sent", "failed"]))
            .group_by(_n.c.user_name, _n.c.contact)
            .subquery()
        )
        query = (
            select(_n.c.user_name, _n.c.contact, _n.c.created_at, _n.c.last_error)
            .join(last, last.c.id == _n.c.id)
            .where(_n.c.status == "failed")
            .order_by(_n.c.user_name, _n.c.contact)
        )
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            FailingContact(r.user_name, r.contact, r.created_at, r.last_error or "") for r in rows
        ]
