"""``POST /api/v1/services/{name}/test-event`` (decision 0060): a test event to a service by
name, with an API token, through the real pipeline and marked as a drill; who may send one,
what is audited, the rate limit, and every bad input named (SQLite and PostgreSQL, a real
webhook receiver, fake clock)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from ownit.adapters.db import tables as t
from ownit.adapters.db.org_settings_store import SqlOrgSettings
from ownit.adapters.db.token_store import SqlTokenStore
from ownit.app.tokens import create_token
from ownit.bootstrap import build_app
from tests.integration.paging_world import World, paging_world, payments_on_call

KEY = "testevents0000000000000000000001"

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
metadata: {{name: lonely}}
spec: {{owner: payments}}
---
""" + payments_on_call()


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Iterator[World]:
    with paging_world(engine, tmp_path, CATALOG, KEY) as found:
        yield found


def _send(
    world: World, service: str = "checkout-api", token: str | None = None, **body: Any
) -> Any:
    return world.client.post(
        f"/api/v1/services/{service}/test-event",
        json={"summary": "disk full"} | body,
        headers={"Authorization": f"Bearer {token or world.token}"},
    )


def _token(world: World, role: str, scopes: str | None = None) -> str:
    store = SqlTokenStore(world.engine)
    name = f"{role}-{scopes or 'all'}"
    return create_token(store=store, clock=world.clock, name=name, role=role, scopes=scopes)


def test_a_test_event_pages_the_owner_marked_as_a_drill(world: World) -> None:
    r = _send(world, severity="error", dedup_key="chaos-1")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["dedup_key"] == "chaos-1"
    incident = body["incident"]
    assert (incident["number"], incident["drill"], incident["service"]) == (1, True, "checkout-api")
    assert incident["title"] == "[DRILL] test event: disk full"
    assert incident["severity"] == "error"
    world.cycle()
    assert world.pages() == ["/alice"]  # a real page through the policy
    data = orjson.loads(world.hook.requests[0].body)["data"]
    assert (data["drill"], data["title"]) == (True, "[DRILL] test event: disk full")
    pages = world.client.get(
        "/api/v1/pages",
        params={"team": "payments", "drills": "only"},
        headers={"Authorization": f"Bearer {world.token}"},
    ).json()["pages"]
    assert [(p["number"], p["drill"]) for p in pages] == [(1, True)]
    analytics = world.client.get(
        "/api/v1/analytics/incidents",
        params={"since": "2026-11-26T00:00:00+00:00", "until": "2026-11-27T00:00:00+00:00"},
        headers={"Authorization": f"Bearer {world.token}"},
    )
    assert analytics.status_code == 200, analytics.text
    assert analytics.json()["count"] == 0  # practice: left out of the figures
    a = t.audit_log
    with world.engine.connect() as conn:
        rows = conn.execute(
            select(a.c.actor, a.c.kind, a.c.name, a.c.action, a.c.after).where(
                a.c.action == "test-event"
            )
        ).all()
    assert [(r.actor, r.kind, r.name, r.action) for r in rows] == [
        ("token/ops", "service", "checkout-api", "test-event")
    ]
    assert rows[0].after == {
        "dedup_key": "chaos-1",
        "summary": "disk full",
        "severity": "error",
        "incident": "#1",
    }


def test_acknowledging_it_ends_it_like_a_drill(world: World) -> None:
    assert _send(world).status_code == 201
    world.cycle()
    ack = world.client.post(
        "/api/v1/incidents/1/acknowledge", headers={"Authorization": f"Bearer {world.token}"}
    )
    assert ack.status_code == 200
    world.cycle(seconds=1)
    assert world.incident("1")["status"] == "resolved"
    assert _send(world).status_code == 201  # a new test event opens a new incident
    assert world.incident("2")["drill"] is True


@pytest.mark.parametrize(
    ("service", "body", "status", "field"),
    [
        ("nowhere", {}, 404, None),
        ("lonely", {}, 422, "service"),  # no escalation policy: it would page nobody
        ("checkout-api", {"summary": ""}, 422, "summary"),
        ("checkout-api", {"summary": " "}, 422, "summary"),
        ("checkout-api", {"summary": "x" * 1025}, 422, "summary"),
        ("checkout-api", {"severity": "dire"}, 422, "severity"),
        ("checkout-api", {"dedup_key": "has space"}, 422, "dedup_key"),
        ("checkout-api", {"dedup_key": "k" * 65}, 422, "dedup_key"),
    ],
)
def test_bad_input_is_named(
    world: World, service: str, body: dict[str, Any], status: int, field: str | None
) -> None:
    r = _send(world, service, **body)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    if field is not None:
        assert field in [e["field"] for e in r.json()["errors"]]
    else:
        assert "nowhere" in r.json()["detail"]
    assert (
        world.client.get(
            "/api/v1/incidents", headers={"Authorization": f"Bearer {world.token}"}
        ).json()["incidents"]
        == []
    )


def test_the_same_dedup_key_while_open_is_a_conflict(world: World) -> None:
    assert _send(world, dedup_key="same").status_code == 201
    again = _send(world, dedup_key="same")
    assert again.status_code == 409, again.text
    assert again.json()["detail"] == (
        "a test event with dedup key 'same' is still open on checkout-api (incident #1): "
        "acknowledge or resolve it, or send another dedup key"
    )


@pytest.mark.parametrize(
    ("role", "scopes", "by_team", "status"),
    [
        ("viewer", None, False, 403),
        ("responder", "read", False, 403),  # the write needs the incidents scope
        ("responder", "incidents", False, 201),
        ("responder", None, False, 201),
        ("responder", None, True, 403),  # responding by team: not in team payments
        ("admin", None, True, 201),
    ],
)
def test_who_may_send_one(
    world: World, role: str, scopes: str | None, by_team: bool, status: int
) -> None:
    if by_team:
        SqlOrgSettings(world.engine).set_responding("team", world.clock.now())
    r = _send(world, token=_token(world, role, scopes))
    assert r.status_code == status, r.text


def test_two_processes_share_the_count(world: World) -> None:
    """Counted in the database (decision 0055): a second app on the same database (another
    server process) sees what the first spent."""
    with TestClient(build_app(world.settings, world.engine, clock=world.clock)) as other:
        auth = {"Authorization": f"Bearer {world.token}"}
        codes = []
        for n in range(6):
            client = world.client if n % 2 else other
            body = {"summary": "disk full", "dedup_key": f"shared-{n}"}
            sent = client.post("/api/v1/services/checkout-api/test-event", json=body, headers=auth)
            codes.append(sent.status_code)
    assert codes == [201] * 5 + [429]


def test_five_a_minute_per_caller(world: World) -> None:
    codes = [_send(world).status_code for _ in range(6)]
    assert codes == [201] * 5 + [429]
    assert _send(world, token=_token(world, "responder")).status_code == 201  # per caller
    world.clock.advance(seconds=13)  # a minute refills five: one every 12 s
    assert _send(world).status_code == 201
