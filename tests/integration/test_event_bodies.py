"""Event bodies through the real app: sent without a length (chunked) or over the limit, and
the problem documents the Alertmanager endpoints answer, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from tests.integration.conftest import AM_KEY, PAY_KEY, Ctx

SAMPLES = Path(__file__).parent.parent / "samples" / "alertmanager-0.25"
PROBLEM = "https://ownit.dev/problems/"
TOO_BIG = 512 * 1024 + 1


def webhook() -> bytes:
    body: dict[str, Any] = json.loads((SAMPLES / "01_integrations_alertmanager.json").read_text())
    return orjson.dumps(body["body"])


def trigger() -> bytes:
    return orjson.dumps(
        {
            "routing_key": PAY_KEY,
            "event_action": "trigger",
            "dedup_key": "disk-full",
            "payload": {"summary": "Disk full", "source": "db-1", "severity": "critical"},
        }
    )


def in_chunks(body: bytes, size: int = 100) -> Iterator[bytes]:
    """A body the client streams: no Content-Length, ``Transfer-Encoding: chunked``."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


def incident_keys(ctx: Ctx) -> list[str]:
    found = ctx.client.get("/api/v1/incidents", headers=ctx.viewer).json()["incidents"]
    return sorted(i["dedup_key"] for i in found)


def test_an_event_streamed_without_a_length_is_accepted(ctx: Ctx) -> None:
    r = ctx.client.post("/v2/enqueue", content=in_chunks(trigger()))
    assert r.status_code == 202, r.text
    assert r.json()["dedup_key"] == "disk-full"
    assert incident_keys(ctx) == ["disk-full"]


def test_an_event_streamed_past_the_limit_is_413(ctx: Ctx) -> None:
    r = ctx.client.post("/v2/enqueue", content=in_chunks(b" " * TOO_BIG, 64 * 1024))
    assert r.status_code == 413
    assert r.json() == {
        "status": "invalid event",
        "message": "Request entity too large",
        "errors": ["The request body is larger than 512 KB"],
    }
    assert incident_keys(ctx) == []


def test_a_webhook_streamed_without_a_length_is_accepted(ctx: Ctx) -> None:
    r = ctx.client.post(f"/integrations/alertmanager/{AM_KEY}", content=in_chunks(webhook()))
    assert r.status_code == 200, r.text
    assert r.json()["alerts"] == 2
    assert len(incident_keys(ctx)) == 2


def test_a_webhook_over_the_limit_is_a_413_problem_with_or_without_a_length(ctx: Ctx) -> None:
    expected = {
        "type": PROBLEM + "payload-too-large",
        "title": "Payload too large",
        "status": 413,
        "detail": "the body is larger than 8192 KB (OWNIT_ALERTMANAGER_MAX_BODY); "
        "set max_alerts in Alertmanager's webhook_config",
    }
    path = f"/integrations/alertmanager/{AM_KEY}"
    group_too_big = 8 * 1024 * 1024 + 1  # a group has its own limit (decision 0054)
    for content in (b" " * group_too_big, in_chunks(b" " * group_too_big, 256 * 1024)):
        r = ctx.client.post(path, content=content)
        assert r.status_code == 413
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json() == expected
    assert incident_keys(ctx) == []


def test_a_webhook_without_a_key_is_a_401_problem_asking_for_a_bearer(ctx: Ctx) -> None:
    r = ctx.client.post("/integrations/alertmanager", content=webhook())
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.headers["content-type"] == "application/problem+json"
    assert r.content == orjson.dumps(
        {
            "type": PROBLEM + "integration-key-missing",
            "title": "Integration key missing",
            "status": 401,
            "detail": "send the integration key as a bearer token or in the path "
            "(/integrations/alertmanager/{key})",
        }
    )


def test_a_webhook_with_an_unknown_key_is_a_401_problem(ctx: Ctx) -> None:
    r = ctx.client.post("/integrations/alertmanager/" + "f" * 32, content=webhook())
    assert r.status_code == 401
    assert "www-authenticate" not in r.headers
    assert r.content == orjson.dumps(
        {
            "type": PROBLEM + "unknown-integration-key",
            "title": "Unknown integration key",
            "status": 401,
            "detail": "no integration has this key",
        }
    )


def test_an_invalid_webhook_is_a_400_problem_naming_each_field(ctx: Ctx) -> None:
    body = orjson.loads(webhook())
    body["alerts"][1]["labels"] = "not an object"
    body["alerts"][0]["status"] = "sleeping"
    r = ctx.client.post(f"/integrations/alertmanager/{AM_KEY}", content=orjson.dumps(body))
    assert r.status_code == 400
    problem = r.json()
    assert list(problem) == ["type", "title", "status", "detail", "errors"]
    assert problem["type"] == PROBLEM + "invalid-alertmanager-payload"
    assert problem["title"] == "Invalid Alertmanager payload"
    assert problem["detail"] == "; ".join(e["detail"] for e in problem["errors"])
    assert [e["field"] for e in problem["errors"]] == ["alerts[0].status", "alerts[1].labels"]
