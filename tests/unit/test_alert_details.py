"""What the monitoring tool said, as a page carries it: Events v2 custom_details,
Alertmanager labels and annotations; capped (decision 0022), counted when left out, and
escaped by every channel."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ownit.adapters.notifiers.email import html_body, text_body
from ownit.adapters.notifiers.push import push_text
from ownit.adapters.notifiers.slack import TEXT_MAX, blocks
from ownit.adapters.notifiers.webhook import webhook_body
from ownit.app.notify import Notification
from ownit.domain.alert_details import (
    MAX_FIELDS,
    MAX_KEY,
    MAX_TOTAL,
    MAX_VALUE,
    AlertDetails,
    alert_details,
)

EVENTS_V2 = {
    "routing_key": "k" * 32,
    "event_action": "trigger",
    "payload": {
        "summary": "Disk full",
        "severity": "error",
        "source": "db-1",
        "custom_details": {"free": "2%", "mount": "/var", "sizes": [1, 2], "ok": False},
    },
}
ALERTMANAGER = {
    "alert": {
        "status": "firing",
        "labels": {"alertname": "HighLatency", "cluster": "eu1"},
        "annotations": {"summary": "p99 above 2s", "runbook_url": "https://r.example/x"},
    },
    "receiver": "ownit",
}


@pytest.mark.parametrize(
    ("raw", "fields", "omitted"),
    [
        pytest.param(
            EVENTS_V2,
            {"free": "2%", "mount": "/var", "sizes": "[1,2]", "ok": "false"},
            0,
            id="events-v2-custom-details",
        ),
        pytest.param(
            ALERTMANAGER,
            {
                "labels.alertname": "HighLatency",
                "labels.cluster": "eu1",
                "annotations.summary": "p99 above 2s",
                "annotations.runbook_url": "https://r.example/x",
            },
            0,
            id="alertmanager-labels-and-annotations",
        ),
        pytest.param(
            {"payload": {"custom_details": "free text"}}, {"details": "free text"}, 0, id="text"
        ),
        pytest.param({"payload": {"summary": "s"}}, {}, 0, id="no-details"),
        pytest.param(None, {}, 0, id="no-event"),
        pytest.param(
            {"payload": {"custom_details": {"multi\nline\tkey": "a\r\nb\x00c"}}},
            {"multi line key": "a b c"},
            0,
            id="control-characters-become-spaces",
        ),
        pytest.param(
            {"payload": {"custom_details": {f"k{i:02}": i for i in range(40)}}},
            {f"k{i:02}": str(i) for i in range(MAX_FIELDS)},
            40 - MAX_FIELDS,
            id="at-most-25-fields",
        ),
        pytest.param(
            {"payload": {"custom_details": {"long": "x" * 1000, "k" * 500: "v"}}},
            {"long": "x" * (MAX_VALUE - 1) + "…", "k" * (MAX_KEY - 1) + "…": "v"},
            0,
            id="long-values-and-keys-cut",
        ),
    ],
)
def test_alert_details(raw: Any, fields: dict[str, str], omitted: int) -> None:
    found = alert_details(raw)
    assert dict(found.fields) == fields
    assert list(found.fields) == list(fields)  # the sender's order
    assert found.omitted == omitted


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.text(max_size=400), st.text(max_size=1200), max_size=60))
def test_caps_hold_and_nothing_is_lost_silently(details: dict[str, str]) -> None:
    found = alert_details({"payload": {"custom_details": details}})
    assert len(found.fields) <= MAX_FIELDS
    assert all(len(k) <= MAX_KEY and len(v) <= MAX_VALUE for k, v in found.fields.items())
    assert sum(len(k.encode()) + len(v.encode()) for k, v in found.fields.items()) <= MAX_TOTAL
    assert len(found.fields) + found.omitted == len(details)
    assert all(v.isprintable() for v in found.fields.values())


EVIL = '<script>alert("x")</script> & <!channel>'
T = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def note(alert: AlertDetails) -> Notification:
    return Notification(
        idempotency_key="inc_7:0:1:alice:hook",
        event_type="incident.triggered",
        incident_id="inc_7",
        incident_number=42,
        title="Disk full on db-1",
        service="checkout-api",
        component=None,
        urgency="high",
        status="triggered",
        runbook_url=None,
        incident_url="https://ownit.example.com/incidents/42",
        ack_url=None,
        resolve_url=None,
        occurred_at=T,
        details={"level": "1", "dedup_key": "disk"},
        alert=alert,
    )


def test_every_channel_carries_them_escaped() -> None:
    n = note(AlertDetails({"<k>": EVIL, "free": "2%"}, omitted=3))
    data = orjson.loads(webhook_body(n))["data"]
    assert data["alert_details"] == {"<k>": EVIL, "free": "2%"}
    assert data["alert_details_omitted"] == 3
    assert data["details"] == {"level": "1", "dedup_key": "disk"}

    text = text_body(n)
    assert "From the monitoring tool:" in text
    assert f"  <k>: {EVIL}" in text
    assert "  …: 3 more on the incident page" in text

    html = html_body(n)
    assert "<script>" not in html
    assert "<k>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;!channel&gt;" in html
    assert "3 more on the incident page" in html

    [section] = [
        b["text"]["text"]
        for b in blocks(n)
        if b["type"] == "section" and "monitoring tool" in b["text"]["text"]
    ]
    assert '*&lt;k&gt;:* &lt;script&gt;alert("x")&lt;/script&gt; &amp; &lt;!channel&gt;' in section
    assert "<!channel>" not in section
    assert len(section) <= TEXT_MAX

    assert "free: 2%" in push_text(n)


def test_without_details_nothing_is_added() -> None:
    n = note(AlertDetails())
    assert orjson.loads(webhook_body(n))["data"]["alert_details"] == {}
    assert "monitoring tool" not in text_body(n)
    assert not any("monitoring tool" in str(b) for b in blocks(n))
    assert dataclasses.replace(n).alert.omitted == 0
