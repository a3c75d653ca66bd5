"""The first page of an incident carries first-responder context: owner, runbook, the open
incident upstream (the likely cause), the recent change, the similar past incident and how it
was resolved — through the engine to a real SMTP server and a real HTTP receiver, on SQLite
and PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import Message
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from ownit.adapters.catalog.yaml_source import load_files
from ownit.adapters.db.catalog_store import SqlCatalogStore
from ownit.adapters.db.token_store import SqlTokenStore
from ownit.app import catalog
from ownit.app.delivery import Claimed, first_page_contexts
from ownit.app.notify import ResponderContext
from ownit.app.tokens import create_token
from ownit.bootstrap import build_app, build_worker
from ownit.domain.outbound import AllowList
from ownit.settings import Settings
from ownit.worker.loop import Worker
from tests.builders import FakeClock
from tests.integration.receivers import HttpReceiver, http_receiver, smtp_server

API = "ctxapi00000000000000000000000000"
DB = "ctxdb000000000000000000000000000"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
RUNBOOK = "https://wiki.example.com/checkout/runbook"
CI_LINK = "https://ci.example.com/runs/42"

CATALOG = """
apiVersion: ownit/v1
kind: User
metadata: {{name: alice}}
spec:
  email: alice@example.com
  contacts:
    - {{name: hook, type: webhook, url: "{hook}/alice", secret: "{secret}"}}
    - {{name: mail, type: email, address: alice@example.com}}
    - {{name: chat, type: slack, webhookUrl: "{hook}/slack"}}
    - {{name: phone, type: push, url: "{hook}/push"}}
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
  members: [{{user: alice}}, {{user: bob}}]
---
apiVersion: ownit/v1
kind: EscalationPolicy
metadata: {{name: payments}}
spec:
  team: payments
  levels:
    - after: 10m
      targets: [{{user: alice}}]
    - after: 10m
      targets: [{{user: bob}}]
---
apiVersion: ownit/v1
kind: Service
metadata: {{name: payments-db}}
spec:
  owner: payments
  integrations: [{{name: events, type: events-v2, key: {db}}}]
---
apiVersion: ownit/v1
kind: Service
metadata: {{name: checkout-api}}
spec:
  owner: payments
  escalationPolicy: payments
  runbook: {runbook}
  dependsOn: [payments-db]
  integrations: [{{name: events, type: events-v2, key: {api}}}]
"""


@dataclass
class World:
    client: TestClient
    clock: FakeClock
    work: Worker
    hook: HttpReceiver
    mail: list[Message]
    auth: dict[str, str]

    def event(self, key: str, action: str, dedup: str, summary: str) -> None:
        body = {
            "routing_key": key,
            "event_action": action,
            "dedup_key": dedup,
            "payload": {"summary": summary, "source": "host", "severity": "critical"},
        }
        assert self.client.post("/v2/enqueue", json=body).status_code == 202

    def bodies(self, path: str) -> list[bytes]:
        return [r.body for r in self.hook.requests if r.path == path]


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Iterator[World]:
    with http_receiver() as hook, smtp_server() as (smtp_port, mail):
        path = tmp_path / "catalog.yaml"
        path.write_text(
            CATALOG.format(hook=hook.url, secret=SECRET, api=API, db=DB, runbook=RUNBOOK)
        )
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
            yield World(client, clock, work, hook, mail, {"Authorization": f"Bearer {token}"})
        work.stop()


def history(world: World) -> None:
    """#1: the same problem last week, fixed by a note's action; a change upstream; #2: the
    database burning now; then #3, the page under test."""
    world.event(API, "trigger", "latency", "Checkout latency high")
    note = {"text": "restarted the connection pool"}
    r = world.client.post("/api/v1/incidents/1/notes", json=note, headers=world.auth)
    assert r.status_code == 201, r.text
    world.clock.advance(minutes=20)
    world.event(API, "resolve", "latency", "Checkout latency high")
    world.work.run_once()  # #1 is resolved before anyone was paged: nothing is sent
    world.hook.requests.clear()
    world.clock.advance(days=7)
    change = {
        "routing_key": DB,
        "payload": {"summary": "schema migration 42", "source": "ci"},
        "links": [{"href": CI_LINK, "text": "CI run"}],
    }
    assert world.client.post("/v2/change/enqueue", json=change).status_code == 202
    world.clock.advance(minutes=3)
    world.event(DB, "trigger", "disk", "Disk full on payments-db")
    world.clock.advance(minutes=2)
    world.event(API, "trigger", "latency", "Checkout latency high")


def test_the_first_page_carries_the_context(world: World) -> None:
    history(world)
    world.work.run_once()

    # Webhook: a context object in the signed JSON.
    [hook] = world.bodies("/alice")
    data: dict[str, Any] = orjson.loads(hook)["data"]
    assert data["number"] == 3
    context = data["context"]
    assert context["owner"] == "payments"
    assert context["runbook_url"] == RUNBOOK
    [cause] = context["likely_cause_upstream"]
    assert (cause["service"], cause["number"], cause["status"]) == ("payments-db", 2, "triggered")
    assert cause["url"].endswith("/incidents/2")
    [change] = context["recent_changes"]
    assert (change["service"], change["summary"], change["link"]) == (
        "payments-db",
        "schema migration 42",
        CI_LINK,
    )
    assert change["at"] == "2026-12-03T12:20:00Z"  # T0 + 20 min + 7 days
    [past] = context["similar_incidents"]
    assert (past["number"], past["time_to_resolve_s"]) == (1, 1200)
    assert past["note"] == "restarted the connection pool"
    assert past["resolved_by"] == "integration/events"

    # Email: text and HTML parts.
    [mail] = world.mail
    parts = {p.get_content_type(): p.get_payload(decode=True) for p in mail.walk()}
    text = parts["text/plain"].decode()  # type: ignore[union-attr]
    html = parts["text/html"].decode()  # type: ignore[union-attr]
    for body in (text, html):
        assert RUNBOOK in body
        assert "payments-db #2 (triggered): Disk full on payments-db" in body
        assert "payments-db: schema migration 42" in body
        assert "restarted the connection pool" in body
    assert "Owner:       payments" in text
    assert f'<a href="{CI_LINK}">' in html

    # Slack: the context as fields and lists.
    [slack] = world.bodies("/slack")
    blocks = orjson.loads(slack)["blocks"]
    fields = [f["text"] for b in blocks for f in b.get("fields", [])]
    assert "*Owner*\npayments" in fields
    assert any("payments-db #2 (triggered)" in f for f in fields)
    assert any("schema migration 42" in b.get("text", {}).get("text", "") for b in blocks)

    # Push: one short line.
    [push] = world.bodies("/push")
    assert push.decode().splitlines()[1] == "likely cause upstream: payments-db #2; runbook: " + (
        RUNBOOK
    )


def test_later_pages_carry_no_context(world: World) -> None:
    history(world)
    world.work.run_once()
    world.clock.advance(minutes=10)  # nobody acknowledged: level 2, bob
    world.work.run_once()
    [escalated] = world.bodies("/bob")
    body = orjson.loads(escalated)
    assert body["type"] == "incident.escalated"
    assert body["data"]["context"] is None


def test_the_context_is_read_once_per_round(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    history(world)
    store = world.work._store
    calls: list[list[str]] = []
    real = store.responder_contexts

    def counting(ids: Sequence[str], now: datetime) -> Mapping[str, ResponderContext]:
        calls.append(list(ids))
        return real(ids, now)

    monkeypatch.setattr(store, "responder_contexts", counting)
    world.work.run_once()
    # Four contacts of alice's were paged for #3 in one round: the context was read once.
    assert len(calls) == 1
    assert len(calls[0]) == 1
    assert len(world.bodies("/alice") + world.bodies("/slack") + world.bodies("/push")) == 3
    assert len(world.mail) == 1


class _Broken:
    def responder_contexts(self, ids: Sequence[str], now: datetime) -> dict[str, ResponderContext]:
        raise RuntimeError("database went away")


def test_a_failing_context_never_stops_the_page(caplog: pytest.LogCaptureFixture) -> None:
    now = FakeClock().now()
    claimed = [
        Claimed(1, "inc_1", "alice", "hook", "webhook", "incident.triggered", "k1", 1, {}),
        Claimed(2, "inc_2", "alice", "hook", "webhook", "incident.escalated", "k2", 1, {}),
    ]
    with caplog.at_level(logging.ERROR, logger="ownit.worker"):
        assert first_page_contexts(claimed, source=_Broken(), now=now) == {}
    assert "paging without it" in caplog.text
