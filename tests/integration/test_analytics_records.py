"""What analytics needs is recorded as it happens (migration 0011): each person's first page
and highest level, and who acknowledged first and how; the figures then follow."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from ownit.adapters.catalog.yaml_source import load_files
from ownit.adapters.db import tables as t
from ownit.adapters.db.catalog_store import SqlCatalogStore
from ownit.adapters.db.token_store import SqlTokenStore
from ownit.app import catalog
from ownit.app.tokens import create_token
from ownit.bootstrap import build_app, build_worker
from ownit.domain.outbound import AllowList
from ownit.settings import Settings
from ownit.worker.loop import Worker
from tests.builders import T0, FakeClock
from tests.integration.receivers import http_receiver

KEY = "analytics00000000000000000000001"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

CATALOG = """
apiVersion: ownit/v1
kind: User
metadata: {{name: alice}}
spec:
  email: alice@example.com
  timezone: Europe/Berlin
  contacts: [{{name: hook, type: webhook, url: "{hook}/alice", secret: "{secret}"}}]
---
apiVersion: ownit/v1
kind: User
metadata: {{name: bob}}
spec:
  email: bob@example.com
  contacts: [{{name: hook, type: webhook, url: "{hook}/bob", secret: "{secret}"}}]
---
apiVersion: ownit/v1
kind: Team
metadata: {{name: payments}}
spec:
  members: [{{user: alice}}, {{user: bob}}]
---
apiVersion: ownit/v1
kind: Schedule
metadata: {{name: primary}}
spec:
  team: payments
  timezone: UTC
  layers:
    - {{name: all, start: "2026-01-05T00:00:00", rotation: 1w, users: [alice]}}
---
apiVersion: ownit/v1
kind: EscalationPolicy
metadata: {{name: payments}}
spec:
  team: payments
  levels:
    - after: 10m
      targets: [{{schedule: primary}}]
    - after: 10m
      targets: [{{user: bob}}]
---
apiVersion: ownit/v1
kind: Service
metadata: {{name: checkout}}
spec:
  owner: payments
  escalationPolicy: payments
  urgency: high
  integrations: [{{name: events, type: events-v2, key: {key}}}]
"""


@dataclass
class World:
    client: TestClient
    clock: FakeClock
    work: Worker
    engine: Engine
    bob: dict[str, str]
    viewer: dict[str, str]

    def trigger(self, dedup: str) -> None:
        body = {
            "routing_key": KEY,
            "event_action": "trigger",
            "dedup_key": dedup,
            "payload": {"summary": dedup, "source": "db-1", "severity": "critical"},
        }
        assert self.client.post("/v2/enqueue", json=body).status_code == 202

    def cycle(self, **advance: int) -> None:
        if advance:
            self.clock.advance(**advance)
        self.work.run_once()

    def responses(self) -> list[tuple[int, str, object, object, object, object]]:
        r, i = t.incident_responses, t.incidents
        query = (
            select(
                i.c.number,
                r.c.user_name,
                r.c.first_paged_at,
                r.c.highest_level,
                r.c.acknowledged_at,
                r.c.acknowledged_via,
            )
            .join(i, i.c.id == r.c.incident_id)
            .order_by(i.c.number, r.c.user_name)
        )
        with self.engine.connect() as conn:
            return [tuple(row) for row in conn.execute(query)]


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Iterator[World]:
    with http_receiver() as hook:
        path = tmp_path / "catalog.yaml"
        path.write_text(CATALOG.format(hook=hook.url, key=KEY, secret=SECRET))
        clock = FakeClock()
        catalog.apply(
            store=SqlCatalogStore(engine), documents=load_files([str(path)]).documents, clock=clock
        )
        settings = Settings(
            database_url=str(engine.url),
            events_rate_limit=0,
            outbound_allow=AllowList.parse("127.0.0.0/8"),  # the receiver is on loopback
        )
        work = build_worker(settings, engine, clock=clock)
        tokens = SqlTokenStore(engine)
        with engine.begin() as conn:
            bob_id = conn.execute(select(t.users.c.id).where(t.users.c.name == "bob")).scalar()
            conn.execute(  # bob can log in: his token acts as him
                t.user_credentials.insert().values(
                    user_id=bob_id, org_role="member", created_at=T0, updated_at=T0
                )
            )
        bob = create_token(store=tokens, clock=clock, name="bob", role="responder", user_id=bob_id)
        viewer = create_token(store=tokens, clock=clock, name="v", role="viewer")
        with TestClient(build_app(settings, engine, clock=clock)) as client:
            yield World(
                client,
                clock,
                work,
                engine,
                {"Authorization": f"Bearer {bob}"},
                {"Authorization": f"Bearer {viewer}"},
            )
        work.stop()


def test_pages_and_acknowledgements_are_recorded(world: World) -> None:
    world.trigger("disk")
    world.cycle()  # level 1: alice
    world.cycle(minutes=10)  # nobody acknowledged: level 2, bob
    world.clock.advance(minutes=1)
    r = world.client.post("/api/v1/incidents/1/acknowledge", headers=world.bob)
    assert r.status_code == 200, r.text
    world.client.post("/api/v1/incidents/1/acknowledge", headers=world.bob)  # again: no change
    # A second incident: reassigned to bob (a page, not an acknowledgement), resolved by event.
    world.trigger("cpu")
    world.cycle()
    r = world.client.post(
        "/api/v1/incidents/2/reassign", json={"users": ["bob"]}, headers=world.bob
    )
    assert r.status_code == 200, r.text
    world.cycle(minutes=2)
    body = {"routing_key": KEY, "event_action": "resolve", "dedup_key": "cpu"}
    assert world.client.post("/v2/enqueue", json=body).status_code == 202

    t10, t11 = T0 + timedelta(minutes=10), T0 + timedelta(minutes=11)
    assert world.responses() == [
        (1, "alice", T0, 1, None, None),
        (1, "bob", t10, 2, t11, "api"),
        (2, "alice", t11, 1, None, None),
        (2, "bob", t11, 1, None, None),
    ]

    since = {"since": T0.isoformat(), "until": (T0 + timedelta(hours=1)).isoformat()}
    figures = world.client.get(
        "/api/v1/analytics/incidents", params=since, headers=world.viewer
    ).json()
    assert (figures["count"], figures["acknowledged"], figures["escalated"]) == (2, 1, 1)
    assert figures["tta_seconds"]["p50"] == 660.0
    assert (figures["auto_resolved"], figures["noise"]) == (1, 1)  # resolved 2 min after
    people = world.client.get(
        "/api/v1/analytics/responders", params=since | {"team": "payments"}, headers=world.viewer
    ).json()["responders"]
    by_name = {p["user"]: p for p in people}
    assert by_name["bob"]["pages"] == 2
    assert by_name["bob"]["tta_seconds"]["p50"] == 60.0
    assert by_name["alice"]["acknowledged"] == 0
    assert by_name["alice"]["seconds_on_call"] == 3600.0
    assert by_name["alice"]["seconds_on_call_level1"] == 3600.0
    # T0 is a Thursday, 13:00 in Berlin: both of alice's pages landed in business hours
    assert by_name["alice"]["interruptions"] == {"business": 2, "off_hours": 0, "sleep": 0}
