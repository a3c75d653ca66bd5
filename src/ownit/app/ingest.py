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
import queue
import threading
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
_Waiting = tuple[Sequence[Event], asyncio.Future[ItemResult]]
_STOP = None  # put once per writer thread: it ends after what was queued before it


class GroupCommitter:
    """Collects concurrent submissions and commits them together, one transaction per batch.

    The writer threads take their batches straight from a thread-safe queue: a writer that
    has committed starts on what queued up meanwhile at once, without waiting for the event
    loop (which may be busy reading and answering requests) to hand it the next batch. The
    loop hears back once per batch, when the batch is durable."""

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
        self._queue: queue.SimpleQueue[_Waiting | None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._threads: list[threading.Thread] = []
        self._syncer: ThreadPoolExecutor | None = None
        self._open: set[asyncio.Future[ItemResult]] = set()  # submitted, not yet answered
        self._stopping = False

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._queue = queue.SimpleQueue()
        if self._durability is not None:
            self._syncer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ownit-sync")
        self._threads = [
            threading.Thread(target=self._writer, name=f"ownit-ingest_{n}", daemon=True)
            for n in range(self._writers)
        ]
        for thread in self._threads:
            thread.start()

    async def stop(self) -> None:
        """Commit and answer what is queued, then stop."""
        if self._queue is None:
            return
        self._stopping = True  # a request from now on is answered at once (503), never lost
        while self._open:
            await asyncio.wait(set(self._open))
        for _ in self._threads:
            self._queue.put(_STOP)
        for thread in self._threads:
            await asyncio.to_thread(thread.join)
        if self._syncer is not None:
            self._syncer.shutdown(wait=True)
        self._queue = None
        self._threads = []
        self._stopping = False

    async def submit(self, events: Sequence[Event]) -> ItemResult:
        """Wait until ``events`` are durably committed (or rejected) and return the answer."""
        if self._queue is None or self._loop is None or self._stopping:
            raise RuntimeError("GroupCommitter is not running (not started, or stopping)")
        future: asyncio.Future[ItemResult] = self._loop.create_future()
        self._open.add(future)
        future.add_done_callback(self._open.discard)
        self._queue.put((events, future))
        return await future

    def _writer(self) -> None:
        """A writer thread: take what is queued (up to ``batch_max``), commit it, hand it on
        to be made durable and answered, and go on with the next."""
        assert self._queue is not None
        waiting = self._queue
        while True:
            first = waiting.get()
            if first is _STOP:
                return
            batch = [first]
            while len(batch) < self._batch_max:
                try:
                    more = waiting.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    waiting.put(_STOP)  # for after this batch (stop() sends one per writer)
                    break
                batch.append(more)
            self._write(batch)

    def _write(self, batch: list[_Waiting]) -> None:
        started = time.perf_counter()
        try:
            results = self._commit([events for events, _ in batch])
            if self._durability is not None:
                # Committed: this writer goes on while the batch reaches the disk.
                mark = self._durability.mark()
                assert self._syncer is not None
                self._syncer.submit(self._flush, batch, results, mark, started)
                return
        except Exception as exc:  # not even one at a time: every request gets the error
            log.exception("ingest batch of %d failed", len(batch))
            self._tell(self._fail, batch, exc)
            return
        self._tell(self._answer, batch, results, started)

    def _flush(
        self,
        batch: list[_Waiting],
        results: list[ItemResult | Exception],
        mark: int,
        started: float,
    ) -> None:
        assert self._durability is not None
        try:
            self._durability.sync(mark)
        except Exception as exc:
            log.exception("ingest batch of %d could not be made durable", len(batch))
            self._tell(self._fail, batch, exc)
            return
        self._tell(self._answer, batch, results, started)

    def _tell(self, answer: Callable[..., None], *args: object) -> None:
        """Run ``answer`` on the event loop (the futures belong to it): once per batch."""
        assert self._loop is not None
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits any more
            self._loop.call_soon_threadsafe(answer, *args)

    def _answer(
        self, batch: list[_Waiting], results: list[ItemResult | Exception], started: float
    ) -> None:
        for (_, future), result in zip(batch, results, strict=True):
            if future.done():  # its request went away meanwhile
                continue
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)
        if self._on_batch is not None:
            self._on_batch(len(batch), time.perf_counter() - started)

    @staticmethod
    def _fail(batch: list[_Waiting], exc: Exception) -> None:
        for _, future in batch:
            if not future.done():
                future.set_exception(exc)

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
