"""The durable engine: wakes often, advances due escalations one incident at a time, and
delivers due notifications. Timers are rows, so a restart loses nothing."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from ownit.app.clock import Clock
from ownit.app.delivery import (
    LEASE,
    Claimed,
    ContactLimiter,
    Links,
    deliver_group,
    first_page_contexts,
)
from ownit.app.escalations import OnCallLookup, UnitT, advance
from ownit.app.notify import Notifier
from ownit.app.paging import PagingWatch
from ownit.app.work import Wakeup, WorkStore

log = logging.getLogger("ownit.worker")

DELIVERY_ROUNDS = 2  # delivery rounds (of up to a batch each) between two advances

BUSY_SHARE = 0.4
"""While new work keeps arriving and the engine is behind, the share of the time it works
(``OWNIT_ENGINE_BUSY_SHARE``): a storm's backlog is worked through beside ingest, not ahead
of it. Each pause is ``(1 - share) / share`` times the step before it (1.5 at 0.4), and the
claim puts another service's first page first: that page waits one step and one pause at
most (decision 0076)."""


GATHER = 0.02
"""Seconds the engine lets new work gather after a cycle that did some, before it looks
again (decision 0081): in a flood it takes ~20 ms of new incidents a cycle, not each ingest
batch's few, and pays a cycle's fixed cost once for them. An engine that found nothing to
do looks again the moment it is woken."""


def pause_after(busy: float, share: float) -> float:
    """How long to wait after a step of ``busy`` seconds to work ``share`` of the time."""
    return busy * (1 - share) / share


class Worker:
    """``run_once`` does everything due now; ``start`` runs it every ``interval`` seconds."""

    def __init__(
        self,
        *,
        store: WorkStore[UnitT],
        notifiers: Mapping[str, Notifier],
        links: Links,
        clock: Clock,
        on_call: OnCallLookup,
        interval: float = 0.2,
        batch: int = 32,
        advance_batch: int | None = None,
        senders: int = 8,
        rand: Callable[[], float] = random.random,
        lease: timedelta = LEASE,
        limiter: ContactLimiter | None = None,
        heartbeats: Callable[[datetime], int] | None = None,
        paging: PagingWatch | None = None,
        auto_resolve: Callable[[datetime], int] | None = None,
        wakeup: Wakeup | None = None,
        postmortem_reminders: Callable[[datetime], int] | None = None,
        drills: Callable[[datetime], int] | None = None,
        standards: Callable[[datetime], int] | None = None,
        figures: Callable[[datetime], int] | None = None,
        busy_share: float = BUSY_SHARE,
        gather: float = GATHER,
        pause: Callable[[float], object] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 0 < busy_share <= 1:
            raise ValueError(f"busy_share must be more than 0 and at most 1, not {busy_share}")
        self._busy_share = busy_share
        self._gather = gather
        self._monotonic = monotonic
        self._standards = standards  # the daily check: problems raised before they bite
        self._figures = figures  # stores the analytics figures of changed incidents
        self._postmortem_reminders = postmortem_reminders  # queues reminders of due items
        self._drills = drills  # scheduled drill runs, drill completion and auto-resolve
        self._paging = paging  # never silent: state and fallback after deliveries
        self._wakeup = wakeup  # new work committed wakes the loop before the next poll
        self._heartbeats = heartbeats  # opens incidents for missed heartbeats, given now
        self._auto_resolve = auto_resolve  # resolves incidents idle past autoResolve
        self._lease = lease
        self._limiter = limiter or ContactLimiter()
        # Any unit kind: the store is checked against its own units where it is given.
        self._store: WorkStore[Any] = store
        self._notifiers = notifiers
        self._links = links
        self._clock = clock
        self._on_call = on_call
        self._interval = interval
        self._batch = batch
        # Escalations advanced per transaction (default ``batch``): on SQLite the transaction
        # holds the one write lock, so a smaller batch keeps ingest's writer waiting less.
        self._advance_batch = advance_batch or batch
        self._rand = rand
        self._senders = ThreadPoolExecutor(max_workers=senders, thread_name_prefix="ownit-send")
        self._stop = threading.Event()
        self._pause = pause or self._stop.wait  # a stop ends a pause at once
        self._thread: threading.Thread | None = None

    def run_once(self, limit: int = 2000) -> int:
        """Everything due now: a batch of escalations, then the notifications due (so a
        backlog of new incidents never keeps the pages already decided waiting)."""
        done = (
            self.check_heartbeats()
            + self.resolve_idle()
            + self.remind_postmortems()
            + self.practise()
            + self.raise_early()
            + self.catch_up_figures()
        )
        while done < limit:
            # Pages already decided go out before more escalations are decided, a few
            # rounds at a time: a storm's backlog of pages must not keep another service's
            # new incident from being advanced (its first page is claimed first, fairly).
            started = self._monotonic()
            advanced = self.advance_due(limit=self._advance_batch)
            step = advanced + self.deliver_due(rounds=DELIVERY_ROUNDS)
            if step == 0:
                break
            done += step
            if advanced >= self._advance_batch and self._busy_share < 1 and self._arriving():
                # Behind (a whole batch was due) while ingest commits new work: step aside.
                self._pause(pause_after(self._monotonic() - started, self._busy_share))
        return done

    def _arriving(self) -> bool:
        """New work was committed since the last look (the wake-up rang; its rings are
        drained): ingest is busy. Without a wake-up the engine cannot tell, and never
        pauses."""
        return self._wakeup is not None and self._wakeup.wait(0)

    def check_heartbeats(self) -> int:
        """Missed heartbeats become trigger events (and so incidents) on their services."""
        if self._heartbeats is None:
            return 0
        try:
            return self._heartbeats(self._clock.now())
        except Exception:
            log.exception("heartbeat check failed; the next pass retries")
            return 0

    def practise(self) -> int:
        """Drills: scheduled runs that are due, acknowledged runs completed, forgotten ones
        resolved after their ``autoResolve``."""
        if self._drills is None:
            return 0
        try:
            return self._drills(self._clock.now())
        except Exception:
            log.exception("drill pass failed; the next pass retries")
            return 0

    def raise_early(self) -> int:
        """Once a day: on-call gaps and unreachable responders become low-urgency incidents
        to the team's managers; those fixed are resolved."""
        if self._standards is None:
            return 0
        try:
            return self._standards(self._clock.now())
        except Exception:
            log.exception("the standards' daily check failed; the next pass retries")
            return 0

    def catch_up_figures(self) -> int:
        """Incidents changed without their analytics figures (an event's resolution, a
        merge, autoResolve) get them stored, so that reports only read (decision 0062)."""
        if self._figures is None:
            return 0
        try:
            return self._figures(self._clock.now())
        except Exception:
            log.exception("storing analytics figures failed; the next pass retries")
            return 0

    def resolve_idle(self) -> int:
        """Incidents with no new event for their service's ``autoResolve`` are resolved."""
        if self._auto_resolve is None:
            return 0
        try:
            return self._auto_resolve(self._clock.now())
        except Exception:
            log.exception("auto-resolve pass failed; the next pass retries")
            return 0

    def remind_postmortems(self) -> int:
        """Postmortems and action items due and not done: their owners are reminded."""
        if self._postmortem_reminders is None:
            return 0
        try:
            return self._postmortem_reminders(self._clock.now())
        except Exception:
            log.exception("postmortem reminders failed; the next pass retries")
            return 0

    def advance_due(self, limit: int = 1000) -> int:
        """Advance due escalations, a batch per transaction, each incident in a savepoint."""
        done = 0
        while done < limit:
            now = self._clock.now()
            with self._store.due_batch(now, self._advance_batch) as units:
                for unit in units:
                    with self._store.isolated(unit):
                        advance(unit, now=now, on_call=self._on_call)
            if not units:
                break
            done += len(units)
        return done

    def deliver_due(self, rounds: int = 1_000_000) -> int:
        total = 0
        for _ in range(rounds):
            now = self._clock.now()
            # A contact held back (too many messages lately) takes no claim's room: its due
            # notifications the claim read wait for its next message (decision 0075).
            claimed = self._store.claim(now, self._batch, self._lease, self._limiter.holds(now))
            if not claimed:
                return total
            # First-responder context for every first page of the round, in one go.
            contexts = first_page_contexts(claimed, source=self._store, now=now)
            groups: dict[tuple[str, str], list[Claimed]] = {}
            for item in claimed:  # one message per contact: a storm is bundled
                groups.setdefault((item.user, item.contact), []).append(item)
            futures = [
                self._senders.submit(
                    deliver_group,
                    group,
                    store=self._store,
                    notifiers=self._notifiers,
                    links=self._links,
                    now=now,
                    rand=self._rand(),
                    limiter=self._limiter,
                    contexts=contexts,
                )
                for group in groups.values()
            ]
            outcomes: list[tuple[str | None, str, str]] = []
            for group, future in zip(groups.values(), futures, strict=True):
                try:
                    statuses = future.result()
                except Exception:
                    log.exception("delivery failed; the lease will run out and it is retried")
                    continue
                outcomes += [
                    (c.incident_id, c.event_type, status)
                    for c, status in zip(group, statuses, strict=True)
                ]
            self._watch_paging(outcomes, now)
            total += len(claimed)
        return total

    def _watch_paging(self, outcomes: list[tuple[str | None, str, str]], now: datetime) -> None:
        """Never silent: pages that went out clear an incident's "not paged" state; an
        incident none of whose pages can go out any more gets the fallback."""
        if self._paging is None:
            return
        try:
            self._paging.after_round(outcomes, now)
        except Exception:
            log.exception("checking paging after delivery failed; going on")

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="ownit-engine", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._senders.shutdown(wait=True)

    def request_stop(self) -> None:
        """Ask :meth:`run_forever` to return after the current cycle (safe in a signal handler)."""
        self._stop.set()

    def run_forever(self) -> None:
        """For ``ownit worker``: run in this thread until :meth:`stop` is called elsewhere."""
        self._run()

    def _run(self) -> None:
        log.info(
            "engine started (%s, polling every %.1f s)",
            "woken on new work" if self._wakeup is not None else "no wake-up",
            self._interval,
        )
        while not self._stop.is_set():
            done = 0
            try:
                done = self.run_once()
            except Exception:
                log.exception("engine cycle failed; going on")
            if done and self._gather:
                self._pause(self._gather)  # a stop ends it at once
            if self._wakeup is None:
                self._stop.wait(self._interval)
            elif not self._stop.is_set():
                self._wakeup.wait(self._interval)  # at most one poll interval to stop
        if self._wakeup is not None:
            self._wakeup.close()
        log.info("engine stopped")
