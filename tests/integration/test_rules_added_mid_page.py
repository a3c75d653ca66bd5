"""A notification rule added while a page is in progress fires when its time is still ahead
(as in GoAlert); one whose time has passed does not, and nothing is sent twice (decision
0021; SQLite and PostgreSQL, real webhooks, fake clock)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, event

from ownit.adapters.catalog.yaml_source import load_text
from ownit.adapters.db.catalog_store import SqlCatalogStore
from ownit.adapters.db.personal_store import SqlPersonalStore
from ownit.app import catalog, personal
from tests.integration.paging_world import SECRET, World, paging_world, payments_on_call

KEY = "midpage0000000000000000000000000"

CATALOG = """
apiVersion: ownit/v1
kind: User
metadata: {{name: alice}}
spec:
  email: alice@example.com
---
""" + payments_on_call(after="30m")


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Iterator[World]:
    with paging_world(engine, tmp_path, CATALOG, KEY) as found:
        store = SqlPersonalStore(engine)
        personal.add_contact(
            store=store,
            user="alice",
            name="hook",
            type="webhook",
            value=f"{found.hook.url}/alice",
            secret=SECRET,
            at=found.clock.now(),
        )
        personal.add_rule(
            store=store, user="alice", contact="hook", after="0", at=found.clock.now()
        )
        yield found


def add_rule(world: World, after: str) -> None:
    personal.add_rule(
        store=SqlPersonalStore(world.engine),
        user="alice",
        contact="hook",
        after=after,
        at=world.clock.now(),
    )


def keys(world: World) -> list[str]:
    return [r.headers["webhook-id"].split(":", 1)[1] for r in world.hook.requests]


def test_a_rule_whose_time_is_ahead_fires_one_whose_time_passed_does_not(world: World) -> None:
    world.send()
    world.cycle()
    assert keys(world) == ["0:1:alice:hook"]
    world.clock.advance(minutes=2)
    add_rule(world, "1m")  # paged at 0 + 1m: already past, not sent late
    add_rule(world, "5m")  # paged at 0 + 5m: still ahead
    world.cycle()
    world.cycle(minutes=2, seconds=59)
    assert keys(world) == ["0:1:alice:hook"]
    world.cycle(seconds=1)
    assert keys(world) == ["0:1:alice:hook", "0:1:alice:hook:5m"]
    world.cycle(minutes=20)
    assert len(world.hook.requests) == 2  # nothing twice


# The engine's read of an incident's planned pages (``SqlEscalationUnit.planned``).
PLANNED_READ = (
    "SELECT notifications.user_name, notifications.contact, notifications.event_type, "
    "notifications.due_at, notifications.data"
)


def test_a_page_started_now_is_not_read_back_for_added_rules(world: World) -> None:
    """The first advance plans the page with the rules as they are: it does not read the
    pages back inside its write transaction (on SQLite, the one write lock). A later advance
    of the same page does, and still finds a rule added since."""
    reads: list[str] = []

    @event.listens_for(world.engine, "before_cursor_execute")
    def _seen(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.startswith(PLANNED_READ):
            reads.append(statement)

    try:
        world.send()
        world.cycle()
        assert keys(world) == ["0:1:alice:hook"]
        assert reads == []
        world.clock.advance(minutes=2)
        add_rule(world, "5m")
        world.cycle()
        assert len(reads) == 1
        world.cycle(minutes=3)
        assert keys(world) == ["0:1:alice:hook", "0:1:alice:hook:5m"]
    finally:
        event.remove(world.engine, "before_cursor_execute", _seen)


def test_a_rule_added_after_the_acknowledgement_does_not_fire(world: World) -> None:
    world.send()
    world.cycle()
    r = world.client.post(
        "/api/v1/incidents/1/acknowledge", headers={"Authorization": f"Bearer {world.token}"}
    )
    assert r.status_code == 200
    world.cycle(seconds=30)
    add_rule(world, "5m")
    world.cycle()
    world.cycle(minutes=10)
    assert keys(world) == ["0:1:alice:hook"]


def test_a_rule_added_by_catalog_apply_fires_too(world: World) -> None:
    world.send()
    world.cycle()
    world.clock.advance(minutes=2)
    url = world.hook.url
    text = f"""
apiVersion: ownit/v1
kind: User
metadata: {{name: alice}}
spec:
  email: alice@example.com
  contacts:
    - {{name: hook, type: webhook, url: "{url}/alice", secret: "{SECRET}"}}
  notificationRules:
    - {{contact: hook, after: 0m}}
    - {{contact: hook, after: 4m}}
"""
    loaded = load_text(text, "people.yaml")
    catalog.apply(
        store=SqlCatalogStore(world.engine), documents=loaded.documents, clock=world.clock
    )
    world.cycle()
    world.cycle(minutes=2)
    assert keys(world) == ["0:1:alice:hook", "0:1:alice:hook:4m"]
