"""The engine's claim on both databases: a storm on one service cannot keep another
service's first page out of the next batch, and first pages go before repeats. And the
wake-up: a batch that opens an incident with a policy rings the engine's doorbell."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, update

from ownit.adapters.catalog.yaml_source import load_files
from ownit.adapters.db import claim_candidates
from ownit.adapters.db import tables as t
from ownit.adapters.db.catalog_store import SqlCatalogStore
from ownit.adapters.db.ingest_store import SqlIngestStore
from ownit.adapters.db.wakeup import WorkBell, listener_for
from ownit.adapters.db.work_store import SqlWorkStore
from ownit.app import catalog
from ownit.domain.events import Action, Event, Severity
from tests.builders import FakeClock

STORM_KEY = "storm000000000000000000000000001"
CALM_KEY = "calm0000000000000000000000000002"
QUIET_KEY = "quiet000000000000000000000000003"

CATALOG = """
apiVersion: ownit/v1
kind: User
metadata: {name: alice}
spec:
  email: alice@example.com
  contacts:
    - {name: hook, type: webhook, url: "http://127.0.0.1:9/alice",
       secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
---
apiVersion: ownit/v1
kind: Team
metadata: {name: ops}
spec:
  members: [{user: alice}]
---
apiVersion: ownit/v1
kind: EscalationPolicy
metadata: {name: ops}
spec:
  team: ops
  levels: [{after: 30m, targets: [{user: alice}]}]
""" + "".join(
    f"""---
apiVersion: ownit/v1
kind: Service
metadata: {{name: {name}}}
spec:
  owner: ops
  escalationPolicy: ops
  integrations: [{{name: events, type: events-v2, key: {key}}}]
"""
    for name, key in (("storm", STORM_KEY), ("calm", CALM_KEY), ("quiet", QUIET_KEY))
)


def _apply_catalog(engine: Engine, tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text(CATALOG)
    loaded = load_files([str(path)])
    assert not loaded.problems
    catalog.apply(store=SqlCatalogStore(engine), documents=loaded.documents, clock=clock)


def _trigger(key: str, dedup: str) -> list[Event]:
    return [Event("events-v2", key, Action.TRIGGER, dedup, dedup, "s", Severity.CRITICAL)]


def _claimed_after_a_storm(
    engine: Engine, tmp_path: Path, then: list[list[Event]], *, started: bool = False
) -> list[int]:
    """The numbers a claim of 4 takes after a storm of 40 incidents (their escalations
    ``started``: what is due is a repeat) and, 5 s later, the incidents ``then`` opens."""
    clock = FakeClock()
    _apply_catalog(engine, tmp_path, clock)
    ingest = SqlIngestStore(engine)
    ingest.apply_batch([_trigger(STORM_KEY, f"s{i}") for i in range(40)], clock.now())
    if started:
        with engine.begin() as conn:
            conn.execute(update(t.escalations).values(state={"level": 0}))
    clock.advance(seconds=5)
    ingest.apply_batch(then, clock.now())
    with SqlWorkStore(engine).due_batch(clock.now(), 4) as units:
        return [u.facts.number for u in units]


@pytest.mark.parametrize("candidates", [256, 5], ids=["all seen", "backlog past the window"])
def test_a_storm_cannot_keep_another_services_first_page_out(
    engine: Engine, tmp_path: Path, candidates: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The claim reads the oldest and newest few due rows: with a window of 5 and a backlog
    # of 40, the calm service's new incident is still seen (among the newest) and chosen.
    monkeypatch.setattr(claim_candidates, "CANDIDATES", candidates)
    numbers = _claimed_after_a_storm(engine, tmp_path, [_trigger(CALM_KEY, "c1")])
    assert len(numbers) == 4
    # The calm service's only incident is the newest of 41, yet it is in the first batch
    # (in the second place: the storm's turn came first, its oldest being older).
    assert numbers[1] == 41, numbers
    assert all(n <= 40 for n in numbers[:1] + numbers[2:]), numbers


def test_a_first_page_pushed_out_by_a_storm_is_found_again(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(claim_candidates, "CANDIDATES", 5)
    clock = FakeClock()
    _apply_catalog(engine, tmp_path, clock)
    ingest = SqlIngestStore(engine)
    store = SqlWorkStore(engine)
    ingest.apply_batch([_trigger(STORM_KEY, f"s{i}") for i in range(20)], clock.now())
    clock.advance(seconds=1)
    ingest.apply_batch([_trigger(CALM_KEY, "calm")], clock.now())
    clock.advance(seconds=1)
    ingest.apply_batch([_trigger(QUIET_KEY, "quiet")], clock.now())

    def claim() -> list[int]:
        with store.due_batch(clock.now(), 2) as units:
            for unit in units:  # advanced: no longer due
                with store.isolated(unit):
                    unit.save({"level": 0}, None)
            return [u.facts.number for u in units]

    first = claim()
    assert first[1] == 21, first  # the storm's oldest, then calm; quiet had to wait
    clock.advance(seconds=1)  # the storm goes on: quiet is no longer among the newest 5
    ingest.apply_batch([_trigger(STORM_KEY, f"t{i}") for i in range(10)], clock.now())
    second = claim()
    assert 22 in second, second


def test_a_first_page_never_seen_in_a_large_backlog_is_found_by_its_service(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(claim_candidates, "CANDIDATES", 3)
    clock = FakeClock()
    _apply_catalog(engine, tmp_path, clock)
    ingest = SqlIngestStore(engine)
    ingest.apply_batch([_trigger(STORM_KEY, f"s{i}") for i in range(10)], clock.now())
    clock.advance(seconds=1)
    ingest.apply_batch([_trigger(CALM_KEY, "calm")], clock.now())  # number 11
    clock.advance(seconds=1)
    ingest.apply_batch([_trigger(STORM_KEY, f"t{i}") for i in range(10)], clock.now())
    with SqlWorkStore(engine).due_batch(clock.now(), 2) as units:
        numbers = [u.facts.number for u in units]
    assert 11 in numbers, numbers


def test_first_pages_go_before_older_repeats(engine: Engine, tmp_path: Path) -> None:
    clock = FakeClock()
    _apply_catalog(engine, tmp_path, clock)
    ingest = SqlIngestStore(engine)
    ingest.apply_batch([_trigger(STORM_KEY, f"old{i}") for i in range(3)], clock.now())
    with engine.begin() as conn:  # these three have been started: what is due is a repeat
        conn.execute(update(t.escalations).values(state={"level": 0}))
    clock.advance(seconds=5)
    ingest.apply_batch([_trigger(STORM_KEY, "new1"), _trigger(CALM_KEY, "new2")], clock.now())
    with SqlWorkStore(engine).due_batch(clock.now(), 3) as units:
        numbers = [u.facts.number for u in units]
    assert numbers[:2] == [4, 5] or numbers[:2] == [5, 4], numbers
    assert len(numbers) == 3
    assert numbers[2] in (1, 2, 3)  # then a repeat (all three due at the same time)


@pytest.mark.parametrize("candidates", [256, 1], ids=["newest read", "one newest row"])
def test_a_storms_new_first_pages_fill_a_batch_before_its_older_repeats(
    engine: Engine, tmp_path: Path, candidates: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 40 started escalations are due again (repeats), more than the claim's oldest window
    # (16 for a claim of 4); then 6 new incidents of the same service. Its own index gives
    # the service's oldest first page; the newest rows give the others.
    monkeypatch.setattr(claim_candidates, "CANDIDATES", candidates)
    new = [_trigger(STORM_KEY, f"new{i}") for i in range(6)]
    numbers = _claimed_after_a_storm(engine, tmp_path, new, started=True)
    first_pages = [n for n in numbers if n > 40]
    # Read: four of the six first pages. With one row at each end: the service's oldest
    # and its newest first page, then the one repeat read.
    assert len(first_pages) == (4 if candidates > 1 else 2), numbers
    assert numbers[: len(first_pages)] == first_pages, numbers  # first pages go first


def test_a_new_incident_rings_the_engine(engine: Engine, tmp_path: Path) -> None:
    clock = FakeClock()
    _apply_catalog(engine, tmp_path, clock)
    listener = listener_for(engine)
    assert listener is not None
    try:
        listener.wait(0.05)  # drain anything from the catalog set-up
        ingest = SqlIngestStore(engine, bell=WorkBell(engine))
        assert listener.wait(0.05) is False  # nothing new: the wait runs out
        woke: list[bool] = []
        waiter = threading.Thread(target=lambda: woke.append(listener.wait(10)))
        waiter.start()
        ingest.apply_batch([_trigger(CALM_KEY, "ring")], clock.now())
        waiter.join(10)
        assert woke == [True]
        # A repeat of an open alert leaves no new work: no ring. (Checked on SQLite only:
        # PostgreSQL's channel is database-wide, and other tests' schemas share it.)
        ingest.apply_batch([_trigger(CALM_KEY, "ring")], clock.now())
        if engine.dialect.name == "sqlite":
            assert listener.wait(0.2) is False
    finally:
        listener.close()


def test_a_storm_of_pages_for_one_contact_cannot_hold_another_contacts_page(
    engine: Engine,
) -> None:
    clock = FakeClock()
    start = clock.now()

    def row(user: str, n: int, due: int, event: str = "incident.triggered") -> dict[str, object]:
        return {
            "incident_id": None,
            "user_name": user,
            "contact": "hook",
            "channel": "webhook",
            "event_type": event,
            "idempotency_key": f"{user}-{n}",
            "status": "pending",
            "due_at": start + timedelta(seconds=due),
            "attempts": 0,
            "created_at": start,
            "data": {},
        }

    with engine.begin() as conn:
        conn.execute(
            t.notifications.insert(),
            [row("flood", i, 0) for i in range(50)]
            + [row("bob", 0, 1, "incident.escalated")]
            + [row("probe", 0, 5)],
        )
    store = SqlWorkStore(engine)
    claimed = store.claim(start + timedelta(seconds=10), 4, timedelta(minutes=2))
    users = sorted(c.user for c in claimed)
    # The newest first page is in the batch; the older escalation waits for first pages.
    assert users == ["flood", "flood", "flood", "probe"], users
    claimed = store.claim(start + timedelta(seconds=10), 60, timedelta(minutes=2))
    assert len(claimed) == 48
    assert "bob" in {c.user for c in claimed}
