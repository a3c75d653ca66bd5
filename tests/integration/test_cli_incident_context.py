"""``ownit incident show N`` ends with a Context section: owner, on call, runbook, incidents
upstream and downstream, recent changes and similar past incidents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from ownit.adapters.catalog.yaml_source import load_files
from ownit.adapters.db.catalog_store import SqlCatalogStore
from ownit.app import catalog
from ownit.bootstrap import build_app
from ownit.cli.main import main
from ownit.settings import Settings
from tests.builders import FakeClock

API = "cliapi00000000000000000000000000"
DB = "clidb000000000000000000000000000"
WEB = "cliweb00000000000000000000000000"

CATALOG = f"""
apiVersion: ownit/v1
kind: User
metadata: {{name: alice}}
spec: {{email: alice@example.com}}
---
apiVersion: ownit/v1
kind: Team
metadata: {{name: payments}}
spec: {{members: [{{user: alice}}]}}
---
apiVersion: ownit/v1
kind: Schedule
metadata: {{name: primary}}
spec:
  team: payments
  timezone: UTC
  layers:
    - {{name: everyone, start: "2026-01-05T09:00:00", rotation: 1w, users: [alice]}}
---
apiVersion: ownit/v1
kind: EscalationPolicy
metadata: {{name: payments}}
spec:
  team: payments
  levels: [{{after: 10m, targets: [{{schedule: primary}}]}}]
---
apiVersion: ownit/v1
kind: Service
metadata: {{name: payments-db}}
spec:
  owner: payments
  integrations: [{{name: events, type: events-v2, key: {DB}}}]
---
apiVersion: ownit/v1
kind: Service
metadata: {{name: checkout-api}}
spec:
  owner: payments
  escalationPolicy: payments
  runbook: https://wiki.example.com/checkout
  dependsOn: [payments-db]
  integrations: [{{name: events, type: events-v2, key: {API}}}]
---
apiVersion: ownit/v1
kind: Service
metadata: {{name: storefront}}
spec:
  owner: payments
  dependsOn: [checkout-api]
  integrations: [{{name: events, type: events-v2, key: {WEB}}}]
"""


def event(key: str, action: str, dedup: str, summary: str) -> dict[str, object]:
    return {
        "routing_key": key,
        "event_action": action,
        "dedup_key": dedup,
        "payload": {"summary": summary, "source": "host", "severity": "critical"},
    }


@pytest.fixture
def history(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """#1 resolved last week; a change upstream an hour ago; #2 upstream, #3 the incident,
    #4 downstream — all open. The CLI reads the real clock, so the past is real too."""
    monkeypatch.setenv("OWNIT_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    path = tmp_path / "c.yaml"
    path.write_text(CATALOG)
    clock = FakeClock(datetime.now(UTC) - timedelta(days=7))
    catalog.apply(
        store=SqlCatalogStore(engine), documents=load_files([str(path)]).documents, clock=clock
    )
    settings = Settings(database_url=str(engine.url), events_rate_limit=0)
    with TestClient(build_app(settings, engine, clock=clock)) as client:

        def send(body: dict[str, object], path: str = "/v2/enqueue") -> None:
            assert client.post(path, json=body).status_code == 202

        send(event(API, "trigger", "latency", "Checkout latency high"))
        clock.advance(minutes=25)
        send(event(API, "resolve", "latency", "Checkout latency high"))
        clock.advance(days=7, minutes=-85)  # an hour ago
        change: dict[str, object] = {
            "routing_key": DB,
            "payload": {"summary": "schema migration 42", "source": "ci"},
            "links": [{"href": "https://ci.example.com/runs/42"}],
        }
        send(change, "/v2/change/enqueue")
        clock.advance(minutes=10)
        send(event(DB, "trigger", "disk", "Disk full on payments-db"))
        send(event(API, "trigger", "latency", "Checkout latency high"))
        send(event(WEB, "trigger", "5xx", "Storefront errors"))
    return engine


def test_show_prints_the_context(history: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["incident", "show", "3"]) == 0
    out = capsys.readouterr().out
    assert "Timeline" in out
    section = out[out.index("\nContext\n") :].splitlines()[1:]
    rows = {line[:18].strip(): line[18:] for line in section if line[:18].strip()}
    assert rows["owner:"] == "payments"
    assert rows["on call:"] == "checkout-api: alice (policy payments)"
    assert rows["runbook:"] == "https://wiki.example.com/checkout"
    assert rows["depends on:"] == "payments-db"
    assert rows["upstream:"] == "payments-db #2 triggered: Disk full on payments-db (likely cause)"
    assert rows["downstream:"] == "storefront #4 triggered: Storefront errors"
    assert rows["changes (24 h):"].endswith(
        "UTC payments-db: schema migration 42  https://ci.example.com/runs/42"
    )
    assert rows["similar:"] == (
        "#1 Checkout latency high: resolved by integration/events after 25 min"
    )


def test_show_of_a_lone_incident_says_so(
    history: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["incident", "show", "2"]) == 0
    out = capsys.readouterr().out
    section = out[out.index("\nContext\n") :]
    assert "  upstream:       -\n" in section
    assert "  downstream:     checkout-api #3 triggered: Checkout latency high\n" in section
    assert "  on call:        -\n" in section  # payments-db has no escalation policy
