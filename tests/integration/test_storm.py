"""A duplicate storm: thousands of concurrent triggers with one dedup key make one alert."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import Engine, func, select

from ownit.adapters.db import tables as t
from tests.builders import add_service
from tests.integration.live import live_server

KEY = "s" * 31 + "9"
STORM = 2000
CONCURRENCY = 64


async def _storm(base: str, keys: int = 1) -> list[int]:
    def body(i: int) -> dict[str, object]:
        return {
            "routing_key": KEY,
            "event_action": "trigger",
            "dedup_key": f"key-{i % keys}",
            "payload": {"summary": "storm", "source": "test", "severity": "critical"},
        }

    gate = asyncio.Semaphore(CONCURRENCY)
    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def one(i: int) -> int:
            async with gate:
                response = await client.post("/v2/enqueue", json=body(i))
                return response.status_code

        return await asyncio.gather(*(one(i) for i in range(STORM)))


def test_duplicate_storm_folds_into_one_alert(engine: Engine) -> None:
    add_service(engine, "storm-svc", keys={"events": KEY})
    with live_server(engine) as base:
        statuses = asyncio.run(_storm(base))
    assert statuses == [202] * STORM
    with engine.connect() as conn:
        alerts = conn.execute(select(t.alerts.c.status, t.alerts.c.repeat_count)).all()
        incidents = conn.execute(select(func.count()).select_from(t.incidents)).scalar_one()
        kept = conn.execute(select(func.count()).select_from(t.events)).scalar_one()
    assert [(a.status, a.repeat_count) for a in alerts] == [("triggered", STORM - 1)]
    assert incidents == 1
    assert kept == STORM  # every raw event is kept


def test_a_storm_over_a_few_keys_makes_one_alert_each(engine: Engine) -> None:
    """Several writers (PostgreSQL) lock rows in one order: no deadlock, nothing lost."""
    add_service(engine, "storm-svc", keys={"events": KEY})
    with live_server(engine) as base:
        statuses = asyncio.run(_storm(base, keys=5))
    assert statuses == [202] * STORM
    with engine.connect() as conn:
        alerts = conn.execute(select(t.alerts.c.dedup_key, t.alerts.c.repeat_count)).all()
    assert sorted(a.dedup_key for a in alerts) == [f"key-{i}" for i in range(5)]
    assert sum(a.repeat_count for a in alerts) == STORM - 5
