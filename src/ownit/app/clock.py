"""The clock the use cases read the time from: :class:`Clock` (a port) and
:class:`SystemClock` (the real one)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """The real clock, aware UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


def at_most_every(interval: timedelta, run: Callable[[datetime], int]) -> Callable[[datetime], int]:
    """``run`` at most once per ``interval`` of the ``now`` it is given (the engine's loop
    turns many times a second); ``0`` for the turns in between."""
    last: list[datetime] = []

    def maybe(now: datetime) -> int:
        if last and now - last[0] < interval:
            return 0
        last[:] = [now]
        return run(now)

    return maybe
