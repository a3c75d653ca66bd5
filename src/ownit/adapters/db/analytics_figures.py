"""Each incident's analytics figures, stored once known (``incident_figures``, migration
0013) so that reports add up numbers instead of walking histories (decision 0038).

- :func:`refresh` computes the figures of some incidents from their histories (the domain's
  :meth:`IncidentHistory.facts`, the one definition) and stores them; the acknowledgement,
  the resolution by a person and the outbox's page write call it inside their transaction.
- :func:`read_fresh` does the same for the incidents a report reads whose stored figures
  were computed from an incident row that has changed since (or are missing): paths that
  change an incident without calling :func:`refresh` (an event's resolution on the ingest
  path, the autoResolve timer, a merge) are caught up by the first report that reads it.
- :func:`backfill` computes every incident's (migration 0013; the benchmark's bulk seed).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from ownit.adapters.db import tables as t
from ownit.adapters.db.analytics_histories import chunks, histories_of, incident_rows

_i, _f = t.incidents, t.incident_figures
_BACKFILL_CHUNK = 900


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


def refresh(conn: Connection, ids: Iterable[str]) -> None:
    """Compute and store the figures of these incidents (inside the caller's transaction)."""
    for chunk in chunks(sorted(set(ids))):
        found = histories_of(conn, incident_rows().where(_i.c.id.in_(chunk)), alert_keys=True)
        rows = []
        for row, history in found:
            facts = history.facts()
            rows.append(
                {
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
                }
            )
        _upsert(conn, rows)


def is_stale() -> ColumnElement[bool]:
    """True for an incident (joined to its figures, outer) whose figures are missing or
    were computed from other values of its row than it has now."""
    return or_(
        _f.c.incident_id.is_(None),
        _f.c.alert_count != _i.c.alert_count,
        _f.c.resolved_at.is_distinct_from(_i.c.resolved_at),
        _f.c.acknowledged_at.is_distinct_from(_i.c.acknowledged_at),
    )


def read_fresh(conn: Connection, query: Select[Any]) -> list[Any]:
    """The rows of ``query`` — its first column :func:`is_stale`, its second the incident's
    id, the figures outer-joined — with the stale incidents' figures computed, stored and
    read again first."""
    rows = list(conn.execute(query).all())
    stale = {r[1] for r in rows if r[0]}
    if not stale:
        return rows
    refresh(conn, stale)
    kept = [r for r in rows if r[1] not in stale]
    for chunk in chunks(sorted(stale)):
        kept += conn.execute(query.where(_i.c.id.in_(chunk))).all()
    return kept


def backfill(conn: Connection) -> int:
    """Compute every incident's figures; how many incidents there were."""
    ids = list(conn.execute(select(_i.c.id).order_by(_i.c.id)).scalars())
    for start in range(0, len(ids), _BACKFILL_CHUNK):
        refresh(conn, ids[start : start + _BACKFILL_CHUNK])
    return len(ids)
