"""``kill -9`` of a worker in a storm of escalations (PostgreSQL, two workers): every due
notification is delivered; only what was in flight at the crash may arrive twice, with the
same idempotency key."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine, func, select

from ownit.adapters.catalog.yaml_source import load_files
from ownit.adapters.db import tables as t
from ownit.adapters.db.catalog_store import SqlCatalogStore
from ownit.adapters.db.engine import make_engine
from ownit.adapters.db.ingest_store import SqlIngestStore
from ownit.adapters.db.migrate import upgrade
from ownit.app import catalog
from ownit.domain.events import Action, Event, Severity
from tests.builders import FakeClock
from tests.integration.receivers import http_receiver

KEY = "crash00000000000000000000000000e"
STORM = 400
BATCH = 32

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
metadata: {{name: storm}}
spec:
  owner: ops
  escalationPolicy: ops
  urgency: high
  integrations: [{{name: events, type: events-v2, key: {KEY}}}]
"""


@pytest.fixture
def pg_engine(pg_database_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def _worker(url: str, log: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env |= {
        "OWNIT_DATABASE_URL": url,
        "OWNIT_DELIVERY_LEASE": "3s",
        "OWNIT_CONTACT_RATE_LIMIT": "0",  # bundle per claim, never hold back
        "OWNIT_OUTBOUND_ALLOW": "127.0.0.0/8",  # the receiver is on loopback
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "ownit", "worker"], env=env, stdout=out, stderr=out
        )


def _sent(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(t.notifications)
                .where(t.notifications.c.status == "sent")
            ).scalar_one()
        )


def test_kill_9_of_a_worker_loses_no_page(pg_engine: Engine, tmp_path: Path) -> None:
    url = pg_engine.url.render_as_string(hide_password=False)
    with http_receiver() as hook:
        hook.delay = 0.01  # slow enough that pages are in flight when the worker dies
        path = tmp_path / "catalog.yaml"
        path.write_text(CATALOG.replace("{hook}", hook.url))
        clock = FakeClock(start=FakeClock().now().replace(year=2020))  # long due
        catalog.apply(
            store=SqlCatalogStore(pg_engine),
            documents=load_files([str(path)]).documents,
            clock=clock,
        )
        events = [
            [Event("events-v2", KEY, Action.TRIGGER, f"k{i}", f"storm {i}", "s", Severity.CRITICAL)]
            for i in range(STORM)
        ]
        SqlIngestStore(pg_engine).apply_batch(events, clock.now())

        log = tmp_path / "workers.log"
        victim, survivor = _worker(url, log), _worker(url, log)
        try:
            deadline = time.monotonic() + 60
            while _sent(pg_engine) < STORM // 4:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.01)
            victim.send_signal(signal.SIGKILL)
            victim.wait(10)
            deadline = time.monotonic() + 90
            while True:
                with pg_engine.connect() as conn:
                    left = conn.execute(
                        select(func.count())
                        .select_from(t.notifications)
                        .where(t.notifications.c.status != "sent")
                    ).scalar_one()
                    made = conn.execute(
                        select(func.count()).select_from(t.notifications)
                    ).scalar_one()
                if made == STORM and left == 0:
                    break
                assert time.monotonic() < deadline, f"{left} of {made} not sent\n{log.read_text()}"
                time.sleep(0.2)
        finally:
            for proc in (victim, survivor):
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
                    proc.wait(15)
        assert victim.returncode == -signal.SIGKILL
        assert survivor.returncode == 0, log.read_text()
        messages = [orjson.loads(r.body)["data"] for r in hook.requests]
        seen = Counter(r.headers["webhook-id"] for r in hook.requests)
    # Every incident reached alice: as a message of its own or bundled into one.
    covered = {m["number"] for m in messages} | {b["number"] for m in messages for b in m["bundle"]}
    assert covered == set(range(1, STORM + 1))
    # Only what the dead worker had in flight may have gone out twice, with the same key.
    assert all(n <= 2 for n in seen.values())
    assert sum(n - 1 for n in seen.values()) <= BATCH
