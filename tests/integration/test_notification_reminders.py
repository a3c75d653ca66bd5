"""Several notification rules on one contact (``after: 0m`` and ``after: 20s``, the usual
"remind me again"): applied from the catalog, each is delivered, each under its own
idempotency key; an acknowledgement stops the reminder (SQLite and PostgreSQL, real
webhooks, fake clock)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.integration.paging_world import World, paging_world, payments_on_call

KEY = "remind0000000000000000000000000r"

CATALOG = """
apiVersion: ownit/v1
kind: User
metadata: {{name: alice}}
spec:
  email: alice@example.com
  contacts:
    - {{name: hook, type: webhook, url: "{hook}/alice", secret: "{secret}"}}
  notificationRules:
    - {{contact: hook, after: 0m}}
    - {{contact: hook, after: 20s}}
---
""" + payments_on_call()


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Iterator[World]:
    with paging_world(engine, tmp_path, CATALOG, KEY) as found:
        yield found


def test_both_rules_on_one_contact_are_delivered_each_with_its_own_key(world: World) -> None:
    world.send()
    world.cycle()
    world.cycle(seconds=19)
    assert len(world.hook.requests) == 1
    world.cycle(seconds=1)
    first, second = world.hook.requests
    incident = world.incident()["id"]
    assert first.headers["webhook-id"] == f"{incident}:0:1:alice:hook"
    assert second.headers["webhook-id"] == f"{incident}:0:1:alice:hook:20s"
    world.cycle(minutes=1)
    assert len(world.hook.requests) == 2


def test_an_acknowledgement_stops_the_reminder(world: World) -> None:
    world.send()
    world.cycle()
    world.clock.advance(seconds=10)
    r = world.client.post(
        "/api/v1/incidents/1/acknowledge", headers={"Authorization": f"Bearer {world.token}"}
    )
    assert r.status_code == 200, r.text
    world.cycle(seconds=30)
    assert len(world.hook.requests) == 1
