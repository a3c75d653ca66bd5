"""Auto-resolve: the worker's pass over due auto-resolve timers (a service's ``autoResolve``).

The rules are :mod:`ownit.domain.auto_resolve`; the store claims the due timers (several
workers never take the same one), applies :func:`~ownit.domain.auto_resolve.decide` to each
and writes the outcome in one transaction: the incident and its alerts resolved by
``auto-resolve`` with a timeline entry and its escalation woken (so pending pages are
cancelled), or the timer moved on, or dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from ownit.domain.auto_resolve import Decision, Idle, Resolve

log = logging.getLogger("ownit.worker")


class AutoResolveStore(Protocol):
    def settle_due(self, now: datetime, limit: int) -> Sequence[tuple[Idle, Decision]]:
        """Claim up to ``limit`` timers due at ``now``, decide each and write the outcome;
        returns what was decided."""
        ...


def resolve_idle(*, store: AutoResolveStore, now: datetime, limit: int = 200) -> int:
    """One pass: returns how many incidents were auto-resolved."""
    settled = store.settle_due(now, limit)
    resolved = [idle for idle, decision in settled if isinstance(decision, Resolve)]
    for idle in resolved:
        log.info(
            "incident #%s auto-resolved (no new event since %s)", idle.number, idle.last_event_at
        )
    return len(resolved)
