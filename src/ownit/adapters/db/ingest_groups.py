"""Content-based grouping at ingest: the open incidents a batch's new alerts may join.

One query per grouped service per batch (never one per event), with each incident's count
of open alerts, which the plan needs to know when the last of them resolves.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, func, select

from ownit.adapters.db import tables as t
from ownit.adapters.db.ingest_targets import Resolution
from ownit.domain.events import Action, Event, event_labels
from ownit.domain.incidents import Status
from ownit.domain.ingest.dedup import GroupHead, GroupSlot, group_key


def wanted_groups(
    items: Sequence[Sequence[Event]], resolved: Sequence[Sequence[Resolution | None]]
) -> dict[int, set[str]]:
    """The group keys each grouped service's triggers of this batch fall into."""
    wanted: dict[int, set[str]] = {}
    for item, where in zip(items, resolved, strict=True):
        for event, resolution in zip(item, where, strict=True):
            if resolution is None or event.action is not Action.TRIGGER:
                continue
            labels: dict[str, str] | None = None
            for target in resolution.pages:
                if target.group_by:
                    labels = event_labels(event) if labels is None else labels
                    key = group_key(labels, target.group_by)
                    wanted.setdefault(target.service_id, set()).add(key)
    return wanted


def load_groups(
    conn: Connection, wanted: dict[int, set[str]]
) -> tuple[dict[GroupSlot, GroupHead], dict[str, int]]:
    """The newest open incident of each (service, component, group key), and the number of
    open alerts of each of them."""
    heads: dict[GroupSlot, GroupHead] = {}
    counts: dict[str, int] = {}
    i, a = t.incidents, t.alerts
    open_alerts = (
        select(func.count())
        .where(a.c.incident_id == i.c.id, a.c.status != Status.RESOLVED.value)
        .scalar_subquery()
    )
    for service_id, keys in sorted(wanted.items()):
        rows = conn.execute(
            select(i.c.id, i.c.component, i.c.group_key, i.c.created_at, open_alerts)
            .where(
                i.c.service_id == service_id,
                i.c.group_key.in_(sorted(keys)),
                i.c.status != Status.RESOLVED.value,
            )
            .order_by(i.c.created_at, i.c.id)
        ).all()
        for incident_id, component, key, created_at, count in rows:
            heads[(service_id, component, key)] = GroupHead(incident_id, created_at)
            counts[incident_id] = int(count)
    return heads, counts
