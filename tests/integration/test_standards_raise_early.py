"""Raised before they bite, through the engine on a fake clock (SQLite and PostgreSQL): an
on-call gap in the next 7 days and an unreachable responder each open one low-urgency
incident to the team's managers, never a second while it is open, whatever the number of
daily runs or restarts, and resolve themselves once fixed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from ownit.adapters.catalog.yaml_source import load_files
from ownit.adapters.db import tables as t
from ownit.adapters.db.catalog_store import SqlCatalogStore
from ownit.adapters.db.oncall_store import SqlScheduleStore
from ownit.adapters.db.raise_early_store import SqlRaiseEarlyStore
from ownit.app import catalog as use
from ownit.app import raise_early
from ownit.app.standards import catalog_world
from ownit.bootstrap import build_worker
from ownit.domain.standards import History, World
from ownit.domain.standards.raise_early import Raised
from ownit.settings import Settings
from tests.builders import FakeClock
from tests.integration.conftest import Ctx

GAP = "standards/oncall-gap/cart"
CARL = "standards/unreachable/carl"


def catalog(*, layer_start: str, level2: str, carl_reachable: bool) -> str:
    carl = (
        "{email: carl@example.com, contacts: [{name: mail, type: email, address: "
        "carl@example.com}], notificationRules: [{contact: mail}]}"
        if carl_reachable
        else "{email: carl@example.com}"
    )
    return f"""
apiVersion: ownit/v1
kind: User
metadata: {{name: ann}}
spec:
  email: ann@example.com
  contacts: [{{name: mail, type: email, address: ann@example.com}}]
  notificationRules: [{{contact: mail}}]
---
apiVersion: ownit/v1
kind: User
metadata: {{name: bob}}
spec:
  email: bob@example.com
  contacts: [{{name: mail, type: email, address: bob@example.com}}]
  notificationRules: [{{contact: mail}}]
---
apiVersion: ownit/v1
kind: User
metadata: {{name: carl}}
spec: {carl}
---
apiVersion: ownit/v1
kind: Team
metadata: {{name: shop}}
spec:
  members: [{{user: ann, role: manager}}, {{user: bob}}, {{user: carl}}]
---
apiVersion: ownit/v1
kind: Schedule
metadata: {{name: shop}}
spec:
  team: shop
  timezone: UTC
  layers:
    - {{name: weekly, start: "{layer_start}", rotation: 1w, users: [ann, bob]}}
---
apiVersion: ownit/v1
kind: EscalationPolicy
metadata: {{name: shop}}
spec:
  team: shop
  levels:
    - {{after: 5m, targets: [{{schedule: shop}}]}}
    - {{after: 10m, targets: [{{user: {level2}}}]}}
---
apiVersion: ownit/v1
kind: Service
metadata: {{name: cart, description: Takes the basket to checkout and payment.}}
spec: {{owner: shop, escalationPolicy: shop, tier: 1}}
"""


COVERED = "2026-11-02T09:00:00"  # the layer runs since long ago: no gap
LATE = "2026-12-30T12:00:00"  # nobody on call until then: a gap from now


def apply(engine: Engine, tmp_path: Path, **kw: Any) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text(catalog(**kw))
    loaded = load_files([str(path)])
    assert loaded.problems == ()
    use.apply(store=SqlCatalogStore(engine), documents=loaded.documents, clock=FakeClock())


def incidents(engine: Engine) -> list[dict[str, Any]]:
    """Every incident of the check, oldest first, with its frozen policy."""
    i, e = t.incidents, t.escalations
    with engine.connect() as conn:
        rows = conn.execute(
            select(i.c.number, i.c.dedup_key, i.c.status, i.c.urgency, i.c.title, e.c.policy)
            .select_from(i.join(e, e.c.incident_id == i.c.id))
            .where(i.c.dedup_key.startswith("standards/"))
            .order_by(i.c.number)
        )
        return [dict(r._mapping) for r in rows]


def summary(engine: Engine) -> list[tuple[str, str]]:
    return [(r["dedup_key"], r["status"]) for r in incidents(engine)]


@pytest.fixture
def engine_run(ctx: Ctx) -> Iterator[Any]:
    workers = []

    def run() -> int:
        """A fresh engine process each time (a restart), one pass."""
        settings = Settings(database_url=str(ctx.engine.url), events_rate_limit=0)
        worker = build_worker(settings, ctx.engine, clock=ctx.clock)
        workers.append(worker)
        return worker.run_once()

    yield run
    for worker in workers:
        worker.stop()


def test_a_gap_opens_once_over_days_and_resolves_when_an_override_fills_it(
    ctx: Ctx, engine_run: Any, tmp_path: Path
) -> None:
    apply(ctx.engine, tmp_path, layer_start=LATE, level2="ann", carl_reachable=True)
    for day in range(3):
        for _ in range(3):  # several passes a day (and restarts): one check a day
            engine_run()
            ctx.clock.advance(minutes=2)
        assert summary(ctx.engine) == [(GAP, "triggered")], f"day {day}"
        ctx.clock.advance(days=1)
    [opened] = incidents(ctx.engine)
    assert opened["urgency"] == "low"
    assert opened["title"].startswith("On-call gap for cart in the next 7 days: nobody is on")
    # the policy frozen onto it is the team's managers, not the service's
    assert opened["policy"] == {
        "name": "shop managers",
        "repeat": 0,
        "levels": [{"after": "30m", "targets": [{"user": "ann"}]}],
    }
    with ctx.engine.connect() as conn:
        paged = set(conn.execute(select(t.notifications.c.user_name).distinct()).scalars())
    assert paged == {"ann"}

    now = ctx.clock.now()
    body = {
        "user": "bob",
        "start": now.isoformat(),
        "end": (now + timedelta(days=40)).isoformat(),
    }
    made = ctx.client.post("/api/v1/schedules/shop/overrides", json=body, headers=ctx.admin)
    assert made.status_code == 201, made.text
    engine_run()
    assert summary(ctx.engine) == [(GAP, "resolved")]
    for _ in range(2):
        ctx.clock.advance(days=1)
        engine_run()
    assert summary(ctx.engine) == [(GAP, "resolved")]


def test_an_unreachable_responder_opens_and_resolves_when_a_contact_is_added(
    ctx: Ctx, engine_run: Any, tmp_path: Path
) -> None:
    apply(ctx.engine, tmp_path, layer_start=COVERED, level2="carl", carl_reachable=False)
    engine_run()
    ctx.clock.advance(days=1)
    engine_run()
    [opened] = incidents(ctx.engine)
    assert (opened["dedup_key"], opened["status"]) == (CARL, "triggered")
    assert opened["title"] == "carl can be paged for cart but has no contact"

    apply(ctx.engine, tmp_path, layer_start=COVERED, level2="carl", carl_reachable=True)
    engine_run()  # the same day: the check waits for its next run
    assert summary(ctx.engine) == [(CARL, "triggered")]
    ctx.clock.advance(days=1)
    engine_run()
    assert summary(ctx.engine) == [(CARL, "resolved")]


class Crashing(SqlRaiseEarlyStore):
    """Opens the first problem, then the process dies."""

    def open(self, raised: Raised, now: datetime) -> bool:
        if self.opened:
            raise SystemExit("killed")
        self.opened = super().open(raised, now)
        return self.opened

    opened = False


def test_a_restart_in_the_middle_of_a_run_does_not_open_twice(
    ctx: Ctx, engine_run: Any, tmp_path: Path
) -> None:
    apply(ctx.engine, tmp_path, layer_start=LATE, level2="carl", carl_reachable=False)
    catalog_store, schedules = SqlCatalogStore(ctx.engine), SqlScheduleStore(ctx.engine)

    def world(now: datetime) -> World:
        return catalog_world(catalog_store, schedules, now, History())

    with pytest.raises(SystemExit):
        raise_early.daily(store=Crashing(ctx.engine), world=world, now=ctx.clock.now())
    assert summary(ctx.engine) == [(GAP, "triggered")]

    ctx.clock.advance(minutes=5)  # restarted within the cut run's lease: nothing yet
    engine_run()
    assert summary(ctx.engine) == [(GAP, "triggered")]
    ctx.clock.advance(minutes=6)  # the lease is over: the run is done again
    engine_run()
    assert summary(ctx.engine) == [(GAP, "triggered"), (CARL, "triggered")]
    for _ in range(2):
        ctx.clock.advance(days=1)
        engine_run()
    assert summary(ctx.engine) == [(GAP, "triggered"), (CARL, "triggered")]


@pytest.mark.parametrize(
    ("managers", "policy"),
    [
        (("ann", "dan"), [{"user": "ann"}, {"user": "dan"}]),
        ((), None),  # no manager: no policy, never-silent paging takes it to the admins
    ],
)
def test_the_frozen_policy_names_the_managers(
    managers: tuple[str, ...], policy: list[dict[str, str]] | None
) -> None:
    from ownit.domain.standards.raise_early import managers_policy

    found = managers_policy(Raised(GAP, "shop", managers, "cart", "gap"))
    got = None if found is None else found.to_json()["levels"][0]["targets"]  # type: ignore[index]
    assert got == policy
