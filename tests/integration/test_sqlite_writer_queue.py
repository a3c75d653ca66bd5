"""SQLite writers in two engines (as the API and the engine's child process are) queue on
the file lock: the second starts within milliseconds of the first's commit, not after
SQLite's busy handler's next sleep; a rollback releases the lock too. SQLite only: the
file lock is how ownit shares SQLite's one writer."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from ownit.adapters.db.engine import (
    YIELD_TO_FIRST_S,
    QueuedWriterConnection,
    behind_ingest,
    ingest_writer,
    make_engine,
)


@pytest.mark.parametrize("ending", ["commit", "rollback"])
def test_the_next_writer_starts_at_once(tmp_path: Path, ending: str) -> None:
    url = f"sqlite:///{tmp_path / 'q.db'}"
    first, second = make_engine(url), make_engine(url)
    try:
        with first.begin() as conn:
            conn.execute(text("CREATE TABLE t (n INTEGER)"))
        assert (tmp_path / "q.db.lock").exists()
        started: list[float] = []

        def write() -> None:
            with second.begin() as conn:
                started.append(time.monotonic())
                conn.execute(text("INSERT INTO t VALUES (2)"))

        conn = first.connect()
        tx = conn.begin()
        conn.execute(text("INSERT INTO t VALUES (1)"))
        waiter = threading.Thread(target=write)
        waiter.start()
        time.sleep(0.3)  # the second writer is waiting now
        assert started == []
        getattr(tx, ending)()
        ended = time.monotonic()
        conn.close()
        waiter.join(10)
        assert len(started) == 1
        # SQLite's busy handler would be sleeping 25-100 ms steps by now.
        assert started[0] - ended < 0.02
        with first.connect() as check:
            rows = sorted(check.execute(text("SELECT n FROM t")).scalars())
        assert rows == ([1, 2] if ending == "commit" else [2])
    finally:
        first.dispose()
        second.dispose()


def test_memory_databases_take_no_file_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    conn = QueuedWriterConnection(":memory:")
    try:
        conn.take_write_lock()
        conn.execute("CREATE TABLE t (n INTEGER)")
        conn.commit()
    finally:
        conn.close()
    assert list(tmp_path.iterdir()) == []


def test_a_waiting_ingest_writer_goes_before_the_engines_writer(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'q.db'}"
    holder, ingest, engine = make_engine(url), make_engine(url), make_engine(url)
    try:
        with holder.begin() as conn:
            conn.execute(text("CREATE TABLE t (who TEXT)"))
        order: list[str] = []

        def write(source: Engine, who: str) -> None:
            with source.begin() as conn:
                order.append(who)
                conn.execute(text("INSERT INTO t VALUES (:who)"), {"who": who})

        conn = holder.connect()
        tx = conn.begin()
        behind = threading.Thread(target=write, args=(behind_ingest(engine), "engine"))
        behind.start()
        time.sleep(0.1)  # the engine's writer waits first…
        first = threading.Thread(target=write, args=(ingest_writer(ingest), "ingest"))
        first.start()
        time.sleep(0.1)  # …then the ingest writer
        tx.commit()
        conn.close()
        first.join(10)
        behind.join(10)
        assert order == ["ingest", "engine"]
    finally:
        for e in (holder, ingest, engine):
            e.dispose()


def test_the_engines_writer_waits_for_ingest_only_so_long(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'q.db'}"
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (n INTEGER)"))
        # An ingest writer that says it is waiting, and never comes.
        turn = os.open(tmp_path / "q.db.lock-turn", os.O_RDWR | os.O_CREAT)
        fcntl.flock(turn, fcntl.LOCK_SH)
        try:
            started = time.monotonic()
            with engine.begin() as conn:  # a page's writer does not wait for it at all
                conn.execute(text("INSERT INTO t VALUES (1)"))
            plain = time.monotonic() - started
            started = time.monotonic()
            with behind_ingest(engine).begin() as conn:
                conn.execute(text("INSERT INTO t VALUES (2)"))
            behind = time.monotonic() - started
        finally:
            os.close(turn)
        assert plain < YIELD_TO_FIRST_S
        assert YIELD_TO_FIRST_S <= behind < YIELD_TO_FIRST_S + 0.5
    finally:
        engine.dispose()
