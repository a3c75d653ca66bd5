"""The engine's reads never wait for a writer (decision 0071): the delivery contexts read
while another transaction holds the write lock (SQLite) or an exclusive lock on the tables
(PostgreSQL), and a delivery claim picks from candidates read before its write transaction,
skipping a row another engine took meanwhile."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, select, text, update

from ownit.adapters.db import tables as t
from ownit.adapters.db.claim_candidates import CANDIDATES, oldest_window
from ownit.adapters.db.ingest_store import SqlIngestStore
from ownit.adapters.db.work_store import SqlWorkStore
from ownit.app.delivery import DeliveryContext
from tests.builders import FakeClock
from tests.integration.test_fair_claims import CALM_KEY, _apply_catalog, _trigger

LEASE = timedelta(minutes=2)


@contextmanager
def writer_holding_the_lock(engine: Engine) -> Iterator[None]:
    """Another transaction that holds what a writer would wait for, until the block ends."""
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        assert database is not None
        other = sqlite3.connect(database, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # SQLite's one write lock
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()
        return
    other_engine = create_engine(engine.url)
    try:
        with other_engine.begin() as conn:
            tables = "incidents, users, teams, notifications"
            conn.execute(text(f"LOCK TABLE {tables} IN EXCLUSIVE MODE"))
            yield
    finally:
        other_engine.dispose()


def _paged(engine: Engine, tmp_path: Path, clock: FakeClock, dedup: str = "first") -> None:
    """One incident on ``calm`` and its first page waiting in the outbox for alice."""
    _apply_catalog(engine, tmp_path, clock)
    SqlIngestStore(engine).apply_batch([_trigger(CALM_KEY, dedup)], clock.now())
    with engine.begin() as conn:
        incident = conn.execute(select(t.incidents.c.id)).scalar_one()
        conn.execute(
            t.notifications.insert().values(
                incident_id=incident,
                user_name="alice",
                contact="hook",
                channel="webhook",
                event_type="incident.triggered",
                idempotency_key=f"page-{incident}",
                status="pending",
                due_at=clock.now(),
                attempts=0,
                created_at=clock.now(),
                data={"level": 1, "loop": 0, "paged_at": clock.now().isoformat()},
            )
        )


def test_delivery_contexts_are_read_while_a_writer_holds_the_lock(
    engine: Engine, tmp_path: Path
) -> None:
    clock = FakeClock()
    _paged(engine, tmp_path, clock)
    store = SqlWorkStore(engine)
    [claimed] = store.claim(clock.now(), 10, LEASE)
    found: list[DeliveryContext | None] = []
    with writer_holding_the_lock(engine):
        reader = threading.Thread(target=lambda: found.extend(store.contexts([claimed])))
        reader.start()
        reader.join(timeout=5)  # a writer would wait for the lock (30 s on SQLite)
        assert not reader.is_alive(), "the delivery contexts waited for the write lock"
    [context] = found
    assert context is not None
    assert context.incident["service"] == "calm"
    assert context.contact is not None
    assert (context.contact["name"], context.contact["url"]) == (
        "hook",
        "http://127.0.0.1:9/alice",
    )


def test_a_claim_skips_a_row_taken_since_its_candidates_were_read(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    _paged(engine, tmp_path, clock)
    store = SqlWorkStore(engine)
    read = store._reader

    class TakenMeanwhile:
        """The read-only engine, but another engine claims the row right after the read."""

        def connect(self) -> object:
            @contextmanager
            def connection() -> Iterator[object]:
                with read.connect() as conn:
                    yield conn
                with engine.begin() as conn:
                    conn.execute(update(t.notifications).values(status="sending"))

            return connection()

    monkeypatch.setattr(store, "_reader", TakenMeanwhile())
    assert store.claim(clock.now(), 10, LEASE) == []  # picked, but no longer pending
    monkeypatch.undo()
    with engine.connect() as conn:  # and this claim left the row as the other engine set it
        assert conn.execute(select(t.notifications.c.attempts)).scalar_one() == 0


@pytest.mark.parametrize(
    ("limit", "oldest"), [(1, 4), (4, 16), (8, 32), (16, 64), (64, 256), (500, 256)]
)
def test_a_claim_reads_a_few_times_its_size_of_the_oldest_rows(limit: int, oldest: int) -> None:
    assert oldest_window(limit) == oldest
    assert oldest_window(limit) <= CANDIDATES
