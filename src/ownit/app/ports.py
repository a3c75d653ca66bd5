"""Ports: what the use cases need from the outside, as small Protocols."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from ownit.domain.events import Event


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """The real clock, aware UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ItemResult:
    """The answer for one request's events: accepted (with outcomes) or rejected (why)."""

    accepted: bool
    outcomes: tuple[str, ...] = ()
    error: str | None = None


class IngestStore(Protocol):
    def apply_batch(self, items: Sequence[Sequence[Event]], now: datetime) -> list[ItemResult]:
        """Durably commit every item in one transaction; one result per item, in order."""
        ...
