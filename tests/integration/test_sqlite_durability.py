"""SQLite commits are on disk before anyone is told (decision 0068): a commit that wrote rows
fsyncs the write-ahead log after releasing the write lock (so the next writer need not wait
for the disk); the ingest writer's commits (``ingest_writer``) return at once and are made
durable by ``WriteAheadLog.sync`` before their requests are answered. SQLite only: PostgreSQL
commits are durable when they return."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from ownit.adapters.db.engine import (
    ingest_writer,
    make_engine,
    read_only,
    write_ahead_log,
)


class Flushes:
    """Records every fsync (the file it flushed) and whether the write lock was free then."""

    def __init__(self, lock_path: Path) -> None:
        self.files: list[str] = []
        self.lock_free: list[bool] = []
        self._lock_path = lock_path
        self._real = os.fsync

    def __call__(self, fd: int) -> None:
        self.files.append(os.path.basename(os.readlink(f"/proc/self/fd/{fd}")))
        probe = os.open(self._lock_path, os.O_RDWR)
        try:
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)  # another writer could start
            fcntl.flock(probe, fcntl.LOCK_UN)
            self.lock_free.append(True)
        except BlockingIOError:
            self.lock_free.append(False)
        finally:
            os.close(probe)
        self._real(fd)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'd.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
    yield engine
    engine.dispose()


@pytest.fixture
def flushes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db: Engine) -> Flushes:
    recorder = Flushes(tmp_path / "d.db.lock")
    monkeypatch.setattr(os, "fsync", recorder)
    return recorder


def test_log_only_appends_and_the_connection_flushes_it(db: Engine) -> None:
    with db.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL


def test_a_write_is_flushed_before_commit_returns_with_the_lock_released(
    db: Engine, flushes: Flushes
) -> None:
    with db.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (1)"))
    assert flushes.files == ["d.db-wal"]
    assert flushes.lock_free == [True]


@pytest.mark.parametrize("statement", ["SELECT count(*) FROM t", "UPDATE t SET n = 2 WHERE n = 99"])
def test_a_transaction_that_wrote_no_row_is_not_flushed(
    db: Engine, flushes: Flushes, statement: str
) -> None:
    with db.begin() as conn:
        conn.execute(text(statement))
    with read_only(db).begin() as conn:
        conn.execute(text("SELECT count(*) FROM t"))
    assert flushes.files == []


def test_a_rolled_back_write_is_not_flushed(db: Engine, flushes: Flushes) -> None:
    with db.connect() as conn:
        tx = conn.begin()
        conn.execute(text("INSERT INTO t VALUES (1)"))
        tx.rollback()
    assert flushes.files == []
    with db.begin() as conn:
        conn.execute(text("SELECT count(*) FROM t"))
    assert flushes.files == []


def test_deferred_commits_are_flushed_when_asked_once_for_all(db: Engine, flushes: Flushes) -> None:
    wal = write_ahead_log(db)
    assert wal is not None
    before = wal.mark()
    for n in range(3):
        with ingest_writer(db).begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
    assert flushes.files == []  # three commits, none waited for the disk
    mark = wal.mark()
    assert mark == before + 3
    wal.sync(mark)
    assert flushes.files == ["d.db-wal"]
    wal.sync(mark - 1)  # covered by that flush
    wal.sync(mark)
    assert flushes.files == ["d.db-wal"]
    # The same pooled connection in an ordinary transaction flushes on commit again.
    with db.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (9)"))
    assert flushes.files == ["d.db-wal", "d.db-wal"]


def test_memory_and_postgresql_have_no_log_of_their_own() -> None:
    for url in ("sqlite://", "postgresql+psycopg://postgres@127.0.0.1:5432/test"):
        engine = create_engine(url)  # never connected
        assert write_ahead_log(engine) is None
        engine.dispose()


def test_a_relative_database_path_counts_its_commits_where_the_ingest_writer_waits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    engine = make_engine("sqlite:///relative.db")  # the driver opens it as an absolute path
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (n INTEGER)"))
        wal = write_ahead_log(engine)
        assert wal is not None
        before = wal.mark()
        with ingest_writer(engine).begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
        assert wal.mark() == before + 1  # else the committer would answer before the flush
    finally:
        engine.dispose()
