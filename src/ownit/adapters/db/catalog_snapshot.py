"""Reading the catalog: every row a snapshot is built from, in three queries, and the
snapshot built from them, each stored object parsed once per distinct stored text."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Result, Select, Text, cast, literal, null, select, union_all

from ownit.adapters.db import tables as t
from ownit.adapters.db.catalog_tables import DESCRIBED, PERSONAL_KEY, TABLES, personal_of
from ownit.adapters.db.secret_box import SecretBox, open_spec
from ownit.domain.catalog import (
    Heartbeat,
    Integration,
    Key,
    MaintenanceWindow,
    Router,
    Service,
    Snapshot,
    StoredObject,
    User,
    from_spec,
)

_PARSED_MAX = 50_000


@dataclass(frozen=True, slots=True)
class StoredRows:
    """Every row a snapshot is built from, as read: equal rows, equal snapshots."""

    objects: tuple[tuple[Any, ...], ...]
    windows: tuple[tuple[Any, ...], ...]
    integrations: tuple[tuple[Any, ...], ...]


def _objects_query() -> Select[Any]:
    """Every stored object but the maintenance windows, in one read: its kind, name, stored
    spec text, source, and description and key where the kind has them; by kind and name."""
    parts = []
    for kind, table in TABLES.items():
        if kind == "MaintenanceWindow":  # no spec: its columns are the whole of it
            continue
        parts.append(
            select(
                cast(literal(kind), Text).label("kind"),
                table.c.name,
                cast(table.c.spec, Text).label("spec"),
                table.c.source,
                (table.c.description if kind in DESCRIBED else cast(null(), Text)).label(
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


def read_rows(conn: Connection) -> StoredRows:
    """Every row a snapshot is built from, as the database holds them now."""
    return StoredRows(
        _plain(conn.execute(_OBJECTS)),
        _plain(conn.execute(_WINDOWS)),
        _plain(conn.execute(_INTEGRATIONS)),
    )


class SnapshotBuilder:
    """Builds snapshots from stored rows; keeps parsed objects by (kind, name, description,
    stored spec text): parsing is a pure function of those, so a row read again unchanged is
    not parsed again (a service page's standards badge reads the whole catalog)."""

    def __init__(self, box: SecretBox | None = None) -> None:
        self._box = box  # opens webhook secrets sealed at rest (decision 0031)
        self._parsed: dict[tuple[str, str, str, str], StoredObject] = {}

    def build(self, stored: StoredRows) -> Snapshot:
        """The snapshot these rows hold."""
        sources: dict[Key, str | None] = {}
        found: dict[str, dict[str, Any]] = {kind: {} for kind in TABLES}
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
