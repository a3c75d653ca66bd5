"""A real ownit server on a loopback port, in a thread of the test process."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from sqlalchemy import Engine

from ownit.bootstrap import build_app, build_worker
from ownit.settings import Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def live_server(
    engine: Engine, settings: Settings | None = None, *, paging: bool = False
) -> Iterator[str]:
    """Serve ownit on ``engine``; yields the base URL; stops the server afterwards. With
    ``paging`` the engine (escalations, deliveries) runs in the server on the real clock."""
    settings = settings or Settings(database_url=str(engine.url), events_rate_limit=0)
    port = free_port()
    work = build_worker(settings, engine, wakeup=True) if paging else None
    config = uvicorn.Config(
        build_app(settings, engine, work=work),
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
        lifespan="on",
        # A client on a starved machine (CI beside other work) may take more than uvicorn's
        # 5 s to send its next request on a kept-alive connection; the server closing it
        # then shows as a ReadError on a POST, which no client retries.
        timeout_keep_alive=60,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="ownit-live", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
