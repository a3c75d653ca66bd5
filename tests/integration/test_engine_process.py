"""``ownit serve``'s engine child: restarted when it dies, stopped with the server, and an
orphaned engine stops by itself."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from ownit.cli.engine_process import EngineProcess, worker_argv


def _wait(predicate: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not callable(predicate) or not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_dead_engine_is_restarted_and_stopped_with_the_server() -> None:
    supervisor = EngineProcess([sys.executable, "-c", "import time; time.sleep(60)"])
    supervisor.start()
    try:
        first = supervisor.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        _wait(lambda: supervisor.pid not in (None, first))
        assert supervisor.restarts == 1
        second = supervisor.pid
    finally:
        supervisor.stop()
    assert second is not None
    assert supervisor.pid is None
    # The child is gone for good: stop leaves no restart behind.
    time.sleep(0.7)
    assert supervisor.pid is None
    assert supervisor.restarts == 1


def test_a_child_that_ignores_sigterm_is_killed() -> None:
    code = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"
    supervisor = EngineProcess([sys.executable, "-c", code], stop_timeout=0.5)
    supervisor.start()
    time.sleep(0.3)  # the child has set its handler
    started = time.monotonic()
    supervisor.stop()
    assert supervisor.pid is None
    assert time.monotonic() - started < 5


def test_an_orphaned_worker_stops_by_itself(tmp_path: Path) -> None:
    """``ownit worker --parent P`` stops when P is gone (here: a parent that exits)."""
    env = dict(os.environ, OWNIT_DATABASE_URL=f"sqlite:///{tmp_path / 'o.db'}")
    subprocess.run(  # migrate first: a child of serve does not migrate
        [sys.executable, "-m", "ownit", "db", "upgrade"], env=env, check=True, capture_output=True
    )
    launcher = (
        "import subprocess, sys, os; "
        f"p = subprocess.Popen({worker_argv(0)[:-1]!r} + [str(os.getpid())]); "
        "print(p.pid, flush=True)"
    )
    out = subprocess.run(
        [sys.executable, "-c", launcher], env=env, check=True, capture_output=True, text=True
    )
    orphan = int(out.stdout.strip())

    def gone() -> bool:
        try:
            os.kill(orphan, 0)
        except ProcessLookupError:
            return True
        # A zombie of init counts as gone: it has exited.
        status = Path(f"/proc/{orphan}/status")
        return not status.exists() or "zombie" in status.read_text()

    try:
        _wait(gone, timeout=20)
    finally:
        if not gone():
            os.kill(orphan, signal.SIGKILL)
