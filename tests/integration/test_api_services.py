"""``/api/v1/services/{name}/dependencies`` and ``/api/v1/incidents/{ref}/context``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ownit.adapters.catalog.yaml_source import load_files
from ownit.adapters.db.catalog_store import SqlCatalogStore
from ownit.app import catalog
from tests.integration.conftest import Ctx

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

    context = get(shop, "/api/v1/incidents/2/context")
    assert [(i["service"], i["number"]) for i in context["likely_cause_upstream"]] == [("db", 1)]
    assert [(i["service"], i["number"]) for i in context["downstream_impact"]] == [("web", 3)]

    # A resolved incident is no longer a cause; the incident itself is still served as is.
    assert shop.client.post("/api/v1/incidents/1/resolve", headers=shop.responder).is_success
    context = get(shop, "/api/v1/incidents/3/context")
    assert [(i["service"], i["number"]) for i in context["likely_cause_upstream"]] == [("api", 2)]
    assert context["downstream_impact"] == []
    assert get(shop, "/api/v1/incidents/3")["incident"]["number"] == 3


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
