"""First-responder context for the first page of many incidents at once.

The engine asks once per delivery round for every incident whose first page goes out in it,
so the cost is a handful of queries per round, not per message: the incidents (one query),
open incidents upstream, recent changes and similar past incidents (one query each, limited
in the database with ``ROW_NUMBER()`` to a few rows per service or per problem), and the
last note of each similar incident. The catalog's side (owners, runbooks, the dependency
graph) is read once and kept for ``max_age``, like compiled routers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select, tuple_

from ownit.adapters.db import tables as t
from ownit.app.dependencies import CHANGES_WINDOW
from ownit.app.notify import (
    CONTEXT_ITEMS,
    PastIncident,
    RecentChange,
    ResponderContext,
    UpstreamIncident,
)
from ownit.domain import dependencies as deps
from ownit.domain.incidents import Status


@dataclass(frozen=True, slots=True)
class _Catalog:
    """What the context needs from the catalog: service ids and names, owners, runbooks and
    the dependency graph."""

    names: Mapping[int, str]
    ids: Mapping[str, int]
    owners: Mapping[str, str | None]
    part_owners: Mapping[tuple[str, str], str]  # (service, component) -> the component's owner
    runbooks: Mapping[str, str | None]
    runbook_texts: Mapping[str, str | None]
    graph: Mapping[str, tuple[str, ...]]


def _first_link(links: Any) -> str | None:
    """The first ``href`` of a change event's ``links`` (Events v2: ``[{href, text}]``)."""
    if not isinstance(links, list):
        return None
    for item in links:
        href = item.get("href") if isinstance(item, dict) else None
        if isinstance(href, str) and href:
            return href
    return None


class SqlResponderContexts:
    """:class:`ownit.app.delivery.ContextSource` on the database."""

    def __init__(self, engine: Engine, *, max_age: float = 10.0) -> None:
        self._engine = engine
        self._max_age = max_age
        self._catalog: tuple[float, _Catalog] | None = None
        self._lock = threading.Lock()

    def _read_catalog(self, conn: Connection) -> _Catalog:
        with self._lock:
            cached = self._catalog
            if cached is not None and time.monotonic() - cached[0] < self._max_age:
                return cached[1]
            s, tm = t.services, t.teams
            rows = conn.execute(
                select(s.c.id, s.c.name, s.c.spec, tm.c.name.label("owner")).outerjoin(
                    tm, tm.c.id == s.c.owner_team_id
                )
            ).all()
            catalog = _Catalog(
                names={r.id: r.name for r in rows},
                ids={r.name: r.id for r in rows},
                owners={r.name: r.owner for r in rows},
                part_owners={
                    (r.name, str(part.get("name"))): str(part["owner"])
                    for r in rows
                    for part in (r.spec or {}).get("components") or ()
                    if isinstance(part, dict) and part.get("owner")
                },
                runbooks={r.name: (r.spec or {}).get("runbook") for r in rows},
                runbook_texts={r.name: (r.spec or {}).get("runbookText") for r in rows},
                graph={r.name: tuple((r.spec or {}).get("dependsOn") or ()) for r in rows},
            )
            self._catalog = (time.monotonic(), catalog)
            return catalog

    def responder_contexts(
        self, incident_ids: Sequence[str], now: datetime
    ) -> dict[str, ResponderContext]:
        if not incident_ids:
            return {}
        i = t.incidents
        with self._engine.connect() as conn:
            catalog = self._read_catalog(conn)
            incidents = conn.execute(
                select(i.c.id, i.c.service_id, i.c.component, i.c.dedup_key).where(
                    i.c.id.in_(sorted(set(incident_ids)))
                )
            ).all()
            if not incidents:
                return {}
            upstream: dict[str, dict[str, int]] = {}  # incident id -> {service: depth}
            for row in incidents:
                name = catalog.names.get(row.service_id, "")
                upstream[row.id] = deps.depths(deps.upstream(catalog.graph, name))
            up_ids = sorted(
                {catalog.ids[s] for found in upstream.values() for s in found if s in catalog.ids}
            )
            around = sorted({*up_ids, *(row.service_id for row in incidents)})
            causes = self._open_incidents(conn, up_ids, catalog)
            changes = self._changes(conn, around, now - CHANGES_WINDOW, catalog)
            similar = self._similar(conn, [(r.service_id, r.dedup_key) for r in incidents])
            notes = self._last_notes(conn, [p.id for found in similar.values() for p in found])
        out: dict[str, ResponderContext] = {}
        for row in incidents:
            name = catalog.names.get(row.service_id, "")
            depth = upstream[row.id]
            mine = {name, *depth}
            likely = sorted(
                (c for c in causes if c.service in depth),
                key=lambda c: (depth[c.service], c.number),
            )
            recent = sorted(
                (c for c in changes if c.service in mine), key=lambda c: c.at, reverse=True
            )
            past = [
                PastIncident(
                    number=p.number,
                    title=p.title,
                    resolved_at=p.resolved_at,
                    resolved_by=p.resolved_by,
                    time_to_resolve_s=int((p.resolved_at - p.created_at).total_seconds())
                    if p.resolved_at is not None
                    else None,
                    note=notes.get(p.id),
                )
                for p in similar.get((row.service_id, row.dedup_key), [])
                if p.id != row.id
            ]
            out[row.id] = ResponderContext(
                owner=catalog.part_owners.get((name, row.component or ""))
                or catalog.owners.get(name),
                component=row.component,
                runbook_url=catalog.runbooks.get(name),
                runbook_text=catalog.runbook_texts.get(name),
                likely_cause=tuple(likely[:CONTEXT_ITEMS]),
                recent_changes=tuple(recent[:CONTEXT_ITEMS]),
                similar=tuple(past[:CONTEXT_ITEMS]),
            )
        return out

    @staticmethod
    def _open_incidents(
        conn: Connection, service_ids: Sequence[int], catalog: _Catalog
    ) -> list[UpstreamIncident]:
        """The oldest few open incidents of each service."""
        if not service_ids:
            return []
        i = t.incidents
        rank = func.row_number().over(partition_by=i.c.service_id, order_by=i.c.number)
        ranked = (
            select(i.c.service_id, i.c.number, i.c.title, i.c.status, rank.label("rank"))
            # through the partial index on open incidents, in its own words (``OPEN_INCIDENT``)
            .where(i.c.service_id.in_(service_ids), t.open_incident())
            .subquery()
        )
        rows = conn.execute(select(ranked).where(ranked.c.rank <= CONTEXT_ITEMS)).all()
        return [
            UpstreamIncident(catalog.names.get(r.service_id, "?"), r.number, r.title, r.status)
            for r in rows
        ]

    @staticmethod
    def _changes(
        conn: Connection, service_ids: Sequence[int], since: datetime, catalog: _Catalog
    ) -> list[RecentChange]:
        """The newest few changes of each service since ``since``."""
        c = t.change_events
        rank = func.row_number().over(partition_by=c.c.service_id, order_by=c.c.received_at.desc())
        ranked = (
            select(c.c.service_id, c.c.received_at, c.c.summary, c.c.links, rank.label("rank"))
            .where(c.c.service_id.in_(service_ids), c.c.received_at >= since)
            .subquery()
        )
        rows = conn.execute(select(ranked).where(ranked.c.rank <= CONTEXT_ITEMS)).all()
        return [
            RecentChange(
                r.received_at, catalog.names.get(r.service_id, "?"), r.summary, _first_link(r.links)
            )
            for r in rows
        ]

    @staticmethod
    def _similar(
        conn: Connection, problems: Sequence[tuple[int, str]]
    ) -> dict[tuple[int, str], list[Any]]:
        """The newest few resolved incidents with each (service, dedup key)."""
        i = t.incidents
        rank = func.row_number().over(
            partition_by=(i.c.service_id, i.c.dedup_key), order_by=i.c.created_at.desc()
        )
        ranked = (
            select(
                i.c.id,
                i.c.service_id,
                i.c.dedup_key,
                i.c.number,
                i.c.title,
                i.c.created_at,
                i.c.resolved_at,
                i.c.resolved_by,
                rank.label("rank"),
            )
            .where(
                tuple_(i.c.service_id, i.c.dedup_key).in_(sorted(set(problems))),
                i.c.status == Status.RESOLVED.value,
            )
            .subquery()
        )
        found: dict[tuple[int, str], list[Any]] = {}
        # One more than shown: the incident itself may already be resolved.
        query = select(ranked).where(ranked.c.rank <= CONTEXT_ITEMS + 1).order_by(ranked.c.rank)
        for row in conn.execute(query):
            found.setdefault((row.service_id, row.dedup_key), []).append(row)
        return found

    @staticmethod
    def _last_notes(conn: Connection, incident_ids: Sequence[str]) -> dict[str, str]:
        if not incident_ids:
            return {}
        e = t.log_entries
        rows = conn.execute(
            select(e.c.incident_id, e.c.message)
            .where(e.c.incident_id.in_(sorted(set(incident_ids))), e.c.kind == "note")
            .order_by(e.c.at, e.c.id)
        ).all()
        return {r.incident_id: r.message for r in rows}  # the last one wins
