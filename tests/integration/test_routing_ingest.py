"""Routers and monolith components through the real endpoints, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from ownit.adapters.catalog.yaml_source import load_files
from ownit.adapters.db import tables as t
from ownit.adapters.db.catalog_store import SqlCatalogStore
from ownit.adapters.db.token_store import SqlTokenStore
from ownit.app import catalog
from ownit.app.tokens import create_token
from ownit.bootstrap import build_app
from ownit.settings import Settings
from tests.builders import FakeClock

ROUTER_KEY = "router00000000000000000000000001"
MONOLITH_KEY = "monolith000000000000000000000001"

CATALOG = f"""
apiVersion: ownit/v1
kind: User
metadata: {{name: ann}}
spec: {{email: ann@example.com}}
---
apiVersion: ownit/v1
kind: Team
metadata: {{name: payments}}
spec: {{members: [{{user: ann}}]}}
---
apiVersion: ownit/v1
kind: Team
metadata: {{name: refunds}}
spec: {{members: [{{user: ann}}]}}
---
apiVersion: ownit/v1
kind: EscalationPolicy
metadata: {{name: payments}}
spec: {{team: payments, levels: [{{after: 5m, targets: [{{user: ann}}]}}]}}
---
apiVersion: ownit/v1
kind: EscalationPolicy
metadata: {{name: refunds}}
spec: {{team: refunds, levels: [{{after: 5m, targets: [{{user: ann}}]}}]}}
---
apiVersion: ownit/v1
kind: Service
metadata: {{name: monolith}}
spec:
  owner: payments
  escalationPolicy: payments
  tags: [pci, java]
  labels: {{region: eu}}
  components:
    - {{name: refunds, owner: refunds, escalationPolicy: refunds, match: ['module="refunds"']}}
    - {{name: ledger, owner: payments, escalationPolicy: payments, match: ['module=~"ledger.*"']}}
  integrations: [{{name: events, type: events-v2, key: {MONOLITH_KEY}}}]
---
apiVersion: ownit/v1
kind: Service
metadata: {{name: other}}
spec: {{owner: payments}}
---
apiVersion: ownit/v1
kind: Router
metadata: {{name: prod}}
spec:
  key: {ROUTER_KEY}
  route:
    service: other
    routes:
      - matchers: ['env="staging"']
        action: drop
      - matchers: ['severity="info"']
        action: suppress
      - matchers: ['team="payments"']
        service: monolith
        routes:
          - matchers: ['module=~"refund.*"']
            component: refunds
"""


@pytest.fixture
def client(engine: Engine, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    path = tmp_path / "catalog.yaml"
    path.write_text(CATALOG)
    clock = FakeClock()
    catalog.apply(
        store=SqlCatalogStore(engine), documents=load_files([str(path)]).documents, clock=clock
    )
    token = create_token(store=SqlTokenStore(engine), clock=clock, name="v", role="viewer")
    settings = Settings(database_url=str(engine.url), events_rate_limit=0)
    with TestClient(build_app(settings, engine, clock=clock)) as c:
        yield c, {"Authorization": f"Bearer {token}"}


def alert(fingerprint: str, **labels: str) -> dict[str, Any]:
    return {
        "status": "firing",
        "labels": {"alertname": "Broken", **labels},
        "annotations": {"summary": f"broken {fingerprint}"},
        "startsAt": "2026-11-26T12:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "fingerprint": fingerprint,
    }


def test_router_sends_each_alert_to_its_owner(
    client: tuple[TestClient, dict[str, str]], engine: Engine
) -> None:
    http, auth = client
    body = {
        "version": "4",
        "status": "firing",
        "alerts": [
            alert("f-refunds", team="payments", module="refunds"),
            alert("f-ledger", team="payments", module="ledger-core"),
            alert("f-other", team="search"),
            alert("f-info", team="search", severity="info"),
            alert("f-staging", team="payments", env="staging"),
        ],
    }
    r = http.post(f"/integrations/alertmanager/{ROUTER_KEY}", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["outcomes"] == [
        "new alert",
        "new alert",
        "new alert",
        "suppressed by router",
        "dropped by router",
    ]
    incidents = http.get("/api/v1/incidents", headers=auth).json()["incidents"]
    where = {i["dedup_key"]: (i["service"], i["component"]) for i in incidents}
    assert where == {
        "f-refunds": ("monolith", "refunds"),
        "f-ledger": ("monolith", "ledger"),  # the service's own component matchers
        "f-other": ("other", None),
    }
    with engine.connect() as conn:
        stored = {
            r.dedup_key: (r.outcome, r.route)
            for r in conn.execute(
                select(t.events.c.dedup_key, t.events.c.outcome, t.events.c.route)
            )
        }
        policies = {
            r.dedup_key: r.policy["name"]
            for r in conn.execute(
                select(t.incidents.c.dedup_key, t.escalations.c.policy).join(
                    t.escalations, t.escalations.c.incident_id == t.incidents.c.id
                )
            )
            if r.policy
        }
    assert "f-staging" not in stored  # dropped: not stored
    outcome, route = stored["f-info"]
    assert outcome == "suppressed by router"
    assert route["router"] == "prod"
    refunds_route = stored["f-refunds"][1]["results"][0]
    assert refunds_route["decision"] == "page monolith/refunds"
    assert [step["node"] for step in refunds_route["path"]] == [
        "route",
        "routes[2]",
        "routes[2].routes[0]",
    ]
    assert policies["f-refunds"] == "refunds"  # the component's policy pages its owner
    assert policies["f-ledger"] == "payments"


def test_events_v2_on_the_monolith_finds_the_component(
    client: tuple[TestClient, dict[str, str]],
) -> None:
    http, auth = client
    event = {
        "routing_key": MONOLITH_KEY,
        "event_action": "trigger",
        "dedup_key": "refund-failures",
        "payload": {
            "summary": "Refunds failing",
            "source": "app-3",
            "severity": "error",
            "custom_details": {"module": "refunds"},
        },
    }
    assert http.post("/v2/enqueue", json=event).status_code == 202
    [incident] = http.get("/api/v1/incidents", headers=auth).json()["incidents"]
    assert (incident["service"], incident["component"]) == ("monolith", "refunds")


def test_event_explain_shows_the_decision_path(
    client: tuple[TestClient, dict[str, str]],
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from ownit.cli.main import main

    http, _ = client
    body = {"alerts": [alert("f-refunds", team="payments", module="refunds")]}
    assert http.post(f"/integrations/alertmanager/{ROUTER_KEY}", json=body).status_code == 200
    monkeypatch.setenv("OWNIT_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    with engine.connect() as conn:
        event_id = conn.execute(select(t.events.c.id)).scalar_one()
    assert main(["event", "explain", event_id]) == 0
    out = capsys.readouterr().out
    assert "routed by router prod" in out
    assert "  service:   monolith\n             tagged pci, java; labels region=eu\n" in out
    assert "→ page monolith/refunds" in out
    assert 'routes[2].routes[0]: module=~"refund.*"' in out
    assert main(["event", "list"]) == 0
    assert event_id in capsys.readouterr().out
    assert main(["event", "explain", "evt_nope"]) == 2
    assert "does not exist" in capsys.readouterr().err
