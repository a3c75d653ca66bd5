"""Game days through the real pipeline (SQLite and PostgreSQL, fake clock, a real webhook
receiver): steps injected as drill events (the first at once, the next by the engine's
durable timer), expectations met or missed with measured times, a report with its timeline,
findings and action items, and its Markdown export."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine, select

from ownit.adapters.db import tables as t
from ownit.adapters.db.drill_store import SqlDrillStore
from ownit.adapters.db.gameday_store import SqlGameDayStore
from ownit.app import gamedays
from ownit.app.drills import DrillInfo, DrillStillOpen
from tests.integration.paging_world import World, paging_world, payments_on_call

KEY = "gamedays000000000000000000000000"

CATALOG = """
apiVersion: ownit/v1
kind: User
metadata: {{name: alice}}
spec:
  email: alice@example.com
  contacts: [{{name: hook, type: webhook, url: "{hook}/alice", secret: "{secret}"}}]
  notificationRules: [{{contact: hook, after: 0m}}]
---
apiVersion: ownit/v1
kind: Service
metadata: {{name: payments-db}}
spec: {{owner: payments, escalationPolicy: payments, urgency: high}}
---
apiVersion: ownit/v1
kind: GameDay
metadata: {{name: checkout-outage}}
spec:
  description: the payments database fails during peak
  steps:
    - {{after: 0s, service: payments-db, event: {{summary: db unreachable, severity: critical}}}}
    - {{after: 30s, service: checkout-api, event: {{summary: "error rate 12%", severity: error}}}}
  expect:
    - {{team: payments, pagedWithin: 2m}}
    - {{service: checkout-api, acknowledgedWithin: 10m}}
---
""" + payments_on_call()


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Iterator[World]:
    with paging_world(engine, tmp_path, CATALOG, KEY) as found:
        yield found


def _auth(world: World) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.token}"}


def _report(world: World, run_id: int) -> dict[str, Any]:
    r = world.client.get(f"/api/v1/gamedays/checkout-outage/runs/{run_id}", headers=_auth(world))
    assert r.status_code == 200, r.text
    found: dict[str, Any] = r.json()
    return found


def _start(world: World) -> dict[str, Any]:
    r = world.client.post("/api/v1/gamedays/checkout-outage/run", headers=_auth(world))
    assert r.status_code == 201, r.text
    found: dict[str, Any] = r.json()
    return found


def test_steps_are_injected_on_time_as_drill_events(world: World) -> None:
    run = _start(world)
    assert [s["incident"] for s in run["steps"]] == [1, None]
    assert world.incident("1")["drill"] is True
    assert world.incident("1")["title"] == "[DRILL] checkout-outage/1/0: db unreachable"
    world.cycle()
    assert world.pages() == ["/alice"]
    assert orjson.loads(world.hook.requests[0].body)["data"]["drill"] is True
    world.cycle(seconds=29)
    assert _report(world, run["id"])["steps"][1]["incident"] is None
    world.cycle(seconds=1)  # the second step's timer, 30 s after the start
    report = _report(world, run["id"])
    assert report["steps"][1]["incident"] == 2
    assert report["steps"][1]["injected_at"] == "2026-11-26T12:00:30+00:00"
    second = world.incident("2")
    assert second["drill"] is True
    assert second["service"] == "checkout-api"
    assert second["severity"] == "error"


def test_expectations_met_with_measured_times(world: World) -> None:
    run = _start(world)
    world.cycle()
    world.cycle(seconds=30)
    world.cycle(minutes=2)
    ack = world.client.post("/api/v1/incidents/2/acknowledge", headers=_auth(world))
    assert ack.status_code == 200
    world.cycle()
    report = _report(world, run["id"])
    assert report["expectations"] == [
        {
            "team": "payments",
            "expect": "pagedWithin",
            "within_seconds": 120,
            "measured_seconds": 0,
            "met": True,
        },
        {
            "service": "checkout-api",
            "expect": "acknowledgedWithin",
            "within_seconds": 600,
            "measured_seconds": 120,
            "met": True,
        },
    ]
    messages = [e["message"] for e in report["timeline"]]
    assert messages[0] == "step 1: db unreachable on payments-db"
    assert "step 2: error rate 12% on checkout-api" in messages
    assert any(m.startswith("resolved: drill complete") for m in messages)


def test_an_expectation_nobody_meets_is_missed(world: World) -> None:
    run = _start(world)
    world.cycle()
    world.cycle(seconds=30)
    assert _report(world, run["id"])["expectations"][1]["met"] is None  # still inside 10m
    world.cycle(minutes=10, seconds=1)
    verdict = _report(world, run["id"])["expectations"][1]
    assert verdict["met"] is False
    assert verdict["measured_seconds"] is None


def test_findings_action_items_and_the_markdown_export(world: World) -> None:
    run = _start(world)
    base = f"/api/v1/gamedays/checkout-outage/runs/{run['id']}"
    r = world.client.post(
        f"{base}/findings", json={"text": "the runbook link was stale"}, headers=_auth(world)
    )
    assert r.status_code == 201
    r = world.client.post(
        f"{base}/actions",
        json={"title": "Fix the runbook link", "owner": "alice", "due": "2026-12-10"},
        headers=_auth(world),
    )
    assert r.status_code == 201
    assert r.json()["action_item"] == {
        "title": "Fix the runbook link",
        "owner": "alice",
        "due": "2026-12-10",
        "status": "open",
        "link": None,
    }
    r = world.client.patch(f"{base}/actions/1", json={"status": "done"}, headers=_auth(world))
    assert r.json()["action_item"]["status"] == "done"
    bad = world.client.patch(f"{base}/actions/1", json={"status": "maybe"}, headers=_auth(world))
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "status"
    md = world.client.get(f"{base}.md", headers=_auth(world))
    assert md.status_code == 200
    assert md.headers["content-type"].startswith("text/markdown")
    text = md.text
    assert text.startswith(f"# Game day checkout-outage — run {run['id']}\n")
    assert "| team payments paged | 120 s |" in text
    assert "- the runbook link was stale" in text
    assert "| 1 | Fix the runbook link | alice | 2026-12-10 | done | — |" in text


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/gamedays/nope/run", 404),
        ("/api/v1/gamedays/checkout-outage/runs/99", 404),
    ],
)
def test_unknown_game_days_and_runs(world: World, path: str, status: int) -> None:
    if path.endswith("/run"):
        r = world.client.post(path, headers=_auth(world))
    else:
        r = world.client.get(path, headers=_auth(world))
    assert r.status_code == status


class _Crash(RuntimeError):
    """The engine process dies here."""


class _DiesBeforeSaving(SqlGameDayStore):
    def save_steps(self, run_id: int, steps: list[dict[str, Any]], next_at: Any) -> None:
        raise _Crash("killed between the step's incident and the saved plan")


class _DiesBeforeInjecting(SqlDrillStore):
    def start(self, *args: Any, **kwargs: Any) -> Any:
        raise _Crash("killed between the claim and the step's incident")


def _step_runs(world: World, run_id: int, index: int) -> list[int | None]:
    r = t.drill_runs
    with world.engine.connect() as conn:
        rows = conn.execute(
            select(r.c.incident_id).where(r.c.drill == f"checkout-outage/{run_id}/{index}")
        ).all()
    return [row.incident_id for row in rows]


@pytest.mark.parametrize(
    ("crash", "injected_at"),
    [
        # the step's incident was committed, the plan not: found again, not injected twice
        ("after-inject", "2026-11-26T12:00:30+00:00"),
        # claimed, nothing injected: injected when the claim's lease ran out
        ("before-inject", "2026-11-26T12:01:31+00:00"),
    ],
)
def test_a_crash_between_claim_and_save_neither_skips_nor_doubles_a_step(
    world: World, crash: str, injected_at: str
) -> None:
    run = _start(world)
    world.clock.advance(seconds=30)
    days, drills = SqlGameDayStore(world.engine), SqlDrillStore(world.engine)
    if crash == "after-inject":
        days = _DiesBeforeSaving(world.engine)
    else:
        drills = _DiesBeforeInjecting(world.engine)
    with pytest.raises(_Crash):
        gamedays.engine_pass(store=days, drills=drills, now=world.clock.now())
    assert len(_step_runs(world, run["id"], 1)) == (1 if crash == "after-inject" else 0)
    world.cycle(seconds=1)  # restarted: the claim's lease still holds, nobody takes the run
    assert _report(world, run["id"])["steps"][1]["incident"] is None
    world.cycle(seconds=60)  # the lease ran out: the run is claimed again
    world.cycle(seconds=1)
    step = _report(world, run["id"])["steps"][1]
    assert (step["incident"], step["injected_at"], step["error"]) == (2, injected_at, None)
    assert len(_step_runs(world, run["id"], 1)) == 1
    assert len(_step_runs(world, run["id"], 0)) == 1
    world.cycle(minutes=5)
    assert len(_step_runs(world, run["id"], 1)) == 1  # nothing injected it again later


@pytest.mark.parametrize("ended", [False, True], ids=["step-open", "step-already-ended"])
def test_two_engines_claiming_the_same_step_inject_it_once(world: World, ended: bool) -> None:
    """The request and an engine (or two engines past a lease) both advance the run from
    the same saved plan: the step is one drill run and one incident, even when its drill run
    ended (acknowledged, resolved) before the late one got to it."""
    run = _start(world)
    world.clock.advance(seconds=30)
    days, drills = SqlGameDayStore(world.engine), SqlDrillStore(world.engine)
    stale = days.run_by_id(run["id"])

    class _ReadBeforeTheOtherSaved(SqlGameDayStore):
        def run_by_id(self, run_id: int) -> Any:
            return stale

    now = world.clock.now()
    first = gamedays.advance(store=days, drills=drills, run_id=run["id"], now=now)
    if ended:
        ack = world.client.post("/api/v1/incidents/2/acknowledge", headers=_auth(world))
        assert ack.status_code == 200
        world.work.run_once()  # the engine completes the drill run: it is no longer open
        assert world.incident("2")["status"] == "resolved"
    late = _ReadBeforeTheOtherSaved(world.engine)
    second = gamedays.advance(store=late, drills=drills, run_id=run["id"], now=now)
    assert (first, second) == (1, 0)
    assert len(_step_runs(world, run["id"], 1)) == 1
    step = _report(world, run["id"])["steps"][1]
    assert (step["incident"], step["error"]) == (2, None)


def test_the_store_refuses_a_step_that_ran_even_once_it_ended(world: World) -> None:
    """The last guard, in the step's own transaction: a second start of the same step (a
    late engine that looked before the first committed) is refused, open or ended."""
    run = _start(world)
    drills = SqlDrillStore(world.engine)
    day = SqlGameDayStore(world.engine).gameday("checkout-outage")
    assert day is not None
    step = gamedays.step_drill(day, run["id"], 0, "payments-db")
    info = DrillInfo(step, "payments", "payments")
    [earlier] = drills.runs(step.name)
    drills.end(earlier.id, world.clock.now())
    with pytest.raises(DrillStillOpen):
        drills.start(info, by="late", now=world.clock.now(), gameday_run=run["id"])
    assert len(_step_runs(world, run["id"], 0)) == 1
