"""A small shop for postmortem tests: users, a team, ``db`` ← ``api`` (with a postmortem
policy override: any urgency, 3 business days) and ``web`` (postmortems not required), and
one incident on ``api`` with changes around it."""

from __future__ import annotations

from typing import Any

from ownit.adapters.catalog.yaml_source import load_text
from ownit.adapters.db.catalog_store import SqlCatalogStore
from ownit.app import catalog
from tests.integration.conftest import Ctx

DB_KEY = "db" + "0" * 29 + "1"
API_KEY = "api" + "0" * 28 + "1"
WEB_KEY = "web" + "0" * 28 + "1"
CATALOG = f"""\
apiVersion: ownit/v1
kind: User
metadata: {{name: alice}}
spec: {{email: alice@example.com}}
---
apiVersion: ownit/v1
kind: User
metadata: {{name: bob}}
spec:
  email: bob@example.com
  contacts: [{{name: mail, type: email, address: bob@example.com}}]
---
apiVersion: ownit/v1
kind: Team
metadata: {{name: shop}}
spec: {{members: [{{user: alice}}, {{user: bob}}]}}
---
apiVersion: ownit/v1
kind: Service
metadata: {{name: db}}
spec:
  owner: shop
  integrations: [{{name: events, type: events-v2, key: "{DB_KEY}"}}]
---
apiVersion: ownit/v1
kind: Service
metadata: {{name: api}}
spec:
  owner: shop
  dependsOn: [db]
  postmortem: {{urgency: any, days: 3}}
  integrations: [{{name: events, type: events-v2, key: "{API_KEY}"}}]
---
apiVersion: ownit/v1
kind: Service
metadata: {{name: web}}
spec:
  owner: shop
  postmortem: {{required: false}}
  integrations: [{{name: events, type: events-v2, key: "{WEB_KEY}"}}]
"""


def build_shop(ctx: Ctx) -> None:
    loaded = load_text(CATALOG, "shop.yaml")
    assert not loaded.problems, loaded.problems
    catalog.apply(store=SqlCatalogStore(ctx.engine), documents=loaded.documents, clock=ctx.clock)


def trigger(ctx: Ctx, key: str, summary: str) -> None:
    body = {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": summary,
        "payload": {"summary": summary, "source": "host", "severity": "critical"},
    }
    assert ctx.client.post("/v2/enqueue", json=body).status_code == 202


def change(ctx: Ctx, key: str, summary: str) -> None:
    body = {"routing_key": key, "payload": {"summary": summary, "source": "ci"}}
    assert ctx.client.post("/v2/change/enqueue", json=body).status_code == 202


def post(ctx: Ctx, path: str, body: Any = None, status: int = 200) -> Any:
    response = ctx.client.post(path, json=body, headers=ctx.responder)
    assert response.status_code == status, response.text
    return response.json()


def an_incident_with_changes(ctx: Ctx) -> None:
    """Incident #1 on ``api``: a change on ``db`` (upstream) 10 minutes before, one on ``web``
    (not upstream) 5 minutes before; acknowledged after 3 minutes, a note, resolved after 34
    minutes; then a change on ``api`` a day later (outside the window)."""
    build_shop(ctx)
    change(ctx, DB_KEY, "db: schema migration 42")
    ctx.clock.advance(minutes=5)
    change(ctx, WEB_KEY, "web: new banner")
    ctx.clock.advance(minutes=5)
    trigger(ctx, API_KEY, "api 500s")
    ctx.clock.advance(minutes=3)
    post(ctx, "/api/v1/incidents/1/acknowledge")
    ctx.clock.advance(minutes=1)
    post(ctx, "/api/v1/incidents/1/notes", {"text": "rolling back migration 42"}, status=201)
    ctx.clock.advance(minutes=30)
    post(ctx, "/api/v1/incidents/1/resolve")
    ctx.clock.advance(days=2)
    change(ctx, API_KEY, "api: unrelated later deploy")
