"""One bad event never fails its batch (finding 4): 200 good triggers sent at once beside 20
bad ones are all accepted, the bad ones get a 400 naming the field; and a batch the database
refuses is redone one request at a time (PostgreSQL, where NUL cannot be stored)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from ownit.adapters.db import tables as t
from ownit.adapters.db.engine import make_engine
from ownit.adapters.db.ingest_store import SqlIngestStore
from ownit.adapters.db.migrate import upgrade
from ownit.app.ingest import GroupCommitter, ItemResult
from ownit.domain.events import Action, Event, Severity
from tests.builders import FakeClock, add_service
from tests.integration.conftest import AM_KEY, PAY_KEY, Ctx


def trigger(i: int, summary: str) -> dict[str, Any]:
    return {
        "routing_key": PAY_KEY,
        "event_action": "trigger",
        "dedup_key": f"k{i}",
        "payload": {"summary": summary, "source": "db-1", "severity": "critical"},
    }


def alerts(ctx: Ctx) -> int:
    with ctx.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.alerts)).scalar_one())


def test_200_good_and_20_bad_sent_at_once(ctx: Ctx) -> None:
    bodies = [trigger(i, f"disk {i} full") for i in range(200)]
    bodies += [trigger(1000 + i, f"bad\x00{i}") for i in range(20)]

    def send(body: dict[str, Any]) -> tuple[str, int, Any]:
        r = ctx.client.post("/v2/enqueue", json=body)
        return body["dedup_key"], r.status_code, r.json()

    with ThreadPoolExecutor(max_workers=32) as pool:
        answers = list(pool.map(send, bodies))
    good, bad = answers[:200], answers[200:]
    assert [status for _, status, _ in good] == [202] * 200
    for _, status, body in bad:
        assert status == 400
        assert body["errors"] == ["'payload.summary' must not contain NUL characters"]
    assert alerts(ctx) == 200


@pytest.mark.parametrize(
    ("alert", "field"),
    [
        ({"fingerprint": "f" * 256}, "alerts[0].fingerprint"),
        ({"annotations": {"summary": "a\x00b"}}, "alerts[0].annotations.summary"),
        ({"labels": {"alertname": "x", "zone\x00": "a"}}, "alerts[0].labels"),
    ],
)
def test_an_alertmanager_alert_that_cannot_be_stored_is_400_naming_the_field(
    ctx: Ctx, alert: dict[str, Any], field: str
) -> None:
    body = {
        "version": "4",
        "status": "firing",
        "alerts": [{"status": "firing", "labels": {"alertname": "x"}} | alert],
    }
    r = ctx.client.post(f"/integrations/alertmanager/{AM_KEY}", json=body)
    assert r.status_code == 400, r.text
    assert r.json()["errors"][0]["field"] == field
    assert alerts(ctx) == 0


@pytest.fixture
def pg_engine(pg_database_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def test_a_batch_postgresql_refuses_is_redone_one_request_at_a_time(pg_engine: Engine) -> None:
    """Past the parser (as a future field might): PostgreSQL refuses the NUL in the batch's
    transaction; redone alone, every good request is committed and only the bad one fails."""
    add_service(pg_engine, "checkout-api", keys={"events": PAY_KEY})

    def event(i: int, summary: str) -> Event:
        return Event("events-v2", PAY_KEY, Action.TRIGGER, f"d{i}", summary, "src", Severity.ERROR)

    items = [[event(i, "ok")] for i in range(60)] + [[event(100 + i, "b\x00d")] for i in range(6)]
    items = items[::2] + items[1::2]  # the bad ones among the good

    async def run() -> list[ItemResult | BaseException]:
        committer = GroupCommitter(store=SqlIngestStore(pg_engine), clock=FakeClock())
        await committer.start()
        try:
            return list(
                await asyncio.gather(*(committer.submit(i) for i in items), return_exceptions=True)
            )
        finally:
            await committer.stop()

    results = asyncio.run(run())
    for item, result in zip(items, results, strict=True):
        bad = "\x00" in item[0].summary
        assert isinstance(result, Exception) is bad, (item[0].dedup_key, result)
    with pg_engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(t.alerts)).scalar_one()
    assert count == 60
