"""Scale-out on PostgreSQL, proven: API processes and two engines on one database.

One grouped test (slow, bounded): a storm of distinct and duplicate events spread over both
API processes; mid-storm ``kill -9`` of one engine and of one API process. Afterwards: one
open alert for the duplicate key, every event answered 202 stored, every stored incident
paged (at most one repeat per idempotency key, the dead engine's leased batch), and the
dead engine's leases taken over within their deadline.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import orjson
import pytest
from sqlalchemy import func, select

from ownit.adapters.catalog.yaml_source import load_files
from ownit.adapters.db import tables as t
from ownit.adapters.db.catalog_store import SqlCatalogStore
from ownit.adapters.db.engine import make_engine
from ownit.adapters.db.migrate import upgrade
from ownit.app import catalog
from tests.builders import FakeClock
from tests.integration.live import free_port
from tests.integration.receivers import http_receiver

pytestmark = pytest.mark.slow

KEY = "scale000000000000000000000000001"
LEASE_S = 3
BATCH = 32
SENDERS = 8

CATALOG = f"""
apiVersion: ownit/v1
kind: User
metadata: {{name: alice}}
spec:
  email: alice@example.com
  contacts:
    - name: hook
      type: webhook
      url: "{{hook}}/alice"
      secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
---
apiVersion: ownit/v1
kind: Team
metadata: {{name: ops}}
spec:
  members: [{{user: alice}}]
---
apiVersion: ownit/v1
kind: EscalationPolicy
metadata: {{name: ops}}
spec:
  team: ops
  levels: [{{after: 30m, targets: [{{user: alice}}]}}]
---
apiVersion: ownit/v1
kind: Service
metadata: {{name: scale}}
spec:
  owner: ops
  escalationPolicy: ops
  urgency: high
  integrations: [{{name: events, type: events-v2, key: {KEY}}}]
"""


def _spawn(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(  # fixed argv: this interpreter running ownit
            [sys.executable, "-m", "ownit", *argv], env=env, stdout=out, stderr=out
        )


def _ready(base: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        try:
            if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"not ready: {log.read_text()}")


async def _storm(bases: list[str], victims: list[subprocess.Popen[bytes]]) -> tuple[set[str], int]:
    """Distinct and duplicate triggers from SENDERS clients spread over both APIs; kills
    the victims once 300 events were accepted. Returns the accepted distinct keys and the
    number of accepted duplicates."""
    accepted: set[str] = set()
    duplicates = 0
    stop = asyncio.Event()

    async def sender(n: int) -> None:
        nonlocal duplicates
        base = bases[n % len(bases)]
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            i = 0
            while not stop.is_set():
                i += 1
                key = "dup" if i % 3 == 0 else f"d-{n}-{i}"
                body = {
                    "routing_key": KEY,
                    "event_action": "trigger",
                    "dedup_key": key,
                    "payload": {"summary": key, "source": "scale", "severity": "critical"},
                }
                try:
                    answer = await client.post("/v2/enqueue", json=body)
                except httpx.TransportError:
                    return  # this API process is gone
                if answer.status_code == 202:
                    if key == "dup":
                        duplicates += 1
                    else:
                        accepted.add(key)

    async def killer() -> None:
        while len(accepted) < 300:
            await asyncio.sleep(0.01)
        for victim in victims:
            os.kill(victim.pid, signal.SIGKILL)
        while len(accepted) < 600:  # the storm goes on through the survivors
            await asyncio.sleep(0.01)
        stop.set()

    await asyncio.wait_for(
        asyncio.gather(killer(), *(sender(n) for n in range(SENDERS))), timeout=120
    )
    return accepted, duplicates


def test_two_apis_two_engines_duplicate_storm_and_kill_9(
    pg_database_url: str, tmp_path: Path
) -> None:
    engine = make_engine(pg_database_url)
    upgrade(engine)
    log = tmp_path / "processes.log"
    procs: list[subprocess.Popen[bytes]] = []
    try:
        with http_receiver() as hook:
            hook.delay = 0.005  # pages are in flight when an engine dies
            path = tmp_path / "catalog.yaml"
            path.write_text(CATALOG.replace("{hook}", hook.url))
            catalog.apply(
                store=SqlCatalogStore(engine),
                documents=load_files([str(path)]).documents,
                clock=FakeClock(),
            )
            env = dict(os.environ)
            env |= {
                "OWNIT_DATABASE_URL": pg_database_url,
                "OWNIT_EVENTS_RATE_LIMIT": "0",
                "OWNIT_DELIVERY_LEASE": f"{LEASE_S}s",
                "OWNIT_CONTACT_RATE_LIMIT": "0",
                "OWNIT_OUTBOUND_ALLOW": "127.0.0.0/8",  # the receiver is on loopback
            }
            ports = [free_port(), free_port()]
            # The first API is itself two processes on one port (`--workers 2`).
            apis = [
                _spawn(
                    ["serve", "--no-engine", "--workers", "2", "--port", str(ports[0])], env, log
                ),
                _spawn(["serve", "--no-engine", "--port", str(ports[1])], env, log),
            ]
            engines = [_spawn(["worker"], env, log) for _ in range(2)]
            procs += apis + engines
            bases = [f"http://127.0.0.1:{port}" for port in ports]
            for base, api in zip(bases, apis, strict=True):
                _ready(base, api, log)
            accepted, duplicates = asyncio.run(_storm(bases, [engines[0], apis[1]]))
            killed_at = time.monotonic()
            assert duplicates > 0

            # Everything accepted is stored and paged; the leases of the dead engine run out.
            with engine.connect() as conn:
                numbers = dict(
                    conn.execute(select(t.incidents.c.dedup_key, t.incidents.c.number)).all()
                )
            assert accepted <= set(numbers), f"lost {len(accepted - set(numbers))} events"
            deadline = time.monotonic() + 90
            while True:
                with engine.connect() as conn:
                    unsent = conn.execute(
                        select(func.count())
                        .select_from(t.notifications)
                        .where(t.notifications.c.status != "sent")
                    ).scalar_one()
                    made = conn.execute(
                        select(func.count()).select_from(t.notifications)
                    ).scalar_one()
                if unsent == 0 and made == len(numbers):
                    break
                assert time.monotonic() < deadline, f"{unsent} of {made} unsent\n{log.read_text()}"
                time.sleep(0.2)
            # A lease taken by the dead engine is handed over within its deadline (plus
            # the poll and a delivery round).
            assert time.monotonic() - killed_at < LEASE_S + 60
            messages = [orjson.loads(r.body)["data"] for r in hook.requests]
            seen = Counter(r.headers["webhook-id"] for r in hook.requests)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
    # The surviving API stopped on SIGTERM (uvicorn re-raises the signal after its shutdown).
    assert procs[0].returncode in (0, -signal.SIGTERM), log.read_text()
    assert procs[1].returncode == -signal.SIGKILL
    assert procs[2].returncode == -signal.SIGKILL
    assert procs[3].returncode == 0, log.read_text()
    with engine.connect() as conn:
        open_dup = conn.execute(
            select(func.count())
            .select_from(t.alerts)
            .where(t.alerts.c.dedup_key == "dup", t.alerts.c.status != "resolved")
        ).scalar_one()
    engine.dispose()
    # The duplicate storm across both API processes folded into one alert.
    assert open_dup == 1
    # Every incident reached alice, as a message of its own or bundled into one.
    covered = {m["number"] for m in messages} | {b["number"] for m in messages for b in m["bundle"]}
    assert covered == set(numbers.values())
    # Only the dead engine's leased batch may have gone out twice, with the same key.
    assert all(n <= 2 for n in seen.values())
    assert sum(n - 1 for n in seen.values()) <= BATCH
