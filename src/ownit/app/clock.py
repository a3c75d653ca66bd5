"""The clock the use cases read the time from: :class:`Clock` (a port) and
:class:`SystemClock` (the real one)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """The real clock, aware UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)
