"""A person's acknowledge or resolve that loses a race writes nothing false (SQLite, PostgreSQL).

The use case reads the incident, checks the transition, then asks the store to make it; the
store's ``UPDATE … WHERE status = …`` is the guard. Here another connection resolves the
incident between that read and that update, every time, deterministically.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, select

from ownit.adapters.db import tables as t
from ownit.adapters.db.incident_store import SqlIncidentStore
from ownit.adapters.db.ingest_store import SqlIngestStore
from ownit.app import incidents
from ownit.domain.events import Action, Event, Severity
from ownit.domain.incidents import Status
from tests.builders import T0, FakeClock, add_service

KEY = "race0000000000000000000000000002"


class ResolvedMeanwhile(SqlIncidentStore):
    """Its first read of an incident returns it as it was, then bob resolves it through
    another store (another connection) before the caller acts on what it read."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self._other = SqlIncidentStore(engine)
        self.raced = False

    def get(self, ref: str) -> dict[str, Any] | None:
        found = super().get(ref)
        if found is not None and not self.raced:
            self.raced = True
            self._other.set_status(
                found["id"], Status.RESOLVED, by="bob", at=T0, message="resolved by bob"
            )
        return found


@pytest.fixture
def opened(engine: Engine) -> Engine:
    """Incident #1, triggered, with one triggered alert."""
    add_service(engine, "raced", keys={"events": KEY})
    event = Event("events-v2", KEY, Action.TRIGGER, "disk", "Disk full", "db-1", Severity.ERROR)
    [result] = SqlIngestStore(engine).apply_batch([[event]], T0)
    assert result.accepted
    return engine


def timeline(engine: Engine) -> list[tuple[str, str | None, str]]:
    le = t.log_entries
    with engine.connect() as conn:
        rows = conn.execute(select(le.c.kind, le.c.actor, le.c.message).order_by(le.c.id)).all()
    return [(r.kind, r.actor, r.message) for r in rows if r.kind in ("acknowledged", "resolved")]


def test_an_acknowledge_overtaken_by_a_resolve_is_not_on_the_timeline(opened: Engine) -> None:
    store = ResolvedMeanwhile(opened)
    after = incidents.acknowledge(store=store, clock=FakeClock(), ref="1", by="alice")
    assert store.raced
    assert after["status"] == "resolved"
    assert after["acknowledged_by"] is None
    assert after["resolved_by"] == "bob"
    assert timeline(opened) == [("resolved", "bob", "resolved by bob")]
    with opened.connect() as conn:
        alerts = conn.execute(select(t.alerts.c.status, t.alerts.c.acknowledged_at)).all()
    assert [(a.status, a.acknowledged_at) for a in alerts] == [("resolved", None)]


def test_a_resolve_overtaken_by_a_resolve_is_on_the_timeline_once(opened: Engine) -> None:
    store = ResolvedMeanwhile(opened)
    after = incidents.resolve(store=store, clock=FakeClock(), ref="1", by="alice")
    assert store.raced
    assert after["status"] == "resolved"
    assert after["resolved_by"] == "bob"
    assert timeline(opened) == [("resolved", "bob", "resolved by bob")]


def test_an_acknowledge_that_wins_is_on_the_timeline(opened: Engine) -> None:
    store = SqlIncidentStore(opened)
    after = incidents.acknowledge(store=store, clock=FakeClock(), ref="1", by="alice")
    assert after["status"] == "acknowledged"
    assert after["acknowledged_by"] == "alice"
    assert timeline(opened) == [("acknowledged", "alice", "acknowledged by alice")]
