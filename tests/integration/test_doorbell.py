"""The SQLite doorbell (decision 0071): every ring after a commit wakes the engine, through one
sending socket the process keeps (closed at exit), not a socket per ring."""

from __future__ import annotations

from pathlib import Path

from ownit.adapters.db import wakeup
from ownit.adapters.db.engine import make_engine
from ownit.adapters.db.wakeup import SocketDoorbell, WorkBell, doorbell_path


def test_every_ring_wakes_the_engine_through_one_socket(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'ownit.db'}")
    try:
        path = doorbell_path(engine)
        assert path is not None
        door = SocketDoorbell(path)
        try:
            bell = WorkBell(engine)
            assert not door.wait(0)
            bell.rung()
            sender = wakeup._sender()
            assert door.wait(2)
            assert not door.wait(0)  # one ring, drained
            bell.rung()
            WorkBell(engine).rung()  # another bell of the process: the same socket
            assert door.wait(2)
            assert wakeup._sender() is sender
            assert sender.fileno() >= 0  # open, for the next ring
        finally:
            door.close()
        bell.rung()  # nobody listens any more: no error, no ring
    finally:
        engine.dispose()
