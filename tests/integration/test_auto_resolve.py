"""A service's ``autoResolve`` acts: an incident with no new event for that long resolves,
by ``auto-resolve``, with a timeline entry; new events re-arm the timer; the timer is a row,
so a new worker (a restart) finds it (SQLite and PostgreSQL, fake clock, real webhooks)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine, select, update

from ownit.adapters.db import tables as t
from ownit.bootstrap import build_worker
from tests.integration.paging_world import World, paging_world, payments_on_call

KEY = "autores000000000000000000000000a"

CATALOG = """
apiVersion: ownit/v1
kind: User
metadata: {{name: alice}}
spec:
  email: alice@example.com
  contacts:
    - {{name: hook, type: webhook, url: "{hook}/alice", secret: "{secret}"}}
    - {{name: again, type: webhook, url: "{hook}/alice-again", secret: "{secret}"}}
  notificationRules:
    - {{contact: hook, after: 0m}}
    - {{contact: again, after: 5m}}
---
""" + payments_on_call(service="  autoResolve: 2m\n")


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Iterator[World]:
    with paging_world(engine, tmp_path, CATALOG, KEY) as found:
        yield found


def test_an_idle_incident_auto_resolves_and_its_pending_pages_are_cancelled(world: World) -> None:
    world.send()
    world.cycle()
    assert world.pages() == ["/alice"]
    world.cycle(minutes=1, seconds=59)
    assert world.incident()["status"] == "triggered"
    world.cycle(seconds=1)  # two minutes without a new event
    incident = world.incident()
    assert incident["status"] == "resolved"
    assert incident["resolved_by"] == "auto-resolve"
    assert incident["resolved_at"] == "2026-11-26T12:02:00+00:00"
    assert world.resolutions() == [("auto-resolve", "auto-resolved after 2m without new events")]
    with world.engine.connect() as conn:
        alerts = conn.execute(select(t.alerts.c.status)).scalars().all()
        pending = conn.execute(
            select(t.notifications.c.contact, t.notifications.c.status).order_by(
                t.notifications.c.id
            )
        ).all()
    assert alerts == ["resolved"]
    assert [(p.contact, p.status) for p in pending] == [("hook", "sent"), ("again", "cancelled")]
    world.cycle(minutes=10)  # the reminder's time and level 1's timeout pass: nothing more
    assert world.pages() == ["/alice"]
    assert len(world.resolutions()) == 1
    figures = world.client.get(
        "/api/v1/analytics/incidents",
        params={"since": "2026-11-26T11:00:00+00:00", "until": "2026-11-26T13:00:00+00:00"},
        headers={"Authorization": f"Bearer {world.token}"},
    ).json()
    assert (figures["count"], figures["auto_resolved"]) == (1, 1)  # analytics counts it


def test_new_events_rearm_the_timer(world: World) -> None:
    world.send()
    world.cycle(seconds=90)
    world.send()  # a repeat at 1m30s: quiet until 3m30s
    world.cycle(seconds=40)  # 2m10s: the first timer came due at 2m and moved on
    assert world.incident()["status"] == "triggered"
    world.cycle(seconds=70)  # 3m20s
    world.send(dedup="other")  # another alert, another incident: the first stays quiet
    world.cycle(seconds=9)  # 3m29s
    assert world.incident()["status"] == "triggered"
    world.cycle(seconds=1)  # 3m30s
    assert world.incident()["status"] == "resolved"
    assert world.incident("2")["status"] == "triggered"  # opened at 3m20s: due at 5m20s
    world.cycle(minutes=2)
    assert world.incident("2")["status"] == "resolved"


def test_the_timer_survives_a_restart(world: World) -> None:
    world.send()
    world.cycle()
    world.work.stop()
    world.clock.advance(minutes=5)  # the worker was down when the timer came due
    restarted = build_worker(world.settings, world.engine, clock=world.clock)
    try:
        restarted.run_once()
    finally:
        restarted.stop()
    assert world.incident()["status"] == "resolved"


@pytest.mark.parametrize(
    ("spec", "status", "timer"),
    [
        ({"autoResolve": "2m"}, "resolved", None),
        ({"autoResolve": "10m"}, "triggered", "2026-11-26T12:10:00+00:00"),  # lengthened
        ({}, "triggered", None),  # removed: the timer is dropped
    ],
)
def test_the_service_setting_when_the_timer_comes_due_wins(
    world: World, spec: dict[str, Any], status: str, timer: str | None
) -> None:
    world.send()
    world.cycle()
    s = t.services
    with world.engine.begin() as conn:
        old = conn.execute(select(s.c.spec).where(s.c.name == "checkout-api")).scalar_one()
        new = {k: v for k, v in old.items() if k != "autoResolve"} | spec
        conn.execute(update(s).where(s.c.name == "checkout-api").values(spec=new))
    world.cycle(minutes=3)
    assert world.incident()["status"] == status
    with world.engine.connect() as conn:
        found = conn.execute(select(t.incidents.c.auto_resolve_at)).scalar_one()
    assert (found.isoformat() if found else None) == timer


def test_a_service_without_auto_resolve_has_no_timer(world: World) -> None:
    s = t.services
    with world.engine.begin() as conn:
        old = conn.execute(select(s.c.spec).where(s.c.name == "checkout-api")).scalar_one()
        conn.execute(
            update(s)
            .where(s.c.name == "checkout-api")
            .values(spec={k: v for k, v in old.items() if k != "autoResolve"})
        )
    world.send()
    world.cycle(hours=5)
    assert world.incident()["status"] == "triggered"
    with world.engine.connect() as conn:
        assert conn.execute(select(t.incidents.c.auto_resolve_at)).scalar_one() is None
    raw = orjson.dumps(world.incident())
    assert b"auto-resolve" not in raw
