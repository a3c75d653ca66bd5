"""Opt-in status updates: the people a page reached who asked for them (``statusUpdates``)
hear that the incident was acknowledged (and by whom) or resolved, on the contacts they
chose; the others hear nothing more (SQLite and PostgreSQL, real webhooks, fake clock)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine

from tests.integration.paging_world import World, paging_world

KEY = "updates0000000000000000000000000"

CATALOG = """
apiVersion: ownit/v1
kind: User
metadata: {{name: alice}}
spec:
  email: alice@example.com
  contacts:
    - {{name: hook, type: webhook, url: "{hook}/alice", secret: "{secret}"}}
  statusUpdates: [hook]
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
kind: User
metadata: {{name: carol}}
spec:
  email: carol@example.com
  contacts:
    - {{name: hook, type: webhook, url: "{hook}/carol", secret: "{secret}"}}
  statusUpdates: [hook]
---
apiVersion: ownit/v1
kind: Team
metadata: {{name: payments}}
spec:
  members: [{{user: alice, role: manager}}, {{user: bob}}, {{user: carol}}]
---
apiVersion: ownit/v1
kind: EscalationPolicy
metadata: {{name: payments}}
spec:
  team: payments
  levels:
    - after: 10m
      targets: [{{user: alice}}, {{user: bob}}]
    - after: 10m
      targets: [{{user: carol}}]
---
apiVersion: ownit/v1
kind: Service
metadata: {{name: checkout-api}}
spec:
  owner: payments
  escalationPolicy: payments
  urgency: high
  integrations:
    - {{name: events, type: events-v2, key: {key}}}
"""


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Iterator[World]:
    with paging_world(engine, tmp_path, CATALOG, KEY) as found:
        yield found


def received(world: World) -> list[tuple[str, str, Any]]:
    out = []
    for r in world.hook.requests:
        body = orjson.loads(r.body)
        out.append((r.path, body["type"], body["data"]["details"].get("by")))
    return out


def act(world: World, action: str) -> None:
    r = world.client.post(
        f"/api/v1/incidents/1/{action}", headers={"Authorization": f"Bearer {world.token}"}
    )
    assert r.status_code == 200, r.text


def test_those_who_asked_hear_acknowledged_and_resolved(world: World) -> None:
    world.send()
    world.cycle()
    world.clock.advance(minutes=2)
    act(world, "acknowledge")
    world.cycle()
    world.clock.advance(minutes=3)
    act(world, "resolve")
    world.cycle()
    assert sorted(received(world)) == [
        ("/alice", "incident.acknowledged", "token/ops"),
        ("/alice", "incident.resolved", None),
        ("/alice", "incident.triggered", None),
        ("/bob", "incident.triggered", None),  # bob did not ask for updates
    ]  # carol asked, but was never paged (level 2 did not come)
    world.cycle(minutes=30)
    assert len(world.hook.requests) == 4


def test_nobody_paged_means_no_updates(world: World) -> None:
    world.send()  # the engine has not run: nobody was paged yet
    act(world, "resolve")
    world.cycle()
    assert received(world) == []
