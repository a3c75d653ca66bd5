"""Heartbeats: pings, missed intervals opening one incident, a ping resolving it, maintenance
(SQLite and PostgreSQL, fake clock)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, select

from ownit.adapters.db import tables as t
from ownit.bootstrap import build_worker
from ownit.domain.key_digests import key_digest
from ownit.settings import Settings
from ownit.worker.loop import Worker
from tests.builders import T0
from tests.integration.conftest import Ctx

HB_KEY = "d" * 31 + "7"
PING = "/api/v1/heartbeats/nightly-backup/ping"


def add_heartbeat(engine: Engine, service: str = "checkout-api") -> None:
    with engine.begin() as conn:
        service_id = conn.execute(
            select(t.services.c.id).where(t.services.c.name == service)
        ).scalar_one()
        conn.execute(
            t.heartbeats.insert().values(
                name="nightly-backup",
                service_id=service_id,
                interval_seconds=3600,
                grace_seconds=600,
                key=key_digest(HB_KEY),  # kept hashed (decision 0035)
                key_hint=HB_KEY[:4],
                spec={"service": service, "interval": "1h", "grace": "10m"},
                state="waiting",
                due_at=T0.replace(hour=13, minute=10),
                created_at=T0,
                updated_at=T0,
            )
        )


@pytest.fixture
def work(ctx: Ctx) -> Iterator[Worker]:
    add_heartbeat(ctx.engine)
    settings = Settings(database_url=str(ctx.engine.url), events_rate_limit=0)
    engine = build_worker(settings, ctx.engine, clock=ctx.clock)
    yield engine
    engine.stop()


def heartbeat_incidents(ctx: Ctx) -> list[dict[str, Any]]:
    response = ctx.client.get("/api/v1/incidents", headers=ctx.viewer)
    return [i for i in response.json()["incidents"] if i["dedup_key"] == "heartbeat/nightly-backup"]


def state(ctx: Ctx) -> dict[str, Any]:
    [beat] = ctx.client.get("/api/v1/heartbeats", headers=ctx.admin).json()["heartbeats"]
    found: dict[str, Any] = beat
    return found


def test_ping_sets_up_and_moves_due(ctx: Ctx, work: Worker) -> None:
    assert state(ctx)["state"] == "waiting"
    ctx.clock.advance(minutes=5)
    r = ctx.client.post(PING, headers={"Authorization": f"Bearer {HB_KEY}"})
    assert r.status_code == 200, r.text
    beat = state(ctx)
    assert beat["state"] == "up"
    assert beat["last_ping_at"] == "2026-11-26T12:05:00+00:00"
    assert beat["due_at"] == "2026-11-26T13:15:00+00:00"  # interval + grace
    assert beat["key"] == HB_KEY[:4] + "…"  # admins see the hint: only a digest is kept
    [seen] = ctx.client.get("/api/v1/heartbeats", headers=ctx.viewer).json()["heartbeats"]
    assert "key" not in seen
    # cron's curl: GET with the key in the query
    assert ctx.client.get(PING, params={"key": HB_KEY}).status_code == 200
    assert ctx.client.head(PING, params={"key": HB_KEY}).status_code == 200


def test_bad_or_missing_key_is_refused(ctx: Ctx, work: Worker) -> None:
    r = ctx.client.post(PING)
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert ctx.client.post(PING, params={"key": "0" * 32}).status_code == 401
    r = ctx.client.post("/api/v1/heartbeats/other/ping", params={"key": HB_KEY})
    assert r.status_code == 401
    assert state(ctx)["state"] == "waiting"


def test_silence_opens_one_incident_and_a_ping_resolves_it(ctx: Ctx, work: Worker) -> None:
    ctx.clock.advance(hours=1, minutes=9)
    work.run_once()
    assert heartbeat_incidents(ctx) == []  # still within interval + grace
    ctx.clock.advance(minutes=1)
    work.run_once()
    work.run_once()  # a second pass (or a second worker) opens nothing more
    [inc] = heartbeat_incidents(ctx)
    assert inc["status"] == "triggered"
    assert inc["title"] == "Heartbeat nightly-backup missed: no ping since never"
    assert inc["service"] == "checkout-api"
    assert state(ctx)["state"] == "down"

    ctx.clock.advance(minutes=3)
    assert ctx.client.post(PING, params={"key": HB_KEY}).status_code == 200
    [inc] = heartbeat_incidents(ctx)
    assert inc["status"] == "resolved"
    assert state(ctx)["state"] == "up"

    ctx.clock.advance(hours=1, minutes=11)  # silent again: a new incident
    work.run_once()
    incidents = heartbeat_incidents(ctx)
    assert sorted(i["status"] for i in incidents) == ["resolved", "triggered"]
    new = next(i for i in incidents if i["status"] == "triggered")
    assert new["title"] == (
        "Heartbeat nightly-backup missed: no ping since 2026-11-26 13:13:00 UTC"
    )


def test_two_engines_open_one_incident(ctx: Ctx, work: Worker) -> None:
    settings = Settings(database_url=str(ctx.engine.url), events_rate_limit=0)
    other = build_worker(settings, ctx.engine, clock=ctx.clock)
    try:
        ctx.clock.advance(hours=2)
        assert other.check_heartbeats() == 1
        assert work.check_heartbeats() == 0
    finally:
        other.stop()
    assert len(heartbeat_incidents(ctx)) == 1


def test_missed_heartbeat_in_maintenance_pages_nobody(ctx: Ctx, work: Worker) -> None:
    r = ctx.client.post(
        "/api/v1/maintenance-windows",
        json={"services": ["checkout-api"], "duration": "3h", "name": "migration"},
        headers=ctx.admin,
    )
    assert r.status_code == 201, r.text
    ctx.clock.advance(hours=2)
    work.run_once()
    work.run_once()
    assert heartbeat_incidents(ctx) == []
    beat = state(ctx)
    assert beat["state"] == "waiting"  # looked at again after the grace
    assert beat["due_at"] == "2026-11-26T14:10:00+00:00"
    events = ctx.client.get("/api/v1/events", headers=ctx.viewer).json()["events"]
    assert [e["outcome"] for e in events] == ["suppressed: maintenance window migration"]
    assert events[0]["format"] == "heartbeat"

    ctx.clock.advance(hours=1, minutes=10)  # the window is over, still silent: it pages
    work.run_once()
    [inc] = heartbeat_incidents(ctx)
    assert inc["status"] == "triggered"
    assert state(ctx)["state"] == "down"
