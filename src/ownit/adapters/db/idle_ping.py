"""PostgreSQL connections pinged when they come out of the pool after a pause, not every time.

SQLAlchemy's ``pool_pre_ping`` sends ``SELECT 1`` on every checkout, so that a connection the
server dropped (a restart, an idle timeout, a failover) is replaced before anyone uses it.
That is a round trip before every transaction: one of the five an ingest batch makes, and
about a tenth of a delivery's time (decision 0070). A connection that came back to the pool
less than :data:`PING_AFTER_IDLE_S` ago answered its last statement a moment ago; the ping
is kept for connections that sat idle longer, where a dropped connection is likely. A
connection lost in that window fails the one transaction that finds it (the pool is then
emptied, as on any disconnect, and the next checkout connects afresh): an ingest batch is
answered 503 and its sender sends the events again; nothing accepted is lost.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

PING_AFTER_IDLE_S = 1.0
_RETURNED = "ownit_returned_at"


def ping_when_idle(engine: Engine) -> None:
    """Ping ``engine``'s connections at checkout only after :data:`PING_AFTER_IDLE_S` idle
    (the engine is made without ``pool_pre_ping``); a failed ping replaces the connection."""

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[_RETURNED] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection: Any, record: ConnectionPoolEntry, _: PoolProxiedConnection) -> None:
        returned = record.info.get(_RETURNED)
        if returned is not None and time.monotonic() - returned < PING_AFTER_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            # The pool drops this connection and checks out another (a fresh one if need be).
            raise DisconnectionError("the connection did not answer its ping") from exc
