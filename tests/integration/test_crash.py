"""``kill -9`` of the server while events stream in: every event answered 202 was committed."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import Engine, select

from ownit.adapters.db import tables as t
from tests.builders import add_service
from tests.integration.live import free_port

KEY = "k" * 31 + "9"
SENDERS = 16


def _start_server(database_url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env |= {
        "OWNIT_DATABASE_URL": database_url,
        "OWNIT_PORT": str(port),
        "OWNIT_EVENTS_RATE_LIMIT": "0",
    }
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "ownit", "serve"], env=env, stdout=out, stderr=subprocess.STDOUT
        )


def _wait_ready(base: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"ownit serve exited: {log.read_text()}")
        try:
            if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError("ownit serve did not become ready")


async def _stream(base: str, proc: subprocess.Popen[bytes]) -> tuple[set[str], int]:
    accepted: set[str] = set()
    attempts = 0
    stop = asyncio.Event()

    async def sender(n: int, client: httpx.AsyncClient) -> None:
        nonlocal attempts
        i = 0
        while not stop.is_set():
            key = f"crash-{n}-{i}"
            i += 1
            attempts += 1
            body = {
                "routing_key": KEY,
                "event_action": "trigger",
                "dedup_key": key,
                "payload": {"summary": key, "source": "crash-test", "severity": "error"},
            }
            try:
                response = await client.post("/v2/enqueue", json=body)
            except httpx.TransportError:
                return  # the server is gone
            if response.status_code == 202:
                accepted.add(key)

    async def killer() -> None:
        while len(accepted) < 300:
            await asyncio.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        await asyncio.sleep(0.5)
        stop.set()

    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        await asyncio.wait_for(
            asyncio.gather(killer(), *(sender(n, client) for n in range(SENDERS))), timeout=120
        )
    return accepted, attempts


def _engine_children_gone(parent: int, within_s: float) -> bool:
    """Whether every ``ownit worker --parent <parent>`` process has exited, waiting up to
    ``within_s``."""
    marker = f"\0--parent\0{parent}\0".encode()

    def running(entry: Path) -> bool:
        try:
            return marker in (entry / "cmdline").read_bytes() + b"\0"
        except OSError:
            return False  # gone meanwhile

    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if not any(running(e) for e in Path("/proc").iterdir() if e.name.isdigit()):
            return True
        time.sleep(0.1)
    return False


def test_every_accepted_event_survives_kill_9(engine: Engine, tmp_path: Path) -> None:
    add_service(engine, "crash-svc", keys={"events": KEY})
    port = free_port()
    log = tmp_path / "serve.log"
    proc = _start_server(str(engine.url.render_as_string(hide_password=False)), port, log)
    try:
        _wait_ready(f"http://127.0.0.1:{port}", proc, log)
        accepted, attempts = asyncio.run(_stream(f"http://127.0.0.1:{port}", proc))
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    # The engine's child sees its server gone and stops (before this test's database goes).
    assert _engine_children_gone(proc.pid, within_s=30), "the engine outlived its server"
    assert len(accepted) >= 300
    engine.dispose()  # connections of before the crash are not trusted
    with engine.connect() as conn:
        stored_alerts = set(conn.execute(select(t.alerts.c.dedup_key)).scalars())
        stored_events = set(conn.execute(select(t.events.c.dedup_key)).scalars())
    assert accepted <= stored_alerts, f"lost {len(accepted - stored_alerts)} of {len(accepted)}"
    assert accepted <= stored_events
    # Some requests were in flight at the crash: they may or may not be stored, never half.
    assert len(stored_alerts) <= attempts
    assert stored_alerts == stored_events
