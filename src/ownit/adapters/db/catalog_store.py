"""The catalog in the database (SQLAlchemy Core): a snapshot to read, changes written at once.

Each catalog object keeps its normalised spec as JSON plus the core columns other parts
query (names, owner team, escalation policy, tier, urgency, a schedule's team and zone…).
A schedule's overrides made through the API (``schedule_overrides``) are not the catalog's:
apply never touches them (deleting a schedule deletes them with it). Integration keys live only in
the ``integrations`` table and router keys in ``routers.key``, never in a spec, and only as
SHA-256 digests beside a short hint (decision 0035): the snapshot's keys are digests.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Result,
    Select,
    Table,
    Text,
    cast,
    delete,
    insert,
    literal,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError

from ownit.adapters.db import tables as t
from ownit.adapters.db.audit_log import record
from ownit.adapters.db.secret_box import SecretBox, open_spec, seal_spec
from ownit.adapters.db.wake import wake_pages_of
from ownit.app.catalog import CatalogConflict, ChangeSet
from ownit.app.drills import first_run
from ownit.domain.catalog import (
    PERSONAL_FIELDS,
    Change,
    Drill,
    EscalationPolicy,
    GameDay,
    Heartbeat,
    Integration,
    Key,
    MaintenanceWindow,
    Router,
    Schedule,
    Scorecard,
    Service,
    Snapshot,
    Standard,
    StoredObject,
    Team,
    User,
    from_spec,
    to_spec,
)
from ownit.domain.key_digests import key_hint, stored_key

_TABLES: dict[str, Table] = {
    "User": t.users,
    "Team": t.teams,
    "Schedule": t.schedules,
    "EscalationPolicy": t.escalation_policies,
    "Service": t.services,
    "Router": t.routers,
    "MaintenanceWindow": t.maintenance_windows,
    "Heartbeat": t.heartbeats,
    "Drill": t.drills,
    "GameDay": t.gamedays,
    "Standard": t.standards,
    "Scorecard": t.scorecards,
}
_DESCRIBED = ("Service", "Team", "Standard")  # kinds with a description column
PERSONAL_KEY = "x-personal"
"""In ``users.spec``: which of the user's fields are the person's own, not the catalog's
(decision 0014). Rows written before it existed: the fields their spec does not have."""


_LATER_FIELDS = ("statusUpdates",)


def personal_of(spec: Any) -> frozenset[str]:
    """The fields of a stored user spec that belong to the person."""
    spec = spec if isinstance(spec, dict) else {}
    marked = spec.get(PERSONAL_KEY)
    if isinstance(marked, list):
        # A field added after the row was marked (statusUpdates) is the person's unless the
        # catalog wrote it.
        later = {f for f in _LATER_FIELDS if f not in spec}
        return frozenset(f for f in PERSONAL_FIELDS if f in marked or f in later)
    return frozenset(f for f in PERSONAL_FIELDS if f not in spec)


_PARSED_MAX = 50_000


@dataclass(frozen=True, slots=True)
class _Stored:
    """Every row a snapshot is built from, as read: equal rows, equal snapshots."""

    objects: tuple[tuple[Any, ...], ...]
    windows: tuple[tuple[Any, ...], ...]
    integrations: tuple[tuple[Any, ...], ...]


def _objects_query() -> Select[Any]:
    """Every stored object but the maintenance windows, in one read: its kind, name, stored
    spec text, source, and description and key where the kind has them; by kind and name."""
    parts = []
    for kind, table in _TABLES.items():
        if kind == "MaintenanceWindow":  # no spec: its columns are the whole of it
            continue
        parts.append(
            select(
                cast(literal(kind), Text).label("kind"),
                table.c.name,
                cast(table.c.spec, Text).label("spec"),
                table.c.source,
                (table.c.description if kind in _DESCRIBED else cast(null(), Text)).label(
                    "description"
                ),
                (table.c.key if kind in ("Router", "Heartbeat") else cast(null(), Text)).label(
                    "key"
                ),
            )
        )
    everything = union_all(*parts).subquery()
    return select(everything).order_by(everything.c.kind, everything.c.name)


def _windows_query() -> Select[Any]:
    w, ws, s = t.maintenance_windows, t.maintenance_window_services, t.services
    return (
        select(
            w.c.name,
            w.c.start_at,
            w.c.end_at,
            w.c.description,
            w.c.source,
            s.c.name.label("service"),
        )
        .select_from(
            w.outerjoin(ws, ws.c.window_id == w.c.id).outerjoin(s, s.c.id == ws.c.service_id)
        )
        .where(w.c.source.is_not(None))
        .order_by(w.c.name, s.c.name)
    )


_OBJECTS = _objects_query()
_WINDOWS = _windows_query()
_INTEGRATIONS = (
    select(
        t.services.c.name.label("service"),
        t.integrations.c.name,
        t.integrations.c.type,
        t.integrations.c.key,
    )
    .join(t.services, t.services.c.id == t.integrations.c.service_id)
    .order_by(t.integrations.c.id)
)


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


class SqlCatalogStore:
    """:class:`ownit.app.catalog.CatalogStore` over the tables in ``tables.py``."""

    def __init__(self, engine: Engine, *, box: SecretBox | None = None) -> None:
        self._engine = engine
        self._box = box  # webhook secrets sealed at rest when set (decision 0031)
        # Parsed objects by (kind, name, description, stored spec text): parsing is a pure
        # function of those, so a row read again unchanged is not parsed again (a service
        # page's standards badge reads the whole catalog; parsing it was most of the page).
        self._parsed: dict[tuple[str, str, str, str], StoredObject] = {}
        # The last rows read and the snapshot built from them (:meth:`snapshot`).
        self._kept: tuple[_Stored, Snapshot] | None = None

    # --- reading ---------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """What the database holds now. Built again only when what was read differs from the
        previous read (the stored text, not a clock: an edit by any process shows on the
        very next call); otherwise the snapshot built from it before (decision 0067)."""
        with self._engine.connect() as conn:
            stored = _Stored(
                _plain(conn.execute(_OBJECTS)),
                _plain(conn.execute(_WINDOWS)),
                _plain(conn.execute(_INTEGRATIONS)),
            )
        kept = self._kept
        if kept is not None and kept[0] == stored:
            return kept[1]
        built = self._build(stored)
        self._kept = (stored, built)  # one assignment: threads see the old pair or the new
        return built

    def _build(self, stored: _Stored) -> Snapshot:
        sources: dict[Key, str | None] = {}
        found: dict[str, dict[str, Any]] = {kind: {} for kind in _TABLES}
        for kind, name, spec, source, description, key in stored.objects:
            obj = self._parse(kind, name, description or "", spec)
            if isinstance(obj, Router | Heartbeat):
                obj = dataclasses.replace(obj, key=key)
            found[kind][name] = obj
            sources[(kind, name)] = source
        found["MaintenanceWindow"] = _windows(stored.windows, sources)
        by_service: dict[str, list[Integration]] = {}
        for service_name, name, kind, key in stored.integrations:
            by_service.setdefault(service_name, []).append(Integration(name, kind, key))
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
            windows=found["MaintenanceWindow"],
            heartbeats=found["Heartbeat"],
            drills=found["Drill"],
            gamedays=found["GameDay"],
            standards=found["Standard"],
            scorecards=found["Scorecard"],
            sources=sources,
        )

    def _parse(self, kind: str, name: str, description: str, text: str | None) -> StoredObject:
        """The object of a stored row, parsed once per distinct stored text."""
        cache_key = (kind, name, description, text or "")
        found = self._parsed.get(cache_key)
        if found is not None:
            return found
        stored = json.loads(text) if text else {}
        spec = stored if isinstance(stored, dict) else {}
        if kind == "User":  # the marker is ours, not a field: no did-you-mean search
            spec = open_spec(spec, self._box)
            spec = {k: v for k, v in spec.items() if k != PERSONAL_KEY}
        obj = from_spec(kind, name, spec, description)
        if isinstance(obj, User):
            obj = dataclasses.replace(obj, personal=personal_of(stored))
        if len(self._parsed) > _PARSED_MAX:  # renamed and edited objects leave old keys behind
            self._parsed.clear()
        self._parsed[cache_key] = obj
        return obj

    # --- writing ---------------------------------------------------------------------------

    def write(self, changes: ChangeSet, *, source: str, now: datetime) -> None:
        try:
            with self._engine.begin() as conn:
                _Writer(conn, source, now, self._box).write(changes)
                for change in changes.changes:
                    before, after = _audit_fields(change)
                    record(
                        conn,
                        at=now,
                        kind="catalog",
                        name=f"{change.kind}/{change.name}",
                        action=f"{change.action}d",
                        before=before,
                        after=after,
                    )
        except IntegrityError as exc:
            raise CatalogConflict(
                f"the database refused the change, nothing was applied: {exc.orig}"
            ) from None


def _audit_fields(change: Change) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
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


def _windows(rows: tuple[Any, ...], sources: dict[Key, str | None]) -> dict[str, Any]:
    """The catalog's maintenance windows (those made through the API or CLI are not), from
    :data:`_WINDOWS`' rows: one a window and service, by window name then service name."""
    found: dict[str, tuple[Any, ...]] = {}
    services: dict[str, list[str]] = {}
    for name, start, end, description, source, service in rows:
        found.setdefault(name, (start, end, description or ""))
        named = services.setdefault(name, [])
        if service is not None:
            named.append(service)
        sources[("MaintenanceWindow", name)] = source
    return {
        name: MaintenanceWindow(name, tuple(services[name]), start, end, description)
        for name, (start, end, description) in found.items()
    }


def _plain(result: Result[Any]) -> tuple[tuple[Any, ...], ...]:
    """A result's rows as plain tuples (compared in C, unlike rows)."""
    return tuple(map(tuple, result.all()))


def _in_spec_order(service: Service, stored: list[Integration]) -> tuple[Integration, ...]:
    """The stored integrations, in the order the spec lists them, others after (by age)."""
    order = {i.name: n for n, i in enumerate(service.integrations)}
    return tuple(sorted(stored, key=lambda i: order.get(i.name, len(order))))


def _key_columns(key: str) -> dict[str, Any]:
    """A key as it is kept: its digest, and its hint when the key itself is at hand (a key
    kept from the database is a digest already, its hint stays) — decision 0035."""
    hint = key_hint(key)
    return {"key": stored_key(key)} | ({"key_hint": hint} if hint is not None else {})


class _Writer:
    def __init__(
        self, conn: Connection, source: str, now: datetime, box: SecretBox | None = None
    ) -> None:
        self.conn = conn
        self.source = source
        self.now = now
        self.box = box
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
        table = _TABLES[obj.kind]
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
