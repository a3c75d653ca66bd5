"""The owning team, the escalation policy and who is assigned now, for a page of incidents
in three batch queries; and the SQL condition for "the incidents team T owns"
(:func:`team_condition`), built from the catalog, not by reading each incident."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, false, func, or_, select

from ownit.adapters.db import record_tables as rt
from ownit.adapters.db import tables as t
from ownit.domain.catalog import from_spec
from ownit.domain.catalog.model import Service
from ownit.domain.ownership import ServiceOwners, owners_from_components, team_incidents

_i = t.incidents


def team_and_policy(conn: Connection, service: str) -> tuple[str | None, str | None] | None:
    """A service's owner team and escalation policy by name (each may be none); none for a
    service that does not exist."""
    s, tm, ep = t.services, t.teams, t.escalation_policies
    row = conn.execute(
        select(tm.c.name, ep.c.name)
        .select_from(s)
        .outerjoin(tm, tm.c.id == s.c.owner_team_id)
        .outerjoin(ep, ep.c.id == s.c.escalation_policy_id)
        .where(s.c.name == service)
    ).first()
    return None if row is None else (row[0], row[1])


def service_owners(
    conn: Connection, names: set[str] | None = None
) -> tuple[dict[str, ServiceOwners], dict[str, int]]:
    """Every service's owners by name (or only those ``names``), and the services' row ids."""
    s, tm, ep = t.services, t.teams, t.escalation_policies
    query = (
        select(s.c.id, s.c.name, s.c.spec, tm.c.name.label("owner"), ep.c.name.label("policy"))
        .outerjoin(tm, tm.c.id == s.c.owner_team_id)
        .outerjoin(ep, ep.c.id == s.c.escalation_policy_id)
    )
    if names is not None:
        query = query.where(s.c.name.in_(sorted(names)))
    rows = conn.execute(query).all()
    owners: dict[str, ServiceOwners] = {}
    ids: dict[str, int] = {}
    for r in rows:
        components: tuple[object, ...] = ()
        if isinstance(r.spec, dict) and r.spec.get("components"):
            obj = from_spec("Service", r.name, r.spec)
            assert isinstance(obj, Service)
            components = obj.components
        owners[r.name] = owners_from_components(r.owner, r.policy, components)
        ids[r.name] = r.id
    return owners, ids


def team_condition(conn: Connection, team: str) -> ColumnElement[bool]:
    owners, ids = service_owners(conn)
    found = team_incidents(team, owners)
    clauses: list[ColumnElement[bool]] = []
    plain = [ids[name] for name, others in found.whole.items() if not others]
    if plain:
        clauses.append(_i.c.service_id.in_(plain))
    for name, others in found.whole.items():
        if others:
            clauses.append(
                and_(
                    _i.c.service_id == ids[name],
                    or_(_i.c.component.is_(None), _i.c.component.not_in(others)),
                )
            )
    clauses += [
        and_(_i.c.service_id == ids[name], _i.c.component == comp)
        for name, comp in found.components
    ]
    return or_(*clauses) if clauses else false()


def annotate(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Add ``team``, ``escalation_policy`` and ``assigned`` (who is assigned now: the person
    who acknowledged it; while triggered, the people paged at its latest level; nobody once
    resolved) to each incident row."""
    if not rows:
        return
    owners, _ = service_owners(conn, {r["service"] for r in rows})  # only the rows' services
    ids = [r["id"] for r in rows]
    policies = {
        r.incident_id: r.policy
        for r in conn.execute(
            select(t.escalations.c.incident_id, t.escalations.c.policy).where(
                t.escalations.c.incident_id.in_(ids)
            )
        )
    }
    ir = rt.incident_responses
    paged: dict[str, list[tuple[int, str]]] = {}
    for r in conn.execute(
        select(ir.c.incident_id, ir.c.user_name, func.coalesce(ir.c.highest_level, 0))
        .where(ir.c.incident_id.in_(ids), ir.c.first_paged_at.is_not(None))
        .order_by(ir.c.incident_id, ir.c.user_name)
    ):
        paged.setdefault(r[0], []).append((int(r[2]), r[1]))
    for row in rows:
        svc = owners.get(row["service"])
        row["team"] = svc.team_of(row["component"]) if svc else None
        snapshot = policies.get(row["id"])
        name = snapshot.get("name") if isinstance(snapshot, dict) else None
        row["escalation_policy"] = name if isinstance(name, str) else None
        if row["escalation_policy"] is None and svc is not None:
            row["escalation_policy"] = svc.policy_of(row["component"])
        row["assigned"] = _assigned(row, paged.get(row["id"], []))


def _assigned(row: dict[str, Any], paged: list[tuple[int, str]]) -> list[str]:
    if row["status"] == "resolved":
        return []
    if row["status"] == "acknowledged" and row.get("acknowledged_by"):
        return [row["acknowledged_by"]]
    if not paged:
        return []
    top = max(level for level, _ in paged)
    return [user for level, user in paged if level == top]
