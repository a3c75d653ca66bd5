"""SQLite writers in two engines (as the API and the engine's child process are) queue on
the file lock: the second starts within milliseconds of the first's commit, not after
SQLite's busy handler's next sleep; a rollback releases the lock too. SQLite only: the
file lock is how ownit shares SQLite's one writer."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from ownit.adapters.db.engine import QueuedWriterConnection, make_engine


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
