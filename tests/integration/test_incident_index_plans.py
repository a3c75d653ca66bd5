"""The incidents' partial indexes serve the queries that look for what they hold, on both
databases (decision 0078, migration 0025): open incidents by service, due timers.

An incident's page, a first page's context and a service page ask for the open incidents of
a few services, or count them. Said as ``status IN (...)`` with bound values, SQLite without
statistics walked every open incident of the organisation through the index on status (or
every incident of the services, resolved ones included); said in the index's own words
(``tables.open_incident()``) it probes the partial index once per service. The plans are
checked on empty tables, as a new install has them; on PostgreSQL, as the generic plan a
prepared statement caches, with sequential scans off (on empty tables it would read the
table whole, whatever the query says)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Engine, event, text

from ownit.adapters.db.auto_resolve_store import SqlAutoResolveStore
from ownit.adapters.db.catalog_view import _OPEN_COUNTS
from ownit.adapters.db.incident_store import SqlIncidentStore
from ownit.adapters.db.responder_store import SqlResponderContexts
from tests.builders import T0, add_service

INDEX = "ix_incidents_open_service"


@contextmanager
def _statements(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """The statements run on ``engine`` in the block, with their parameters."""
    seen: list[tuple[str, Any]] = []

    def note(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _many: bool) -> None:
        seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def _plan(engine: Engine, sql: str, params: Any) -> str:
    """SQLite's query plan, or PostgreSQL's generic plan, of a statement as it was run."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params).all()
            return "\n".join(str(row[-1]) for row in rows)
        names: dict[str, int] = {}
        prepared = re.sub(
            r"%\((\w+)\)s", lambda m: f"${names.setdefault(m[1], len(names) + 1)}", sql
        )
        conn.execute(text("SET plan_cache_mode = force_generic_plan"))
        # Empty tables are read whole whatever the query says; without that way out, the
        # plan shows whether the partial index can serve the query at all.
        conn.execute(text("SET enable_seqscan = off"))
        conn.exec_driver_sql(f"PREPARE around AS {prepared}")
        args = ", ".join(
            "NULL" if params[n] is None else f"'{params[n]}'"
            for n in sorted(names, key=names.__getitem__)
        )
        rows = conn.exec_driver_sql(f"EXPLAIN EXECUTE around({args})").all()
        return "\n".join(str(row[0]) for row in rows)


def _nearest(engine: Engine) -> None:
    SqlIncidentStore(engine).open_nearest({"db": 1, "queue": 2}, 20)


def _first_page_causes(engine: Engine) -> None:
    with engine.connect() as conn:
        ids = [row.id for row in conn.execute(text("SELECT id FROM services"))]
        SqlResponderContexts._open_incidents(conn, ids, SimpleNamespace(names={}))  # type: ignore[arg-type]


def _open_counts(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(_OPEN_COUNTS, {"names": ["db", "queue"]}).all()


@pytest.mark.parametrize(
    "read",
    [_nearest, _first_page_causes, _open_counts],
    ids=["an incident's page", "a first page", "a service page's counts"],
)
def test_open_incidents_around_are_read_through_the_partial_index(
    engine: Engine, read: Callable[[Engine], None]
) -> None:
    add_service(engine, "db", keys={"events": "db" + "0" * 30})
    add_service(engine, "queue", keys={"events": "queue" + "0" * 27})
    with _statements(engine) as seen:
        read(engine)
    [(sql, params)] = [(s, p) for s, p in seen if "'resolved'" in s]
    plan = _plan(engine, sql, params)
    assert INDEX in plan, plan


def test_the_engine_finds_due_timers_through_the_partial_index(engine: Engine) -> None:
    """The index on ``auto_resolve_at`` holds only incidents with a timer (migration 0025):
    the engine's search for due timers still goes through it."""
    with _statements(engine) as seen:
        SqlAutoResolveStore(engine).settle_due(T0, 10)
    [(sql, params)] = [(s, p) for s, p in seen if "auto_resolve_at <=" in s]
    plan = _plan(engine, sql, params)
    assert "ix_incidents_auto_resolve_at" in plan, plan
