"""Maintenance windows in ``maintenance_windows`` and ``maintenance_window_services``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, select, update

from ownit.adapters.db import tables as t
from ownit.adapters.db.audit_log import record
from ownit.app.maintenance import Window


class SqlMaintenanceStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def owners(self, services: Sequence[str]) -> dict[str, str | None]:
        query = (
            select(t.services.c.name, t.teams.c.name)
            .select_from(t.services.outerjoin(t.teams, t.teams.c.id == t.services.c.owner_team_id))
            .where(t.services.c.name.in_(list(services)))
        )
        with self._engine.connect() as conn:
            return {
                str(s): (str(team) if team is not None else None) for s, team in conn.execute(query)
            }

    def _load(self, where: object | None) -> list[Window]:
        w = t.maintenance_windows
        query = select(w).order_by(w.c.start_at, w.c.name)
        if where is not None:
            query = query.where(where)  # type: ignore[arg-type]
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
            names: dict[int, list[str]] = {}
            if rows:
                found = conn.execute(
                    select(t.maintenance_window_services.c.window_id, t.services.c.name)
                    .join(t.services, t.services.c.id == t.maintenance_window_services.c.service_id)
                    .where(t.maintenance_window_services.c.window_id.in_([r.id for r in rows]))
                    .order_by(t.services.c.name)
                )
                for window_id, service in found:
                    names.setdefault(int(window_id), []).append(str(service))
        return [
            Window(
                id=int(r.id),
                name=r.name,
                description=r.description,
                start_at=r.start_at,
                end_at=r.end_at,
                services=tuple(names.get(int(r.id), ())),
                source=r.source,
                created_by=r.created_by,
            )
            for r in rows
        ]

    def windows(self, *, ending_after: datetime | None) -> list[Window]:
        return self._load(
            None if ending_after is None else t.maintenance_windows.c.end_at > ending_after
        )

    def get(self, window_id: int) -> Window | None:
        found = self._load(t.maintenance_windows.c.id == window_id)
        return found[0] if found else None

    def name_taken(self, name: str) -> bool:
        with self._engine.connect() as conn:
            return (
                conn.execute(
                    select(t.maintenance_windows.c.id).where(t.maintenance_windows.c.name == name)
                ).first()
                is not None
            )

    def insert(
        self,
        *,
        name: str,
        description: str,
        start_at: datetime,
        end_at: datetime,
        services: Sequence[str],
        created_by: str,
        at: datetime,
    ) -> Window:
        with self._engine.begin() as conn:
            inserted = conn.execute(
                t.maintenance_windows.insert().values(
                    name=name,
                    description=description,
                    start_at=start_at,
                    end_at=end_at,
                    source=None,
                    created_by=created_by,
                    created_at=at,
                    updated_at=at,
                )
            ).inserted_primary_key
            assert inserted is not None
            window_id = int(inserted[0])
            ids = conn.execute(
                select(t.services.c.id).where(t.services.c.name.in_(list(services)))
            ).scalars()
            conn.execute(
                t.maintenance_window_services.insert(),
                [{"window_id": window_id, "service_id": int(i)} for i in ids],
            )
            record(
                conn,
                at=at,
                kind="maintenance",
                name=name,
                action="created",
                after={
                    "start_at": start_at.isoformat(),
                    "end_at": end_at.isoformat(),
                    "services": sorted(services),
                },
            )
        found = self.get(window_id)
        assert found is not None
        return found

    def end(self, window_id: int, at: datetime) -> None:
        with self._engine.begin() as conn:
            old = _window_row(conn, window_id)
            conn.execute(
                update(t.maintenance_windows)
                .where(t.maintenance_windows.c.id == window_id)
                .values(end_at=at, updated_at=at)
            )
            if old is not None:
                record(
                    conn,
                    at=at,
                    kind="maintenance",
                    name=old.name,
                    action="ended",
                    before={"end_at": old.end_at.isoformat()},
                    after={"end_at": at.isoformat()},
                )

    def delete(self, window_id: int, at: datetime) -> None:
        with self._engine.begin() as conn:
            old = _window_row(conn, window_id)
            if old is not None:
                record(
                    conn,
                    at=at,
                    kind="maintenance",
                    name=old.name,
                    action="deleted",
                    before={
                        "start_at": old.start_at.isoformat(),
                        "end_at": old.end_at.isoformat(),
                    },
                )
            conn.execute(
                delete(t.maintenance_window_services).where(
                    t.maintenance_window_services.c.window_id == window_id
                )
            )
            conn.execute(
                delete(t.maintenance_windows).where(t.maintenance_windows.c.id == window_id)
            )


def _window_row(conn: Connection, window_id: int) -> Any:
    w = t.maintenance_windows
    return conn.execute(
        select(w.c.name, w.c.start_at, w.c.end_at).where(w.c.id == window_id)
    ).first()
