"""Accepting events: rate limits, dedup keys for triggers without one, and group commit.

Requests hand validated events to :class:`GroupCommitter`; one writer thread commits
everything that queued up meanwhile in a single transaction and answers each request. When
that transaction fails, the batch is committed again one request at a time, so a request
the store cannot take fails alone.
While it commits, new requests queue: under load batches grow by themselves, and a lone
event is committed at once (no fixed wait). Where commits return before they are on disk
(:class:`Durability`), the next batch is written while the last one is flushed, and no
request is answered before its batch is durable.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ownit.app.clock import Clock
from ownit.domain.events import Action, Event

log = logging.getLogger("ownit.ingest")


@dataclass(frozen=True, slots=True)
class ItemResult:
    """The answer for one request's events: accepted (with outcomes) or rejected (why)."""

    accepted: bool
    outcomes: tuple[str, ...] = ()
    error: str | None = None


class Durability(Protocol):
    """Commits that return before they are on disk (SQLite's write-ahead log, decision 0068):
    :meth:`sync` of a :meth:`mark` taken after a commit returns once that commit is durable."""

    def mark(self) -> int: ...

    def sync(self, mark: int) -> None: ...


class IngestStore(Protocol):
    def apply_batch(self, items: Sequence[Sequence[Event]], now: datetime) -> list[ItemResult]:
        """Durably commit every item in one transaction; one result per item, in order."""
        ...


def with_dedup_key(event: Event) -> Event:
    """A trigger without a dedup key gets a new one (a UUID), which is answered to the sender."""
    if event.action is Action.TRIGGER and not event.dedup_key:
        return dataclasses.replace(event, dedup_key=uuid.uuid4().hex)
    return event


BatchObserver = Callable[[int, float], None]


class GroupCommitter:
    """Collects concurrent submissions and commits them together, one transaction per batch."""

    def __init__(
        self,
        *,
        store: IngestStore,
        clock: Clock,
        batch_max: int = 256,
        on_batch: BatchObserver | None = None,
        writers: int = 1,
        durability: Durability | None = None,
    ) -> None:
        self._writers = writers
        self._durability = durability
        self._store = store
        self._clock = clock
        self._batch_max = batch_max
        self._on_batch = on_batch
        self._queue: asyncio.Queue[tuple[Sequence[Event], asyncio.Future[ItemResult]]] | None = None
        self._task: asyncio.Task[None] | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._syncer: ThreadPoolExecutor | None = None

    async def start(self) -> None:
        self._queue = asyncio.Queue()
        self._executor = ThreadPoolExecutor(
            max_workers=self._writers, thread_name_prefix="ownit-ingest"
        )
        if self._durability is not None:
            self._syncer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ownit-sync")
        self._task = asyncio.create_task(self._run(), name="ownit-group-commit")

    async def stop(self) -> None:
        """Commit what is queued, then stop."""
        if self._task is None or self._queue is None:
            return
        await self._queue.join()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        assert self._executor is not None
        self._executor.shutdown(wait=True)
        if self._syncer is not None:
            self._syncer.shutdown(wait=True)
        self._task = None

    async def submit(self, events: Sequence[Event]) -> ItemResult:
        """Wait until ``events`` are durably committed (or rejected) and return the answer."""
        if self._queue is None:
            raise RuntimeError("GroupCommitter.start() was not called")
        future: asyncio.Future[ItemResult] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((events, future))
        return await future

    async def _run(self) -> None:
        assert self._queue is not None
        queue = self._queue
        slots = asyncio.Semaphore(self._writers)
        running: set[asyncio.Task[None]] = set()
        while True:
            # Wait for a free writer first: meanwhile requests queue up and the batch grows.
            await slots.acquire()
            first = await queue.get()
            batch = [first]
            while len(batch) < self._batch_max and not queue.empty():
                batch.append(queue.get_nowait())
            task = asyncio.create_task(self._write(batch, slots))
            running.add(task)
            task.add_done_callback(running.discard)

    async def _write(
        self,
        batch: list[tuple[Sequence[Event], asyncio.Future[ItemResult]]],
        slots: asyncio.Semaphore,
    ) -> None:
        assert self._queue is not None
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        released = False
        try:
            results = await loop.run_in_executor(
                self._executor, self._commit, [events for events, _ in batch]
            )
            if self._durability is not None:
                # Committed: the next batch may be written while this one reaches the disk.
                mark = self._durability.mark()
                slots.release()
                released = True
                await loop.run_in_executor(self._syncer, self._durability.sync, mark)
        except Exception as exc:  # not even one at a time: every request gets the error
            log.exception("ingest batch of %d failed", len(batch))
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
        else:
            for (_, future), result in zip(batch, results, strict=True):
                if future.done():
                    continue
                if isinstance(result, Exception):
                    future.set_exception(result)
                else:
                    future.set_result(result)
            if self._on_batch is not None:
                self._on_batch(len(batch), time.perf_counter() - started)
        finally:
            if not released:
                slots.release()
            for _ in batch:
                self._queue.task_done()

    def _commit(self, items: list[Sequence[Event]]) -> list[ItemResult | Exception]:
        """One transaction for the batch; if it fails, one per item, so that an item the
        store cannot take fails alone and the others of its batch are committed."""
        now = self._clock.now()
        try:
            return list(self._store.apply_batch(items, now))
        except Exception:
            if len(items) == 1:
                raise
            log.warning("ingest batch of %d failed; committing its items one by one", len(items))
        results: list[ItemResult | Exception] = []
        for item in items:
            try:
                [result] = self._store.apply_batch([item], now)
            except Exception as exc:  # this item alone: its request gets the error
                log.exception("an ingest item of %d event(s) failed", len(item))
                results.append(exc)
            else:
                results.append(result)
        return results
