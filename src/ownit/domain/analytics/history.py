"""Plain incident histories, as the analytics rules read them (built by the store)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import NamedTuple, Protocol

from ownit.domain.auto_resolve import ACTOR as AUTO_RESOLVE_ACTOR

EXPLICIT = frozenset({"web", "api", "cli", "link", "slack", "person"})
"""How a person acknowledges explicitly (``person``: a person did, before ownit recorded
how). Anything else (``event``, ``reassign``, ``auto``…) is not an acknowledgement for the
figures."""

NOISE_WINDOW = timedelta(minutes=5)


class Drills(StrEnum):
    """Which incidents count: drills are left out unless asked for."""

    EXCLUDE = "exclude"
    INCLUDE = "include"
    ONLY = "only"

    def admits(self, drill: bool) -> bool:
        """Whether an incident that is (or is not) a drill counts."""
        if self is Drills.EXCLUDE:
            return not drill
        return drill if self is Drills.ONLY else True


class Resolution(StrEnum):
    """What resolved an incident."""

    PERSON = "person"
    EVENT = "event"
    HEARTBEAT = "heartbeat"
    TIMER = "timer"  # the service's autoResolve: no new event for that long (decision 0020)
    MERGE = "merge"


AUTOMATIC = frozenset({Resolution.EVENT, Resolution.HEARTBEAT, Resolution.TIMER})


def resolution_of(resolved_by: str | None, *, alert_count: int, dedup_key: str) -> Resolution:
    """What resolved an incident, read from its row: a merge leaves the source without
    alerts (a split never), the timer writes ``auto-resolve``, integrations
    ``integration/…`` (a heartbeat's incident has a ``heartbeat/`` key), people the rest."""
    if alert_count == 0:
        return Resolution.MERGE
    by = resolved_by or ""
    if by == AUTO_RESOLVE_ACTOR:  # the service's autoResolve timer (decision 0020)
        return Resolution.TIMER
    if by.startswith("integration/"):
        return Resolution.HEARTBEAT if dedup_key.startswith("heartbeat/") else Resolution.EVENT
    return Resolution.PERSON


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """``by`` acknowledged at ``at``, through ``via`` (explicit when in :data:`EXPLICIT`)."""

    by: str
    at: datetime
    via: str

    @property
    def explicit(self) -> bool:
        return self.via in EXPLICIT


@dataclass(frozen=True, slots=True)
class Page:
    """``user`` was paged for the incident at ``at``, for escalation ``level`` (1-based)."""

    user: str
    at: datetime
    level: int = 1


_NOISE_SECONDS = NOISE_WINDOW.total_seconds()


class Facts(NamedTuple):
    """One incident's figures: TTA and TTR in seconds (``None``: none), and the flags."""

    tta: float | None
    ttr: float | None
    escalated: bool
    auto_resolved: bool
    noise: bool


@dataclass(frozen=True, slots=True)
class IncidentHistory:
    """One incident as the figures see it. ``merged_into`` names the incident it was merged
    into (its alerts live there now); ``drill`` marks a practice incident."""

    id: str
    service: str
    created_at: datetime
    urgency: str = "high"
    team: str | None = None
    component: str | None = None
    alert_key: str = ""
    acknowledgements: tuple[Acknowledgement, ...] = ()
    pages: tuple[Page, ...] = ()
    resolved_at: datetime | None = None
    resolved_by: Resolution | None = None
    merged_into: str | None = None
    drill: bool = False

    @property
    def first_acknowledgement(self) -> Acknowledgement | None:
        """The first explicit acknowledgement by a person, if any."""
        explicit = [a for a in self.acknowledgements if a.explicit]
        return min(explicit, key=lambda a: a.at) if explicit else None

    @property
    def tta(self) -> float | None:
        """Seconds from opening to the first explicit acknowledgement."""
        ack = self.first_acknowledgement
        if ack is None:
            return None
        return max(0.0, (ack.at - self.created_at).total_seconds())

    @property
    def ttr(self) -> float | None:
        if self.resolved_at is None:
            return None
        return max(0.0, (self.resolved_at - self.created_at).total_seconds())

    @property
    def escalated(self) -> bool:
        """Someone was paged at level 2 or beyond."""
        return any(p.level >= 2 for p in self.pages)

    @property
    def auto_resolved(self) -> bool:
        """Resolved by an event, a heartbeat or the service's ``autoResolve`` timer, never
        acknowledged explicitly."""
        return self.resolved_by in AUTOMATIC and self.first_acknowledgement is None

    @property
    def noise(self) -> bool:
        """Resolved within 5 minutes of opening without any explicit acknowledgement."""
        ttr = self.ttr
        return (
            ttr is not None
            and ttr <= NOISE_WINDOW.total_seconds()
            and self.first_acknowledgement is None
        )

    def facts(self) -> Facts:
        """Every per-incident figure at once (what :func:`figures` adds up)."""
        first: datetime | None = None
        for a in self.acknowledgements:
            if a.via in EXPLICIT and (first is None or a.at < first):
                first = a.at
        created = self.created_at
        tta = None if first is None else max(0.0, (first - created).total_seconds())
        ttr = (
            None
            if self.resolved_at is None
            else max(0.0, (self.resolved_at - created).total_seconds())
        )
        escalated = False
        for p in self.pages:
            if p.level >= 2:
                escalated = True
                break
        return Facts(
            tta,
            ttr,
            escalated,
            first is None and self.resolved_by in AUTOMATIC,
            first is None and ttr is not None and ttr <= _NOISE_SECONDS,
        )

    def first_paged(self, user: str) -> datetime | None:
        times = [p.at for p in self.pages if p.user == user]
        return min(times) if times else None

    def acknowledged_by(self, user: str) -> datetime | None:
        """When ``user`` first acknowledged explicitly."""
        times = [a.at for a in self.acknowledgements if a.explicit and a.by == user]
        return min(times) if times else None


class Incident(Protocol):
    """What the reports read of an incident: a full :class:`IncidentHistory` or its stored
    figures (:class:`ownit.domain.analytics.records.IncidentRecord`)."""

    @property
    def id(self) -> str: ...
    @property
    def service(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def urgency(self) -> str: ...
    @property
    def team(self) -> str | None: ...
    @property
    def component(self) -> str | None: ...
    @property
    def alert_key(self) -> str: ...
    @property
    def merged_into(self) -> str | None: ...
    @property
    def drill(self) -> bool: ...
    def facts(self) -> Facts: ...


def counted(history: Incident, since: datetime, until: datetime, drills: Drills) -> bool:
    """Whether the incident counts in ``[since, until)``: created there, not merged into
    another (its alerts count with that one), and a drill only when drills are asked for."""
    if not since <= history.created_at < until or history.merged_into is not None:
        return False
    return drills.admits(history.drill)
