"""The engine steps aside for ingest (decision 0076): while it is behind (an advance took a
whole batch) and new work keeps arriving (the wake-up rang), it waits after each step so
that it works ``busy_share`` of the time. Behind with nothing arriving, or not behind, it
never waits. On both databases, with the real store; time and the wake-up are the test's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from ownit.adapters.db import tables as t
from ownit.adapters.db.ingest_store import SqlIngestStore
from ownit.adapters.db.work_store import SqlWorkStore
from ownit.bootstrap import on_call_lookup
from ownit.domain.events import Action, Event, Severity
from ownit.worker.loop import GATHER, Worker, pause_after
from tests.builders import FakeClock
from tests.integration.paged_service import paged_service

KEY = "aside000000000000000000000000001"


class Ring:
    """The wake-up: rung (new work committed) or not, every time it is asked."""

    def __init__(self, rung: bool) -> None:
        self.rung = rung

    def wait(self, timeout: float) -> bool:
        assert timeout == 0  # the engine only looks; it never waits on it mid-cycle
        return self.rung

    def close(self) -> None:
        pass


class Links:
    def incident_url(self, incident_id: str) -> str:
        return f"http://127.0.0.1:8080/incidents/{incident_id}"

    def action_url(self, incident_id: str, action: str, user: str) -> str | None:
        return None


class Ticks:
    """A monotonic clock that moves one second each time it is read."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def worker_on(engine: Engine, clock: FakeClock, **pacing: Any) -> Worker:
    """The engine over ``engine``'s real store, with no notifier; ``pacing``: the rest of
    :class:`Worker`'s arguments."""
    return Worker(
        store=SqlWorkStore(engine),
        notifiers={},
        links=Links(),
        clock=clock,
        on_call=on_call_lookup(engine),
        **pacing,
    )


def incidents_due(engine: Engine, tmp_path: Path, count: int) -> FakeClock:
    """A paged service with ``count`` new incidents, all due to be advanced now."""
    clock = paged_service(engine, tmp_path, key=KEY, service="checkout")
    events = [
        [Event("events-v2", KEY, Action.TRIGGER, f"d{i}", f"disk {i}", "s", Severity.CRITICAL)]
        for i in range(count)
    ]
    SqlIngestStore(engine).apply_batch(events, clock.now())
    return clock


@pytest.mark.parametrize(
    ("rung", "share", "pauses"),
    [
        # 10 due, batches of 4: two whole batches (4, 4) then 2; each step reads the clock
        # twice (one second apart): 1 s busy, so at a quarter of the time 3 s waited.
        (True, 0.25, [3.0, 3.0]),
        (True, 0.5, [1.0, 1.0]),
        (False, 0.25, []),  # behind, but nothing new arriving: catch up at full speed
        (True, 1.0, []),  # the whole time: never waits
    ],
    ids=["arriving-quarter", "arriving-half", "nothing-arriving", "share-1"],
)
def test_the_engine_waits_only_while_behind_and_work_keeps_arriving(
    engine: Engine, tmp_path: Path, rung: bool, share: float, pauses: list[float]
) -> None:
    clock = incidents_due(engine, tmp_path, 10)
    waited: list[float] = []
    worker = worker_on(
        engine,
        clock,
        advance_batch=4,
        wakeup=Ring(rung),
        busy_share=share,
        pause=waited.append,
        monotonic=Ticks(),
    )
    try:
        worker.run_once()
    finally:
        worker.stop()
    assert waited == pauses
    with engine.connect() as conn:  # every incident was advanced all the same
        first = conn.execute(
            select(func.count()).select_from(t.escalations).where(t.escalations.c.state.is_(None))
        ).scalar_one()
    assert first == 0


@pytest.mark.parametrize("share", [0.0, -0.5, 1.5])
def test_a_share_outside_zero_to_one_is_refused(engine: Engine, share: float) -> None:
    with pytest.raises(ValueError, match="busy_share"):
        worker_on(engine, FakeClock(), busy_share=share)


@pytest.mark.parametrize(
    ("busy", "share", "pause"),
    [(0.01, 0.4, 0.015), (0.01, 1.0, 0.0), (0.02, 0.5, 0.02), (0.0, 0.4, 0.0)],
)
def test_the_pause_makes_the_work_that_share_of_the_time(
    busy: float, share: float, pause: float
) -> None:
    assert pause_after(busy, share) == pytest.approx(pause)
    if busy:
        assert busy / (busy + pause_after(busy, share)) == pytest.approx(share)


class Cycles:
    """The wake-up of a loop the test runs: rings at once after every cycle, finds nothing
    arriving mid-cycle, and asks the worker to stop at its second wait between cycles."""

    def __init__(self) -> None:
        self.worker: Worker | None = None
        self.waits = 0

    def wait(self, timeout: float) -> bool:
        if timeout == 0:
            return False
        self.waits += 1
        if self.waits == 2:
            assert self.worker is not None
            self.worker.request_stop()
        return True

    def close(self) -> None:
        pass


@pytest.mark.parametrize(("gather", "pauses"), [(GATHER, [GATHER]), (0.0, [])])
def test_after_a_cycle_that_did_work_the_engine_lets_new_work_gather(
    engine: Engine, tmp_path: Path, gather: float, pauses: list[float]
) -> None:
    """Decision 0081: the first cycle advances the incidents and waits ``gather``; the
    second finds nothing and goes straight back to waiting for the wake-up."""
    clock = incidents_due(engine, tmp_path, 3)
    waited: list[float] = []
    cycles = Cycles()
    worker = worker_on(
        engine,
        clock,
        wakeup=cycles,
        gather=gather,
        pause=waited.append,
    )
    cycles.worker = worker
    try:
        worker.run_forever()
    finally:
        worker.stop()
    assert cycles.waits == 2
    assert waited == pauses
