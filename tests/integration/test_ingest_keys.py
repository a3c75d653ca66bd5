"""Keys on the ingest paths (findings 2, 5, 6): nothing kept for an unknown key, a per-client
limit on tries with unknown keys, key shape checked on every path, heartbeat keys good for
heartbeats only, and no key inside the raw events people read (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from ownit.adapters.db import tables as t
from ownit.bootstrap import build_app
from ownit.settings import Settings
from tests.builders import FakeClock, add_service
from tests.integration.conftest import AM_KEY, PAY_KEY, Ctx
from tests.integration.test_heartbeats import HB_KEY, add_heartbeat

UNKNOWN = "f" * 31 + "9"


def trigger(key: str, dedup: str = "d1") -> dict[str, Any]:
    return {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": dedup,
        "payload": {"summary": "disk full", "source": "db-1", "severity": "critical"},
    }


def webhook() -> dict[str, Any]:
    return {
        "version": "4",
        "status": "firing",
        "alerts": [{"status": "firing", "labels": {"alertname": "DiskFull"}}],
    }


def rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.events)).scalar_one())


def test_an_event_with_an_unknown_key_leaves_nothing_behind(ctx: Ctx) -> None:
    r = ctx.client.post("/v2/enqueue", json=trigger(UNKNOWN))
    assert r.status_code == 400
    am = ctx.client.post(f"/integrations/alertmanager/{UNKNOWN}", json=webhook())
    assert am.status_code == 401
    assert rows(ctx.engine) == 0
    metrics = ctx.client.get("/metrics").text
    assert 'ownit_events_total{format="events-v2",reason="unknown_key",result="rejected"} 1.0' in (
        metrics
    )


@pytest.mark.parametrize(
    "key",
    [
        "k" * 100,  # the 100-character key that did not fit its 64-character column
        "k" * 31,
        "k" * 31 + "-",
        "k" * 31 + "é",
    ],
)
def test_alertmanager_keys_of_the_wrong_shape_are_refused_without_a_lookup(
    ctx: Ctx, key: str
) -> None:
    in_path = ctx.client.post(f"/integrations/alertmanager/{key}", json=webhook())
    as_bearer = ctx.client.post(
        "/integrations/alertmanager",
        json=webhook(),
        headers={b"authorization": f"Bearer {key}".encode()},
    )
    for r in (in_path, as_bearer):
        assert r.status_code == 401, r.text
        assert r.json()["detail"] == "no integration has this key"
    assert rows(ctx.engine) == 0


def test_a_heartbeat_key_is_good_for_its_heartbeat_only(ctx: Ctx) -> None:
    add_heartbeat(ctx.engine)
    r = ctx.client.post("/v2/enqueue", json=trigger(HB_KEY))
    assert r.status_code == 400
    assert "no integration has the key" in r.json()["errors"][0]
    am = ctx.client.post(f"/integrations/alertmanager/{HB_KEY}", json=webhook())
    assert am.status_code == 401
    found = ctx.client.get("/api/v1/incidents", headers=ctx.viewer).json()["incidents"]
    assert found == []
    ping = ctx.client.post(
        "/api/v1/heartbeats/nightly-backup/ping", headers={"authorization": f"Bearer {HB_KEY}"}
    )
    assert ping.status_code == 200


def test_raw_events_people_read_hold_no_key(ctx: Ctx) -> None:
    assert ctx.client.post("/v2/enqueue", json=trigger(PAY_KEY)).status_code == 202
    assert (
        ctx.client.post(f"/integrations/alertmanager/{AM_KEY}", json=webhook()).status_code == 200
    )
    events = ctx.client.get("/api/v1/events", headers=ctx.viewer).json()["events"]
    assert len(events) == 2
    for listed in events:
        one = ctx.client.get(f"/api/v1/events/{listed['id']}", headers=ctx.viewer).json()
        text = str(one)
        assert PAY_KEY not in text
        assert AM_KEY not in text
        assert "routing_key" not in (one.get("raw") or {})


def test_unknown_key_tries_are_limited_per_client(engine: Engine) -> None:
    add_service(engine, "checkout-api", keys={"events": PAY_KEY})
    settings = Settings(database_url=str(engine.url), events_rate_limit=0, unknown_key_rate_limit=3)
    with TestClient(build_app(settings, engine, clock=FakeClock())) as client:
        assert client.post("/v2/enqueue", json=trigger(PAY_KEY, "a")).status_code == 202
        codes = [
            client.post("/v2/enqueue", json=trigger(f"{i:032d}")).status_code for i in range(5)
        ]
        assert codes == [400, 400, 400, 429, 429]
        limited = client.post(f"/integrations/alertmanager/{UNKNOWN}", json=webhook())
        assert limited.status_code == 429
        assert limited.headers["retry-after"] == "60"
        # a key that works keeps working for the same client
        assert client.post("/v2/enqueue", json=trigger(PAY_KEY, "b")).status_code == 202
        metrics = client.get("/metrics").text
        assert 'reason="unknown_key_limited",result="rejected"} 2.0' in metrics
    assert rows(engine) == 2
