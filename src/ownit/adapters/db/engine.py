"""Database engines: SQLite in WAL mode with full durability, or PostgreSQL."""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import threading
import time
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import ConnectionPoolEntry

from ownit.adapters.db.idle_ping import ping_when_idle

READ_ONLY = "ownit_read_only"
INGEST_WRITER = "ownit_ingest_writer"
BEHIND_INGEST = "ownit_behind_ingest"


def read_only(engine: Engine) -> Engine:
    """The same engine for readers: on SQLite its transactions do not take the write lock,
    so a reader inside a writer's transaction (the engine resolving a schedule while it holds
    an incident) cannot wait for itself."""
    return engine.execution_options(**{READ_ONLY: True})


def ingest_writer(engine: Engine) -> Engine:
    """The same engine for the ingest writer. On a SQLite file its transactions are first in
    line for the write lock (the escalation engine's writers, :func:`behind_ingest`, let a
    waiting one go first, for up to :data:`YIELD_TO_FIRST_S`), and its commits return
    before they are on disk: the caller makes them durable with :meth:`WriteAheadLog.sync`
    (off the writer's thread, while the next batch is written) before it answers anyone."""
    return engine.execution_options(**{INGEST_WRITER: True})


def behind_ingest(engine: Engine) -> Engine:
    """The same engine for the escalation engine's process: on a SQLite file, its writers let
    a waiting ingest writer go first, for up to :data:`YIELD_TO_FIRST_S` a transaction
    (counted from when the lock first comes free), then take their turn. (Pages and the
    API's own writers queue as before: not behind ingest.)"""
    return engine.execution_options(**{BEHIND_INGEST: True})


WRITE_LOCK_WAIT_S = 30.0  # then BEGIN IMMEDIATE's own busy timeout takes over
LOCK_POLL_S = 0.0005
YIELD_TO_FIRST_S = 0.05
"""How long another writer lets a waiting ingest writer go first before it takes its turn."""


def _poll(fd: int, kind: int, deadline: float) -> bool:
    """Take ``flock`` ``kind`` on ``fd``, trying every :data:`LOCK_POLL_S` until ``deadline``."""
    while True:
        try:
            fcntl.flock(fd, kind | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() > deadline:
                return False
            time.sleep(LOCK_POLL_S)


def _is_locked(fd: int) -> bool:
    """Whether another open file holds a lock on ``fd``'s file (a writer waiting first in line)."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    fcntl.flock(fd, fcntl.LOCK_UN)
    return False


class WriteAheadLog:
    """The write-ahead log of one SQLite file: how many commits have been written to it, and
    how many of those are known to be on disk.

    Connections run with ``synchronous=NORMAL`` (a commit appends to the log without waiting
    for the disk) and make their commits durable themselves, with an ``fsync`` of the log
    *after* they release the write lock: the next writer works while the disk flushes. One
    ``fsync`` covers every commit written before it began, so concurrent waiters share it."""

    def __init__(self, database: str) -> None:
        self.path = database + "-wal"
        self._count_lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._written = 0
        self._synced = 0

    @classmethod
    def of(cls, database: str) -> WriteAheadLog:
        """The one instance for the file ``database`` in this process, however it is named
        (the driver opens a URL's relative path as an absolute one)."""
        path = os.path.abspath(database)
        with _LOGS_LOCK:
            return _LOGS.setdefault(path, cls(path))

    def written(self) -> int:
        """Count one more commit written to the log; returns the count (a mark for :meth:`sync`)."""
        with self._count_lock:
            self._written += 1
            return self._written

    def mark(self) -> int:
        """The commits written so far: :meth:`sync` of this mark makes all of them durable."""
        with self._count_lock:
            return self._written

    def sync(self, mark: int) -> None:
        """Return once every commit up to ``mark`` is on disk (one ``fsync`` at most)."""
        with self._sync_lock:
            if self._synced >= mark:
                return  # another waiter's fsync began after these commits: they are on disk
            with self._count_lock:
                target = self._written  # all written before the fsync begins: it covers them
            try:
                fd = os.open(self.path, os.O_RDONLY)
            except FileNotFoundError:  # the last connection closed: checkpointed, log gone
                fd = os.open(self.path.removesuffix("-wal"), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            self._synced = target


def _in_memory(database: str) -> bool:
    return database in ("", ":memory:") or database.startswith("file:")


def write_ahead_log(engine: Engine) -> WriteAheadLog | None:
    """Where :func:`ingest_writer` commits wait to be made durable: a SQLite file's log;
    none for PostgreSQL (its commits are durable when they return) or SQLite in memory."""
    database = engine.url.database or ""
    if engine.dialect.name != "sqlite" or _in_memory(database):
        return None
    return WriteAheadLog.of(database)


_LOGS: dict[str, WriteAheadLog] = {}  # one per database file in this process
_LOGS_LOCK = threading.Lock()


class QueuedWriterConnection(sqlite3.Connection):
    """A SQLite connection whose write transactions first take an exclusive ``flock`` on
    ``<database>.lock`` (released at commit or rollback).

    SQLite's busy handler sleeps 1, 2, 5, 10, 15, 20, 25… ms between tries, so a writer
    that finds the database locked by another process (the engine's child, the ingest
    writer) waits in steps of up to 100 ms. The file lock is tried every ~0.5 ms instead, so
    the next writer starts within a millisecond of the last commit.

    A commit that wrote rows is made durable after the lock is released (an ``fsync`` of the
    write-ahead log, :class:`WriteAheadLog`): before ``commit`` returns, or — in a
    :func:`ingest_writer` transaction — when the caller asks, before it answers anyone."""

    def __init__(self, database: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        name = os.fsdecode(database) if isinstance(database, str | bytes) else str(database)
        memory = _in_memory(name)
        self._lock_path = None if memory else name + ".lock"
        self._lock_fd: int | None = None
        self._held = False
        self.wal: WriteAheadLog | None = None if memory else WriteAheadLog.of(name)
        self._turn_fd: int | None = None
        # Set per transaction: the ingest writer's (first in line, flushed when asked).
        self.ingest_writer = False
        self.behind_ingest = False  # set per transaction (``behind_ingest``)
        self._changes = 0  # total_changes when this connection's writes were last durable

    def take_write_lock(self) -> None:
        if self._lock_path is None or self._held:
            return
        if self._lock_fd is None:
            self._lock_fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            self._turn_fd = os.open(self._lock_path + "-turn", os.O_RDWR | os.O_CREAT, 0o600)
        assert self._turn_fd is not None
        deadline = time.monotonic() + WRITE_LOCK_WAIT_S
        if self.ingest_writer:
            # Say so while waiting (shared: the ingest writers of several processes may).
            turn = _poll(self._turn_fd, fcntl.LOCK_SH, deadline)
            try:
                self._held = _poll(self._lock_fd, fcntl.LOCK_EX, deadline)
            finally:
                if turn:
                    fcntl.flock(self._turn_fd, fcntl.LOCK_UN)
            return
        # Behind ingest: when the lock comes free while an ingest writer says it waits, let it
        # go first — for YIELD_TO_FIRST_S at most from that moment, then queue as everyone
        # else does. (The clock starts when this writer could first have gone, not when it
        # began to wait: a long holder before it must not use up the ingest writer's turn.)
        yield_until: float | None = None if self.behind_ingest else 0.0
        while True:
            if (
                yield_until is None
                or time.monotonic() >= yield_until
                or not _is_locked(self._turn_fd)
            ):
                try:
                    fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    pass
                else:
                    if yield_until is None and _is_locked(self._turn_fd):
                        # Free, and an ingest writer waits: hand the lock straight back.
                        fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
                        yield_until = time.monotonic() + YIELD_TO_FIRST_S
                    else:
                        self._held = True
                        return
            if time.monotonic() > deadline:
                return  # never wait forever: SQLite's busy timeout decides from here
            time.sleep(LOCK_POLL_S)

    def _release(self) -> None:
        if self._held and self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
        self._held = False

    def commit(self) -> None:
        wrote = self.total_changes != self._changes  # rows written (a read commits as it is)
        try:
            super().commit()
        finally:
            self._release()
        if self.wal is None or not wrote:
            return
        self._changes = self.total_changes
        mark = self.wal.written()
        if not self.ingest_writer:
            self.wal.sync(mark)  # durable before commit returns; the next writer is already in

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._release()
            self._changes = self.total_changes  # undone: nothing to make durable

    def close(self) -> None:
        self._release()
        for fd in (self._lock_fd, self._turn_fd):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._lock_fd = self._turn_fd = None
        super().close()


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


PREPARED_MAX = 512
"""Statements psycopg keeps prepared per PostgreSQL connection (its default: 100)."""


def make_engine(url: str, *, pool_size: int = 8) -> Engine:
    """An engine for ``url``; SQLite connections take the write lock when a transaction begins.

    SQLite: WAL journal, every commit on disk before it returns (``synchronous=NORMAL``
    and an ``fsync`` of the log once the write lock is released, so the next writer need not
    wait for the disk; :class:`WriteAheadLog`), foreign keys on, a generous busy timeout,
    and ``BEGIN IMMEDIATE`` so that a read-then-write transaction never fails half-way on
    a lock upgrade.
    """
    if is_sqlite(url):
        engine = create_engine(
            url,
            connect_args={
                "check_same_thread": False,
                "timeout": 30,
                "factory": QueuedWriterConnection,
            },
            pool_size=pool_size,
            max_overflow=pool_size,
            json_serializer=_json_dumps,
            json_deserializer=orjson.loads,
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
            cursor = dbapi_connection.cursor()
            [mode] = cursor.execute("PRAGMA journal_mode=WAL").fetchone()
            if mode != "wal" and isinstance(dbapi_connection, QueuedWriterConnection):
                dbapi_connection.wal = None  # in memory: no log of our own to flush
            # A commit only appends to the log; the connection then releases the write lock
            # and makes the commit durable itself (``QueuedWriterConnection.commit``). Without
            # a log: SQLite's own FULL.
            own_sync = getattr(dbapi_connection, "wal", None) is not None
            cursor.execute(f"PRAGMA synchronous={'NORMAL' if own_sync else 'FULL'}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            # Reads of large windows (analytics): a 16 MB page cache per connection (the
            # default is 2 MB) and the file memory-mapped, shared through the OS's page cache.
            # Measured: 10-25 % less CPU per analytics report (decision 0063).
            cursor.execute("PRAGMA cache_size=-16384")
            cursor.execute("PRAGMA mmap_size=268435456")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Any) -> None:
            options = connection.get_execution_options()
            dbapi = connection.connection.dbapi_connection
            writer = isinstance(dbapi, QueuedWriterConnection)
            if writer:
                dbapi.ingest_writer = bool(options.get(INGEST_WRITER))
                dbapi.behind_ingest = bool(options.get(BEHIND_INGEST))
            if options.get(READ_ONLY):
                connection.exec_driver_sql("BEGIN")  # a reader never waits for the writer
            else:
                if writer:
                    dbapi.take_write_lock()  # queue behind other writers, then lock SQLite
                connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_use_lifo=True,
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
    )

    @event.listens_for(engine, "connect")
    def _keep_plans(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        dbapi_connection.prepared_max = PREPARED_MAX

    ping_when_idle(engine)  # not on every checkout: a round trip before every transaction
    return engine
