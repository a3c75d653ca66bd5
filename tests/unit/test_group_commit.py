"""Group commit: a batch the store refuses is committed again one request at a time, so only
the request the store cannot take fails (finding 4)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ownit.app.ingest import GroupCommitter, ItemResult
from ownit.domain.events import Action, Event
from tests.builders import FakeClock


class Refuses:
    """A store whose transaction fails when any event of it has a poisoned dedup key."""

    def __init__(self) -> None:
        self.transactions: list[int] = []
        self.committed: list[str] = []

    def apply_batch(self, items: Sequence[Sequence[Event]], now: datetime) -> list[ItemResult]:
        self.transactions.append(len(items))
        keys = [e.dedup_key or "" for item in items for e in item]
        if any(k.startswith("bad") for k in keys):
            raise ValueError("a string literal cannot contain NUL (0x00) characters")
        self.committed += keys
        return [ItemResult(True, ("triggered",) * len(item)) for item in items]


def event(key: str) -> Event:
    return Event(format="events-v2", routing_key="k" * 32, action=Action.TRIGGER, dedup_key=key)


def submit_all(store: Refuses, keys: list[str]) -> list[ItemResult | BaseException]:
    async def run() -> list[ItemResult | BaseException]:
        committer = GroupCommitter(store=store, clock=FakeClock(), batch_max=64)
        await committer.start()
        try:
            return list(
                await asyncio.gather(
                    *(committer.submit([event(k)]) for k in keys), return_exceptions=True
                )
            )
        finally:
            await committer.stop()

    return asyncio.run(run())


@pytest.mark.parametrize(
    ("keys", "failed"),
    [
        (["a", "b", "c"], []),
        (["a", "bad1", "c"], ["bad1"]),
        (["bad1", "bad2"], ["bad1", "bad2"]),
        (["bad1"], ["bad1"]),
    ],
)
def test_only_the_bad_request_of_a_batch_fails(keys: list[str], failed: list[str]) -> None:
    store = Refuses()
    results = submit_all(store, keys)
    assert [k for k, r in zip(keys, results, strict=True) if isinstance(r, Exception)] == failed
    assert sorted(store.committed) == sorted(k for k in keys if k not in failed)


def test_a_good_batch_is_one_transaction() -> None:
    store = Refuses()
    submit_all(store, [f"k{i}" for i in range(50)])
    assert len(store.transactions) < 50  # batched (the first may go alone)
    assert sum(store.transactions) == 50


@settings(max_examples=40, deadline=None)
@given(st.lists(st.booleans(), min_size=1, max_size=80))
def test_every_good_request_is_committed_whatever_its_neighbours(bad: list[bool]) -> None:
    keys = [f"bad{i}" if b else f"ok{i}" for i, b in enumerate(bad)]
    store = Refuses()
    results = submit_all(store, keys)
    for key, result in zip(keys, results, strict=True):
        assert isinstance(result, Exception) is key.startswith("bad")
    assert sorted(store.committed) == sorted(k for k in keys if k.startswith("ok"))


class SlowDisk:
    """Durability whose first flush is held until a second batch has been committed."""

    def __init__(self, store: Refuses) -> None:
        self.store = store
        self.synced: list[int] = []
        self.second_committed = threading.Event()

    def mark(self) -> int:
        return len(self.store.transactions)

    def sync(self, mark: int) -> None:
        if not self.synced:
            self.second_committed.wait(5)
        self.synced.append(mark)


def test_answers_wait_for_the_disk_while_the_next_batch_is_written() -> None:
    store = Refuses()
    disk = SlowDisk(store)

    async def run() -> tuple[bool, list[ItemResult]]:
        committer = GroupCommitter(store=store, clock=FakeClock(), durability=disk)
        await committer.start()
        try:
            first = asyncio.ensure_future(committer.submit([event("a")]))
            while len(store.transactions) < 1:
                await asyncio.sleep(0.001)
            second = asyncio.ensure_future(committer.submit([event("b")]))
            while len(store.transactions) < 2:  # written while the first is being flushed
                await asyncio.sleep(0.001)
            answered_early = first.done()
            disk.second_committed.set()
            return answered_early, [await first, await second]
        finally:
            await committer.stop()

    answered_early, results = asyncio.run(run())
    assert not answered_early  # committed but not on disk yet: nobody is told
    assert all(r.accepted for r in results)
    assert store.committed == ["a", "b"]
    assert disk.synced == [1, 2]  # each answer after a flush covering its own batch


def test_a_failed_flush_fails_its_batch() -> None:
    store = Refuses()

    class BrokenDisk:
        def mark(self) -> int:
            return 1

        def sync(self, mark: int) -> None:
            raise OSError(5, "Input/output error")

    async def run() -> list[ItemResult | BaseException]:
        committer = GroupCommitter(store=store, clock=FakeClock(), durability=BrokenDisk())
        await committer.start()
        try:
            return list(
                await asyncio.gather(committer.submit([event("a")]), return_exceptions=True)
            )
        finally:
            await committer.stop()

    [result] = asyncio.run(run())
    assert isinstance(result, OSError)


class Gated(Refuses):
    """A store whose first transaction waits until ``go`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.go = threading.Event()
        self.begun = 0

    def apply_batch(self, items: Sequence[Sequence[Event]], now: datetime) -> list[ItemResult]:
        self.begun += 1
        if self.begun == 1:
            self.go.wait(5)
        return super().apply_batch(items, now)


def test_the_writer_goes_on_to_the_next_batch_while_the_event_loop_is_busy() -> None:
    """Once a batch is committed, what queued meanwhile is committed next without waiting for
    the event loop (busy reading and answering requests under load) to hand it over."""
    store = Gated()

    async def run() -> tuple[list[str], list[ItemResult]]:
        committer = GroupCommitter(store=store, clock=FakeClock())
        await committer.start()
        try:
            first = asyncio.ensure_future(committer.submit([event("a")]))
            while store.begun < 1:  # the writer is inside the first batch
                await asyncio.sleep(0.001)
            second = asyncio.ensure_future(committer.submit([event("b")]))
            await asyncio.sleep(0)  # queued behind it
            threading.Timer(0.05, store.go.set).start()
            # The loop stays busy (this blocks it): nothing it would have to do runs meanwhile.
            deadline = time.monotonic() + 5
            while len(store.committed) < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
            committed_while_busy = list(store.committed)
            return committed_while_busy, [await first, await second]
        finally:
            await committer.stop()

    committed_while_busy, results = asyncio.run(run())
    assert committed_while_busy == ["a", "b"]
    assert all(r.accepted for r in results)


def test_a_request_after_stop_is_refused_not_left_waiting() -> None:
    store = Refuses()

    async def run() -> BaseException | ItemResult:
        committer = GroupCommitter(store=store, clock=FakeClock())
        await committer.start()
        done = await committer.submit([event("a")])
        assert done.accepted
        await committer.stop()
        try:
            return await asyncio.wait_for(committer.submit([event("b")]), timeout=1)
        except RuntimeError as exc:
            return exc

    assert isinstance(asyncio.run(run()), RuntimeError)
    assert store.committed == ["a"]
