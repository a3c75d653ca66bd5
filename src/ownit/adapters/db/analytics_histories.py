"""Incident histories as the analytics rules read them, built from the incident rows, their
pages and acknowledgements (``incident_responses``, migration 0011), merges and alerts.

Used by the store (``analytics_store``) and to compute the stored figures
(``analytics_figures``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Select, select

from ownit.adapters.db import tables as t
from ownit.domain.analytics.history import (
    Acknowledgement,
    IncidentHistory,
    Page,
    Resolution,
    resolution_of,
)

_i, _s, _tm, _r = t.incidents, t.services, t.teams, t.incident_responses
_CHUNK = 900  # ids per IN (...): under SQLite's bound-parameter limit


def _resolution(row: Any) -> Resolution | None:
    if row.resolved_at is None:
        return None
    return resolution_of(row.resolved_by, alert_count=row.alert_count, dedup_key=row.dedup_key)


def _is_person(actor: str | None) -> bool:
    return bool(actor) and not (actor or "").startswith(("integration/", "heartbeat/"))


def chunks(ids: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def incident_rows() -> Select[Any]:
    """Every incident with its service's and owner team's names (filter it further)."""
    return (
        select(
            _i.c.id,
            _i.c.created_at,
            _i.c.urgency,
            _i.c.component,
            _i.c.dedup_key,
            _i.c.alert_count,
            _i.c.acknowledged_at,
            _i.c.acknowledged_by,
            _i.c.resolved_at,
            _i.c.resolved_by,
            _s.c.name.label("service"),
            _tm.c.name.label("team"),
        )
        .join(_s, _s.c.id == _i.c.service_id)
        .outerjoin(_tm, _tm.c.id == _s.c.owner_team_id)
    )


def histories_of(conn: Connection, chosen: Select[Any], *, alert_keys: bool) -> list[Any]:
    """The histories of the incidents ``chosen`` (a filtered :func:`incident_rows`), each
    with the incident row it was built from: ``[(row, history), …]``."""
    # The responses of the same incidents, in one statement (joined on the same filter).
    responses = chosen.with_only_columns(
        _r.c.incident_id,
        _r.c.user_name,
        _r.c.first_paged_at,
        _r.c.highest_level,
        _r.c.acknowledged_at,
        _r.c.acknowledged_via,
    ).join(_r, _r.c.incident_id == _i.c.id)
    rows = conn.execute(chosen).all()
    ids = [r.id for r in rows]
    pages: dict[str, list[Page]] = {}
    acks: dict[str, list[Acknowledgement]] = {}
    for incident_id, user, paged_at, level, acked_at, via in conn.execute(responses):
        if paged_at is not None:
            pages.setdefault(incident_id, []).append(Page(user, paged_at, level or 1))
        if acked_at is not None:
            acks.setdefault(incident_id, []).append(
                Acknowledgement(user, acked_at, via or "person")
            )
    merged = _merged_into(conn, [r.id for r in rows if r.alert_count == 0])
    names = _alert_names(conn, ids) if alert_keys else {}
    found = []
    for r in rows:
        acknowledged = acks.get(r.id, [])
        if not acknowledged and r.acknowledged_at is not None and _is_person(r.acknowledged_by):
            # Acknowledged before migration 0011 recorded how: a person did it.
            acknowledged = [
                Acknowledgement(
                    r.acknowledged_by.removeprefix("user/"), r.acknowledged_at, "person"
                )
            ]
        history = IncidentHistory(
            id=r.id,
            service=r.service,
            created_at=r.created_at,
            urgency=r.urgency,
            team=r.team,
            component=r.component,
            alert_key=names.get(r.id) or r.dedup_key,
            acknowledgements=tuple(acknowledged),
            pages=tuple(pages.get(r.id, ())),
            resolved_at=r.resolved_at,
            resolved_by=_resolution(r),
            merged_into=merged.get(r.id),
        )
        found.append((r, history))
    return found


def _merged_into(conn: Connection, ids: list[str]) -> dict[str, str]:
    le = t.log_entries
    into: dict[str, str] = {}
    for chunk in chunks(ids):
        query = select(le.c.incident_id, le.c.data).where(
            le.c.incident_id.in_(chunk), le.c.kind == "merged"
        )
        for incident_id, data in conn.execute(query):
            if isinstance(data, dict) and isinstance(data.get("into"), str):
                into[incident_id] = data["into"]
    return into


def _alert_names(conn: Connection, ids: list[str]) -> dict[str, str]:
    """The Alertmanager ``alertname`` of each incident's first alert, where it has one."""
    a = t.alerts
    names: dict[str, str] = {}
    for chunk in chunks(ids):
        query = (
            select(a.c.incident_id, a.c.labels)
            .where(a.c.incident_id.in_(chunk), a.c.labels.is_not(None))
            .order_by(a.c.created_at.desc())
        )
        for incident_id, labels in conn.execute(query):
            name = labels.get("alertname") if isinstance(labels, dict) else None
            if isinstance(name, str) and name:
                names[incident_id] = name  # the oldest alert's wins (ordered newest first)
    return names
