"""What the durable work loop (``ownit.worker``) needs from storage, in one store: due
escalations one locked incident at a time, and the outbox of notifications with the
first-responder context of first pages."""

from __future__ import annotations

from typing import Protocol

from ownit.app.delivery import ContextSource, OutboxStore
from ownit.app.escalations import EscalationQueue, UnitT


class WorkStore(EscalationQueue[UnitT], OutboxStore, ContextSource, Protocol[UnitT]):
    """The escalation queue (its units of kind ``UnitT``) and the outbox together."""


class Wakeup(Protocol):
    """Wakes the engine when new work is committed (the poll stays as the fallback)."""

    def wait(self, timeout: float) -> bool:
        """Until woken (True) or ``timeout`` seconds passed (False)."""
        ...

    def close(self) -> None: ...
