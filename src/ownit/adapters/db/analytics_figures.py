"""Each incident's analytics figures, stored once known (``incident_figures``, migration
0013) so that reports add up numbers instead of walking histories (decision 0038).

- :func:`refresh` computes the figures of some incidents from their histories (the domain's
  :meth:`IncidentHistory.facts`, the one definition) and stores them; the acknowledgement,
  the resolution by a person and the outbox's page write call it inside their transaction.
- :func:`read_fresh` reads a report's rows, and for the incidents whose stored figures were
  computed from an incident row that has changed since (or are missing) computes them in
  memory, writing nothing: a read never writes (decision 0062). Paths that change an
  incident without calling :func:`refresh` (an event's resolution on the ingest path, the
  autoResolve timer, a merge) are caught up by the worker's :func:`catch_up` pass.
- :func:`backfill_stale` computes every stale incident's (migration 0020; the benchmark's
  bulk seed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, Select, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from ownit.adapters.db import tables as t
from ownit.adapters.db.analytics_histories import chunks, histories_of, incident_rows

_i, _f = t.incidents, t.incident_figures
_BACKFILL_CHUNK = 900
CATCH_UP_BATCH = 900  # incidents per pass of the worker


def _upsert(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(_f)
    new = stmt.excluded
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["incident_id"],
            set_={c.name: new[c.name] for c in _f.columns if c.name != "incident_id"},
        ),
        rows,
    )


FIGURES = frozenset(
    {"alert_key", "merged_into", "tta", "ttr", "escalated", "auto_resolved", "noise"}
)
"""The columns of ``incident_figures`` a report reads (the others say what they came from)."""


def computed(conn: Connection, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The ``incident_figures`` rows of these incidents, computed from their histories
    (only read: nothing is written)."""
    rows: dict[str, dict[str, Any]] = {}
    for chunk in chunks(sorted(set(ids))):
        found = histories_of(conn, incident_rows().where(_i.c.id.in_(chunk)), alert_keys=True)
        for row, history in found:
            facts = history.facts()
            rows[history.id] = {
                "incident_id": history.id,
                "alert_key": history.alert_key[:255],
                "merged_into": history.merged_into,
                "tta": facts.tta,
                "ttr": facts.ttr,
                "escalated": facts.escalated,
                "auto_resolved": facts.auto_resolved,
                "noise": facts.noise,
                "alert_count": row.alert_count,
                "resolved_at": row.resolved_at,
                "acknowledged_at": row.acknowledged_at,
                "created_at": row.created_at,
            }
    return rows


def refresh(conn: Connection, ids: Iterable[str]) -> None:
    """Compute and store the figures of these incidents (inside the caller's transaction)."""
    _upsert(conn, list(computed(conn, ids).values()))


def is_stale() -> ColumnElement[bool]:
    """True for an incident (joined to its figures, outer) whose figures are missing or
    were computed from other values of its row than it has now."""
    return or_(
        _f.c.incident_id.is_(None),
        _f.c.alert_count != _i.c.alert_count,
        _f.c.resolved_at.is_distinct_from(_i.c.resolved_at),
        _f.c.acknowledged_at.is_distinct_from(_i.c.acknowledged_at),
    )


def read_fresh(
    conn: Connection, query: Select[Any], params: Mapping[str, Any] | None = None
) -> list[Sequence[Any]]:
    """The rows of ``query`` — its first column :func:`is_stale`, its second the incident's
    id, the figures outer-joined (named as in :data:`FIGURES`) — with the stale incidents'
    figures computed from their histories in their place (``params``: its parameters).
    Nothing is written."""
    result = conn.execute(query, params)
    at = [(n, name) for n, name in enumerate(result.keys()) if name in FIGURES]
    rows: list[Sequence[Any]] = list(result.all())
    stale = {r[1] for r in rows if r[0]}
    if not stale:
        return rows
    figures = computed(conn, stale)
    fresh: list[Sequence[Any]] = []
    for row in rows:
        found = figures.get(row[1]) if row[0] else None
        if found is None:
            fresh.append(row)
            continue
        values = list(row)
        for n, name in at:
            values[n] = found[name]
        fresh.append(values)
    return fresh


def stale_ids(conn: Connection, limit: int | None) -> list[str]:
    """Up to ``limit`` incidents whose stored figures are missing or behind their row."""
    query = (
        select(_i.c.id)
        .select_from(_i.outerjoin(_f, _f.c.incident_id == _i.c.id))
        .where(is_stale())
        .limit(limit)
    )
    return list(conn.execute(query).scalars())


def catch_up(conn: Connection, limit: int = CATCH_UP_BATCH) -> int:
    """Store the figures of up to ``limit`` stale incidents (the worker's pass); how many."""
    ids = stale_ids(conn, limit)
    refresh(conn, ids)
    return len(ids)


class SqlFigureCatchUp:
    """The worker's pass: :func:`catch_up` in a transaction of its own."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def __call__(self, now: datetime) -> int:
        del now  # staleness is read from the rows, not the clock
        with self._engine.begin() as conn:
            return catch_up(conn)


def backfill_stale(conn: Connection) -> int:
    """Store the figures of every stale incident (migration 0020); how many."""
    ids = stale_ids(conn, None)
    for start in range(0, len(ids), _BACKFILL_CHUNK):
        refresh(conn, ids[start : start + _BACKFILL_CHUNK])
    return len(ids)
