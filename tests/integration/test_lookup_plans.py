"""The ingest writer's lookups search by their keys on both databases, whatever the tables
hold (decision 0072).

With the service first in the open-alert index, PostgreSQL planned the lookup of a batch's
dedup keys on a small table as "the service's range of the index, then filter the keys", and
a connection that had cached that plan kept it while the table grew: every batch of a storm
read every open alert of the service. The plans are checked on empty tables (where the old
plan was chosen) and, on PostgreSQL, as the generic plan a prepared statement caches."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import Engine, text

from ownit.adapters.db.ingest_reads import BatchReader


def _plan(engine: Engine, sql: str, params: tuple[Any, ...]) -> str:
    """The plan of ``sql`` (``?`` marks): SQLite's query plan, or PostgreSQL's generic plan."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params).all()
            return "\n".join(str(row[-1]) for row in rows)
        numbered = iter(range(1, len(params) + 1))
        prepared = re.sub(r"\?", lambda _: f"${next(numbered)}", sql)
        conn.execute(text("SET plan_cache_mode = force_generic_plan"))
        conn.exec_driver_sql(f"PREPARE lookup AS {prepared}")
        args = ", ".join(f"'{value}'" for value in params)
        rows = conn.exec_driver_sql(f"EXPLAIN EXECUTE lookup({args})").all()
        return "\n".join(str(row[0]) for row in rows)


def _searches(plan: str, column: str, dialect: str) -> bool:
    """Whether the plan searches an index by ``column`` (not only filters rows by it)."""
    if dialect == "sqlite":
        return re.search(rf"SEARCH \w+ USING INDEX \w+ \([^)]*\b{column}=", plan) is not None
    return any(
        line.strip().startswith("Index Cond") and column in line for line in plan.splitlines()
    )


@pytest.mark.parametrize(
    ("lookup", "column"),
    [
        (BatchReader._open_alerts({1: {"k1", "k2", "k3"}}), "dedup_key"),
        (BatchReader._open_alerts({1: {"k1"}, 2: {"k2", "k3"}}), "dedup_key"),
        (BatchReader._group_heads(1, {"g1", "g2"}), "group_key"),
    ],
    ids=["open alerts", "open alerts of two services", "group heads"],
)
def test_the_lookup_searches_the_index_by_its_keys(
    engine: Engine, lookup: tuple[str, tuple[Any, ...]], column: str
) -> None:
    sql, params = lookup
    plan = _plan(engine, sql, params)
    assert _searches(plan, column, engine.dialect.name), plan
