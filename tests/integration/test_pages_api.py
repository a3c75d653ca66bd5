"""``GET /api/v1/pages``: who was paged lately for which team's incident (SQLite and
PostgreSQL, a real webhook receiver, fake clock)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.integration.paging_world import World, paging_world, payments_on_call

KEY = "pages0000000000000000000000000p1"

CATALOG = """
apiVersion: ownit/v1
kind: User
metadata: {{name: alice}}
spec:
  email: alice@example.com
  contacts:
    - {{name: hook, type: webhook, url: "{hook}/alice", secret: "{secret}"}}
---
apiVersion: ownit/v1
kind: Team
metadata: {{name: search}}
spec:
  members: [{{user: alice, role: responder}}]
---
apiVersion: ownit/v1
kind: Drill
metadata: {{name: weekly}}
spec: {{service: checkout-api}}
---
""" + payments_on_call()


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Iterator[World]:
    with paging_world(engine, tmp_path, CATALOG, KEY) as found:
        yield found


def pages(world: World, **params: Any) -> list[tuple[str, str, int, str]]:
    r = world.client.get(
        "/api/v1/pages", params=params, headers={"Authorization": f"Bearer {world.token}"}
    )
    assert r.status_code == 200, r.text
    return [(p["user"], p["team"], p["number"], p["service"]) for p in r.json()["pages"]]


ALICE = [("alice", "payments", 1, "checkout-api")]


@pytest.mark.parametrize(
    ("later", "params", "want"),
    [
        (0, {"team": "payments", "within_seconds": 60}, ALICE),
        (0, {"service": "checkout-api"}, ALICE),
        (0, {"team": "payments", "service": "checkout-api"}, ALICE),
        (0, {"team": "search", "within_seconds": 60}, []),  # alice is in it; not its service
        (120, {"team": "payments", "within_seconds": 60}, []),  # paged too long ago
        (120, {"team": "payments", "within_seconds": 300}, ALICE),
        (120, {}, ALICE),  # default: the last hour
        (4000, {}, []),
    ],
)
def test_recent_pages(world: World, later: int, params: dict[str, Any], want: list[Any]) -> None:
    world.send()
    world.cycle()
    assert world.pages() == ["/alice"]  # she was really paged
    world.clock.advance(seconds=later)
    assert pages(world, **params) == want


def test_no_page_no_row(world: World) -> None:
    """An incident nobody was paged for yet (the engine has not run) is not a page."""
    world.send()
    assert pages(world, team="payments") == []


@pytest.mark.parametrize(
    ("drills", "want"),
    [
        (None, [(2, True), (1, False)]),  # default: practice pages are pages too
        ("include", [(2, True), (1, False)]),
        ("exclude", [(1, False)]),
        ("only", [(2, True)]),
    ],
)
def test_the_drills_filter(world: World, drills: str | None, want: list[Any]) -> None:
    world.send()
    r = world.client.post(
        "/api/v1/drills/weekly/run", headers={"Authorization": f"Bearer {world.token}"}
    )
    assert r.status_code == 201, r.text
    world.cycle()
    assert world.pages() == ["/alice"]  # both pages, bundled into one message to her
    params = {"team": "payments"} | ({"drills": drills} if drills is not None else {})
    r = world.client.get(
        "/api/v1/pages", params=params, headers={"Authorization": f"Bearer {world.token}"}
    )
    assert r.status_code == 200, r.text
    assert [(p["number"], p["drill"]) for p in r.json()["pages"]] == want


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"drills": "never"}, 400, "drills"),
        ({"team": "nobody"}, 400, "team"),
        ({"service": "nowhere"}, 400, "service"),
        ({"within_seconds": 0}, 422, "within_seconds"),
        ({"within_seconds": 32 * 86400}, 422, "within_seconds"),
        ({"limit": 0}, 422, "limit"),
    ],
)
def test_bad_queries_name_the_field(
    world: World, params: dict[str, Any], status: int, field: str
) -> None:
    r = world.client.get(
        "/api/v1/pages", params=params, headers={"Authorization": f"Bearer {world.token}"}
    )
    assert r.status_code == status, r.text
    assert field in r.text


def test_pages_need_a_token(world: World) -> None:
    assert world.client.get("/api/v1/pages").status_code == 401


MONOLITH_KEY = "pagesmonolith0000000000000000001"

MONOLITH = """
apiVersion: ownit/v1
kind: User
metadata: {{name: alice}}
spec:
  email: alice@example.com
  contacts:
    - {{name: hook, type: webhook, url: "{hook}/alice", secret: "{secret}"}}
---
apiVersion: ownit/v1
kind: Team
metadata: {{name: payments}}
spec: {{members: [{{user: alice, role: manager}}]}}
---
apiVersion: ownit/v1
kind: Team
metadata: {{name: refunds}}
spec: {{members: [{{user: alice, role: manager}}]}}
---
apiVersion: ownit/v1
kind: EscalationPolicy
metadata: {{name: payments}}
spec: {{team: payments, levels: [{{after: 10m, targets: [{{user: alice}}]}}]}}
---
apiVersion: ownit/v1
kind: Service
metadata: {{name: monolith}}
spec:
  owner: payments
  escalationPolicy: payments
  urgency: high
  components:
    - {{name: refunds, owner: refunds, match: ['module="refunds"']}}
  integrations: [{{name: events, type: events-v2, key: {key}}}]
"""


@pytest.mark.parametrize(
    ("team", "want"),
    [
        ("refunds", [("alice", "refunds", 1, "monolith")]),  # the component's owner
        ("payments", [("alice", "payments", 2, "monolith")]),  # the rest of the service
    ],
)
def test_a_component_page_belongs_to_the_component_owner(
    engine: Engine, tmp_path: Path, team: str, want: list[Any]
) -> None:
    with paging_world(engine, tmp_path, MONOLITH, MONOLITH_KEY) as world:
        world.send(dedup="refund-fail", module="refunds")
        world.send(dedup="slow")
        world.cycle()
        assert [world.incident(n)["component"] for n in ("1", "2")] == ["refunds", None]
        assert pages(world, team=team) == want
