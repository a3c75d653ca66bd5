"""The last two open alerts of a grouped incident resolved at once by two servers
(PostgreSQL): the incident resolves exactly once (decision 0022; was decision 0012's known
limit: it stayed open with no open alert)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select, update

from ownit.adapters.db import tables as t
from ownit.adapters.db.engine import make_engine
from ownit.adapters.db.ingest_reads import Found
from ownit.adapters.db.ingest_store import SqlIngestStore
from ownit.adapters.db.migrate import upgrade
from ownit.domain.events import Action, Event, Severity
from tests.builders import T0, add_service

KEY = "group000000000000000000000000009"


def event(action: Action, dedup: str) -> list[Event]:
    return [
        Event(
            "events-v2",
            KEY,
            action,
            dedup,
            f"disk {dedup}",
            "db",
            Severity.ERROR,
            custom_details={"alertname": "DiskFull"},
        )
    ]


@pytest.fixture
def pg_engine(pg_database_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_database_url)
    upgrade(engine)
    add_service(engine, "grouped", keys={"events": KEY})
    with engine.begin() as conn:
        conn.execute(
            update(t.services).values(
                spec={"urgency": "severity", "grouping": {"by": ["alertname"]}}
            )
        )
    yield engine
    engine.dispose()


def open_grouped(engine: Engine, round_: int) -> str:
    """One incident holding two open alerts, ``a<round>`` and ``b<round>``."""
    store = SqlIngestStore(engine)
    at = T0 + timedelta(minutes=round_)
    store.apply_batch(
        [event(Action.TRIGGER, f"a{round_}"), event(Action.TRIGGER, f"b{round_}")], at
    )
    with engine.connect() as conn:
        [(incident_id, count)] = conn.execute(
            select(t.alerts.c.incident_id, func.count())
            .where(t.alerts.c.dedup_key.in_([f"a{round_}", f"b{round_}"]))
            .group_by(t.alerts.c.incident_id)
        ).all()
    assert count == 2
    return str(incident_id)


def outcome(engine: Engine, incident_id: str) -> tuple[str, int, int]:
    """The incident's status, its open alerts and its "resolved" timeline entries."""
    with engine.connect() as conn:
        status = conn.execute(
            select(t.incidents.c.status).where(t.incidents.c.id == incident_id)
        ).scalar_one()
        still_open = conn.execute(
            select(func.count())
            .select_from(t.alerts)
            .where(t.alerts.c.incident_id == incident_id, t.alerts.c.status != "resolved")
        ).scalar_one()
        resolved = conn.execute(
            select(func.count())
            .select_from(t.log_entries)
            .where(
                t.log_entries.c.incident_id == incident_id,
                t.log_entries.c.kind == "resolved",
            )
        ).scalar_one()
    return status, still_open, resolved


class Overtaken(SqlIngestStore):
    """Between reading the open alerts and taking the incident, the other server resolves
    the incident's other alert and commits: the interleaving that left it open."""

    def __init__(self, engine: Engine, other: list[Event]) -> None:
        super().__init__(engine)
        self.other = other
        self.raced = False

    def _lock_incidents(self, incident_ids: set[str], read: Callable[..., Found]) -> Found:
        if not self.raced:
            self.raced = True
            SqlIngestStore(self._engine).apply_batch([self.other], T0 + timedelta(hours=1))
        return super()._lock_incidents(incident_ids, read)


def test_the_interleaving_that_left_it_open_now_resolves_it_once(pg_engine: Engine) -> None:
    incident_id = open_grouped(pg_engine, 0)
    store = Overtaken(pg_engine, event(Action.RESOLVE, "b0"))
    [result] = store.apply_batch([event(Action.RESOLVE, "a0")], T0 + timedelta(hours=1))
    assert store.raced
    assert result.outcomes == ("resolved",)
    assert outcome(pg_engine, incident_id) == ("resolved", 0, 1)


def test_two_servers_resolving_the_last_two_alerts_at_once(pg_engine: Engine) -> None:
    """Threads on separate connections, released together, twelve times over."""
    for round_ in range(12):
        incident_id = open_grouped(pg_engine, round_)
        start = threading.Barrier(2)
        errors: list[BaseException] = []

        def close(
            dedup: str, start: threading.Barrier = start, errors: list[BaseException] = errors
        ) -> None:
            store = SqlIngestStore(pg_engine)
            start.wait()
            try:
                store.apply_batch([event(Action.RESOLVE, dedup)], T0 + timedelta(hours=1))
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=close, args=(f"{x}{round_}",)) for x in "ab"]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert outcome(pg_engine, incident_id) == ("resolved", 0, 1), f"round {round_}"


def test_resolving_the_same_alert_twice_at_once_resolves_the_incident_once(
    pg_engine: Engine,
) -> None:
    with pg_engine.begin() as conn:
        conn.execute(update(t.services).values(spec={"urgency": "severity"}))
    SqlIngestStore(pg_engine).apply_batch([event(Action.TRIGGER, "solo")], T0)
    with pg_engine.connect() as conn:
        incident_id = conn.execute(select(t.incidents.c.id)).scalar_one()
    store = Overtaken(pg_engine, event(Action.RESOLVE, "solo"))
    [result] = store.apply_batch([event(Action.RESOLVE, "solo")], T0 + timedelta(hours=1))
    assert result.outcomes == ("dropped: no open alert with this dedup key",)
    assert outcome(pg_engine, incident_id) == ("resolved", 0, 1)
