"""The engine as a child process of ``ownit serve``: started with the server, restarted when
it dies, stopped (SIGTERM, then SIGKILL) when the server stops.

The child is ``ownit worker --parent <pid>`` with the same environment, so it reads the same
settings; its logs go where the server's go. It watches its parent and stops by itself if
the server is gone (even after ``kill -9``), so an orphan never keeps paging.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence

log = logging.getLogger("ownit.serve")

RESTART_FIRST_S = 0.5  # the first restart waits this long; each quick death doubles it
RESTART_MAX_S = 30.0
STABLE_S = 60.0  # a child that ran this long resets the restart delay


def worker_argv(parent: int) -> list[str]:
    """``ownit worker`` under this interpreter, told to stop when ``parent`` is gone."""
    return [sys.executable, "-m", "ownit", "worker", "--parent", str(parent)]


class EngineProcess:
    """Supervises one engine child process; ``start`` and ``stop`` as the app's background."""

    def __init__(
        self,
        argv: Sequence[str] | None = None,
        *,
        stop_timeout: float = 10.0,
    ) -> None:
        self._argv = list(argv) if argv is not None else worker_argv(os.getpid())
        self._stop_timeout = stop_timeout
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._child: subprocess.Popen[bytes] | None = None
        self._thread: threading.Thread | None = None
        self.restarts = 0

    @property
    def pid(self) -> int | None:
        child = self._child
        return child.pid if child is not None and child.poll() is None else None

    def start(self) -> None:
        self._stopping.clear()
        self._spawn()
        self._thread = threading.Thread(target=self._watch, name="ownit-engine-watch", daemon=True)
        self._thread.start()

    def _spawn(self) -> None:
        with self._lock:
            if self._stopping.is_set():
                return
            self._child = subprocess.Popen(  # fixed argv: this interpreter running ownit
                self._argv, stdin=subprocess.DEVNULL
            )
            log.info("engine process started (pid %d)", self._child.pid)

    def _watch(self) -> None:
        delay = RESTART_FIRST_S
        while not self._stopping.is_set():
            child = self._child
            if child is None:
                return
            started = time.monotonic()
            code = child.wait()
            if self._stopping.is_set():
                return
            ran = time.monotonic() - started
            if ran >= STABLE_S:
                delay = RESTART_FIRST_S
            log.error(
                "engine process %d exited with %s; restarting in %.1f s",
                child.pid,
                _describe(code),
                delay,
            )
            self._stopping.wait(delay)
            delay = min(delay * 2, RESTART_MAX_S)
            self.restarts += 1
            self._spawn()

    def stop(self, timeout: float | None = None) -> None:
        """SIGTERM the child, wait for it to finish its cycle, SIGKILL it after the timeout.
        Safe to call twice."""
        wait_s = self._stop_timeout if timeout is None else timeout
        with self._lock:
            self._stopping.set()
            child = self._child
        if child is not None and child.poll() is None:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(wait_s)
            except subprocess.TimeoutExpired:
                log.warning("engine process %d ignored SIGTERM; killing it", child.pid)
                child.kill()
                child.wait()
            log.info("engine process %d stopped", child.pid)
        if self._thread is not None:
            self._thread.join(wait_s)
            self._thread = None


def _describe(code: int) -> str:
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


def watch_parent(parent: int, on_gone: Callable[[], None], every: float = 0.5) -> threading.Thread:
    """Call ``on_gone`` once when this process's parent is no longer ``parent``."""

    def run() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        log.warning("the server (pid %d) is gone; the engine stops", parent)
        on_gone()

    thread = threading.Thread(target=run, name="ownit-parent-watch", daemon=True)
    thread.start()
    return thread
