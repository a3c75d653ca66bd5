"""Writing the catalog: a change set's objects to their tables (core columns beside the
normalised spec, keys as digests, webhook secrets sealed), and each change as the audit log
keeps it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from ownit.adapters.db import tables as t
from ownit.adapters.db.catalog_tables import PERSONAL_KEY, TABLES
from ownit.adapters.db.secret_box import SecretBox, seal_spec
from ownit.adapters.db.wake import wake_pages_of
from ownit.app.catalog import ChangeSet
from ownit.app.drills import first_run
from ownit.domain.catalog import (
    Change,
    Drill,
    EscalationPolicy,
    GameDay,
    Heartbeat,
    MaintenanceWindow,
    Router,
    Schedule,
    Scorecard,
    Service,
    Standard,
    StoredObject,
    Team,
    User,
    to_spec,
)
from ownit.domain.key_digests import key_hint, stored_key

_AT_ONCE = 500  # incident ids in one statement's IN list

_DELETE_ORDER = (
    "Scorecard",
    "Standard",
    "GameDay",
    "Drill",
    "Heartbeat",
    "MaintenanceWindow",
    "Router",
    "Service",
    "EscalationPolicy",
    "Schedule",
    "Team",
    "User",
)


def audit_fields(change: Change) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """A catalog change as the audit log keeps it: each changed field before and after (a
    secret only as "changed"); a created object's fields after, a deleted one's nothing."""
    if change.action == "delete":
        return None, None
    if change.action == "create":
        obj = change.obj
        return None, ({"spec": to_spec(obj)} if obj is not None else None)
    before = {f.path: "(secret)" if f.secret else f.old for f in change.fields}
    after = {f.path: "(secret)" if f.secret else f.new for f in change.fields}
    return before, after


def _key_columns(key: str) -> dict[str, Any]:
    """A key as it is kept: its digest, and its hint when the key itself is at hand (a key
    kept from the database is a digest already, its hint stays) — decision 0035."""
    hint = key_hint(key)
    return {"key": stored_key(key)} | ({"key_hint": hint} if hint is not None else {})


class CatalogWriter:
    """Writes a change set's objects, in the order references need, inside one transaction."""

    def __init__(
        self, conn: Connection, source: str, now: datetime, box: SecretBox | None = None
    ) -> None:
        self.conn = conn
        self.source = source
        self.now = now
        self.box = box
        self.ids: dict[str, dict[str, int]] = {
            kind: {row.name: row.id for row in conn.execute(select(table.c.name, table.c.id))}
            for kind, table in TABLES.items()
        }

    def write(self, changes: ChangeSet) -> None:
        deletes = set(changes.deletes)
        for kind in _DELETE_ORDER:
            names = [name for k, name in deletes if k == kind]
            if names:
                table = TABLES[kind]
                if kind == "Service":
                    self._delete_incidents(names)
                self.conn.execute(delete(table).where(table.c.name.in_(names)))
                for name in names:
                    self.ids[kind].pop(name, None)
        services: list[Service] = []
        for obj in changes.upserts:
            obj_id = self._upsert(obj)
            if isinstance(obj, Team):
                self._members(obj_id, obj)
            elif isinstance(obj, MaintenanceWindow):
                self._window_services(obj_id, obj)
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

    def _delete_incidents(self, services: list[str]) -> None:
        """The incidents of these services, with their alerts, timelines and escalations,
        which keep no foreign key to them on PostgreSQL (decision 0082); the rest of what
        an incident has goes with it by its keys.

        The services' rows are locked first: an ingest batch writing to one of them holds
        its row (its incident's and alerts' keys to it) until it commits, so this waits for
        it and sees what it wrote; a batch after this finds the service gone. The incidents
        go before their parts, so that a writer still holding an incident is waited for."""
        s, i = t.services, t.incidents
        ids = list(
            self.conn.execute(select(s.c.id).where(s.c.name.in_(services)).with_for_update())
            .scalars()
            .all()
        )
        if not ids:
            return
        gone = list(
            self.conn.execute(delete(i).where(i.c.service_id.in_(ids)).returning(i.c.id))
            .scalars()
            .all()
        )
        for start in range(0, len(gone), _AT_ONCE):
            chunk = gone[start : start + _AT_ONCE]
            for part in t.KEPT_BY_THE_CATALOG:
                self.conn.execute(delete(part).where(part.c.incident_id.in_(chunk)))

    def _columns(self, obj: StoredObject) -> dict[str, Any]:
        values: dict[str, Any] = {"spec": to_spec(obj), "source": self.source}
        if isinstance(obj, MaintenanceWindow):
            if obj.start is None or obj.end is None:
                raise ValueError(f"maintenance window {obj.name!r} has no start or end")
            return {
                "source": self.source,
                "description": obj.description,
                "start_at": obj.start,
                "end_at": obj.end,
                "created_by": f"catalog/{self.source}",
            }
        if isinstance(obj, GameDay | Scorecard):
            return values
        if isinstance(obj, Standard):
            return values | {"description": obj.description}
        if isinstance(obj, Drill):
            values.update(
                service_id=self._ref("Service", obj.service),
                next_run_at=first_run(obj, self.now),
            )
            return values
        if isinstance(obj, Heartbeat):
            if obj.key is None:
                raise ValueError(f"heartbeat {obj.name!r} has no key")
            values.update(
                service_id=self._ref("Service", obj.service),
                interval_seconds=int(obj.interval.total_seconds()),
                grace_seconds=int(obj.grace.total_seconds()),
                due_at=self._heartbeat_due(obj),
                **_key_columns(obj.key),
            )
            return values
        if isinstance(obj, User):
            values.update(
                display_name=obj.display_name or obj.name,
                email=obj.email,
                timezone=obj.timezone,
                spec=seal_spec(to_spec(obj), self.box) | {PERSONAL_KEY: sorted(obj.personal)},
            )
        elif isinstance(obj, Team):
            values.update(display_name=obj.display_name or obj.name, description=obj.description)
        elif isinstance(obj, EscalationPolicy):
            values.update(team_id=self._ref("Team", obj.team))
        elif isinstance(obj, Schedule):
            values.update(team_id=self._ref("Team", obj.team), timezone=obj.timezone)
        elif isinstance(obj, Router):
            if obj.key is None:
                raise ValueError(f"router {obj.name!r} has no key")
            values.update(_key_columns(obj.key))
        else:
            values.update(
                description=obj.description,
                owner_team_id=self._ref("Team", obj.owner),
                escalation_policy_id=self._ref("EscalationPolicy", obj.escalation_policy),
                tier=obj.tier,
                urgency=obj.urgency,
            )
        return values

    def _heartbeat_due(self, beat: Heartbeat) -> datetime:
        """A new heartbeat is due one interval and grace from now; a changed one from its
        last ping (or now, when it has had none)."""
        last = None
        beat_id = self.ids["Heartbeat"].get(beat.name)
        if beat_id is not None:
            last = self.conn.execute(
                select(t.heartbeats.c.last_ping_at).where(t.heartbeats.c.id == beat_id)
            ).scalar_one_or_none()
        return (last or self.now) + beat.interval + beat.grace

    def _window_services(self, window_id: int, window: MaintenanceWindow) -> None:
        ws = t.maintenance_window_services
        self.conn.execute(delete(ws).where(ws.c.window_id == window_id))
        rows = [
            {"window_id": window_id, "service_id": self.ids["Service"][name]}
            for name in dict.fromkeys(window.services)
            if name in self.ids["Service"]
        ]
        if rows:
            self.conn.execute(insert(ws), rows)

    def _ref(self, kind: str, name: str | None) -> int | None:
        return self.ids[kind].get(name) if name is not None else None

    def _upsert(self, obj: StoredObject) -> int:
        table = TABLES[obj.kind]
        values = self._columns(obj) | {"updated_at": self.now}
        obj_id = self.ids[obj.kind].get(obj.name)
        if obj_id is not None:
            self.conn.execute(update(table).where(table.c.id == obj_id).values(**values))
            if obj.kind == "User":  # its rules may have changed: plan its pages again
                wake_pages_of(self.conn, obj.name, self.now)
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
                        "key": stored_key(i.key),
                        "key_hint": key_hint(i.key),
                        "created_at": self.now,
                    }
                )
            elif (row[1], row[2]) != (i.type, stored_key(i.key)):
                self.conn.execute(
                    update(t.integrations)
                    .where(t.integrations.c.id == row[0])
                    .values(type=i.type, **_key_columns(i.key))
                )
        if new:
            self.conn.execute(insert(t.integrations), new)
