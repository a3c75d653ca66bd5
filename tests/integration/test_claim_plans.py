"""The engine's claim reads each service's oldest first page through the first pages' index,
in its order, on both databases: one probe per service whatever a storm's backlog (decision
0076). Without ``incident_id`` in the index PostgreSQL read and sorted a storm's every first
page for each claim (3.6 ms at 7,652 of them); before the index, a window over every due
escalation (39–75 ms at 20,000)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from ownit.adapters.db.claim_candidates import FIRST_PAGES
from ownit.adapters.db.ingest_store import SqlIngestStore
from ownit.domain.events import Action, Event, Severity
from tests.integration.paged_service import paged_service

KEY = "plans000000000000000000000000001"


def _plan(engine: Engine, statement: Any) -> str:
    with engine.connect() as conn:
        compiled = statement.compile(dialect=engine.dialect)
        if engine.dialect.name == "sqlite":
            params = tuple(compiled.params[name] for name in compiled.positiontup)
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", params).all()
            return "\n".join(str(row[-1]) for row in rows)
        rows = conn.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params).all()
        return "\n".join(str(row[0]) for row in rows)


def test_each_services_oldest_first_page_is_read_from_the_index_in_order(
    engine: Engine, tmp_path: Path
) -> None:
    clock = paged_service(engine, tmp_path, key=KEY, service="storm")
    ingest = SqlIngestStore(engine)
    for batch in range(4):  # a storm's backlog of first pages, never analysed
        events = [
            [Event("events-v2", KEY, Action.TRIGGER, f"d{batch}-{i}", "s", "s", Severity.CRITICAL)]
            for i in range(250)
        ]
        ingest.apply_batch(events, clock.now())
        clock.advance(seconds=1)
    plan = _plan(engine, FIRST_PAGES.params(now=clock.now() + timedelta(seconds=1)))
    assert "ix_escalations_first_pages" in plan, plan
    if engine.dialect.name == "sqlite":
        assert "TEMP B-TREE" not in plan, plan  # no sort of the service's first pages
        assert "SCAN" not in plan.replace("SCAN services", ""), plan  # only the CTE is read
    else:
        assert "Sort" not in plan, plan
        assert "Seq Scan" not in plan, plan
