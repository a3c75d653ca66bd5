"""Pages carry what the monitoring tool said: an Events v2 event's custom_details and an
Alertmanager alert's labels and annotations reach a real webhook receiver in ``data``
(SQLite and PostgreSQL, fake clock)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine

from tests.integration.paging_world import World, paging_world

KEY = "details000000000000000000000000d"
AM_KEY = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"  # the samples' key

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
metadata: {{name: payments}}
spec:
  members: [{{user: alice, role: manager}}]
---
apiVersion: ownit/v1
kind: EscalationPolicy
metadata: {{name: payments}}
spec:
  team: payments
  levels:
    - after: 10m
      targets: [{{user: alice}}]
---
apiVersion: ownit/v1
kind: Service
metadata: {{name: checkout-api}}
spec:
  owner: payments
  escalationPolicy: payments
  urgency: high
  integrations:
    - {{name: events, type: events-v2, key: {key}}}
    - {{name: prom, type: alertmanager, key: 0f1e2d3c4b5a69788796a5b4c3d2e1f0}}
"""


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Iterator[World]:
    with paging_world(engine, tmp_path, CATALOG, KEY) as found:
        yield found


def data(world: World) -> dict[str, Any]:
    [request] = world.hook.requests
    found: dict[str, Any] = orjson.loads(request.body)["data"]
    return found


def test_events_v2_custom_details_reach_the_webhook(world: World) -> None:
    world.send(free="2%", mount="/var", note="<b>not html</b>", sizes=[1, 2])
    world.cycle()
    sent = data(world)
    assert sent["alert_details"] == {
        "free": "2%",
        "mount": "/var",
        "note": "<b>not html</b>",
        "sizes": "[1,2]",
    }
    assert sent["alert_details_omitted"] == 0
    assert sent["details"] == {"level": "1", "dedup_key": "disk"}


def test_alertmanager_labels_and_annotations_reach_the_webhook(world: World) -> None:
    sample = Path(__file__).parents[1] / "samples" / "alertmanager-0.25"
    body = orjson.loads((sample / "01_integrations_alertmanager.json").read_bytes())["body"]
    body["alerts"] = body["alerts"][:1]
    r = world.client.post(
        "/integrations/alertmanager", json=body, headers={"Authorization": f"Bearer {AM_KEY}"}
    )
    assert r.status_code == 200, r.text
    world.cycle()
    sent = data(world)["alert_details"]
    assert sent["labels.alertname"] == "HighLatency"
    assert sent["labels.cluster"] == "eu1"
    assert sent["annotations.runbook_url"] == "https://wiki.example.com/latency"
    assert "annotations.summary" in sent
