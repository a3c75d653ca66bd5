"""Acknowledging, resolving, merging and splitting wake the engine at once (the doorbell on
SQLite, NOTIFY on PostgreSQL), as a new incident does: the engine stops escalating or pages
without waiting for its next poll."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from ownit.adapters.db import tables as t
from ownit.adapters.db.incident_store import SqlIncidentStore
from ownit.adapters.db.ingest_store import SqlIngestStore
from ownit.adapters.db.wakeup import listener_for
from ownit.domain.incidents import Status
from tests.builders import FakeClock
from tests.integration.test_fair_claims import CALM_KEY, _apply_catalog, _trigger

Response = Callable[[SqlIncidentStore, list[str], FakeClock], object]


def _ack(store: SqlIncidentStore, ids: list[str], clock: FakeClock) -> object:
    return store.set_status(ids[0], Status.ACKNOWLEDGED, by="alice", at=clock.now(), message="")


def _resolve(store: SqlIncidentStore, ids: list[str], clock: FakeClock) -> object:
    return store.set_status(ids[0], Status.RESOLVED, by="alice", at=clock.now(), message="")


def _merge(store: SqlIncidentStore, ids: list[str], clock: FakeClock) -> object:
    return store.merge(ids[0], [ids[1]], by="alice", at=clock.now())


def _split(store: SqlIncidentStore, ids: list[str], clock: FakeClock) -> object:
    alerts = [a["id"] for a in store.alerts(ids[0])]
    return store.split(ids[0], alerts[:1], by="alice", at=clock.now())


def _two_incidents(engine: Engine, tmp_path: Path, clock: FakeClock) -> list[str]:
    _apply_catalog(engine, tmp_path, clock)
    ingest = SqlIngestStore(engine)  # no bell: only the responses below may ring
    ingest.apply_batch([_trigger(CALM_KEY, "first"), _trigger(CALM_KEY, "second")], clock.now())
    with engine.connect() as conn:
        return [
            str(i)
            for i in conn.execute(select(t.incidents.c.id).order_by(t.incidents.c.number)).scalars()
        ]


@pytest.mark.parametrize(
    "respond", [_ack, _resolve, _merge, _split], ids=["acknowledge", "resolve", "merge", "split"]
)
def test_a_response_rings_the_engine(engine: Engine, tmp_path: Path, respond: Response) -> None:
    clock = FakeClock()
    ids = _two_incidents(engine, tmp_path, clock)
    assert len(ids) == 2, ids
    listener = listener_for(engine)
    assert listener is not None
    try:
        listener.wait(0.05)  # drain anything from the set-up
        store = SqlIncidentStore(engine)
        woke: list[bool] = []
        waiter = threading.Thread(target=lambda: woke.append(listener.wait(10)))
        waiter.start()
        respond(store, ids, clock)
        waiter.join(10)
        assert woke == [True]
    finally:
        listener.close()


def test_an_acknowledgement_that_changes_nothing_does_not_ring(
    engine: Engine, tmp_path: Path
) -> None:
    clock = FakeClock()
    ids = _two_incidents(engine, tmp_path, clock)
    store = SqlIncidentStore(engine)
    _ack(store, ids, clock)
    listener = listener_for(engine)
    assert listener is not None
    try:
        listener.wait(0.05)
        _ack(store, ids, clock)  # already acknowledged: nothing written, nothing to do
        # Checked on SQLite only: PostgreSQL's channel is database-wide, shared by other tests.
        if engine.dialect.name == "sqlite":
            assert listener.wait(0.2) is False
    finally:
        listener.close()
