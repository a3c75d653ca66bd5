"""Raised before they bite, as the engine runs it: once a day, the problems of
:mod:`ownit.domain.standards.raise_early` (an on-call gap in the next 7 days of a tier 1–2
service, a responder nobody can reach) become low-urgency incidents to the owning team's
managers, and the open ones whose problem is gone are resolved.

Durable like every engine timer (decision 0056): the daily check's next run is a row the
engine claims (:meth:`RaiseEarlyStore.claim`), so a restart neither skips a day nor runs it
twice; what is open is read from the incidents themselves (their ``standards/`` dedup
keys), so a run cut short and run again never opens a problem twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from ownit.domain.standards import World
from ownit.domain.standards.raise_early import Raised, plan, problems

log = logging.getLogger("ownit.worker")

CHECK = "standards-raise-early"
EVERY = timedelta(days=1)
LEASE = timedelta(minutes=10)  # a claimed run that never finished is run again after this


class RaiseEarlyStore(Protocol):
    def claim(self, check: str, now: datetime, lease: timedelta) -> bool:
        """Take the check if it is due at ``now`` (or was never run), moving its timer to
        ``now + lease`` in the same statement; ``False``: not due, or another engine has it."""
        ...

    def done(self, check: str, now: datetime, next_at: datetime) -> None:
        """The run that claimed ``check`` finished: its next run is ``next_at``."""
        ...

    def open_keys(self) -> set[str]:
        """The dedup keys of the open (not resolved) incidents that start with ``standards/``."""
        ...

    def open(self, raised: Raised, now: datetime) -> bool:
        """Open a low-urgency incident for ``raised`` on its service, paging the team's
        managers; ``False`` when nothing was opened (e.g. the service is in maintenance)."""
        ...

    def resolve(self, dedup_key: str, now: datetime) -> bool:
        """Resolve the open incident with this key; ``False`` when none is open."""
        ...


def check(*, store: RaiseEarlyStore, world: World, now: datetime) -> tuple[int, int]:
    """One run over ``world``: opens what is not open yet, resolves what is fixed; returns
    ``(opened, resolved)``."""
    step = plan(problems(world), store.open_keys())
    opened = sum(1 for raised in step.open if store.open(raised, now))
    resolved = sum(1 for key in step.resolve if store.resolve(key, now))
    for raised in step.open:
        log.info("standards: raised %s (%s)", raised.dedup_key, raised.title)
    for key in step.resolve:
        log.info("standards: %s is fixed", key)
    return opened, resolved


def daily(*, store: RaiseEarlyStore, world: Callable[[datetime], World], now: datetime) -> int:
    """The engine's pass: runs :func:`check` when the daily timer is due (claimed, so once
    per day across engines and restarts); returns how many incidents it opened or resolved."""
    if not store.claim(CHECK, now, LEASE):
        return 0
    opened, resolved = check(store=store, world=world(now), now=now)
    store.done(CHECK, now, now + EVERY)
    return opened + resolved
