"""An Alertmanager group of more than 6,000 alerts (a minute's allowance, finding 14;
decision 0054): accepted, committed a chunk at a time, nothing lost or doubled — also when
a chunk fails and Alertmanager resends the whole group."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from ownit.adapters.db import tables as t
from ownit.adapters.db.ingest_store import SqlIngestStore
from ownit.app.ingest import ItemResult
from ownit.bootstrap import build_app
from ownit.domain.events import Event
from ownit.settings import Settings
from tests.builders import FakeClock, add_service
from tests.integration.conftest import AM_KEY

ALERTS = 6_500
PATH = f"/integrations/alertmanager/{AM_KEY}"


def group(n: int, status: str = "firing") -> bytes:
    """A webhook as Alertmanager 0.25 sends it: labels, annotations, times, a fingerprint."""
    alerts = [
        {
            "status": status,
            "labels": {
                "alertname": "DiskFull",
                "cluster": "eu1",
                "instance": f"node-{i}:9100",
                "severity": "warning",
            },
            "annotations": {"summary": "disk almost full", "runbook_url": "https://wiki/disk"},
            "startsAt": "2026-11-26T15:38:16.972131107Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph?g0.expr=disk",
            "fingerprint": f"{i:016x}",
        }
        for i in range(n)
    ]
    return orjson.dumps(
        {
            "receiver": "ownit",
            "status": status,
            "alerts": alerts,
            "groupLabels": {"alertname": "DiskFull"},
            "commonLabels": {"alertname": "DiskFull", "cluster": "eu1", "severity": "warning"},
            "commonAnnotations": {"summary": "disk almost full"},
            "externalURL": "http://alertmanager:9093",
            "version": "4",
            "groupKey": '{}:{alertname="DiskFull"}',
            "truncatedAlerts": 0,
        }
    )


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    add_service(engine, "checkout-api", keys={"am": AM_KEY})
    # The default rate limit, 6,000 events a minute per key: the group is larger.
    settings = Settings(database_url=str(engine.url))
    assert settings.events_rate_limit < ALERTS
    with TestClient(build_app(settings, engine, clock=FakeClock())) as test_client:
        yield test_client


def stored(engine: Engine) -> tuple[int, int, int]:
    """Alerts, distinct dedup keys among them, incidents."""
    with engine.connect() as conn:
        alerts = conn.execute(select(func.count()).select_from(t.alerts)).scalar_one()
        keys = conn.execute(select(func.count(t.alerts.c.dedup_key.distinct()))).scalar_one()
        incidents = conn.execute(select(func.count()).select_from(t.incidents)).scalar_one()
    return int(alerts), int(keys), int(incidents)


def post(client: TestClient, body: bytes) -> Any:
    return client.post(PATH, content=body, headers={"content-type": "application/json"})


def test_a_group_over_a_minutes_allowance_is_accepted_whole(
    client: TestClient, engine: Engine
) -> None:
    body = group(ALERTS)
    assert len(body) > 2 * 1024 * 1024  # far past the 512 KB of the other event endpoints
    r = post(client, body)
    assert r.status_code == 200, r.text[:300]
    assert r.json()["alerts"] == ALERTS
    assert r.json()["outcomes"] == ["new alert"] * ALERTS
    assert stored(engine) == (ALERTS, ALERTS, ALERTS)
    # (It paid for every alert, into debt: tests/unit/test_event_endpoints.py shows the wait.)


def test_a_failed_chunk_loses_and_doubles_nothing_when_the_group_comes_again(
    client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = SqlIngestStore.apply_batch
    broken = {"on": True}

    def apply_batch(
        self: SqlIngestStore, items: Sequence[Sequence[Event]], now: datetime
    ) -> list[ItemResult]:
        third = any(e.dedup_key == f"{2500:016x}" for item in items for e in item)
        if broken["on"] and third:  # the chunk holding alert 2,500: the third of 1,000
            raise ConnectionError("the database went away")
        return real(self, items, now)

    monkeypatch.setattr(SqlIngestStore, "apply_batch", apply_batch)
    monkeypatch.setattr("ownit.adapters.http.events.RateLimiter.borrow", lambda *a: True)
    body = group(ALERTS)
    first = post(client, body)
    assert first.status_code == 503  # Alertmanager resends the group
    assert stored(engine) == (2000, 2000, 2000)  # the two chunks before the failed one
    broken["on"] = False
    second = post(client, body)
    assert second.status_code == 200, second.text[:300]
    outcomes = second.json()["outcomes"]
    assert outcomes == ["repeated"] * 2000 + ["new alert"] * (ALERTS - 2000)
    assert stored(engine) == (ALERTS, ALERTS, ALERTS)
    resolved = post(client, group(ALERTS, "resolved"))
    assert resolved.status_code == 200
    with engine.connect() as conn:
        open_alerts = conn.execute(
            select(func.count()).select_from(t.alerts).where(t.alerts.c.status != "resolved")
        ).scalar_one()
    assert open_alerts == 0


@pytest.mark.parametrize(
    ("key", "status"),
    [
        (AM_KEY, 413),  # a key that works: the group is read up to its own limit
        ("f" * 31 + "9", 401),  # nobody's key: refused before the body is read
    ],
)
def test_past_the_group_limit(engine: Engine, key: str, status: int) -> None:
    add_service(engine, "checkout-api", keys={"am": AM_KEY})
    settings = Settings(database_url=str(engine.url), alertmanager_max_body=1024 * 1024)
    with TestClient(build_app(settings, engine, clock=FakeClock())) as test_client:
        r = test_client.post(
            f"/integrations/alertmanager/{key}",
            content=group(4000),
            headers={"content-type": "application/json"},
        )
    assert r.status_code == status, r.text
    assert stored(engine) == (0, 0, 0)
