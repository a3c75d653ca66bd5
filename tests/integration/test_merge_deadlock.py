"""A merge that deadlocks with an ingest batch is run again (PostgreSQL, a real deadlock).

The ingest side holds the source's alert (a repeat) and then wants the target incident; the
merge holds the target incident and wants the source's alerts. PostgreSQL ends one of them:
here the merge (its session notices first), which then runs again and succeeds."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import Engine, select, text

from ownit.adapters.db import tables as t
from ownit.adapters.db.engine import make_engine
from ownit.adapters.db.incident_store import SqlIncidentStore
from ownit.adapters.db.ingest_store import SqlIngestStore
from ownit.adapters.db.migrate import upgrade
from ownit.domain.events import Action, Event, Severity
from tests.builders import T0, add_service

KEY = "merge00000000000000000000000000d"


@pytest.fixture
def pg_url(pg_database_url: str) -> str:
    engine = make_engine(pg_database_url)
    upgrade(engine)
    add_service(engine, "svc", keys={"events": KEY})
    store = SqlIngestStore(engine)
    for dedup in ("target", "source"):
        event = Event("events-v2", KEY, Action.TRIGGER, dedup, dedup, "h", Severity.ERROR)
        store.apply_batch([[event]], T0)
    engine.dispose()
    return pg_database_url


def ids(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        rows = conn.execute(select(t.alerts.c.dedup_key, t.alerts.c.id, t.alerts.c.incident_id))
        return {r.dedup_key: r for r in rows}


def test_a_merge_that_deadlocks_with_ingest_runs_again(pg_url: str) -> None:
    engine = make_engine(pg_url)
    ingest_side = make_engine(pg_url, pool_size=1)
    found = ids(engine)
    target, source = found["target"].incident_id, found["source"].incident_id
    outcome: list[Any] = []

    def merge() -> None:
        try:
            outcome.append(SqlIncidentStore(engine).merge(target, [source], by="alice", at=T0))
        except BaseException as exc:
            outcome.append(exc)

    with ingest_side.connect() as conn:
        conn.execute(text("SET deadlock_timeout = '10s'"))  # the merge is the one to notice
        conn.commit()
        with conn.begin():
            conn.execute(
                text("UPDATE alerts SET repeat_count = repeat_count + 1 WHERE id = :id"),
                {"id": found["source"].id},
            )
            merging = threading.Thread(target=merge)
            merging.start()
            time.sleep(0.5)  # the merge holds the target and waits for the source's alert
            conn.execute(
                text("UPDATE incidents SET updated_at = updated_at WHERE id = :id"),
                {"id": target},
            )
        merging.join(30)
    ingest_side.dispose()
    [merged] = outcome
    assert not isinstance(merged, BaseException), repr(merged)
    assert merged["alert_count"] == 2
    after = ids(engine)
    assert after["source"].incident_id == target
    engine.dispose()
