"""Limits before parsing (finding 3): a body limit on every endpoint (413 before reading past
it), the API token checked before an /api/v1 body is read, field lengths."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from ownit.adapters.http.problems import PROBLEM_TYPE
from ownit.bootstrap import build_app
from ownit.settings import Settings
from tests.builders import FakeClock
from tests.integration.conftest import Ctx

MB = 1024 * 1024
TOO_LARGE = {
    "type": PROBLEM_TYPE + "payload-too-large",
    "title": "Payload too large",
    "status": 413,
    "detail": f"the body is larger than {MB} bytes (OWNIT_MAX_BODY)",
}


def in_chunks(body: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    """Streamed without a Content-Length (``Transfer-Encoding: chunked``)."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


def incident(ctx: Ctx) -> int:
    r = ctx.client.post(
        "/v2/enqueue",
        json={
            "routing_key": "a" * 31 + "1",
            "event_action": "trigger",
            "payload": {"summary": "disk full", "source": "db-1", "severity": "critical"},
        },
    )
    assert r.status_code == 202, r.text
    found = ctx.client.get("/api/v1/incidents", headers=ctx.viewer).json()["incidents"]
    return int(found[0]["number"])


@pytest.mark.parametrize("streamed", [False, True])
@pytest.mark.parametrize(
    ("path", "who"),
    [
        ("/api/v1/incidents/1/notes", "responder"),  # a token that may write
        ("/api/v1/maintenance-windows", "admin"),
        ("/login", None),  # a web form
        ("/integrations/slack/actions", None),  # unauthenticated
    ],
)
def test_a_body_over_the_limit_is_413_on_every_endpoint(
    ctx: Ctx, path: str, who: str | None, streamed: bool
) -> None:
    headers = {"content-type": "application/json"}
    if who is not None:
        headers |= getattr(ctx, who)
    big = b'{"text": "' + b"x" * (3 * MB) + b'"}'
    r = ctx.client.post(path, content=in_chunks(big) if streamed else big, headers=headers)
    assert r.status_code == 413, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json() == TOO_LARGE | {"instance": path}


def test_a_body_under_the_limit_reaches_the_endpoint(ctx: Ctx) -> None:
    number = incident(ctx)
    r = ctx.client.post(
        f"/api/v1/incidents/{number}/notes",
        content=in_chunks(b'{"text": "' + b"x" * 9000 + b'"}', 1000),
        headers=ctx.responder | {"content-type": "application/json"},
    )
    assert r.status_code == 201, r.text


@pytest.mark.parametrize(
    ("headers", "status", "words"),
    [
        ({}, 401, "send an API token"),
        ({"authorization": "Basic YTpi"}, 401, "send an API token"),
        ({"authorization": "Bearer own_nope"}, 401, "unknown or revoked"),
        ({"authorization": "Bearer "}, 401, "send an API token"),
        ("viewer", 403, "cannot do this"),  # the role is checked before the body too
        ("responder", 422, ""),  # may write here: the route parses the body
    ],
)
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/incidents/1/notes",
        "/api/v1/maintenance-windows",
        "/api/v1/schedules/primary/overrides",
    ],
)
def test_the_token_is_checked_before_the_body_is_parsed(
    ctx: Ctx, headers: dict[str, str] | str, status: int, words: str, path: str
) -> None:
    sent = getattr(ctx, headers) if isinstance(headers, str) else headers
    r = ctx.client.post(
        path, content=b"{not json", headers=sent | {"content-type": "application/json"}
    )
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert words in r.json()["detail"]
    if status == 401:
        assert r.headers["www-authenticate"] == "Bearer"


def _body_routes(ctx: Ctx) -> list[tuple[str, str]]:
    """Every ``/api/v1`` route that takes a body, as the app has them (not a hand list)."""
    found = []
    for route in iter_route_contexts(ctx.client.app.routes):  # type: ignore[attr-defined]
        if route.path and route.path.startswith("/api/v1/"):
            path = re.sub(r"\{[^}]+\}", "1", route.path)
            writes = (route.methods or set()) & {"POST", "PUT", "PATCH", "DELETE"}
            found += [(m, path) for m in sorted(writes)]
    assert len(found) > 20
    return found


def test_admin_only_routes_answer_a_responder_403_before_the_body_is_parsed(ctx: Ctx) -> None:
    """Which routes are admin-only is asked of each route itself: a responder sending a body
    that parses gets 403 from the route's own gate. Malformed JSON must then get the same
    403 (not 422), and an admin's malformed JSON must not be refused as forbidden."""
    rows = []
    for method, path in _body_routes(ctx):

        def send(headers: dict[str, str], body: bytes, m: str = method, p: str = path) -> int:
            sent = headers | {"content-type": "application/json"}
            return ctx.client.request(m, p, content=body, headers=sent).status_code

        parsed = send(ctx.responder, b"{}")
        rows.append(
            (method, path, parsed, send(ctx.responder, b"{not json"), send(ctx.admin, b"{x"))
        )
    admin_only = {(m, p) for m, p, parsed, _, _ in rows if parsed == 403}
    assert {("PUT", "/api/v1/settings"), ("POST", "/api/v1/integrations/1/rotate")} <= admin_only
    wrong = [
        row for row in rows if ((row[0], row[1]) in admin_only) != (row[3] == 403) or row[4] == 403
    ]
    assert wrong == [], "(method, path, responder {}, responder bad JSON, admin bad JSON)"


def test_a_heartbeat_ping_keeps_its_own_key(ctx: Ctx) -> None:
    r = ctx.client.post("/api/v1/heartbeats/nightly/ping", headers={"authorization": "Bearer x"})
    assert r.status_code in (401, 404)  # answered by the endpoint, not the token gate
    assert "API token" not in r.json()["detail"]


def test_a_long_note_names_the_field(ctx: Ctx) -> None:
    number = incident(ctx)
    r = ctx.client.post(
        f"/api/v1/incidents/{number}/notes", json={"text": "x" * 10_001}, headers=ctx.responder
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "text"


@pytest.mark.parametrize(
    ("token", "sent", "status"),
    [
        (None, None, 200),  # no token set: open, as before
        ("s3cret-metrics", None, 401),
        ("s3cret-metrics", "Bearer wrong", 401),
        ("s3cret-metrics", "Bearer s3cret-metrics", 200),
    ],
)
def test_metrics_token(engine: Engine, token: str | None, sent: str | None, status: int) -> None:
    settings = Settings(database_url=str(engine.url), metrics_token=token)
    with TestClient(build_app(settings, engine, clock=FakeClock())) as client:
        r = client.get("/metrics", headers={"authorization": sent} if sent else None)
    assert r.status_code == status
    if status == 200:
        assert "ownit_events_total" in r.text
    else:
        assert r.headers["www-authenticate"] == "Bearer"
        assert "OWNIT_METRICS_TOKEN" in r.json()["detail"]


@pytest.mark.parametrize(
    ("path", "size", "expected"),
    [
        ("/v2/enqueue", 3 * MB, {"message": "Request entity too large"}),
        (
            "/integrations/alertmanager/" + "a" * 31 + "1",
            9 * MB,  # a whole group may be larger (decision 0054)
            {
                "detail": "the body is larger than 8192 KB (OWNIT_ALERTMANAGER_MAX_BODY); "
                "set max_alerts in Alertmanager's webhook_config"
            },
        ),
    ],
)
def test_event_endpoints_answer_their_own_413_past_any_size(
    ctx: Ctx, path: str, size: int, expected: dict[str, str]
) -> None:
    r = ctx.client.post(path, content=b"x" * size)
    assert r.status_code == 413
    body = r.json()
    assert {k: body.get(k) for k in expected} == expected
