"""Maintenance windows: the API, and triggers kept but paging nobody (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from tests.integration.conftest import LOW_KEY, PAY_KEY, Ctx

URL = "/api/v1/maintenance-windows"


def trigger(dedup: str = "disk-full", key: str = PAY_KEY) -> dict[str, Any]:
    return {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": dedup,
        "payload": {"summary": "Disk full on db-1", "source": "db-1", "severity": "critical"},
    }


def send(ctx: Ctx, body: dict[str, Any]) -> None:
    response = ctx.client.post("/v2/enqueue", json=body)
    assert response.status_code == 202, response.text


def incidents(ctx: Ctx) -> list[dict[str, Any]]:
    response = ctx.client.get("/api/v1/incidents", headers=ctx.viewer)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["incidents"]
    return found


def outcomes(ctx: Ctx) -> list[str]:
    response = ctx.client.get("/api/v1/events", headers=ctx.viewer)
    assert response.status_code == 200, response.text
    return [e["outcome"] for e in response.json()["events"]]


def start(ctx: Ctx, **body: Any) -> dict[str, Any]:
    response = ctx.client.post(URL, json=body, headers=ctx.admin)
    assert response.status_code == 201, response.text
    window: dict[str, Any] = response.json()["maintenance_window"]
    return window


def test_trigger_during_window_pages_nobody_and_pages_after(ctx: Ctx) -> None:
    window = start(ctx, services=["checkout-api"], duration="1h", name="deploy")
    assert window["state"] == "active"
    assert window["start"] == "2026-11-26T12:00:00+00:00"
    assert window["end"] == "2026-11-26T13:00:00+00:00"
    assert window["services"] == ["checkout-api"]
    assert window["created_by"] == "token/t-admin"

    send(ctx, trigger())
    send(ctx, trigger(key=LOW_KEY))  # another service: not in maintenance
    [inc] = incidents(ctx)
    assert inc["service"] == "batch-jobs"
    assert "suppressed: maintenance window deploy" in outcomes(ctx)

    ctx.clock.advance(hours=1)  # the window is over: triggers page again
    send(ctx, trigger())
    assert sorted(i["service"] for i in incidents(ctx)) == ["batch-jobs", "checkout-api"]


def test_future_window_starts_later_and_past_windows_are_hidden(ctx: Ctx) -> None:
    start(
        ctx,
        services=["checkout-api"],
        start="2026-11-26T13:00:00Z",
        end="2026-11-26T14:00:00+00:00",
        name="later",
        description="db upgrade",
    )
    [listed] = ctx.client.get(URL, headers=ctx.viewer).json()["maintenance_windows"]
    assert (listed["name"], listed["state"], listed["description"]) == (
        "later",
        "scheduled",
        "db upgrade",
    )
    send(ctx, trigger())  # before the window: pages
    assert len(incidents(ctx)) == 1

    ctx.clock.advance(hours=1, minutes=30)
    send(ctx, trigger("other"))  # during: kept, pages nobody
    assert len(incidents(ctx)) == 1
    ctx.clock.advance(hours=1)
    assert ctx.client.get(URL, headers=ctx.viewer).json()["maintenance_windows"] == []
    [past] = ctx.client.get(URL, params={"include": "past"}, headers=ctx.viewer).json()[
        "maintenance_windows"
    ]
    assert past["state"] == "ended"


def test_resolve_during_window_resolves_what_was_open(ctx: Ctx) -> None:
    send(ctx, trigger())
    start(ctx, services=["checkout-api"], duration="30m")
    send(ctx, trigger())  # a repeat during the window: kept, nothing counted
    send(ctx, {"routing_key": PAY_KEY, "event_action": "resolve", "dedup_key": "disk-full"})
    [inc] = incidents(ctx)
    assert inc["status"] == "resolved"
    assert inc["alert_count"] == 1


def test_cancel_ends_a_running_window_and_deletes_a_future_one(ctx: Ctx) -> None:
    running = start(ctx, services=["checkout-api"], duration="1h", name="now")
    future = start(ctx, services=["batch-jobs"], start="2026-11-27T00:00:00Z", duration="1h")
    r = ctx.client.delete(f"{URL}/{running['id']}", headers=ctx.admin)
    assert r.json() == {"id": running["id"], "result": "ended"}
    r = ctx.client.delete(f"{URL}/{future['id']}", headers=ctx.admin)
    assert r.json() == {"id": future["id"], "result": "deleted"}
    send(ctx, trigger())  # the window ended: pages
    assert len(incidents(ctx)) == 1
    [ended] = ctx.client.get(URL, params={"include": "past"}, headers=ctx.viewer).json()[
        "maintenance_windows"
    ]
    assert (ended["name"], ended["end"]) == ("now", "2026-11-26T12:00:00+00:00")
    r = ctx.client.delete(f"{URL}/{running['id']}", headers=ctx.admin)
    assert r.status_code == 409
    assert ctx.client.delete(f"{URL}/999", headers=ctx.admin).status_code == 404


def problem(ctx: Ctx, body: dict[str, Any], status: int = 400) -> dict[str, Any]:
    response = ctx.client.post(URL, json=body, headers=ctx.admin)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    found: dict[str, Any] = response.json()
    return found


def test_bad_requests_name_the_field(ctx: Ctx) -> None:
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"duration": "1h"}, "services", "a list of service names"),
        ({"services": [], "duration": "1h"}, "services", "name at least one service"),
        ({"services": ["nope"], "duration": "1h"}, "services", "service 'nope' does not exist"),
        ({"services": ["checkout-api"]}, "end", "give either end or duration"),
        ({"services": ["checkout-api"], "duration": "soon"}, "duration", "is not a duration"),
        (
            {
                "services": ["checkout-api"],
                "end": "2026-11-26T11:00:00Z",
                "start": "2026-11-26T11:30:00Z",
            },
            "end",
            "must end after it starts",
        ),
        ({"services": ["checkout-api"], "end": "2026-11-26T13:00:00"}, "end", "no UTC offset"),
        ({"services": ["checkout-api"], "end": "tomorrow"}, "end", "not an ISO 8601 date-time"),
        (
            {"services": ["checkout-api"], "start": "2026-11-26T10:00:00Z", "duration": "1h"},
            "end",
            "already be over",
        ),
        (
            {"services": ["checkout-api"], "duration": "1h", "description": "x" * 2001},
            "description",
            "at most 2000 characters",
        ),
        (
            {"services": [f"s{i}" for i in range(1001)], "duration": "1h"},
            "services",
            "at most 1000",
        ),
    ]
    for body, field, words in cases:
        found = problem(ctx, body)
        [error] = found["errors"]
        assert error["field"] == field, (body, found)
        assert words in error["detail"], (body, found)
    start(ctx, services=["checkout-api"], duration="1h", name="deploy")
    found = problem(ctx, {"services": ["checkout-api"], "duration": "1h", "name": "deploy"})
    assert "exists already" in found["detail"]


def test_responder_without_manager_role_is_refused(ctx: Ctx) -> None:
    body = {"services": ["checkout-api"], "duration": "1h"}
    response = ctx.client.post(URL, json=body, headers=ctx.responder)
    assert response.status_code == 403
    assert "checkout-api" in response.json()["detail"]
    response = ctx.client.post(URL, json=body, headers=ctx.viewer)
    assert response.status_code == 403
    window = start(ctx, **body)
    response = ctx.client.delete(f"{URL}/{window['id']}", headers=ctx.responder)
    assert response.status_code == 403
    send(ctx, trigger())
    assert incidents(ctx) == []  # still in maintenance
