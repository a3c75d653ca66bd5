"""The REST API: authentication, roles, filters, actions, problem documents."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.integration.conftest import LOW_KEY, PAY_KEY, Ctx


def send(ctx: Ctx, dedup: str, *, key: str = PAY_KEY, severity: str = "critical") -> None:
    body = {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": dedup,
        "payload": {"summary": f"problem {dedup}", "source": "host", "severity": severity},
    }
    assert ctx.client.post("/v2/enqueue", json=body).status_code == 202


def listing(ctx: Ctx, query: str) -> Any:
    return ctx.client.get(f"/api/v1/incidents{query}", headers=ctx.viewer)


@pytest.mark.parametrize(
    ("method", "path", "role", "status"),
    [
        ("GET", "/api/v1/incidents", None, 401),
        ("GET", "/api/v1/incidents", "bogus", 401),
        ("GET", "/api/v1/incidents", "viewer", 200),
        ("POST", "/api/v1/incidents/1/acknowledge", "viewer", 403),
        ("POST", "/api/v1/incidents/1/acknowledge", "responder", 200),
        ("POST", "/api/v1/incidents/1/resolve", "viewer", 403),
        ("POST", "/api/v1/incidents/1/resolve", "admin", 200),
        ("POST", "/api/v1/integrations/1/rotate", "responder", 403),
        ("POST", "/api/v1/integrations/1/rotate", "admin", 200),
        ("GET", "/api/v1/services", "viewer", 200),
        ("GET", "/api/v1/teams", "viewer", 200),
        ("GET", "/api/v1/users", "viewer", 200),
    ],
)
def test_roles(ctx: Ctx, method: str, path: str, role: str | None, status: int) -> None:
    send(ctx, "x")
    headers = {
        None: {},
        "bogus": {"Authorization": "Bearer ownit_not-a-token"},
        "viewer": ctx.viewer,
        "responder": ctx.responder,
        "admin": ctx.admin,
    }[role]
    response = ctx.client.request(method, path, headers=headers)
    assert response.status_code == status, response.text
    if status >= 400:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == status


def test_filters(ctx: Ctx) -> None:
    send(ctx, "a")
    ctx.clock.advance(minutes=10)
    send(ctx, "b", severity="warning")
    ctx.clock.advance(minutes=10)
    send(ctx, "c", key=LOW_KEY)
    ctx.client.post("/api/v1/incidents/1/resolve", headers=ctx.responder)

    def numbers(query: str) -> list[int]:
        response = listing(ctx, query)
        assert response.status_code == 200, response.text
        return [i["number"] for i in response.json()["incidents"]]

    assert numbers("") == [3, 2, 1]
    assert numbers("?status=triggered") == [3, 2]
    assert numbers("?status=resolved") == [1]
    assert numbers("?status=open") == [3, 2]
    assert numbers("?service=checkout-api") == [2, 1]
    assert numbers("?urgency=low") == [3, 2]
    assert numbers("?urgency=high&status=resolved") == [1]
    assert numbers("?since=2026-11-26T12:05:00Z") == [3, 2]
    assert numbers("?since=2026-11-26T12:05:00%2B00:00&limit=1") == [3]
    assert numbers("?since=2026-11-26T13:05:00+01:00") == [3, 2]  # "+" read as a space


@pytest.mark.parametrize(
    ("query", "field", "detail"),
    [
        (
            "?since=2026-11-26T12:05:00",
            "since",
            "'2026-11-26T12:05:00' has no UTC offset (write 2026-02-01T18:00:00Z or "
            "2026-02-01T18:00:00+01:00)",
        ),
        ("?until=2026-11-26", "until", "'2026-11-26' has no UTC offset"),
        ("?since=yesterday", "since", "'yesterday' is not an ISO 8601 date-time"),
    ],
)
def test_times_without_an_offset_are_refused_naming_the_field(
    ctx: Ctx, query: str, field: str, detail: str
) -> None:
    """As the on-call and maintenance endpoints do: read as UTC it would be silently off."""
    response = listing(ctx, query)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    [error] = response.json()["errors"]
    assert error["field"] == field
    assert error["detail"].startswith(detail)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?status=burning", "status"),
        ("?urgency=medium", "urgency"),
        ("?since=yesterday", "since"),
        ("?service=nope", "service"),
        ("?limit=0", "limit"),
        ("?limit=abc", "limit"),
    ],
)
def test_bad_filters_name_the_field(ctx: Ctx, query: str, field: str) -> None:
    response = listing(ctx, query)
    assert response.status_code in (400, 422)
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in problem["errors"]] == [field]


def test_people_acknowledge_resolve_and_annotate(ctx: Ctx) -> None:
    send(ctx, "db")
    ctx.clock.advance(minutes=2)
    r = ctx.client.post("/api/v1/incidents/1/acknowledge", headers=ctx.responder)
    assert r.json()["incident"]["status"] == "acknowledged"
    assert r.json()["incident"]["acknowledged_by"] == "token/t-responder"
    # Acknowledging again changes nothing.
    again = ctx.client.post("/api/v1/incidents/1/acknowledge", headers=ctx.responder)
    assert again.status_code == 200
    assert again.json()["incident"]["acknowledged_at"] == r.json()["incident"]["acknowledged_at"]

    note = ctx.client.post(
        "/api/v1/incidents/1/notes", json={"text": "restarting db-1"}, headers=ctx.responder
    )
    assert note.status_code == 201
    empty = ctx.client.post("/api/v1/incidents/1/notes", json={"text": ""}, headers=ctx.responder)
    assert empty.status_code == 422
    assert [e["field"] for e in empty.json()["errors"]] == ["text"]

    ctx.clock.advance(minutes=3)
    inc_id = r.json()["incident"]["id"]
    resolved = ctx.client.post(f"/api/v1/incidents/{inc_id}/resolve", headers=ctx.responder)
    assert resolved.json()["incident"]["status"] == "resolved"
    twice = ctx.client.post("/api/v1/incidents/1/resolve", headers=ctx.responder)
    assert twice.status_code == 409
    assert "already resolved" in twice.json()["detail"]
    ack_resolved = ctx.client.post("/api/v1/incidents/1/acknowledge", headers=ctx.responder)
    assert ack_resolved.status_code == 409

    timeline = ctx.client.get("/api/v1/incidents/1/timeline", headers=ctx.viewer).json()["timeline"]
    assert [(e["kind"], e["actor"]) for e in timeline] == [
        ("triggered", "integration/events"),
        ("unassigned", "engine"),
        ("acknowledged", "token/t-responder"),
        ("note", "token/t-responder"),
        ("resolved", "token/t-responder"),
    ]
    assert timeline[3]["message"] == "restarting db-1"
    # A person's resolve closes the alert: the same key now opens a new incident.
    send(ctx, "db")
    assert [i["number"] for i in listing(ctx, "?status=triggered").json()["incidents"]] == [2]


@pytest.mark.parametrize(
    "ref",
    ["999", "2147483647", "2147483648", "99999999999999999999"],  # past 32 bits too
)
def test_unknown_incident_is_404_problem(ctx: Ctx, ref: str) -> None:
    for path in (f"/api/v1/incidents/{ref}", f"/api/v1/incidents/{ref}/timeline"):
        response = ctx.client.get(path, headers=ctx.viewer)
        assert response.status_code == 404, (path, response.text)
        assert response.json()["title"] == "Not found"


def test_integration_keys_rotate_and_old_key_stops(ctx: Ctx) -> None:
    # Only a digest is kept (decision 0035): admins and viewers alike see a hint.
    listed = ctx.client.get("/api/v1/integrations", headers=ctx.admin).json()["integrations"]
    pay = next(i for i in listed if i["service"] == "checkout-api" and i["name"] == "events")
    assert pay["key"] == PAY_KEY[:4] + "…"
    masked = ctx.client.get("/api/v1/integrations", headers=ctx.viewer).json()["integrations"]
    assert all(i["key"].endswith("…") for i in masked)
    rotated = ctx.client.post(f"/api/v1/integrations/{pay['id']}/rotate", headers=ctx.admin)
    new_key = rotated.json()["integration"]["key"]
    assert len(new_key) == 32
    assert new_key != PAY_KEY
    again = ctx.client.get("/api/v1/integrations", headers=ctx.admin).json()["integrations"]
    assert [i["key"] for i in again if i["id"] == pay["id"]] == [new_key[:4] + "…"]
    old = {
        "routing_key": PAY_KEY,
        "event_action": "trigger",
        "payload": {"summary": "s", "source": "s", "severity": "info"},
    }
    assert ctx.client.post("/v2/enqueue", json=old).status_code == 400
    assert ctx.client.post("/v2/enqueue", json=old | {"routing_key": new_key}).status_code == 202


def test_openapi_and_docs(ctx: Ctx) -> None:
    spec = ctx.client.get("/openapi.json").json()
    for path in ("/v2/enqueue", "/api/v1/incidents", "/api/v1/incidents/{ref}/acknowledge"):
        assert path in spec["paths"]
    docs = ctx.client.get("/docs")
    assert docs.status_code == 200
    assert "default-src 'self'" in docs.headers["content-security-policy"]
    scripts = re.findall(r'<(?:script src|link rel="stylesheet" href)="([^"]+)"', docs.text)
    assert scripts == [
        "/docs/assets/swagger-ui.css",
        "/docs/assets/swagger-ui-bundle.js",
        "/docs/assets/init.js",
    ]  # nothing from another site
    for asset in scripts:
        served = ctx.client.get(asset)
        assert served.status_code == 200
        assert len(served.content) > 100
    assert ctx.client.get("/redoc").status_code == 404  # it would load from a CDN


def test_operability(ctx: Ctx) -> None:
    send(ctx, "m")
    assert ctx.client.get("/healthz").json() == {"status": "ok"}
    ready = ctx.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": True, "migrations": True}
    ctx.client.post("/v2/enqueue", content=b"nope")
    text = ctx.client.get("/metrics").text
    assert 'ownit_events_total{format="events-v2",reason="new alert",result="accepted"} 1.0' in text
    assert 'ownit_events_total{format="events-v2",reason="malformed",result="rejected"} 1.0' in text
    assert 'ownit_open_incidents{status="triggered",urgency="high"} 1.0' in text
    assert "ownit_ingest_latency_seconds_bucket" in text
    assert "ownit_ingest_batch_size_bucket" in text
