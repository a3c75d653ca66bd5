"""Database engines: SQLite in WAL mode with full durability, or PostgreSQL."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import ConnectionPoolEntry

READ_ONLY = "ownit_read_only"


def read_only(engine: Engine) -> Engine:
    """The same engine for readers: on SQLite its transactions do not take the write lock,
    so a reader inside a writer's transaction (the engine resolving a schedule while it holds
    an incident) cannot wait for itself."""
    return engine.execution_options(**{READ_ONLY: True})


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, *, pool_size: int = 8) -> Engine:
    """An engine for ``url``; SQLite connections take the write lock when a transaction begins.

    SQLite: WAL journal, ``synchronous=FULL`` (a commit survives power loss), foreign keys
    on, a generous busy timeout, and ``BEGIN IMMEDIATE`` so that a read-then-write
    transaction never fails half-way on a lock upgrade.
    """
    if is_sqlite(url):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=pool_size,
            max_overflow=pool_size,
            json_serializer=_json_dumps,
            json_deserializer=orjson.loads,
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Any) -> None:
            if connection.get_execution_options().get(READ_ONLY):
                connection.exec_driver_sql("BEGIN")  # a reader never waits for the writer
            else:
                connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
    )
