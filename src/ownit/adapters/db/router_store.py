"""Routers in the database: one by key (ingest; looked up by its SHA-256), all of them
(``ownit router list``)."""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import Engine, Text, cast, select

from ownit.adapters.db import tables as t
from ownit.domain.catalog import Router, from_spec
from ownit.domain.catalog.routers import Component, components_from
from ownit.domain.key_digests import key_digest


class SqlRouterStore:
    """:class:`ownit.app.routing.RouterStore` over the ``routers`` table."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def router_by_key(self, key: str) -> Router | None:
        query = select(t.routers.c.name, t.routers.c.key, t.routers.c.spec).where(
            t.routers.c.key == key_digest(key)
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        return _router(row) if row is not None else None

    def router_version(self, key: str) -> str | None:
        """The router's name and stored tree as text: equal texts, equal routers (the text
        is compared, never parsed)."""
        query = select(t.routers.c.name, cast(t.routers.c.spec, Text)).where(
            t.routers.c.key == key_digest(key)
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else f"{row[0]}\n{row[1]}"

    def router_by_name(self, name: str) -> Router | None:
        query = select(t.routers.c.name, t.routers.c.key, t.routers.c.spec).where(
            t.routers.c.name == name
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        return _router(row) if row is not None else None

    def routers(self) -> list[Router]:
        query = select(t.routers.c.name, t.routers.c.key, t.routers.c.spec).order_by(
            t.routers.c.name
        )
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        return [_router(row) for row in rows]

    def key_hints(self) -> dict[str, str | None]:
        """Each router's key hint by name (the keys themselves are not kept, decision 0035)."""
        query = select(t.routers.c.name, t.routers.c.key_hint)
        with self._engine.connect() as conn:
            return {row.name: row.key_hint for row in conn.execute(query)}

    def components(self, services: set[str]) -> dict[str, tuple[Component, ...]]:
        """The components of each named service (services without any are left out)."""
        if not services:
            return {}
        s = t.services
        with self._engine.connect() as conn:
            rows = conn.execute(select(s.c.name, s.c.spec).where(s.c.name.in_(services))).all()
        found = {row.name: components_from((row.spec or {}).get("components")) for row in rows}
        return {name: comps for name, comps in found.items() if comps}


def _router(row: Any) -> Router:
    obj = from_spec("Router", row.name, row.spec or {})
    assert isinstance(obj, Router)
    return dataclasses.replace(obj, key=row.key)
