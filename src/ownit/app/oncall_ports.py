"""What the on-call use cases need from storage: schedules, overrides, people, feed tokens."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ownit.domain.catalog import EscalationPolicy, Schedule


@dataclass(frozen=True, slots=True)
class Person:
    """A user as the on-call answers show them."""

    name: str
    display_name: str
    email: str | None = None


@dataclass(frozen=True, slots=True)
class StoredOverride:
    """An override made through the API or the CLI (``schedule_overrides``): UTC instants."""

    id: int
    schedule: str
    user: str
    start: datetime
    end: datetime
    created_by: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ServicePolicy:
    """A service and its escalation policy (``None`` when it has none). A monolith's
    component with a policy of its own is one too, named ``service/component``."""

    service: str
    policy: EscalationPolicy | None


class ScheduleStore(Protocol):
    def schedules(self) -> list[Schedule]:
        """Every stored schedule, by name."""
        ...

    def schedule(self, name: str) -> Schedule | None: ...

    def overrides(
        self, *, since: datetime, until: datetime | None = None, schedule: str | None = None
    ) -> list[StoredOverride]:
        """Overrides that meet ``[since, until)`` (no ``until``: that end after ``since``),
        of one schedule or of all, oldest first (by creation)."""
        ...

    def add_override(
        self,
        *,
        schedule: str,
        user: str,
        start: datetime,
        end: datetime,
        created_by: str,
        created_at: datetime,
    ) -> StoredOverride | None:
        """The new override; ``None`` when there is no such schedule."""
        ...

    def delete_override(self, *, schedule: str, override_id: int) -> bool:
        """``False`` when the schedule has no override with that id."""
        ...

    def people(self, names: Collection[str]) -> dict[str, Person]:
        """The users among ``names`` that exist."""
        ...

    def service_policies(self, only: Collection[str] | None = None) -> list[ServicePolicy]:
        """Every service with its escalation policy, by service name, each followed by its
        components that have a policy of their own (``service/component``); with ``only``,
        just those named there."""
        ...


class CalendarTokenStore(Protocol):
    def set_calendar_token(self, *, user: str, token_hash: str, at: datetime) -> bool:
        """Give ``user`` this feed token, replacing any other; ``False``: no such user."""
        ...

    def calendar_user(self, token_hash: str) -> str | None:
        """The user whose feed token has this hash."""
        ...
