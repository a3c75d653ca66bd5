"""Alertmanager webhook v4 through the real HTTP endpoint, with real captured requests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import AM_KEY, Ctx

SAMPLES = Path(__file__).parent.parent / "samples" / "alertmanager-0.25"


def sample(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((SAMPLES / name).read_text())["body"]
    return body


def open_and_all(ctx: Ctx) -> list[tuple[str, str]]:
    found = ctx.client.get("/api/v1/incidents", headers=ctx.viewer).json()["incidents"]
    return sorted((i["dedup_key"], i["status"]) for i in found)


def test_firing_then_resolved_in_two_steps(ctx: Ctx) -> None:
    bearer = {"Authorization": f"Bearer {AM_KEY}"}
    r = ctx.client.post(
        "/integrations/alertmanager",
        json=sample("01_integrations_alertmanager.json"),
        headers=bearer,
    )
    assert r.status_code == 200, r.text
    assert r.json()["outcomes"] == ["new alert", "new alert"]
    assert open_and_all(ctx) == [
        ("337f5138044a4177", "triggered"),
        ("7909cc8d1cec8976", "triggered"),
    ]

    # The same group re-sent (repeat_interval) is an update, not new incidents.
    ctx.clock.advance(minutes=5)
    r = ctx.client.post(
        "/integrations/alertmanager",
        json=sample("01_integrations_alertmanager.json"),
        headers=bearer,
    )
    assert r.json()["outcomes"] == ["repeated", "repeated"]

    ctx.clock.advance(minutes=5)
    r = ctx.client.post(
        f"/integrations/alertmanager/{AM_KEY}", json=sample("03_integrations_alertmanager.json")
    )
    assert r.status_code == 200
    assert open_and_all(ctx) == [
        ("337f5138044a4177", "triggered"),
        ("7909cc8d1cec8976", "resolved"),
    ]

    ctx.clock.advance(minutes=5)
    r = ctx.client.post(
        f"/integrations/alertmanager/{AM_KEY}", json=sample("04_integrations_alertmanager.json")
    )
    assert r.status_code == 200
    assert open_and_all(ctx) == [("337f5138044a4177", "resolved"), ("7909cc8d1cec8976", "resolved")]

    incidents = ctx.client.get("/api/v1/incidents", headers=ctx.viewer).json()["incidents"]
    assert {i["title"] for i in incidents} == {"p99 latency above 2s"}
    assert {i["urgency"] for i in incidents} == {"high"}  # severity label "critical"
    web1 = next(i for i in incidents if i["dedup_key"] == "7909cc8d1cec8976")
    kinds = [
        e["kind"]
        for e in ctx.client.get(
            f"/api/v1/incidents/{web1['id']}/timeline", headers=ctx.viewer
        ).json()["timeline"]
    ]
    assert kinds == ["triggered", "unassigned", "repeated", "resolved"]


def test_pagerduty_receiver_of_alertmanager(ctx: Ctx) -> None:
    """Alertmanager's pagerduty_configs pointed at /v2/enqueue: trigger, then resolve."""
    fire, resolve = sample("02_v2_enqueue.json"), sample("05_v2_enqueue.json")
    fire["routing_key"] = resolve["routing_key"] = AM_KEY
    assert ctx.client.post("/v2/enqueue", json=fire).status_code == 202
    assert ctx.client.post("/v2/enqueue", json=fire).status_code == 202
    [(key, status)] = open_and_all(ctx)
    assert (len(key), status) == (64, "triggered")
    assert ctx.client.post("/v2/enqueue", json=resolve).status_code == 202
    assert open_and_all(ctx) == [(key, "resolved")]


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/integrations/alertmanager", {}, 401),
        ("/integrations/alertmanager", {"Authorization": "Bearer " + "f" * 32}, 401),
        ("/integrations/alertmanager/" + "f" * 32, {}, 401),
    ],
    ids=["no-key", "unknown-bearer", "unknown-path-key"],
)
def test_keys_are_required(ctx: Ctx, path: str, headers: dict[str, str], status: int) -> None:
    r = ctx.client.post(path, json=sample("01_integrations_alertmanager.json"), headers=headers)
    assert r.status_code == status
    assert r.headers["content-type"] == "application/problem+json"
    assert open_and_all(ctx) == []


def test_invalid_payload_names_the_field(ctx: Ctx) -> None:
    body = sample("01_integrations_alertmanager.json")
    body["alerts"][1]["labels"] = "not an object"
    r = ctx.client.post(f"/integrations/alertmanager/{AM_KEY}", json=body)
    assert r.status_code == 400
    problem = r.json()
    assert "alerts[1].labels" in problem["detail"]
    assert (
        open_and_all(ctx) == []
    )  # nothing half-written: the valid first alert is not stored either
