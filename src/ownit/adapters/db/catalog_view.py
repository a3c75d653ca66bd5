"""Read model for the catalog pages of the web UI: services, teams and escalation policies
with what each page shows about them, in a few batch queries (no query per row).

Objects are read from their normalised catalog spec through the catalog's own parser, as
``catalog_store`` does. Integration keys are never read here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, Text, cast, func, or_, select

from ownit.adapters.db import tables as t
from ownit.domain.catalog import EscalationPolicy, Service, from_spec

OPEN = ("triggered", "acknowledged")
MAX_QUERY = 100


class SqlCatalogView:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # --- services ------------------------------------------------------------------------

    def services(self, q: str = "") -> list[dict[str, Any]]:
        """Every service whose name, description or owner team contains ``q`` (any case),
        with its owner, tier, policy and number of open incidents; by name."""
        s, tm, ep, i = t.services, t.teams, t.escalation_policies, t.incidents
        counts = (
            select(i.c.service_id, func.count().label("n"))
            .where(i.c.status.in_(OPEN))
            .group_by(i.c.service_id)
            .subquery()
        )
        query = (
            select(
                s.c.name,
                s.c.description,
                s.c.tier,
                tm.c.name.label("owner"),
                ep.c.name.label("escalation_policy"),
                func.coalesce(counts.c.n, 0).label("open_incidents"),
            )
            .outerjoin(tm, tm.c.id == s.c.owner_team_id)
            .outerjoin(ep, ep.c.id == s.c.escalation_policy_id)
            .outerjoin(counts, counts.c.service_id == s.c.id)
            .order_by(s.c.name)
        )
        text = q.strip().lower()[:MAX_QUERY]
        if text:
            query = query.where(
                or_(
                    *(
                        func.lower(col).contains(text, autoescape=True)
                        for col in (s.c.name, s.c.description, tm.c.name, tm.c.display_name)
                    )
                )
            )
        with self._engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def service(self, name: str) -> dict[str, Any] | None:
        """The service as the catalog has it (``obj``), its owner team and policy names,
        its integrations' names and types (never their keys), the dependency graph and the
        open incidents of the service and its direct neighbours; in one connection."""
        s, tm, ep, ig = t.services, t.teams, t.escalation_policies, t.integrations
        query = (
            select(
                s.c.id,
                s.c.name,
                s.c.description,
                s.c.spec,
                s.c.tier,
                s.c.urgency,
                s.c.source,
                tm.c.name.label("owner"),
                ep.c.name.label("escalation_policy"),
            )
            .outerjoin(tm, tm.c.id == s.c.owner_team_id)
            .outerjoin(ep, ep.c.id == s.c.escalation_policy_id)
            .where(s.c.name == name)
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
            if row is None:
                return None
            integrations = [
                {"name": r.name, "type": r.type}
                for r in conn.execute(
                    select(ig.c.name, ig.c.type)
                    .where(ig.c.service_id == row.id)
                    .order_by(ig.c.name)
                )
            ]
            graph = _graph(conn)
            upstream = graph.get(name, ())
            downstream = tuple(d for d, needs in graph.items() if name in needs)
            counts = _open_counts(conn, [name, *upstream, *downstream])
        obj = from_spec("Service", row.name, row.spec or {}, row.description)
        assert isinstance(obj, Service)
        return {
            "obj": obj,
            "name": row.name,
            "description": row.description,
            "tier": row.tier,
            "urgency": row.urgency,
            "source": row.source,
            "owner": row.owner,
            "escalation_policy": row.escalation_policy,
            "integrations": integrations,
            "graph": graph,  # every service's dependsOn
            "open_counts": counts,  # the service's and its direct neighbours'
        }

    def graph(self) -> dict[str, tuple[str, ...]]:
        """Each service's ``dependsOn``."""
        with self._engine.connect() as conn:
            return _graph(conn)

    def open_counts(self, names: list[str]) -> dict[str, int]:
        """Open incidents per service among ``names`` (services without any are left out)."""
        with self._engine.connect() as conn:
            return _open_counts(conn, names)

    # --- teams ---------------------------------------------------------------------------

    def teams(self) -> list[dict[str, Any]]:
        """Every team with its member and service counts, by name."""
        tm, m, s = t.teams, t.team_members, t.services
        members = select(m.c.team_id, func.count().label("n")).group_by(m.c.team_id).subquery()
        owned = (
            select(s.c.owner_team_id, func.count().label("n"))
            .group_by(s.c.owner_team_id)
            .subquery()
        )
        query = (
            select(
                tm.c.name,
                tm.c.display_name,
                func.coalesce(members.c.n, 0).label("size"),
                func.coalesce(owned.c.n, 0).label("services"),
            )
            .outerjoin(members, members.c.team_id == tm.c.id)
            .outerjoin(owned, owned.c.owner_team_id == tm.c.id)
            .order_by(tm.c.name)
        )
        with self._engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def team(self, name: str) -> dict[str, Any] | None:
        """The team, its members (with role), and the services, schedules and escalation
        policies that belong to it."""
        tm, m, u = t.teams, t.team_members, t.users
        with self._engine.connect() as conn:
            row = conn.execute(
                select(
                    tm.c.id, tm.c.name, tm.c.display_name, tm.c.source, tm.c.description, tm.c.spec
                ).where(tm.c.name == name)
            ).first()
            if row is None:
                return None
            children = [
                r.name
                for r in conn.execute(select(tm.c.name, tm.c.spec).order_by(tm.c.name))
                if isinstance(r.spec, dict) and r.spec.get("parent") == name
            ]
            members = [
                dict(r._mapping)
                for r in conn.execute(
                    select(u.c.name, u.c.display_name, u.c.email, m.c.role)
                    .join(u, u.c.id == m.c.user_id)
                    .where(m.c.team_id == row.id)
                    .order_by(u.c.name)
                )
            ]
            services = [
                dict(r._mapping)
                for r in conn.execute(
                    select(t.services.c.name, t.services.c.tier)
                    .where(t.services.c.owner_team_id == row.id)
                    .order_by(t.services.c.name)
                )
            ]
            schedules = list(
                conn.execute(
                    select(t.schedules.c.name)
                    .where(t.schedules.c.team_id == row.id)
                    .order_by(t.schedules.c.name)
                ).scalars()
            )
            policies = list(
                conn.execute(
                    select(t.escalation_policies.c.name)
                    .where(t.escalation_policies.c.team_id == row.id)
                    .order_by(t.escalation_policies.c.name)
                ).scalars()
            )
            components = _components(conn, "owner", name)
        return {
            "name": row.name,
            "display_name": row.display_name or row.name,
            "description": row.description,
            "parent": (row.spec or {}).get("parent") if isinstance(row.spec, dict) else None,
            "children": children,
            "components": components,
            "source": row.source,
            "members": members,
            "services": services,
            "schedules": schedules,
            "policies": policies,
        }

    # --- escalation policies -------------------------------------------------------------

    def policy(self, name: str) -> dict[str, Any] | None:
        """The policy as the catalog has it (``obj``), its team and the services using it."""
        ep, s = t.escalation_policies, t.services
        with self._engine.connect() as conn:
            row = conn.execute(
                select(ep.c.id, ep.c.name, ep.c.spec, ep.c.source).where(ep.c.name == name)
            ).first()
            if row is None:
                return None
            services = list(
                conn.execute(
                    select(s.c.name).where(s.c.escalation_policy_id == row.id).order_by(s.c.name)
                ).scalars()
            )
            components = _components(conn, "escalationPolicy", name)
        obj = from_spec("EscalationPolicy", row.name, row.spec or {})
        assert isinstance(obj, EscalationPolicy)
        return {
            "obj": obj,
            "name": row.name,
            "source": row.source,
            "services": services,
            "components": components,
        }

    def policy_object(self, name: str) -> EscalationPolicy | None:
        ep = t.escalation_policies
        with self._engine.connect() as conn:
            row = conn.execute(select(ep.c.name, ep.c.spec).where(ep.c.name == name)).first()
        if row is None:
            return None
        obj = from_spec("EscalationPolicy", row.name, row.spec or {})
        assert isinstance(obj, EscalationPolicy)
        return obj


def _graph(conn: Connection) -> dict[str, tuple[str, ...]]:
    s = t.services
    rows = conn.execute(select(s.c.name, s.c.spec["dependsOn"].label("needs")))
    return {r.name: tuple(r.needs or ()) for r in rows}


def _open_counts(conn: Connection, names: list[str]) -> dict[str, int]:
    if not names:
        return {}
    s, i = t.services, t.incidents
    query = (
        select(s.c.name, func.count())
        .join(i, i.c.service_id == s.c.id)
        .where(s.c.name.in_(names), i.c.status.in_(OPEN))
        .group_by(s.c.name)
    )
    return {name: int(n) for name, n in conn.execute(query)}


def _components(conn: Connection, key: str, value: str) -> list[tuple[str, str]]:
    """(service, component) for every component whose ``key`` (owner, escalationPolicy) is
    ``value``, by service then component."""
    s = t.services
    rows = conn.execute(
        select(s.c.name, s.c.spec["components"].label("components"))
        .where(func.lower(cast(s.c.spec, Text)).contains('"components"'))
        .order_by(s.c.name)
    )
    found = []
    for row in rows:
        for item in row.components or ():
            if (
                isinstance(item, dict)
                and item.get(key) == value
                and isinstance(item.get("name"), str)
            ):
                found.append((row.name, item["name"]))
    return found
