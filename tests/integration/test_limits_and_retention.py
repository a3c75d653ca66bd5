"""The per-key rate limit, and bounded retention of raw events."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from ownit.adapters.db import tables as t
from ownit.adapters.db.event_log import SqlEventLog
from ownit.bootstrap import build_app
from ownit.settings import Settings
from tests.builders import FakeClock, add_service

KEY = "r" * 31 + "1"
OTHER = "r" * 31 + "2"


@pytest.fixture
def limited(engine: Engine) -> Iterator[TestClient]:
    add_service(engine, "a", keys={"events": KEY, "am": OTHER})
    settings = Settings(database_url=str(engine.url), events_rate_limit=5)
    with TestClient(build_app(settings, engine, clock=FakeClock())) as client:
        yield client


def body(key: str, dedup: str) -> dict[str, object]:
    return {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": dedup,
        "payload": {"summary": "s", "source": "s", "severity": "error"},
    }


def test_flood_from_one_key_gets_429_and_others_are_unaffected(
    limited: TestClient, engine: Engine
) -> None:
    codes = [limited.post("/v2/enqueue", json=body(KEY, f"d{i}")).status_code for i in range(8)]
    assert codes == [202] * 5 + [429] * 3
    throttled = limited.post("/v2/enqueue", json=body(KEY, "x"))
    assert throttled.json()["status"] == "throttle exceeded"
    assert "Retry-After" in throttled.headers
    assert limited.post("/v2/enqueue", json=body(OTHER, "y")).status_code == 202
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.alerts)).scalar_one() == 6


def test_retention_deletes_old_and_excess_raw_events(engine: Engine) -> None:
    add_service(engine, "a", keys={"events": KEY})
    clock = FakeClock()
    settings = Settings(database_url=str(engine.url), events_rate_limit=0)
    with TestClient(build_app(settings, engine, clock=clock)) as client:
        for i in range(6):
            assert client.post("/v2/enqueue", json=body(KEY, f"d{i}")).status_code == 202
            clock.advance(days=1)
    log = SqlEventLog(engine)
    deleted = log.prune(older_than=clock.now() - timedelta(days=3, hours=1), keep_at_most=100)
    assert deleted == 3
    assert log.prune(older_than=clock.now() - timedelta(days=30), keep_at_most=2) == 1
    kept = log.recent(limit=10)
    assert [e["dedup_key"] for e in kept] == ["d5", "d4"]
    # Incidents are not raw events: all six stay.
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.incidents)).scalar_one() == 6


def test_an_alertmanager_group_larger_than_a_minute_of_allowance_is_accepted(
    limited: TestClient, engine: Engine
) -> None:
    """The limit is 5 a minute; a group of 12 alerts used to get 503 on every retry."""
    group = {
        "version": "4",
        "status": "firing",
        "alerts": [
            {"status": "firing", "labels": {"alertname": "Big", "n": str(i)}} for i in range(12)
        ],
    }
    first = limited.post(f"/integrations/alertmanager/{OTHER}", json=group)
    assert first.status_code == 200, first.text
    assert first.json()["alerts"] == 12
    again = limited.post(f"/integrations/alertmanager/{OTHER}", json=group)
    assert again.status_code == 503  # the group paid 12 of 5: Alertmanager retries later
    # ... once the debt is paid: 8 tokens (one to spare) at 5 a minute (decision 0054).
    assert 90 <= int(again.headers["retry-after"]) <= 96
