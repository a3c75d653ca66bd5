"""Transactions that lose a race to another writer, run again.

PostgreSQL ends one of two transactions that wait for each other (a deadlock: a merge locks
an incident and then its alerts while an ingest batch holds an alert and wants the
incident) or cannot be serialised; the loser's work is undone, and running it again, after
the winner committed, succeeds. :func:`retried` does that for a whole transaction.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

import psycopg
from sqlalchemy.exc import OperationalError

log = logging.getLogger("ownit.db")

T = TypeVar("T")

# Conflicts between concurrent writers that a fresh attempt resolves.
TRANSIENT: tuple[type[Exception], ...] = (
    psycopg.errors.DeadlockDetected,
    psycopg.errors.SerializationFailure,
)
ATTEMPTS = 5


def is_transient(exc: BaseException) -> bool:
    """A lost race, raised by the driver itself or wrapped by SQLAlchemy."""
    if isinstance(exc, TRANSIENT):
        return True
    return isinstance(exc, OperationalError) and isinstance(exc.orig, TRANSIENT)


def retried(
    work: Callable[[], T],
    *,
    attempts: int = ATTEMPTS,
    also: tuple[type[Exception], ...] = (),
    pause: float = 0.01,
) -> T:
    """Run ``work`` (one whole transaction) again when it loses a race (:func:`is_transient`,
    or one of ``also``), at most ``attempts`` times; the last failure is raised."""
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except Exception as exc:
            if attempt == attempts or not (is_transient(exc) or isinstance(exc, also)):
                raise
            log.info("transaction lost a race (%s); attempt %d of %d", exc, attempt, attempts)
            time.sleep(pause * attempt)
    raise AssertionError("unreachable")
