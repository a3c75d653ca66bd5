"""PostgreSQL connections are pinged at checkout only after a pause (decision 0070): a
connection back from a transaction a moment ago goes straight to work; one the server
dropped while it sat idle is replaced before anyone uses it. PostgreSQL only: SQLite has no
server to drop a connection."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

from ownit.adapters.db import idle_ping
from ownit.adapters.db.engine import make_engine


@pytest.fixture
def pg(pg_database_url: str) -> Iterator[tuple[Engine, list[int]]]:
    """A one-connection engine and the pings it sent."""
    engine = make_engine(pg_database_url, pool_size=1)
    pings: list[int] = []
    ping = engine.dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        pings.append(1)
        return ping(dbapi_connection)

    engine.dialect.do_ping = counted  # type: ignore[method-assign]
    yield engine, pings
    engine.dispose()


def _backend(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _drop(pg_database_url: str, pid: int) -> None:
    """The server ends that connection (as a restart or an idle timeout would)."""
    admin = create_engine(pg_database_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        admin.dispose()


@pytest.mark.parametrize(
    ("idle_s", "pinged"),
    [
        (60.0, [1]),  # the fresh connection once, then busy: never again
        (0.0, [1, 1, 1, 1]),  # every checkout after any pause: as pool_pre_ping did
    ],
)
def test_a_connection_is_pinged_only_after_a_pause(
    pg: tuple[Engine, list[int]], monkeypatch: pytest.MonkeyPatch, idle_s: float, pinged: list[int]
) -> None:
    engine, pings = pg
    monkeypatch.setattr(idle_ping, "PING_AFTER_IDLE_S", idle_s)
    pids = {_backend(engine) for _ in range(4)}
    assert len(pids) == 1  # one connection, reused
    assert pings == pinged


def test_a_connection_dropped_while_idle_is_replaced_unseen(
    pg: tuple[Engine, list[int]], pg_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, _ = pg
    before = _backend(engine)
    _drop(pg_database_url, before)
    monkeypatch.setattr(idle_ping, "PING_AFTER_IDLE_S", 0.0)  # it has sat idle long enough
    assert _backend(engine) != before  # no error: the ping found it gone, a new one answered


def test_without_the_ping_the_dropped_connection_fails_once_then_is_replaced(
    pg: tuple[Engine, list[int]], pg_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the window without a ping costs: the one transaction that finds the connection
    gone fails (a batch answered 503, sent again), the next one connects afresh."""
    engine, _ = pg
    before = _backend(engine)
    _drop(pg_database_url, before)
    monkeypatch.setattr(idle_ping, "PING_AFTER_IDLE_S", 60.0)  # used a moment ago
    with pytest.raises(OperationalError):
        _backend(engine)
    assert _backend(engine) != before
