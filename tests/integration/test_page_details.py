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

from tests.integration.paging_world import World, paging_world, payments_on_call

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
    - {{name: mail, type: email, address: alice@example.com}}
---
""" + payments_on_call(
    integrations="    - {{name: prom, type: alertmanager, key: 0f1e2d3c4b5a69788796a5b4c3d2e1f0}}\n"
)


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


def test_the_email_carries_them_escaped(world: World) -> None:
    world.send(free="2%", note="<b>not html</b>")
    world.cycle()
    [message] = world.mail
    parts: dict[str, str] = {}
    for part in message.walk():
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            parts[part.get_content_type()] = payload.decode()
    text, html = parts["text/plain"], parts["text/html"]
    assert "From the monitoring tool:" in text
    assert "  note: <b>not html</b>" in text
    assert "&lt;b&gt;not html&lt;/b&gt;" in html
    assert "<b>not html</b>" not in html


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
