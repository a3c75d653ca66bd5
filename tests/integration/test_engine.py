"""The engine through whole incidents: real events in, real webhooks and emails out.

A fake clock drives the engine cycle by cycle; receivers are real servers on loopback.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from ownit.adapters.catalog.yaml_source import load_files
from ownit.adapters.db import tables as t
from ownit.adapters.db.catalog_store import SqlCatalogStore
from ownit.adapters.db.token_store import SqlTokenStore
from ownit.adapters.notifiers.signing import verify
from ownit.app import catalog
from ownit.app.tokens import create_token
from ownit.bootstrap import build_app, build_worker
from ownit.domain.outbound import AllowList
from ownit.settings import Settings
from ownit.worker.loop import Worker
from tests.builders import FakeClock
from tests.integration.receivers import HttpReceiver, http_receiver, smtp_server

KEY = "engine0000000000000000000000000e"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

CATALOG = """
apiVersion: ownit/v1
kind: User
metadata: {{name: alice}}
spec:
  displayName: Alice
  email: alice@example.com
  contacts:
    - {{name: hook, type: webhook, url: "{hook}/alice", secret: "{secret}"}}
    - {{name: mail, type: email, address: alice@example.com}}
  notificationRules:
    - {{contact: hook, after: 0m}}
    - {{contact: mail, after: 2m}}
---
apiVersion: ownit/v1
kind: User
metadata: {{name: bob}}
spec:
  email: bob@example.com
  contacts:
    - {{name: hook, type: webhook, url: "{hook}/bob", secret: "{secret}"}}
---
apiVersion: ownit/v1
kind: Team
metadata: {{name: payments}}
spec:
  members: [{{user: alice, role: manager}}, {{user: bob}}]
---
apiVersion: ownit/v1
kind: Schedule
metadata: {{name: primary}}
spec:
  team: payments
  timezone: Europe/Berlin
  layers:
    - name: everyone
      start: "2026-01-05T09:00:00"
      rotation: 1w
      users: [alice]
---
apiVersion: ownit/v1
kind: EscalationPolicy
metadata: {{name: payments}}
spec:
  team: payments
  repeat: 0
  levels:
    - after: 10m
      targets: [{{schedule: primary}}]  # alice is on call: resolved inside the engine's work
    - after: 15m
      targets: [{{user: bob}}]
---
apiVersion: ownit/v1
kind: Service
metadata: {{name: checkout-api, description: Takes payments}}
spec:
  owner: payments
  escalationPolicy: payments
  runbook: https://wiki.example.com/checkout
  urgency: high
  ackTimeout: 30m
  integrations:
    - {{name: events, type: events-v2, key: {key}}}
"""


@dataclass
class World:
    client: TestClient
    clock: FakeClock
    work: Worker
    hook: HttpReceiver
    mail: list[Message]
    engine: Engine
    token: str

    def trigger(self, dedup: str = "disk") -> None:
        body = {
            "routing_key": KEY,
            "event_action": "trigger",
            "dedup_key": dedup,
            "payload": {"summary": "Disk full on db-1", "source": "db-1", "severity": "critical"},
        }
        assert self.client.post("/v2/enqueue", json=body).status_code == 202

    def act(self, action: str, ref: str = "1") -> None:
        r = self.client.post(
            f"/api/v1/incidents/{ref}/{action}", headers={"Authorization": f"Bearer {self.token}"}
        )
        assert r.status_code == 200, r.text

    def cycle(self, **advance: int) -> None:
        if advance:
            self.clock.advance(**advance)
        self.work.run_once()

    def pages(self) -> list[tuple[str, str]]:
        return [(r.path, orjson.loads(r.body)["type"]) for r in self.hook.requests]

    def timeline(self) -> list[tuple[str, str]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.log_entries.c.kind, t.log_entries.c.message).order_by(t.log_entries.c.id)
            ).all()
        return [(k, m) for k, m in rows]


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Iterator[World]:
    with http_receiver() as hook, smtp_server() as (smtp_port, mail):
        path = tmp_path / "catalog.yaml"
        path.write_text(CATALOG.format(hook=hook.url, secret=SECRET, key=KEY))
        clock = FakeClock()
        loaded = load_files([str(path)])
        catalog.apply(store=SqlCatalogStore(engine), documents=loaded.documents, clock=clock)
        settings = Settings(
            database_url=str(engine.url),
            events_rate_limit=0,
            smtp_host="127.0.0.1",
            smtp_port=smtp_port,
            smtp_security="none",
            outbound_allow=AllowList.parse("127.0.0.0/8"),  # the receivers are on loopback
        )
        work = build_worker(settings, engine, clock=clock)
        token = create_token(store=SqlTokenStore(engine), clock=clock, name="ops", role="responder")
        with TestClient(build_app(settings, engine, clock=clock)) as client:
            yield World(client, clock, work, hook, mail, engine, token)
        work.stop()


def test_whole_incident(world: World) -> None:
    world.trigger()
    world.cycle()  # the engine starts escalation: level 1 (alice), webhook at once
    assert world.pages() == [("/alice", "incident.triggered")]
    first = world.hook.requests[0]
    assert verify(
        SECRET,
        first.headers["webhook-id"],
        int(first.headers["webhook-timestamp"]),
        first.body,
        first.headers["webhook-signature"],
        now=world.clock.now().timestamp(),
    )
    data: dict[str, Any] = orjson.loads(first.body)["data"]
    assert data["title"] == "Disk full on db-1"
    assert data["service"] == "checkout-api"
    assert data["runbook_url"] == "https://wiki.example.com/checkout"

    world.cycle(minutes=1)
    assert world.mail == []  # alice's email rule is at 2m
    world.cycle(minutes=1)
    [mail] = world.mail
    assert "Disk full on db-1" in mail["Subject"]
    assert mail["To"] == "alice@example.com"

    world.cycle(minutes=8)  # 10 minutes: nobody acknowledged, level 2 (bob)
    assert world.pages()[-1] == ("/bob", "incident.escalated")

    world.act("acknowledge")
    world.cycle(minutes=5)
    world.cycle(minutes=14)  # past level 2's 15 minutes: acknowledged, so nothing more
    assert len(world.hook.requests) == 2

    world.cycle(minutes=12)  # 30 minutes after the ack: ack timeout re-triggers, level 1 again
    assert world.pages()[-1] == ("/alice", "incident.escalated")
    incident = world.client.get(
        "/api/v1/incidents/1", headers={"Authorization": f"Bearer {world.token}"}
    ).json()["incident"]
    assert incident["status"] == "triggered"

    world.act("resolve")
    world.cycle(minutes=30)
    world.cycle(minutes=30)
    assert len(world.hook.requests) == 3
    kinds = [k for k, _ in world.timeline()]
    assert kinds[0] == "triggered"
    assert "notified" in kinds
    assert kinds[-1] in ("resolved", "notification cancelled")


def test_a_failing_contact_is_retried_and_the_next_level_still_fires(world: World) -> None:
    world.hook.status = 500
    world.trigger()
    world.cycle()
    assert len(world.hook.requests) == 1
    failed = [m for k, m in world.timeline() if k == "notification failed"]
    assert failed
    assert "answered 500" in failed[0]
    assert "retrying" in failed[0]
    world.hook.status = 200
    world.cycle(seconds=10)  # the retry (backoff ≤ 2 s on the first attempt)
    assert len(world.hook.requests) == 2
    assert (
        world.hook.requests[0].headers["webhook-id"] == world.hook.requests[1].headers["webhook-id"]
    )
    world.cycle(minutes=2)
    assert len(world.mail) == 1  # the next rule fired
    world.cycle(minutes=8)
    assert world.pages()[-1][0] == "/bob"  # and the next level


def test_permanent_failure_is_not_retried(world: World) -> None:
    world.hook.status = 400
    world.trigger()
    world.cycle()
    world.cycle(minutes=1)
    assert len(world.hook.requests) == 1
    assert any("not retried" in m for k, m in world.timeline() if k == "notification failed")


def test_acknowledge_before_the_next_rule_cancels_it(world: World) -> None:
    world.trigger()
    world.cycle()
    world.act("acknowledge")
    world.cycle(minutes=3)
    assert world.mail == []
    with world.engine.connect() as conn:
        statuses = conn.execute(select(t.notifications.c.status)).scalars().all()
    assert sorted(statuses) == ["cancelled", "sent"]


def test_one_click_acknowledge_link(world: World) -> None:
    world.trigger()
    world.cycle()
    world.cycle(minutes=2)
    [mail] = world.mail
    text = next(
        part.get_payload(decode=True).decode()  # type: ignore[union-attr]
        for part in mail.walk()
        if part.get_content_type() == "text/plain"
    )
    links = re.findall(r"http://\S+/actions/\S+", text)
    assert len(links) >= 1
    link = links[0]  # the first link in the text is "Acknowledge"
    path = link[link.index("/actions/") :]
    page = world.client.get(path)
    assert page.status_code == 200
    assert "<form method=post>" in page.text
    assert (
        world.client.get(
            "/api/v1/incidents/1", headers={"Authorization": f"Bearer {world.token}"}
        ).json()["incident"]["status"]
        == "triggered"
    )
    done = world.client.post(path)
    assert done.status_code == 200
    assert "acknowledged" in done.text
    tampered = world.client.post(path[:-3] + "abc")
    assert tampered.status_code == 400


def test_escalate_by_hand_and_reassign(world: World) -> None:
    auth = {"Authorization": f"Bearer {world.token}"}
    world.trigger()
    world.cycle()
    assert world.pages() == [("/alice", "incident.triggered")]
    r = world.client.post("/api/v1/incidents/1/escalate", json={"level": 2}, headers=auth)
    assert r.status_code == 200, r.text
    world.cycle()
    assert world.pages()[-1] == ("/bob", "incident.escalated")

    bad = world.client.post("/api/v1/incidents/1/escalate", json={"level": 5}, headers=auth)
    assert bad.status_code == 400
    assert "level 5 does not exist" in bad.json()["detail"]

    world.act("acknowledge")
    world.clock.advance(seconds=30)
    r = world.client.post("/api/v1/incidents/1/reassign", json={"users": ["alice"]}, headers=auth)
    assert r.status_code == 200, r.text
    assert r.json()["incident"]["status"] == "triggered"
    world.cycle()
    assert world.pages()[-1] == ("/alice", "incident.escalated")
    unknown = world.client.post(
        "/api/v1/incidents/1/reassign", json={"users": ["zed"]}, headers=auth
    )
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["field"] == "users"
    kinds = [k for k, _ in world.timeline()]
    assert "escalated" in kinds
    assert "reassigned" in kinds


def test_a_storm_for_one_person_is_bundled(world: World) -> None:
    for i in range(12):
        world.trigger(f"storm-{i}")
    world.cycle()
    messages = [orjson.loads(r.body)["data"] for r in world.hook.requests]
    assert len(messages) <= 5  # one per claim batch at most, and the contact's limit holds
    covered = {m["number"] for m in messages} | {b["number"] for m in messages for b in m["bundle"]}
    assert covered == set(range(1, 13))
    assert any(m["bundle"] for m in messages)
    timeline = [m for k, m in world.timeline() if k == "notified"]
    assert any("bundled" in m for m in timeline)
