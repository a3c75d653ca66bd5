"""Regrouping alerts: merging incidents into one and splitting alerts off into a new one.

Each function is the body of one transaction, run (and retried on a deadlock) by
:class:`ownit.adapters.db.incident_store.SqlIncidentStore`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, update

from ownit.adapters.db import tables as t
from ownit.adapters.db.audit_log import record
from ownit.domain.ids import make_id
from ownit.domain.incidents import Status

_i = t.incidents


def merge_into(
    conn: Connection, target_id: str, source_ids: Sequence[str], *, by: str, at: datetime
) -> None:
    """Move every alert of the sources into the target (see ``SqlIncidentStore.merge``)."""
    a, le = t.alerts, t.log_entries
    number = dict(
        conn.execute(
            select(_i.c.id, _i.c.number).where(_i.c.id.in_([target_id, *source_ids]))
        ).all()
    )
    target = conn.execute(
        select(_i.c.status).where(_i.c.id == target_id).with_for_update()
    ).scalar_one()
    conn.execute(update(a).where(a.c.incident_id.in_(source_ids)).values(incident_id=target_id))
    if target == Status.ACKNOWLEDGED.value:
        conn.execute(
            update(a)
            .where(a.c.incident_id == target_id, a.c.status == Status.TRIGGERED.value)
            .values(status=Status.ACKNOWLEDGED.value, acknowledged_at=at)
        )
    count = conn.execute(
        select(func.count()).select_from(a).where(a.c.incident_id == target_id)
    ).scalar_one()
    conn.execute(update(_i).where(_i.c.id == target_id).values(alert_count=count, updated_at=at))
    conn.execute(
        update(_i)
        .where(_i.c.id.in_(source_ids), _i.c.status != Status.RESOLVED.value)
        .values(status=Status.RESOLVED.value, resolved_at=at, resolved_by=by)
    )
    conn.execute(update(_i).where(_i.c.id.in_(source_ids)).values(alert_count=0, updated_at=at))
    entries = []
    for source_id in source_ids:
        entries.append(
            {
                "incident_id": source_id,
                "at": at,
                "kind": "merged",
                "actor": by,
                "message": f"merged into #{number[target_id]} by {by}",
                "data": {"into": target_id},
            }
        )
        entries.append(
            {
                "incident_id": target_id,
                "at": at,
                "kind": "merged",
                "actor": by,
                "message": f"merged #{number[source_id]} into this incident by {by}",
                "data": {"from": source_id},
            }
        )
    conn.execute(le.insert(), entries)
    record(
        conn,
        at=at,
        kind="incident",
        name=f"#{number[target_id]}",
        action="merged",
        after={"from": [f"#{number[i]}" for i in source_ids]},
        actor=by,
    )
    # Wake the engine for the sources: it stops their escalation and pending pages.
    conn.execute(
        update(t.escalations)
        .where(t.escalations.c.incident_id.in_(source_ids))
        .values(due_at=at, updated_at=at)
    )


def split_off(
    conn: Connection, incident_id: str, alert_ids: Sequence[str], *, by: str, at: datetime
) -> str:
    """Move these alerts into a new incident; its id (see ``SqlIncidentStore.split``)."""
    a, le, e = t.alerts, t.log_entries, t.escalations
    src = conn.execute(select(_i).where(_i.c.id == incident_id).with_for_update()).one()
    moved = conn.execute(
        select(a.c.id, a.c.dedup_key, a.c.status, a.c.severity, a.c.summary)
        .where(a.c.id.in_(alert_ids), a.c.incident_id == incident_id)
        .order_by(a.c.created_at, a.c.id)
    ).all()
    first = moved[0]
    is_open = any(m.status != Status.RESOLVED.value for m in moved)
    [(seq,)] = conn.execute(
        update(t.organisations)
        .where(t.organisations.c.id == src.org_id)
        .values(incident_seq=t.organisations.c.incident_seq + 1)
        .returning(t.organisations.c.incident_seq)
    ).all()
    new_id = make_id("inc", at, os.urandom(10))
    conn.execute(
        _i.insert().values(
            id=new_id,
            org_id=src.org_id,
            number=int(seq),
            title=first.summary,
            status=(Status.TRIGGERED if is_open else Status.RESOLVED).value,
            urgency=src.urgency,
            severity=first.severity,
            service_id=src.service_id,
            component=src.component,
            dedup_key=first.dedup_key,
            alert_count=len(moved),
            created_at=at,
            updated_at=at,
            resolved_at=None if is_open else at,
            resolved_by=None if is_open else by,
            # The source's auto-resolve timer; when due it looks at these alerts.
            auto_resolve_at=src.auto_resolve_at if is_open else None,
        )
    )
    conn.execute(update(a).where(a.c.id.in_([m.id for m in moved])).values(incident_id=new_id))
    # A fresh incident: its open alerts are triggered again, whoever acknowledged
    # them on the incident they came from.
    conn.execute(
        update(a)
        .where(a.c.incident_id == new_id, a.c.status == Status.ACKNOWLEDGED.value)
        .values(status=Status.TRIGGERED.value, acknowledged_at=None)
    )
    left_open = conn.execute(
        select(func.count())
        .select_from(a)
        .where(a.c.incident_id == incident_id, a.c.status != Status.RESOLVED.value)
    ).scalar_one()
    left = conn.execute(
        select(func.count()).select_from(a).where(a.c.incident_id == incident_id)
    ).scalar_one()
    conn.execute(update(_i).where(_i.c.id == incident_id).values(alert_count=left, updated_at=at))
    entries: list[dict[str, Any]] = [
        {
            "incident_id": incident_id,
            "at": at,
            "kind": "split",
            "actor": by,
            "message": f"split {len(moved)} alert(s) off into #{seq} by {by}",
            "data": {"into": new_id, "alerts": [m.id for m in moved]},
        },
        {
            "incident_id": new_id,
            "at": at,
            "kind": "split",
            "actor": by,
            "message": f"split off #{src.number} by {by}: " + ", ".join(m.dedup_key for m in moved),
            "data": {"from": incident_id, "alerts": [m.id for m in moved]},
        },
    ]
    if not left_open and src.status != Status.RESOLVED.value:
        conn.execute(
            update(_i)
            .where(_i.c.id == incident_id)
            .values(status=Status.RESOLVED.value, resolved_at=at, resolved_by=by)
        )
        entries.append(
            {
                "incident_id": incident_id,
                "at": at,
                "kind": "resolved",
                "actor": by,
                "message": "resolved: none of its alerts is open any more",
                "data": None,
            }
        )
        conn.execute(
            update(e).where(e.c.incident_id == incident_id).values(due_at=at, updated_at=at)
        )
    policy = conn.execute(select(e.c.policy).where(e.c.incident_id == incident_id)).first()
    if is_open and policy is not None and policy.policy is not None:
        # The policy frozen on the source, frozen again: the engine pages at once.
        conn.execute(
            e.insert().values(
                incident_id=new_id,
                policy=policy.policy,
                state=None,
                due_at=at,
                updated_at=at,
            )
        )
    elif is_open:
        entries.append(
            {
                "incident_id": new_id,
                "at": at,
                "kind": "unassigned",
                "actor": "engine",
                "message": "the service has no escalation policy: nobody is paged",
                "data": None,
            }
        )
        # Never silent: the engine sees it too, and pages the fallback.
        conn.execute(
            e.insert().values(incident_id=new_id, policy=None, state=None, due_at=at, updated_at=at)
        )
    conn.execute(le.insert(), entries)
    record(
        conn,
        at=at,
        kind="incident",
        name=f"#{src.number}",
        action="split",
        after={"into": f"#{seq}", "alerts": len(moved)},
        actor=by,
    )
    return new_id
