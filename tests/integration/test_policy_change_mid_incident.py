"""Changing an escalation policy does not disturb incidents already open: they keep the
policy frozen when they opened, while new incidents use the new one (GoAlert's
policy-reassignment behaviour). And a level that names someone without any contact says so
on the timeline (SQLite and PostgreSQL, real webhooks, fake clock)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from ownit.adapters.catalog.yaml_source import load_text
from ownit.adapters.db import tables as t
from ownit.adapters.db.catalog_store import SqlCatalogStore
from ownit.app import catalog
from tests.integration.paging_world import World, paging_world

KEY = "policychange00000000000000000000"

PERSON = """
apiVersion: ownit/v1
kind: User
metadata: {{name: NAME}}
spec:
  email: NAME@example.com
  contacts:
    - {{name: hook, type: webhook, url: "{hook}/NAME", secret: "{secret}"}}
---"""

CATALOG = (
    "".join(PERSON.replace("NAME", n) for n in ("alice", "bob", "carol"))
    + """
apiVersion: ownit/v1
kind: User
metadata: {{name: dave}}
spec:
  email: dave@example.com
  contacts: []
---
apiVersion: ownit/v1
kind: Team
metadata: {{name: payments}}
spec:
  members: [{{user: alice, role: manager}}, {{user: bob}}, {{user: carol}}, {{user: dave}}]
---
apiVersion: ownit/v1
kind: EscalationPolicy
metadata: {{name: payments}}
spec:
  team: payments
  levels:
    - after: 10m
      targets: [{{user: alice}}, {{user: dave}}]
    - after: 10m
      targets: [{{user: bob}}]
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
)

NEW_POLICY = """
apiVersion: ownit/v1
kind: EscalationPolicy
metadata: {name: payments}
spec:
  team: payments
  levels:
    - after: 10m
      targets: [{user: carol}]
    - after: 10m
      targets: [{user: carol}]
"""


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Iterator[World]:
    with paging_world(engine, tmp_path, CATALOG, KEY) as found:
        yield found


def paths(world: World) -> list[str]:
    return [r.path for r in world.hook.requests]


def test_an_open_incident_keeps_its_policy_new_ones_take_the_new_one(world: World) -> None:
    world.send()
    world.cycle()
    assert paths(world) == ["/alice"]
    world.clock.advance(minutes=1)
    loaded = load_text(NEW_POLICY, "policy.yaml")
    catalog.apply(
        store=SqlCatalogStore(world.engine), documents=loaded.documents, clock=world.clock
    )
    world.cycle(minutes=9)  # 10 minutes: the frozen level 2 (bob), not the new one (carol)
    assert paths(world) == ["/alice", "/bob"]
    world.send(dedup="fresh")  # a new incident pages the new level 1
    world.cycle()
    assert paths(world) == ["/alice", "/bob", "/carol"]


def test_someone_without_a_contact_is_on_the_timeline(world: World) -> None:
    world.send()
    world.cycle()
    le = t.log_entries
    with world.engine.connect() as conn:
        kinds = conn.execute(select(le.c.kind, le.c.message).order_by(le.c.id)).all()
    assert ("unreachable", "dave has no contact methods: nobody was notified at level 1") in [
        (k.kind, k.message) for k in kinds
    ]
    assert paths(world) == ["/alice"]  # the others on the level are still paged
