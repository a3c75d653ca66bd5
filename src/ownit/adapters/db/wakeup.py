"""Wake the engine when new work is committed, instead of waiting for its next poll.

- **PostgreSQL**: the writer sends ``NOTIFY ownit_work`` inside its transaction (PostgreSQL
  delivers it at commit, never for a rolled-back batch); every engine ``LISTEN``\\s on a
  connection of its own, so engines on other hosts wake too.
- **SQLite** (one host): a UNIX datagram socket beside the database file, the *doorbell*
  (``<database>.wake``). The engine binds it; a writer sends one byte after its commit. A
  missing engine, a full buffer or a path too long for a socket only means no ring: the
  engine's poll (``OWNIT_ENGINE_INTERVAL``) still finds the work.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import logging
import os
import select
import socket
from pathlib import Path

import psycopg
from sqlalchemy import Connection, Engine

log = logging.getLogger("ownit.worker")

CHANNEL = "ownit_work"
_MAX_SOCKET_PATH = 100  # sun_path holds 108 bytes on Linux; keep a margin


def doorbell_path(engine: Engine) -> Path | None:
    """The doorbell of a file SQLite database (``None`` for memory, PostgreSQL, or a path
    too long for a UNIX socket)."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if not database or database == ":memory:":
        return None
    path = Path(database).resolve().with_name(Path(database).name + ".wake")
    return path if len(os.fsencode(path)) <= _MAX_SOCKET_PATH else None


class WorkBell:
    """The writers' side: ``within`` inside the transaction, ``rung`` after its commit."""

    def __init__(self, engine: Engine) -> None:
        self._postgres = engine.dialect.name == "postgresql"
        self._path = doorbell_path(engine)
        self._address = str(self._path)

    def within(self, conn: Connection) -> None:
        """Announce new work in this transaction (PostgreSQL delivers it at commit)."""
        if self._postgres:
            conn.exec_driver_sql(f"NOTIFY {CHANNEL}")

    def rung(self) -> None:
        """After the commit: ring the local doorbell (SQLite); never fails."""
        if self._path is None:
            return
        with contextlib.suppress(OSError):  # no engine listening, or its buffer is full
            _sender().sendto(b"!", self._address)


@functools.cache
def _sender() -> socket.socket:
    """One unbound datagram socket for every ring of the process, kept open for its life (a
    datagram holds no connection, and sends from several threads do not mix) and closed at
    exit: a ring costs one system call, not three."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.setblocking(False)
    atexit.register(sock.close)
    return sock


class SocketDoorbell:
    """The engine's side on SQLite: waits on the datagram socket beside the database."""

    def __init__(self, path: Path) -> None:
        self._path = path
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # left by an engine that did not stop cleanly
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind(str(path))
        self._sock.setblocking(False)

    def wait(self, timeout: float) -> bool:
        """Until rung (True) or ``timeout`` seconds passed (False); rings are drained."""
        ready, _, _ = select.select([self._sock], [], [], timeout)
        if not ready:
            return False
        with contextlib.suppress(BlockingIOError):
            while self._sock.recv(64):
                pass
        return True

    def close(self) -> None:
        self._sock.close()
        with contextlib.suppress(FileNotFoundError):
            self._path.unlink()


class PgListener:
    """The engine's side on PostgreSQL: ``LISTEN ownit_work`` on a connection of its own,
    opened again after a loss (meanwhile it just waits the timeout: the poll)."""

    def __init__(self, engine: Engine) -> None:
        url = engine.url.set(drivername="postgresql")
        self._conninfo = url.render_as_string(hide_password=False)
        self._conn: psycopg.Connection[tuple[object, ...]] | None = None

    def _connection(self) -> psycopg.Connection[tuple[object, ...]] | None:
        if self._conn is None or self._conn.closed:
            try:
                self._conn = psycopg.connect(self._conninfo, autocommit=True)
                self._conn.execute(f"LISTEN {CHANNEL}")
            except psycopg.Error as exc:
                log.warning("cannot listen for new work (%s); polling meanwhile", exc)
                self._conn = None
        return self._conn

    def wait(self, timeout: float) -> bool:
        conn = self._connection()
        if conn is None:
            select.select([], [], [], timeout)
            return False
        try:
            got = any(True for _ in conn.notifies(timeout=timeout, stop_after=1))
            if got:  # drain what else is queued: one wake-up covers it all
                for _ in conn.notifies(timeout=0.001):
                    pass
            return got
        except psycopg.Error as exc:
            log.warning("lost the listening connection (%s); polling meanwhile", exc)
            with contextlib.suppress(psycopg.Error):
                conn.close()
            self._conn = None
            return False

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
            self._conn = None


def listener_for(engine: Engine) -> SocketDoorbell | PgListener | None:
    """How an engine on ``engine`` is woken; ``None``: it only polls."""
    if engine.dialect.name == "postgresql":
        return PgListener(engine)
    path = doorbell_path(engine)
    if path is None:
        return None
    try:
        return SocketDoorbell(path)
    except OSError as exc:
        log.warning("no doorbell at %s (%s); the engine polls", path, exc)
        return None
