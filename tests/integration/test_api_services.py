"""``/api/v1/services/{name}/dependencies`` and ``/api/v1/incidents/{ref}/context``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ownit.adapters.catalog.yaml_source import load_files
from ownit.adapters.db.catalog_store import SqlCatalogStore
from ownit.app import catalog, dependencies
from ownit.app.accounts import OrgRole
from ownit.cli.incident_context import context_lines
from tests.integration.conftest import Ctx
from tests.integration.web_helpers import ALICE, add_logins, login

DB_KEY = "db" + "0" * 29 + "1"
API_KEY = "api" + "0" * 28 + "1"
WEB_KEY = "web" + "0" * 28 + "1"
CATALOG = """\
apiVersion: ownit/v1
kind: User
metadata: {{name: alice}}
spec: {{email: alice@example.com}}
---
apiVersion: ownit/v1
kind: Team
metadata: {{name: shop}}
spec: {{members: [{{user: alice}}]}}
---
apiVersion: ownit/v1
kind: Service
metadata: {{name: db}}
spec:
  owner: shop
  integrations: [{{name: events, type: events-v2, key: "{db}"}}]
---
apiVersion: ownit/v1
kind: Service
metadata: {{name: fraud}}
spec: {{owner: shop, dependsOn: [db]}}
---
apiVersion: ownit/v1
kind: Service
metadata: {{name: api}}
spec:
  owner: shop
  dependsOn: [db, fraud]
  integrations: [{{name: events, type: events-v2, key: "{api}"}}]
---
apiVersion: ownit/v1
kind: Service
metadata: {{name: web}}
spec:
  owner: shop
  dependsOn: [api]
  integrations: [{{name: events, type: events-v2, key: "{web}"}}]
"""


@pytest.fixture
def shop(ctx: Ctx, tmp_path: Path) -> Ctx:
    path = tmp_path / "shop.yaml"
    path.write_text(CATALOG.format(db=DB_KEY, api=API_KEY, web=WEB_KEY), encoding="utf-8")
    loaded = load_files([str(path)])
    assert not loaded.problems
    catalog.apply(store=SqlCatalogStore(ctx.engine), documents=loaded.documents, clock=ctx.clock)
    return ctx


def trigger(ctx: Ctx, key: str, summary: str) -> None:
    body = {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": summary,
        "payload": {"summary": summary, "source": "host", "severity": "critical"},
    }
    assert ctx.client.post("/v2/enqueue", json=body).status_code == 202


def get(ctx: Ctx, path: str, status: int = 200) -> Any:
    response = ctx.client.get(path, headers=ctx.viewer)
    assert response.status_code == status, response.text
    return response.json()


@pytest.mark.parametrize(
    ("service", "upstream", "downstream"),
    [
        ("web", [("api", 1), ("db", 2), ("fraud", 2)], []),
        ("api", [("db", 1), ("fraud", 1)], [("web", 1)]),
        ("db", [], [("api", 1), ("fraud", 1), ("web", 2)]),
        ("checkout-api", [], []),
    ],
)
def test_dependencies(
    shop: Ctx,
    service: str,
    upstream: list[tuple[str, int]],
    downstream: list[tuple[str, int]],
) -> None:
    body = get(shop, f"/api/v1/services/{service}/dependencies")
    assert body["service"] == service
    assert [(r["service"], r["depth"]) for r in body["upstream"]] == upstream
    assert [(r["service"], r["depth"]) for r in body["downstream"]] == downstream
    assert body["open_incidents_upstream"] == []
    assert body["open_incidents_upstream_total"] == 0


def test_open_incidents_upstream_and_incident_context(shop: Ctx) -> None:
    trigger(shop, DB_KEY, "db disk full")  # 1
    shop.clock.advance(minutes=1)
    trigger(shop, API_KEY, "api 500s")  # 2
    shop.clock.advance(minutes=1)
    trigger(shop, WEB_KEY, "web slow")  # 3
    body = get(shop, "/api/v1/services/web/dependencies")
    assert body["open_incidents_upstream"] == [
        {"service": "api", "number": 2, "title": "api 500s", "status": "triggered", "depth": 1},
        {"service": "db", "number": 1, "title": "db disk full", "status": "triggered", "depth": 2},
    ]

    assert body["open_incidents_upstream_total"] == 2

    context = get(shop, "/api/v1/incidents/2/context")
    assert [(i["service"], i["number"]) for i in context["likely_cause_upstream"]] == [("db", 1)]
    assert [(i["service"], i["number"]) for i in context["downstream_impact"]] == [("web", 3)]
    assert (context["likely_cause_upstream_total"], context["downstream_impact_total"]) == (1, 1)

    # A resolved incident is no longer a cause; the incident itself is still served as is.
    assert shop.client.post("/api/v1/incidents/1/resolve", headers=shop.responder).is_success
    context = get(shop, "/api/v1/incidents/3/context")
    assert [(i["service"], i["number"]) for i in context["likely_cause_upstream"]] == [("api", 2)]
    assert context["downstream_impact"] == []
    assert get(shop, "/api/v1/incidents/3")["incident"]["number"] == 3


@pytest.mark.parametrize(
    ("nearest", "listed", "more_line"),
    [
        # web's upstream: api (depth 1) has #5 open; db (depth 2) has #1, #2 (acknowledged)
        # and #4 open, #3 resolved. Nearest first, then oldest; every open one is counted.
        (1, [("api", 5)], "and 3 more open upstream"),
        (2, [("api", 5), ("db", 1)], "and 2 more open upstream"),
        (3, [("api", 5), ("db", 1), ("db", 2)], "and 1 more open upstream"),
        (20, [("api", 5), ("db", 1), ("db", 2), ("db", 4)], None),
    ],
)
def test_the_nearest_open_incidents_are_listed_and_the_rest_counted(
    shop: Ctx,
    monkeypatch: pytest.MonkeyPatch,
    nearest: int,
    listed: list[tuple[str, int]],
    more_line: str | None,
) -> None:
    for summary in ("db disk full", "db slow", "db replica lag"):  # 1, 2, 3
        trigger(shop, DB_KEY, summary)
        shop.clock.advance(minutes=1)
    trigger(shop, DB_KEY, "db locks")  # 4
    shop.clock.advance(minutes=1)
    trigger(shop, API_KEY, "api 500s")  # 5, the newest, but nearest to web
    shop.clock.advance(minutes=1)
    trigger(shop, WEB_KEY, "web slow")  # 6
    assert shop.client.post("/api/v1/incidents/2/acknowledge", headers=shop.responder).is_success
    assert shop.client.post("/api/v1/incidents/3/resolve", headers=shop.responder).is_success
    monkeypatch.setattr(dependencies, "NEAREST_OPEN", nearest)

    body = get(shop, "/api/v1/services/web/dependencies")
    assert [(i["service"], i["number"]) for i in body["open_incidents_upstream"]] == listed
    assert body["open_incidents_upstream_total"] == 4
    context = get(shop, "/api/v1/incidents/6/context")
    assert [(i["service"], i["number"]) for i in context["likely_cause_upstream"]] == listed
    assert [i["depth"] for i in context["likely_cause_upstream"]] == [
        1 if service == "api" else 2 for service, _ in listed
    ]
    assert context["likely_cause_upstream_total"] == 4
    # db's downstream: fraud (none open), api #5 (depth 1), web #6 (depth 2)
    down = get(shop, "/api/v1/incidents/1/context")
    assert [(i["service"], i["number"]) for i in down["downstream_impact"]] == [
        ("api", 5),
        ("web", 6),
    ][:nearest]
    assert down["downstream_impact_total"] == 2

    # What a person reads: the page and the CLI list the same and say how many more.
    add_logins(shop.engine, shop.clock, {ALICE: OrgRole.MEMBER})
    assert login(shop.client).status_code == 303
    page = shop.client.get("/incidents/6")
    assert page.status_code == 200, page.text
    lines = context_lines(context | {"recent_changes": []})  # the CLI's lines take datetimes
    for service, number in listed:
        assert f"{service} #{number}" in page.text
        assert any(f"{service} #{number}" in line for line in lines)
    assert "db #3" not in page.text  # resolved: neither listed nor counted
    if more_line is None:
        assert "more open upstream" not in page.text
        assert not any("more open " in line for line in lines)
    else:
        assert more_line in page.text
        assert any(line.strip().endswith(more_line) for line in lines)


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/api/v1/services/nope/dependencies", "viewer", 404),
        ("/api/v1/incidents/99/context", "viewer", 404),
        ("/api/v1/services/web/dependencies", None, 401),
        ("/api/v1/incidents/1/context", None, 401),
    ],
)
def test_errors(shop: Ctx, path: str, headers: str | None, status: int) -> None:
    response = shop.client.get(path, headers=shop.viewer if headers else {})
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
