"""The catalog in the database (SQLAlchemy Core): a snapshot to read, changes written at once.

Each catalog object keeps its normalised spec as JSON plus the core columns other parts
query (names, owner team, escalation policy, tier, urgency, a schedule's team and zone…).
A schedule's overrides made through the API (``schedule_overrides``) are not the catalog's:
apply never touches them (deleting a schedule deletes them with it). Integration keys live only in
the ``integrations`` table and router keys in ``routers.key``, never in a spec.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from ownit.adapters.db import tables as t
from ownit.app.catalog_ports import CatalogConflict, ChangeSet
from ownit.domain.catalog import (
    EscalationPolicy,
    Integration,
    Key,
    Router,
    Schedule,
    Service,
    Snapshot,
    StoredObject,
    Team,
    User,
    from_spec,
    to_spec,
)

_TABLES: dict[str, Table] = {
    "User": t.users,
    "Team": t.teams,
    "Schedule": t.schedules,
    "EscalationPolicy": t.escalation_policies,
    "Service": t.services,
    "Router": t.routers,
}
_DELETE_ORDER = ("Router", "Service", "EscalationPolicy", "Schedule", "Team", "User")


class SqlCatalogStore:
    """:class:`ownit.app.catalog_ports.CatalogStore` over the tables in ``tables.py``."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # --- reading ---------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        with self._engine.connect() as conn:
            sources: dict[Key, str | None] = {}
            found: dict[str, dict[str, Any]] = {}
            for kind, table in _TABLES.items():
                columns = [table.c.name, table.c.spec, table.c.source]
                if kind == "Service":
                    columns.append(table.c.description)
                if kind == "Router":
                    columns.append(table.c.key)
                objects: dict[str, Any] = {}
                for row in conn.execute(select(*columns).order_by(table.c.name)):
                    description = row.description if kind == "Service" else ""
                    obj = from_spec(kind, row.name, row.spec or {}, description)
                    if isinstance(obj, Router):
                        obj = dataclasses.replace(obj, key=row.key)
                    objects[row.name] = obj
                    sources[(kind, row.name)] = row.source
                found[kind] = objects
            rows = conn.execute(
                select(
                    t.services.c.name.label("service"),
                    t.integrations.c.name,
                    t.integrations.c.type,
                    t.integrations.c.key,
                )
                .join(t.services, t.services.c.id == t.integrations.c.service_id)
                .order_by(t.integrations.c.id)
            ).all()
        by_service: dict[str, list[Integration]] = {}
        for row in rows:
            by_service.setdefault(row.service, []).append(Integration(row.name, row.type, row.key))
        services: dict[str, Service] = {}
        for name, service in found["Service"].items():
            services[name] = dataclasses.replace(
                service, integrations=_in_spec_order(service, by_service.get(name, []))
            )
        return Snapshot(
            users=found["User"],
            teams=found["Team"],
            policies=found["EscalationPolicy"],
            services=services,
            schedules=found["Schedule"],
            routers=found["Router"],
            sources=sources,
        )

    # --- writing ---------------------------------------------------------------------------

    def write(self, changes: ChangeSet, *, source: str, now: datetime) -> None:
        try:
            with self._engine.begin() as conn:
                _Writer(conn, source, now).write(changes)
        except IntegrityError as exc:
            raise CatalogConflict(
                f"the database refused the change, nothing was applied: {exc.orig}"
            ) from None


def _in_spec_order(service: Service, stored: list[Integration]) -> tuple[Integration, ...]:
    """The stored integrations, in the order the spec lists them, others after (by age)."""
    order = {i.name: n for n, i in enumerate(service.integrations)}
    return tuple(sorted(stored, key=lambda i: order.get(i.name, len(order))))


class _Writer:
    def __init__(self, conn: Connection, source: str, now: datetime) -> None:
        self.conn = conn
        self.source = source
        self.now = now
        self.ids: dict[str, dict[str, int]] = {
            kind: {row.name: row.id for row in conn.execute(select(table.c.name, table.c.id))}
            for kind, table in _TABLES.items()
        }

    def write(self, changes: ChangeSet) -> None:
        deletes = set(changes.deletes)
        for kind in _DELETE_ORDER:
            names = [name for k, name in deletes if k == kind]
            if names:
                table = _TABLES[kind]
                self.conn.execute(delete(table).where(table.c.name.in_(names)))
                for name in names:
                    self.ids[kind].pop(name, None)
        services: list[Service] = []
        for obj in changes.upserts:
            obj_id = self._upsert(obj)
            if isinstance(obj, Team):
                self._members(obj_id, obj)
            elif isinstance(obj, Service):
                services.append(obj)
        # Integrations last, removals first, so that a key can move within one apply.
        current = {s.name: self._integrations(self.ids["Service"][s.name]) for s in services}
        for service in services:
            wanted = {i.name for i in service.integrations}
            gone = [
                row_id
                for name, (row_id, _, _) in current[service.name].items()
                if name not in wanted
            ]
            if gone:
                self.conn.execute(delete(t.integrations).where(t.integrations.c.id.in_(gone)))
        for service in services:
            self._put_integrations(
                self.ids["Service"][service.name], service, current[service.name]
            )

    def _columns(self, obj: StoredObject) -> dict[str, Any]:
        values: dict[str, Any] = {"spec": to_spec(obj), "source": self.source}
        if isinstance(obj, User):
            values.update(
                display_name=obj.display_name or obj.name, email=obj.email, timezone=obj.timezone
            )
        elif isinstance(obj, Team):
            values.update(display_name=obj.display_name or obj.name)
        elif isinstance(obj, EscalationPolicy):
            values.update(team_id=self._ref("Team", obj.team))
        elif isinstance(obj, Schedule):
            values.update(team_id=self._ref("Team", obj.team), timezone=obj.timezone)
        elif isinstance(obj, Router):
            if obj.key is None:
                raise ValueError(f"router {obj.name!r} has no key")
            values.update(key=obj.key)
        else:
            values.update(
                description=obj.description,
                owner_team_id=self._ref("Team", obj.owner),
                escalation_policy_id=self._ref("EscalationPolicy", obj.escalation_policy),
                tier=obj.tier,
                urgency=obj.urgency,
            )
        return values

    def _ref(self, kind: str, name: str | None) -> int | None:
        return self.ids[kind].get(name) if name is not None else None

    def _upsert(self, obj: StoredObject) -> int:
        table = _TABLES[obj.kind]
        values = self._columns(obj) | {"updated_at": self.now}
        obj_id = self.ids[obj.kind].get(obj.name)
        if obj_id is not None:
            self.conn.execute(update(table).where(table.c.id == obj_id).values(**values))
            return obj_id
        result = self.conn.execute(
            insert(table).values(name=obj.name, created_at=self.now, **values).returning(table.c.id)
        )
        new_id = int(result.scalar_one())
        self.ids[obj.kind][obj.name] = new_id
        return new_id

    def _members(self, team_id: int, team: Team) -> None:
        self.conn.execute(delete(t.team_members).where(t.team_members.c.team_id == team_id))
        rows = [
            {"team_id": team_id, "user_id": self.ids["User"][m.user], "role": m.role}
            for m in team.members
            if m.user in self.ids["User"]
        ]
        if rows:
            self.conn.execute(insert(t.team_members), rows)

    def _integrations(self, service_id: int) -> dict[str, tuple[int, str, str]]:
        rows = self.conn.execute(
            select(
                t.integrations.c.id,
                t.integrations.c.name,
                t.integrations.c.type,
                t.integrations.c.key,
            ).where(t.integrations.c.service_id == service_id)
        )
        return {row.name: (row.id, row.type, row.key) for row in rows}

    def _put_integrations(
        self, service_id: int, service: Service, current: dict[str, tuple[int, str, str]]
    ) -> None:
        new: list[dict[str, Any]] = []
        for i in service.integrations:
            if i.key is None:
                raise ValueError(f"integration {i.name!r} of {service.name!r} has no key")
            row = current.get(i.name)
            if row is None:
                new.append(
                    {
                        "service_id": service_id,
                        "name": i.name,
                        "type": i.type,
                        "key": i.key,
                        "created_at": self.now,
                    }
                )
            elif (row[1], row[2]) != (i.type, i.key):
                self.conn.execute(
                    update(t.integrations)
                    .where(t.integrations.c.id == row[0])
                    .values(type=i.type, key=i.key)
                )
        if new:
            self.conn.execute(insert(t.integrations), new)
