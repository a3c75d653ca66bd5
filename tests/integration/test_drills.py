"""Paging drills through the real pipeline (SQLite and PostgreSQL, fake clock, a real webhook
receiver and SMTP server on loopback): the drill incident is marked everywhere, an
acknowledgement scores and completes it, a forgotten one auto-resolves, a second run while
one is open is refused, a scheduled drill runs from the engine's durable timer, and
analytics leaves drills out unless asked."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine, select, update

from ownit.adapters.db import tables as t
from ownit.adapters.db.token_store import SqlTokenStore
from ownit.app.tokens import create_token
from tests.integration.paging_world import World, paging_world, payments_on_call

KEY = "drills00000000000000000000000000"

CATALOG = """
apiVersion: ownit/v1
kind: User
metadata: {{name: alice}}
spec:
  email: alice@example.com
  contacts:
    - {{name: hook, type: webhook, url: "{hook}/alice", secret: "{secret}"}}
    - {{name: mail, type: email, address: alice@example.com}}
  notificationRules:
    - {{contact: hook, after: 0m}}
    - {{contact: mail, after: 0m}}
---
apiVersion: ownit/v1
kind: Drill
metadata: {{name: payments-weekly}}
spec:
  service: checkout-api
  ackTarget: 5m
  autoResolve: 30m
---
apiVersion: ownit/v1
kind: Drill
metadata: {{name: payments-thursday}}
spec:
  service: checkout-api
  schedule: "Thu 13:00"
  timezone: Europe/Berlin
  ackTarget: 5m
  autoResolve: 10m
---
""" + payments_on_call()


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Iterator[World]:
    with paging_world(engine, tmp_path, CATALOG, KEY) as found:
        yield found


def _auth(world: World) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.token}"}


def _run(world: World, name: str = "payments-weekly") -> Any:
    return world.client.post(f"/api/v1/drills/{name}/run", headers=_auth(world))


def _runs(world: World, name: str = "payments-weekly") -> list[dict[str, Any]]:
    r = world.client.get(f"/api/v1/drills/{name}/runs", headers=_auth(world))
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()["runs"]
    return found


def test_a_drill_pages_through_the_real_pipeline_marked_as_a_drill(world: World) -> None:
    r = _run(world)
    assert r.status_code == 201, r.text
    number = r.json()["incident"]["number"]
    incident = world.incident(str(number))
    assert incident["drill"] is True
    assert incident["title"].startswith("[DRILL] ")
    world.cycle()
    assert world.pages() == ["/alice"]
    data = orjson.loads(world.hook.requests[0].body)["data"]
    assert data["drill"] is True
    assert data["title"].startswith("[DRILL] ")
    [mail] = world.mail
    assert str(mail["Subject"]).startswith("[DRILL] ")
    body = mail.get_payload()[0].get_payload(decode=True).decode()  # type: ignore[index,union-attr]
    assert body.splitlines()[0].startswith("[DRILL] ")
    timeline = world.client.get(f"/api/v1/incidents/{number}/timeline", headers=_auth(world))
    kinds = [(e["kind"], e["message"]) for e in timeline.json()["timeline"]]
    assert any(k == "drill" and "this is a DRILL (payments-weekly)" in m for k, m in kinds)


def test_a_real_incident_is_not_marked(world: World) -> None:
    world.send()
    world.cycle()
    assert world.incident()["drill"] is False
    assert orjson.loads(world.hook.requests[0].body)["data"]["drill"] is False
    assert not str(world.mail[0]["Subject"]).startswith("[DRILL]")


def test_acknowledging_scores_the_run_and_completes_the_drill(world: World) -> None:
    assert _run(world).status_code == 201
    world.cycle()
    world.clock.advance(minutes=2)
    ack = world.client.post("/api/v1/incidents/1/acknowledge", headers=_auth(world))
    assert ack.status_code == 200, ack.text
    world.cycle()
    incident = world.incident()
    assert incident["status"] == "resolved"
    assert incident["resolved_by"] == "drill"
    assert any(m.startswith("drill complete") for _, m in world.resolutions())
    [run] = _runs(world)
    assert run["incident"] == 1
    assert run["seconds_to_ack"] == 120
    assert run["met_target"] is True
    assert run["levels_reached"] == 1
    assert run["acknowledged_by"] == "token/ops"
    assert run["started_at"] == "2026-11-26T12:00:00+00:00"
    contacts = {(c["user"], c["contact"], c["type"], c["delivered"]) for c in run["contacts"]}
    assert contacts == {("alice", "hook", "webhook", True), ("alice", "mail", "email", True)}
    assert all(c["sent_at"] == "2026-11-26T12:00:00+00:00" for c in run["contacts"])
    listed = world.client.get("/api/v1/drills", headers=_auth(world)).json()["drills"]
    weekly = next(d for d in listed if d["name"] == "payments-weekly")
    assert weekly["hit_rate"] == 1.0
    assert weekly["last_run"]["id"] == run["id"]
    assert weekly["team"] == "payments"


@pytest.mark.parametrize(
    ("ack_after_minutes", "met"),
    [(4, True), (5, True), (6, False)],
)
def test_the_ack_target_decides_the_verdict(
    world: World, ack_after_minutes: int, met: bool
) -> None:
    assert _run(world).status_code == 201
    world.cycle(minutes=ack_after_minutes)
    world.client.post("/api/v1/incidents/1/acknowledge", headers=_auth(world))
    world.cycle()
    [run] = _runs(world)
    assert run["seconds_to_ack"] == ack_after_minutes * 60
    assert run["met_target"] is met


def test_a_drill_nobody_acknowledges_auto_resolves_and_counts_as_missed(world: World) -> None:
    assert _run(world).status_code == 201
    world.cycle()
    world.cycle(minutes=29, seconds=59)
    assert world.incident()["status"] == "triggered"
    assert _runs(world)[0]["met_target"] is False  # past its 5m target already
    world.cycle(seconds=1)
    assert world.incident()["status"] == "resolved"
    [run] = _runs(world)
    assert run["acknowledged_at"] is None
    assert run["met_target"] is False
    listed = world.client.get("/api/v1/drills", headers=_auth(world)).json()["drills"]
    assert next(d for d in listed if d["name"] == "payments-weekly")["hit_rate"] == 0.0


def test_running_a_drill_whose_previous_run_is_open_is_refused(world: World) -> None:
    assert _run(world).status_code == 201
    again = _run(world)
    assert again.status_code == 409
    assert "still running (incident #1)" in again.json()["detail"]
    world.client.post("/api/v1/incidents/1/resolve", headers=_auth(world))
    world.cycle()  # the engine ends the run: the drill may run again
    assert _run(world).status_code == 201


def test_a_drill_whose_service_lost_its_policy_is_refused_naming_why(world: World) -> None:
    with world.engine.begin() as conn:
        conn.execute(update(t.services).values(escalation_policy_id=None))
    r = _run(world)
    assert r.status_code == 422
    problem = r.json()
    assert problem["errors"][0]["field"] == "service"
    assert "checkout-api has no escalation policy" in problem["detail"]
    missing = _run(world, "no-such-drill")
    assert missing.status_code == 404


def test_a_drill_on_a_service_in_maintenance_is_refused_and_leaves_nothing_open(
    world: World,
) -> None:
    admin = create_token(
        store=SqlTokenStore(world.engine), clock=world.clock, name="boss", role="admin"
    )
    window = world.client.post(
        "/api/v1/maintenance-windows",
        json={"services": ["checkout-api"], "duration": "10m"},
        headers={"Authorization": f"Bearer {admin}"},
    )
    assert window.status_code == 201, window.text
    r = _run(world)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "service"
    assert "maintenance window" in r.json()["detail"]
    assert _runs(world) == []  # the run rolled back with its event: nothing stays open
    world.cycle(minutes=11)  # the window is over: the drill runs
    assert _run(world).status_code == 201


def test_a_scheduled_drill_runs_from_the_engine_at_its_local_time(world: World) -> None:
    # 13:00 in Berlin on Thursday 26 November is 12:00 UTC: the clock's start; next week too.
    with world.engine.connect() as conn:
        due = conn.execute(
            select(t.drills.c.next_run_at).where(t.drills.c.name == "payments-thursday")
        ).scalar_one()
    assert due == datetime(2026, 12, 3, 12, 0, tzinfo=UTC)  # applied at 12:00: next week's
    world.clock.advance(days=7)
    world.work.run_once()
    [run] = _runs(world, "payments-thursday")
    assert run["started_at"] == "2026-12-03T12:00:00+00:00"
    with world.engine.connect() as conn:
        again = conn.execute(
            select(t.drills.c.next_run_at).where(t.drills.c.name == "payments-thursday")
        ).scalar_one()
    assert again == datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
    world.cycle(minutes=10)  # its own autoResolve
    assert world.incident(str(run["incident"]))["status"] == "resolved"


@pytest.mark.parametrize(
    ("drills", "count"),
    [(None, 1), ("exclude", 1), ("include", 2), ("only", 1)],
)
def test_analytics_leaves_drills_out_unless_asked(
    world: World, drills: str | None, count: int
) -> None:
    world.send()
    assert _run(world).status_code == 201
    world.cycle()
    params = {"since": "2026-11-26T00:00:00Z", "until": "2026-11-27T00:00:00Z"}
    if drills is not None:
        params["drills"] = drills
    r = world.client.get("/api/v1/analytics/incidents", params=params, headers=_auth(world))
    assert r.status_code == 200, r.text
    assert r.json()["count"] == count
    if drills == "only":
        # The one counted is the drill: the real one is still unacknowledged.
        world.client.post("/api/v1/incidents/2/acknowledge", headers=_auth(world))
        again = world.client.get(
            "/api/v1/analytics/incidents", params=params, headers=_auth(world)
        ).json()
        assert again["acknowledged"] == 1


COMPONENT_CATALOG = """
apiVersion: ownit/v1
kind: User
metadata: {{name: alice}}
spec:
  email: alice@example.com
  contacts: [{{name: hook, type: webhook, url: "{hook}/alice", secret: "{secret}"}}]
  notificationRules: [{{contact: hook, after: 0m}}]
---
apiVersion: ownit/v1
kind: User
metadata: {{name: bob}}
spec:
  email: bob@example.com
  contacts: [{{name: hook, type: webhook, url: "{hook}/bob", secret: "{secret}"}}]
  notificationRules: [{{contact: hook, after: 0m}}]
---
apiVersion: ownit/v1
kind: Team
metadata: {{name: shop}}
spec: {{members: [{{user: alice, role: manager}}, {{user: bob}}]}}
---
apiVersion: ownit/v1
kind: EscalationPolicy
metadata: {{name: shop}}
spec: {{team: shop, levels: [{{after: 10m, targets: [{{user: alice}}]}}]}}
---
apiVersion: ownit/v1
kind: EscalationPolicy
metadata: {{name: checkout}}
spec: {{team: shop, levels: [{{after: 10m, targets: [{{user: bob}}]}}]}}
---
apiVersion: ownit/v1
kind: Service
metadata: {{name: shop}}
spec:
  owner: shop
  escalationPolicy: shop
  components: [{{name: checkout, escalationPolicy: checkout, match: ['module="checkout"']}}]
  integrations: [{{name: events, type: events-v2, key: {key}}}]
---
apiVersion: ownit/v1
kind: Drill
metadata: {{name: checkout-drill}}
spec: {{component: shop/checkout}}
"""


def test_a_component_drill_pages_the_components_own_policy(engine: Engine, tmp_path: Path) -> None:
    with paging_world(engine, tmp_path, COMPONENT_CATALOG, KEY) as world:
        r = _run(world, "checkout-drill")
        assert r.status_code == 201, r.text
        incident = r.json()["incident"]
        assert (incident["service"], incident["component"]) == ("shop", "checkout")
        world.cycle()
        assert world.pages() == ["/bob"]  # the component's policy, not the service's


def _drilled(world: World) -> tuple[bool, str]:
    r = world.client.get("/api/v1/standards?service=checkout-api", headers=_auth(world))
    assert r.status_code == 200, r.text
    (service,) = r.json()["services"]
    (check,) = [c for c in service["standards"] if c["id"] == "drilled-recently"]
    return check["ok"], check["why"]


def test_the_drilled_recently_standard_reads_acknowledged_runs(
    engine: Engine, tmp_path: Path
) -> None:
    tier_one = CATALOG.replace(
        "  escalationPolicy: payments", "  tier: 1\n  escalationPolicy: payments"
    )
    assert tier_one != CATALOG
    with paging_world(engine, tmp_path, tier_one, KEY) as world:
        ok, why = _drilled(world)
        assert not ok, why
        assert "no drill on policy payments was ever acknowledged" in why
        assert _run(world).status_code == 201
        world.cycle()
        ack = world.client.post("/api/v1/incidents/1/acknowledge", headers=_auth(world))
        assert ack.status_code == 200, ack.text
        world.cycle()
        ok, why = _drilled(world)
        assert ok, why
        assert "policy payments was drilled on 2026-11-26" in why
        world.clock.advance(days=91)
        ok, why = _drilled(world)
        assert not ok, why
        assert "over 90 days ago" in why
