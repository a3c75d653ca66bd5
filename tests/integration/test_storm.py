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


async def _storm(base: str) -> list[int]:
    body = {
        "routing_key": KEY,
        "event_action": "trigger",
        "dedup_key": "one-key",
        "payload": {"summary": "storm", "source": "test", "severity": "critical"},
    }
    gate = asyncio.Semaphore(CONCURRENCY)
    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def one() -> int:
            async with gate:
                response = await client.post("/v2/enqueue", json=body)
                return response.status_code

        return await asyncio.gather(*(one() for _ in range(STORM)))


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
