"""Rate limits shared by every server process (decision 0055): tries with unknown keys per
client and test notifications per person are counted in the database, atomically, so two
app instances on one database (two "processes", each with its own engine) share one count."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from ownit.adapters.db import tables as t
from ownit.adapters.db.engine import make_engine
from ownit.adapters.db.rate_limit_store import SqlRateLimits
from ownit.bootstrap import build_app
from ownit.settings import Settings
from tests.builders import FakeClock, add_service
from tests.integration.conftest import PAY_KEY
from tests.integration.test_ingest_keys import trigger
from tests.integration.web_helpers import login, page_token, setup_people


@pytest.mark.parametrize(("per_minute", "tries"), [(5, 12), (1, 4), (10, 10)])
def test_parallel_spends_on_one_bucket_are_counted_once_each(
    engine: Engine, per_minute: int, tries: int
) -> None:
    store = SqlRateLimits(engine)
    now = FakeClock().now()
    start = threading.Barrier(tries)
    results: list[bool] = []

    def one() -> None:
        start.wait()
        results.append(store.spend("test-notification:alice", per_minute, 1, now))

    threads = [threading.Thread(target=one) for _ in range(tries)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * (tries - per_minute) + [True] * per_minute
    assert store.level("test-notification:alice", per_minute, now) == 0


def test_buckets_full_again_leave_no_row(engine: Engine) -> None:
    store = SqlRateLimits(engine)
    now = FakeClock().now()
    for i in range(20):
        store.spend(f"unknown-key:10.0.0.{i}", 60, 1, now)
    later = now + timedelta(minutes=1, seconds=1)
    assert store.spend("unknown-key:10.0.0.99", 60, 1, later)
    with engine.connect() as conn:
        names = conn.execute(select(t.rate_limits.c.name)).scalars().all()
    assert names == ["unknown-key:10.0.0.99"]
    assert store.level("unknown-key:10.0.0.1", 60, later) == 60


@pytest.fixture
def two_apps(engine: Engine) -> Iterator[tuple[TestClient, TestClient, FakeClock]]:
    """Two app instances on one database, each with its own engine, as two processes are."""
    add_service(engine, "checkout-api", keys={"events": PAY_KEY})
    clock = FakeClock()
    settings = Settings(database_url=str(engine.url), events_rate_limit=0, unknown_key_rate_limit=3)
    other = make_engine(engine.url.render_as_string(hide_password=False))
    try:
        with (
            TestClient(build_app(settings, engine, clock=clock)) as one,
            TestClient(build_app(settings, other, clock=clock)) as two,
        ):
            yield one, two, clock
    finally:
        other.dispose()


def test_unknown_key_tries_are_shared_by_two_processes(
    two_apps: tuple[TestClient, TestClient, FakeClock],
) -> None:
    one, two, clock = two_apps
    unknown = [f"{i:032d}" for i in range(6)]
    codes = [
        one.post("/v2/enqueue", json=trigger(unknown[0])).status_code,
        two.post("/v2/enqueue", json=trigger(unknown[1])).status_code,
        one.post("/v2/enqueue", json=trigger(unknown[2])).status_code,
        two.post("/v2/enqueue", json=trigger(unknown[3])).status_code,  # 4th try: on two
        one.post("/v2/enqueue", json=trigger(unknown[4])).status_code,
    ]
    assert codes == [400, 400, 400, 429, 429]
    # A key that works is not refused for the client's other tries, though process two has
    # not accepted it before.
    assert two.post("/v2/enqueue", json=trigger(PAY_KEY, "a")).status_code == 202
    clock.advance(seconds=20)  # 3 a minute: one try back
    assert one.post("/v2/enqueue", json=trigger(unknown[5])).status_code == 400
    assert two.post("/v2/enqueue", json=trigger(unknown[5])).status_code == 429


def test_test_notifications_are_shared_by_two_processes(
    engine: Engine, two_apps: tuple[TestClient, TestClient, FakeClock]
) -> None:
    one, two, clock = two_apps
    setup_people(engine, clock)
    for client in (one, two):
        assert login(client).status_code == 303
    token = page_token(one, "/me")
    made = one.post(
        "/me/contacts", data={"csrf": token, "name": "w", "type": "email", "value": "a@b.example"}
    )
    assert made.status_code == 200 or made.status_code == 303
    tokens = {one: token, two: page_token(two, "/me")}
    order = [one, two, one, two, two, one, two]
    codes = [c.post("/me/test-notification", data={"csrf": tokens[c]}).status_code for c in order]
    assert codes == [200] * 5 + [429] * 2
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.rate_limits)).scalar_one() == 1
    clock.advance(seconds=12)  # 5 a minute: one back
    assert two.post("/me/test-notification", data={"csrf": tokens[two]}).status_code == 200
    assert one.post("/me/test-notification", data={"csrf": tokens[one]}).status_code == 429
