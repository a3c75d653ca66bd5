"""Two servers race for the same open-alert slot (PostgreSQL): the loser redoes its batch."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Connection, Engine, select

from ownit.adapters.db import tables as t
from ownit.adapters.db.engine import make_engine
from ownit.adapters.db.ingest_store import SqlIngestStore
from ownit.adapters.db.migrate import upgrade
from ownit.domain.events import Action, Event, Severity
from ownit.domain.ingest.dedup import BatchPlan
from tests.builders import T0, add_service

KEY = "race0000000000000000000000000001"


def trigger(dedup: str) -> list[Event]:
    return [Event("events-v2", KEY, Action.TRIGGER, dedup, "s", "src", Severity.ERROR)]


class Interrupted(SqlIngestStore):
    """Lets another server commit an alert for the same key between our read and write."""

    def __init__(self, engine: Engine, other: SqlIngestStore) -> None:
        super().__init__(engine)
        self.other = other
        self.raced = False

    def _write(
        self, conn: Connection, plan: BatchPlan, auto_resolve: Mapping[int, timedelta]
    ) -> None:
        if not self.raced:
            self.raced = True
            self.other.apply_batch([trigger("same")], T0)
        super()._write(conn, plan, auto_resolve)


@pytest.fixture
def pg_engine(pg_database_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def test_a_lost_race_is_redone_as_a_repeat(pg_engine: Engine) -> None:
    add_service(pg_engine, "raced", keys={"events": KEY})
    store = Interrupted(pg_engine, SqlIngestStore(pg_engine))
    [result] = store.apply_batch([trigger("same")], datetime.now(T0.tzinfo))
    assert store.raced
    assert result.accepted
    assert result.outcomes == ("repeated",)
    with pg_engine.connect() as conn:
        alerts = conn.execute(select(t.alerts.c.status, t.alerts.c.repeat_count)).all()
        incidents = conn.execute(select(t.incidents.c.number)).scalars().all()
    assert [(a.status, a.repeat_count) for a in alerts] == [("triggered", 1)]
    assert incidents == [1]
