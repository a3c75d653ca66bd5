"""First-responder context: owner, runbook, changes on the service and upstream, similar
past incidents, open incidents upstream."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from ownit.adapters.catalog.yaml_source import load_files
from ownit.adapters.db.catalog_store import SqlCatalogStore
from ownit.adapters.db.token_store import SqlTokenStore
from ownit.app import catalog
from ownit.app.tokens import create_token
from ownit.bootstrap import build_app
from ownit.settings import Settings
from tests.builders import FakeClock

API = "api0000000000000000000000000000e"
DB = "db00000000000000000000000000000e"

CATALOG = f"""
apiVersion: ownit/v1
kind: User
metadata: {{name: ann}}
spec: {{email: ann@example.com}}
---
apiVersion: ownit/v1
kind: Team
metadata: {{name: core}}
spec: {{members: [{{user: ann}}]}}
---
apiVersion: ownit/v1
kind: Service
metadata: {{name: payments-db}}
spec:
  owner: core
  integrations: [{{name: events, type: events-v2, key: {DB}}}]
---
apiVersion: ownit/v1
kind: Service
metadata: {{name: checkout-api}}
spec:
  owner: core
  runbook: https://wiki.example.com/checkout
  dependsOn: [payments-db]
  integrations: [{{name: events, type: events-v2, key: {API}}}]
"""


@pytest.fixture
def ctx(engine: Engine, tmp_path: Path) -> Iterator[tuple[TestClient, FakeClock, dict[str, str]]]:
    path = tmp_path / "c.yaml"
    path.write_text(CATALOG)
    clock = FakeClock()
    catalog.apply(
        store=SqlCatalogStore(engine), documents=load_files([str(path)]).documents, clock=clock
    )
    token = create_token(store=SqlTokenStore(engine), clock=clock, name="r", role="responder")
    settings = Settings(database_url=str(engine.url), events_rate_limit=0)
    with TestClient(build_app(settings, engine, clock=clock)) as client:
        yield client, clock, {"Authorization": f"Bearer {token}"}


def event(key: str, action: str, dedup: str) -> dict[str, object]:
    return {
        "routing_key": key,
        "event_action": action,
        "dedup_key": dedup,
        "payload": {"summary": f"{dedup} broken", "source": "host", "severity": "critical"},
    }


def test_context_of_an_incident(ctx: tuple[TestClient, FakeClock, dict[str, str]]) -> None:
    client, clock, auth = ctx
    # A past occurrence of the same problem, resolved after 20 minutes.
    client.post("/v2/enqueue", json=event(API, "trigger", "latency"))
    clock.advance(minutes=20)
    client.post("/v2/enqueue", json=event(API, "resolve", "latency"))
    clock.advance(days=3)
    # A deploy upstream, an old one that no longer counts, and the database burning.
    change = {"routing_key": DB, "payload": {"summary": "old migration", "source": "ci"}}
    client.post("/v2/change/enqueue", json=change)
    clock.advance(hours=30)
    change["payload"] = {"summary": "schema migration 42", "source": "ci"}
    assert client.post("/v2/change/enqueue", json=change).status_code == 202
    client.post("/v2/enqueue", json=event(DB, "trigger", "disk"))
    clock.advance(minutes=5)
    client.post("/v2/enqueue", json=event(API, "trigger", "latency"))

    r = client.get("/api/v1/incidents/3/context", headers=auth)
    assert r.status_code == 200, r.text
    context = r.json()
    assert context["owner"] == "core"
    assert context["runbook"] == "https://wiki.example.com/checkout"
    assert context["depends_on"] == ["payments-db"]
    assert context["on_call"] == []  # neither service has an escalation policy
    assert [(i["service"], i["number"]) for i in context["likely_cause_upstream"]] == [
        ("payments-db", 2)
    ]
    assert [(c["service"], c["summary"]) for c in context["recent_changes"]] == [
        ("payments-db", "schema migration 42")
    ]
    [similar] = context["similar_incidents"]
    assert (similar["number"], similar["time_to_resolve_s"]) == (1, 1200)
    assert similar["resolved_by"] == "integration/events"

    changes = client.get("/api/v1/services/checkout-api/changes?hours=48", headers=auth).json()
    assert [c["summary"] for c in changes["changes"]] == ["schema migration 42", "old migration"]
