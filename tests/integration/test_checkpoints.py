"""The write-ahead log is copied into the database file by a thread of its own, every few
durable commits, not by whichever commit finds it long (decision 0073)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, text

from ownit.adapters.db import engine as db_engine
from ownit.adapters.db.engine import WriteAheadLog, make_engine


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'wal.db'}")

    @event.listens_for(engine, "connect")
    def _no_own_checkpoints(dbapi_connection: Any, record: Any) -> None:
        # SQLite's own checkpoints off: only ownit's thread may copy the log.
        dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")

    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER PRIMARY KEY, body TEXT)"))
    try:
        yield engine
    finally:
        engine.dispose()


def _commits(engine: Engine, count: int) -> None:
    for n in range(count):
        with engine.begin() as conn:  # durable when the block ends
            conn.execute(text("INSERT INTO t (body) VALUES (:b)"), {"b": f"{n}" * 2000})


def _checkpoints_done() -> None:
    db_engine._CHECKPOINTS.submit(lambda: None).result(timeout=30)


@pytest.mark.parametrize(
    ("every", "commits", "copied"),
    [
        (8, 8, True),  # the eighth durable commit asks for a checkpoint
        (8, 7, False),
        (1000, 40, False),  # none asked for: the file is as the first commit left it
    ],
)
def test_every_few_durable_commits_the_log_is_copied_into_the_file(
    sqlite_engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    every: int,
    commits: int,
    copied: bool,
) -> None:
    database = tmp_path / "wal.db"
    _checkpoints_done()
    monkeypatch.setattr(db_engine, "CHECKPOINT_EVERY", every)
    wal = WriteAheadLog.of(str(database))
    monkeypatch.setattr(wal, "_checkpointed", wal.mark())  # counting from here
    before = database.stat().st_size
    _commits(sqlite_engine, commits)
    _checkpoints_done()
    grew = database.stat().st_size > before
    assert grew is copied
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar_one() == commits


def test_a_checkpoint_of_a_file_that_is_gone_creates_nothing(tmp_path: Path) -> None:
    gone = tmp_path / "gone.db"
    assert WriteAheadLog(str(gone)).checkpoint() is None
    assert not gone.exists()


def test_sqlites_own_checkpoints_wait_for_a_longer_log(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'own.db'}")
    try:
        with engine.connect() as conn:
            pages = conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one()
    finally:
        engine.dispose()
    assert pages == db_engine.OWN_CHECKPOINT_PAGES > 1000  # SQLite's default: 1,000
