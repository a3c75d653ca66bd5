"""The engine writes a batch's timeline, outbox and states together (decision 0074), and a
failing incident still loses only its own work: its held writes are dropped, or its own
savepoint rolled back, and its timer moves on (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from ownit.adapters.db import tables as t
from ownit.adapters.db.escalation_unit import SqlEscalationUnit
from ownit.adapters.db.work_store import SqlWorkStore
from ownit.app.escalations import Outbound, advance
from tests.integration.paging_world import World, paging_world, payments_on_call

KEY = "batchwrites000000000000000000000"

CATALOG = """
apiVersion: ownit/v1
kind: User
metadata: {{name: alice}}
spec:
  email: alice@example.com
  contacts:
    - {{name: hook, type: webhook, url: "{hook}/alice", secret: "{secret}"}}
---
""" + payments_on_call(team='  chat: {{slackWebhookUrl: "{hook}/team-channel"}}\n')


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Iterator[World]:
    with paging_world(engine, tmp_path, CATALOG, KEY) as found:
        for key in ("a", "b", "c"):
            found.send(dedup=key)
        yield found


def nobody(name: str, at: Any) -> tuple[str, ...]:
    return ()


Step = Callable[[SqlEscalationUnit], None]


def run_batch(world: World, second: Step) -> str:
    """Advance the three incidents in one batch; the second one's work is ``second``. The
    second incident's id."""
    store = SqlWorkStore(world.engine)
    now = world.clock.now()
    with store.due_batch(now, 10) as units:
        assert len(units) == 3
        for n, unit in enumerate(units):
            with store.isolated(unit):
                if n == 1:
                    second(unit)
                else:
                    advance(unit, now=now, on_call=nobody)
    return units[1].facts.id


def written(world: World) -> dict[str, tuple[Any, int, int, int]]:
    """Per incident: its escalation state, its outbox rows, timeline entries by the engine,
    and response rows."""
    found = {}
    with world.engine.connect() as conn:
        for incident_id, state in conn.execute(
            select(t.escalations.c.incident_id, t.escalations.c.state)
        ):
            counts = [
                conn.execute(
                    select(func.count())
                    .select_from(table)
                    .where(*where, table.c.incident_id == incident_id)
                ).scalar_one()
                for table, where in (
                    (t.notifications, ()),
                    (t.log_entries, (t.log_entries.c.actor == "engine",)),
                    (t.incident_responses, ()),
                )
            ]
            found[incident_id] = (state, *counts)
    return found


def due_at(world: World, incident_id: str) -> Any:
    with world.engine.connect() as conn:
        return conn.execute(
            select(t.escalations.c.due_at).where(t.escalations.c.incident_id == incident_id)
        ).scalar_one()


def assert_only_second_lost(world: World, second: str) -> None:
    found = written(world)
    for incident_id, (state, outbox, timeline, responses) in found.items():
        if incident_id == second:
            assert (state, outbox, timeline, responses) == (None, 0, 0, 0)
        else:
            assert state is not None
            assert state["status"] == "triggered"
            # alice's webhook and the team's channel; "paged alice"; alice's page only
            assert (outbox, timeline, responses) == (2, 1, 1)
    assert due_at(world, second) == world.clock.now() + timedelta(seconds=30)


def test_a_batch_writes_every_incidents_work(world: World) -> None:
    def second(unit: SqlEscalationUnit) -> None:
        advance(unit, now=world.clock.now(), on_call=nobody)

    run_batch(world, second)
    found = written(world)
    assert len(found) == 3
    assert all(
        outbox == 2 and timeline == 1 and responses == 1
        for _, outbox, timeline, responses in found.values()
    )
    world.cycle()  # and what was written is delivered (bundled: one message per contact)
    assert sorted(r.path for r in world.hook.requests) == ["/alice", "/team-channel"]
    with world.engine.connect() as conn:
        statuses = conn.execute(select(t.notifications.c.status)).scalars().all()
    assert statuses == ["sent"] * 6


def test_a_failing_incident_loses_its_held_writes(world: World) -> None:
    def second(unit: SqlEscalationUnit) -> None:
        advance(unit, now=world.clock.now(), on_call=nobody)  # held, not yet written
        raise RuntimeError("boom")

    assert_only_second_lost(world, run_batch(world, second))


def test_a_failing_incident_that_wrote_at_once_is_rolled_back(world: World) -> None:
    def second(unit: SqlEscalationUnit) -> None:
        advance(unit, now=world.clock.now(), on_call=nobody)
        unit.cancel_pending(world.clock.now(), "test")  # its own savepoint: written now
        unit.log(world.clock.now(), "note", "after the savepoint")
        raise RuntimeError("boom")

    assert_only_second_lost(world, run_batch(world, second))


def test_a_batch_write_that_fails_writes_the_others_one_by_one(world: World) -> None:
    def second(unit: SqlEscalationUnit) -> None:
        advance(unit, now=world.clock.now(), on_call=nobody)
        bad = Outbound(
            unit.facts.id,
            "alice",
            "hook",
            "webhook",
            "incident.triggered",
            "k",
            world.clock.now(),
            {"x": object()},
        )
        unit.enqueue([bad])  # its data cannot be written: the batch's write fails

    assert_only_second_lost(world, run_batch(world, second))
