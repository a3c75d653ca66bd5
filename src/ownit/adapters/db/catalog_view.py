"""Read model for the catalog pages of the web UI: services, teams and escalation policies
with what each page shows about them, in a few batch queries (no query per row).

Objects are read from their normalised catalog spec through the catalog's own parser, as
``catalog_store`` does. Integration keys are never read here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, Text, bindparam, cast, func, or_, select

from ownit.adapters.db import tables as t
from ownit.app.catalog import CatalogStore
from ownit.domain.catalog import EscalationPolicy, Snapshot, from_spec

MAX_QUERY = 100


class SqlCatalogView:
    """Reads through ``engine`` (the read-only engine, as wired: on SQLite a page's reads do
    not queue for the write lock); a service's page from ``catalog``'s kept snapshot."""

    def __init__(self, engine: Engine, catalog: CatalogStore) -> None:
        self._engine = engine
        self._catalog = catalog

    def snapshot(self) -> Snapshot:
        return self._catalog.snapshot()

    # --- services ------------------------------------------------------------------------

    def services(self, q: str = "") -> list[dict[str, Any]]:
        """Every service whose name, description or owner team contains ``q`` (any case),
        with its owner, tier, policy and number of open incidents; by name."""
        s, tm, ep, i = t.services, t.teams, t.escalation_policies, t.incidents
        counts = (
            select(i.c.service_id, func.count().label("n"))
            .where(t.open_incident())  # by the partial index on open incidents
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

    def service(self, name: str, snapshot: Snapshot | None = None) -> dict[str, Any] | None:
        """The service as the catalog has it (``obj``), its owner team and policy names,
        its integrations' names and types (never their keys), the dependency graph and the
        open incidents of the service and its direct neighbours.

        All but the open incidents come from the catalog snapshot (``snapshot``, else read
        here), which is kept while the catalog's rows are unchanged (decision 0067): the
        service's row, its integrations and every service's ``dependsOn`` are not read and
        parsed again on each page; only the counts are queried."""
        snapshot = snapshot if snapshot is not None else self._catalog.snapshot()
        obj = snapshot.services.get(name)
        if obj is None:
            return None
        # As the columns hold them: a reference to a team or policy that is not stored is
        # none (the writer stores a missing one's id as NULL).
        owner = obj.owner if obj.owner in snapshot.teams else None
        policy = obj.escalation_policy if obj.escalation_policy in snapshot.policies else None
        graph = {n: s.depends_on for n, s in snapshot.services.items()}
        upstream = graph.get(name, ())
        downstream = tuple(d for d, needs in graph.items() if name in needs)
        with self._engine.connect() as conn:
            counts = _open_counts(conn, [name, *upstream, *downstream])
        return {
            "obj": obj,
            "name": obj.name,
            "description": obj.description,
            "tier": obj.tier,
            "urgency": obj.urgency,
            "source": snapshot.sources.get(("Service", name)),
            "owner": owner,
            "escalation_policy": policy,
            "integrations": [
                {"name": i.name, "type": i.type}
                for i in sorted(obj.integrations, key=lambda i: i.name)
            ],
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


def _graph(conn: Connection) -> dict[str, tuple[str, ...]]:
    s = t.services
    rows = conn.execute(select(s.c.name, s.c.spec["dependsOn"].label("needs")))
    return {r.name: tuple(r.needs or ()) for r in rows}


# Built once: a statement built on each call costs more to build and key for the compiled
# cache (~0.3 ms) than SQLite takes to answer it (~0.07 ms).
_OPEN_COUNTS = (
    select(t.services.c.name, func.count())
    .join(t.incidents, t.incidents.c.service_id == t.services.c.id)
    .where(
        t.services.c.name.in_(bindparam("names", expanding=True)),
        t.open_incident(),  # by the partial index on open incidents (decision 0078)
    )
    .group_by(t.services.c.name)
)


def _open_counts(conn: Connection, names: list[str]) -> dict[str, int]:
    if not names:
        return {}
    return {name: int(n) for name, n in conn.execute(_OPEN_COUNTS, {"names": names})}


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
