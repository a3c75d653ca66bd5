"""An ingest batch's round trips to PostgreSQL (decision 0069), and what they still write.

Round trips are counted in libpq's own protocol trace: each time the client, having sent
messages, reads the server's answer. Every round trip is time the batch's transaction stays
open while the server waits; once the batch has reserved incident numbers, its
organisation's row is locked too, and every other batch opening an incident waits for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from psycopg import pq
from sqlalchemy import Engine, event, select

from ownit.adapters.db import tables as t
from ownit.adapters.db.engine import make_engine
from ownit.adapters.db.ingest_store import SqlIngestStore
from ownit.adapters.db.migrate import upgrade
from ownit.adapters.db.wakeup import WorkBell
from ownit.domain.events import Action, Event, Severity
from tests.builders import T0, add_service

KEY = "trip0000000000000000000000000001"


def event_(action: Action, dedup: str) -> list[Event]:
    return [Event("events-v2", KEY, action, dedup, f"s {dedup}", "src", Severity.ERROR)]


class Traced:
    """libpq's trace of the one pooled connection, cut into flights: the messages the client
    sent before reading an answer, each with the answer's messages."""

    def __init__(self, engine: Engine, path: Path) -> None:
        self._path = path
        self._files: list[Any] = []
        self._seen = 0

        @event.listens_for(engine, "connect")
        def _trace(dbapi_connection: Any, _record: Any) -> None:
            handle = path.open("a")
            self._files.append(handle)
            dbapi_connection.pgconn.trace(handle.fileno())
            dbapi_connection.pgconn.set_trace_flags(
                pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE
            )

    def close(self) -> None:
        """After the connections are closed: close the trace files."""
        for handle in self._files:
            handle.close()

    def flights(self) -> list[tuple[str, str]]:
        """(what the client sent, what the server answered) since the last call."""
        for handle in self._files:
            handle.flush()
        lines = self._path.read_text().splitlines()[self._seen :]
        self._seen += len(lines)
        flights: list[tuple[list[str], list[str]]] = []
        for line in lines:
            side = line[:1]
            if side == "F" and (not flights or flights[-1][1]):
                flights.append(([], []))
            if side in ("F", "B") and flights:
                flights[-1][0 if side == "F" else 1].append(line)
        return [("\n".join(sent), "\n".join(answer)) for sent, answer in flights]


@pytest.fixture
def traced(pg_database_url: str, tmp_path: Path) -> Iterator[tuple[Engine, Traced]]:
    engine = make_engine(pg_database_url, pool_size=1)
    upgrade(engine)
    add_service(engine, "tripped", keys={"events": KEY})
    trace = Traced(engine, tmp_path / "libpq.trace")
    engine.dispose()  # connections from here on are traced
    yield engine, trace
    engine.dispose()
    trace.close()


def test_a_batch_opening_incidents_takes_two_round_trips(
    traced: tuple[Engine, Traced],
) -> None:
    engine, trace = traced
    store = SqlIngestStore(engine, bell=WorkBell(engine))
    store.apply_batch([event_(Action.TRIGGER, "warm")], T0)
    trace.flights()
    store.apply_batch([event_(Action.TRIGGER, f"d{n}") for n in range(4)], T0)
    flights = trace.flights()
    sent = [s for s, _ in flights]
    # BEGIN with the integration and its service (read again: the batch was planned on
    # what the last batch read, decision 0080), the open alerts and the maintenance
    # windows; then everything written with the NOTIFY and the COMMIT. (No ping: the
    # connection was back from the last batch a moment ago, decision 0070. No BEGIN alone:
    # the connection is in autocommit and the store sends it with the first reads.)
    assert len(flights) == 2, sent
    assert '"BEGIN"' in sent[0]
    assert "FROM integrations" in sent[0]
    assert "maintenance_windows" in sent[0]
    assert "FROM alerts" in sent[0]
    assert "UPDATE organisations" in sent[-1]
    assert "NOTIFY ownit_work" in sent[-1]
    assert '"COMMIT"' in sent[-1]
    # The organisation's row is locked in the last round trip only.
    assert not any("UPDATE organisations" in s for s in sent[:-1])


def test_a_key_no_batch_has_read_yet_takes_a_round_trip_more(
    traced: tuple[Engine, Traced],
) -> None:
    engine, trace = traced
    SqlIngestStore(engine).apply_batch([event_(Action.TRIGGER, "first")], T0)
    # (The pool's ping of a connection taken for the first time aside.)
    sent = [s for s, _ in trace.flights() if 'Query\t ";"' not in s]
    assert len(sent) == 3, sent  # the sources first, then what they need, then the writes
    assert "FROM integrations" in sent[0]
    assert "FROM integrations" not in sent[1]
    assert "FROM alerts" in sent[1]


def test_a_resolving_batch_locks_its_incident_and_reads_again_in_one_round_trip(
    traced: tuple[Engine, Traced],
) -> None:
    engine, trace = traced
    store = SqlIngestStore(engine)
    store.apply_batch([event_(Action.TRIGGER, "a")], T0)
    trace.flights()
    [result] = store.apply_batch([event_(Action.RESOLVE, "a")], T0)
    assert result.outcomes == ("resolved",)
    sent = [s for s, _ in trace.flights()]
    [locked] = [s for s in sent if "FOR UPDATE" in s]
    assert "FROM alerts" in locked
    assert "maintenance_windows" in locked
    assert len(sent) == 3, sent  # BEGIN, the sources and reads; locked reads; writes


def test_no_incident_opened_no_number_reserved(traced: tuple[Engine, Traced]) -> None:
    engine, trace = traced
    store = SqlIngestStore(engine)
    store.apply_batch([event_(Action.TRIGGER, "a")], T0)
    trace.flights()
    [result] = store.apply_batch([event_(Action.TRIGGER, "a")], T0)
    assert result.outcomes == ("repeated",)
    assert not any("organisations" in s for s, _ in trace.flights())


def test_new_incidents_are_numbered_in_batch_order_across_batches(engine: Engine) -> None:
    add_service(engine, "numbered", keys={"events": KEY})
    store = SqlIngestStore(engine)
    store.apply_batch([event_(Action.TRIGGER, f"a{n}") for n in range(3)], T0)
    store.apply_batch([event_(Action.TRIGGER, "a1")], T0)  # a repeat: no number taken
    store.apply_batch([event_(Action.TRIGGER, f"b{n}") for n in range(2)], T0)
    with engine.connect() as conn:
        numbers = conn.execute(
            select(t.incidents.c.dedup_key, t.incidents.c.number).order_by(t.incidents.c.number)
        ).all()
        [seq] = conn.execute(select(t.organisations.c.incident_seq)).scalars().all()
    assert [tuple(row) for row in numbers] == [
        ("a0", 1),
        ("a1", 2),
        ("a2", 3),
        ("b0", 4),
        ("b1", 5),
    ]
    assert seq == 5


def test_a_failed_write_commits_nothing(pg_database_url: str) -> None:
    """The COMMIT rides in the writes' pipeline: when a write fails, none of it stays, and
    the connection (the pool's only one) is rolled back for the next batch."""
    engine = make_engine(pg_database_url, pool_size=1)
    upgrade(engine)
    add_service(engine, "failing", keys={"events": KEY})
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'refused'; END $$ LANGUAGE plpgsql"
        )
        conn.exec_driver_sql(
            "CREATE TRIGGER refuse BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION refuse()"
        )
    try:
        with pytest.raises(Exception, match="refused"):
            SqlIngestStore(engine).apply_batch([event_(Action.TRIGGER, "x")], T0)
        with engine.connect() as conn:
            assert conn.execute(select(t.incidents.c.id)).all() == []
            assert conn.execute(select(t.organisations.c.incident_seq)).scalar_one() == 0
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TRIGGER refuse ON events")
        [result] = SqlIngestStore(engine).apply_batch([event_(Action.TRIGGER, "y")], T0)
        assert result.outcomes == ("new alert",)
        with engine.connect() as conn:
            assert conn.execute(select(t.incidents.c.dedup_key)).scalars().all() == ["y"]
    finally:
        engine.dispose()
