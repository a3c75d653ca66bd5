"""PagerDuty Events API v2 through the real HTTP endpoint, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from tests.integration.conftest import LOW_KEY, PAY_KEY, Ctx


def trigger(key: str = PAY_KEY, dedup: str | None = "disk-full", **payload: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "routing_key": key,
        "event_action": "trigger",
        "payload": {"summary": "Disk full on db-1", "source": "db-1", "severity": "critical"}
        | payload,
    }
    if dedup is not None:
        body["dedup_key"] = dedup
    return body


def action(name: str, dedup: str = "disk-full", key: str = PAY_KEY) -> dict[str, Any]:
    return {"routing_key": key, "event_action": name, "dedup_key": dedup}


def incidents(ctx: Ctx, **params: str) -> list[dict[str, Any]]:
    response = ctx.client.get("/api/v1/incidents", params=params, headers=ctx.viewer)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["incidents"]
    return found


def test_trigger_ack_resolve_sequence(ctx: Ctx) -> None:
    r = ctx.client.post("/v2/enqueue", json=trigger())
    assert r.status_code == 202
    assert r.json() == {"status": "success", "message": "Event processed", "dedup_key": "disk-full"}

    [inc] = incidents(ctx)
    assert inc["number"] == 1
    assert inc["status"] == "triggered"
    assert inc["urgency"] == "high"
    assert inc["service"] == "checkout-api"
    assert inc["component"] is None
    assert inc["title"] == "Disk full on db-1"
    assert inc["dedup_key"] == "disk-full"
    assert inc["alert_count"] == 1
    assert inc["acknowledged_at"] is None
    assert inc["resolved_at"] is None

    ctx.clock.advance(minutes=1)
    assert ctx.client.post("/v2/enqueue", json=trigger()).status_code == 202  # repeat
    ctx.clock.advance(minutes=1)
    assert ctx.client.post("/v2/enqueue", json=action("acknowledge")).status_code == 202
    ctx.clock.advance(minutes=1)
    assert ctx.client.post("/v2/enqueue", json=trigger()).status_code == 202  # repeat while acked
    [inc] = incidents(ctx)
    assert inc["status"] == "acknowledged"
    assert inc["acknowledged_at"] == "2026-11-26T12:02:00+00:00"

    ctx.clock.advance(minutes=1)
    assert ctx.client.post("/v2/enqueue", json=action("resolve")).status_code == 202
    [inc] = incidents(ctx)
    assert inc["status"] == "resolved"
    assert inc["resolved_at"] == "2026-11-26T12:04:00+00:00"

    timeline = ctx.client.get(f"/api/v1/incidents/{inc['id']}/timeline", headers=ctx.viewer).json()
    kinds = [(e["kind"], e["actor"]) for e in timeline["timeline"]]
    assert kinds == [
        ("triggered", "integration/events"),
        ("unassigned", "engine"),  # the service has no escalation policy
        ("repeated", "events"),
        ("acknowledged", "integration/events"),
        ("repeated", "events"),
        ("resolved", "integration/events"),
    ]
    detail = ctx.client.get(f"/api/v1/incidents/{inc['number']}", headers=ctx.viewer).json()
    [alert] = detail["incident"]["alerts"]
    assert alert["repeat_count"] == 2
    assert alert["status"] == "resolved"

    # After resolve, the same dedup key opens a new incident (#2).
    ctx.clock.advance(minutes=1)
    assert ctx.client.post("/v2/enqueue", json=trigger()).status_code == 202
    found = incidents(ctx)
    assert [(i["number"], i["status"]) for i in found] == [(2, "triggered"), (1, "resolved")]


def test_trigger_without_dedup_key_gets_one(ctx: Ctx) -> None:
    r = ctx.client.post("/v2/enqueue", json=trigger(dedup=None))
    assert r.status_code == 202
    key = r.json()["dedup_key"]
    assert isinstance(key, str)
    assert len(key) == 32
    assert ctx.client.post("/v2/enqueue", json=action("resolve", key)).status_code == 202
    [inc] = incidents(ctx)
    assert inc["dedup_key"] == key
    assert inc["status"] == "resolved"


@pytest.mark.parametrize(
    ("service_key", "severity", "urgency"),
    [
        (PAY_KEY, "critical", "high"),
        (PAY_KEY, "error", "high"),
        (PAY_KEY, "warning", "low"),
        (PAY_KEY, "info", "low"),
        (LOW_KEY, "critical", "low"),
    ],
)
def test_urgency_from_service_and_severity(
    ctx: Ctx, service_key: str, severity: str, urgency: str
) -> None:
    r = ctx.client.post("/v2/enqueue", json=trigger(key=service_key, severity=severity))
    assert r.status_code == 202
    [inc] = incidents(ctx)
    assert inc["urgency"] == urgency


def test_ack_and_resolve_without_open_alert_are_dropped_but_accepted(ctx: Ctx) -> None:
    for name in ("acknowledge", "resolve"):
        r = ctx.client.post("/v2/enqueue", json=action(name, "never-triggered"))
        assert r.status_code == 202
    assert incidents(ctx) == []
    events = ctx.client.get("/api/v1/events", headers=ctx.viewer).json()["events"]
    assert [e["outcome"] for e in events] == ["dropped: no open alert with this dedup key"] * 2


@pytest.mark.parametrize(
    ("body", "status", "errors"),
    [
        (b"{not json", 400, ["JSON parse error"]),
        (
            orjson.dumps({"routing_key": "short", "event_action": "trigger", "payload": {}}),
            400,
            None,
        ),
        (
            orjson.dumps(trigger(key="c" * 32)),
            400,
            [f"'routing_key' is invalid: no integration has the key {'c' * 32!r}"],
        ),
    ],
    ids=["malformed", "invalid", "unknown-key"],
)
def test_bad_events_are_answered_and_write_nothing(
    ctx: Ctx, body: bytes, status: int, errors: list[str] | None
) -> None:
    r = ctx.client.post("/v2/enqueue", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == status
    answer = r.json()
    if errors is not None:
        assert answer["errors"] == errors
    else:
        assert answer["status"] == "invalid event"
        assert any("routing_key" in e for e in answer["errors"])
        assert any("payload.severity" in e for e in answer["errors"])
    assert incidents(ctx) == []


def test_oversize_body_is_413(ctx: Ctx) -> None:
    body = trigger(custom_details={"blob": "x" * (512 * 1024)})
    r = ctx.client.post("/v2/enqueue", json=body)
    assert r.status_code == 413
    assert incidents(ctx) == []


def test_unknown_fields_are_ignored(ctx: Ctx) -> None:
    body = trigger() | {"unexpected": {"nested": True}}
    body["payload"]["also_new"] = 1
    assert ctx.client.post("/v2/enqueue", json=body).status_code == 202
    assert len(incidents(ctx)) == 1


def test_change_events_are_kept_and_never_page(ctx: Ctx) -> None:
    r = ctx.client.post(
        "/v2/change/enqueue",
        json={
            "routing_key": PAY_KEY,
            "payload": {
                "summary": "Deployed v42",
                "source": "ci",
                "custom_details": {"sha": "abc"},
            },
            "links": [{"href": "https://ci.example.com/42", "text": "build"}],
        },
    )
    assert r.status_code == 202
    assert r.json()["status"] == "success"
    assert incidents(ctx) == []
    [event] = ctx.client.get("/api/v1/events", headers=ctx.viewer).json()["events"]
    assert event["outcome"] == "change recorded"
