"""Heartbeats: a job pings ownit every ``interval``; silence past ``interval + grace`` opens an
incident on the heartbeat's service, and the next ping resolves it.

Both go through the ordinary ingest path as events sent with the heartbeat's own key (dedup
key ``heartbeat/<name>``), so timelines, escalations, grouping and maintenance windows treat
them like any other alert: a missed heartbeat on a service in maintenance pages nobody.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from ownit.app.ingest import IngestStore
from ownit.domain.events import Action, Event, Severity

FORMAT = "heartbeat"
RETRY = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """A heartbeat as stored: ``key`` is the SHA-256 digest of its key (decision 0035), what
    its own events carry; ``key_hint`` the key's first characters."""

    name: str
    service: str
    key: str
    interval_seconds: int
    grace_seconds: int
    state: str  # waiting | up | down
    last_ping_at: datetime | None
    due_at: datetime
    key_hint: str | None = None


@dataclass(frozen=True, slots=True)
class Ping:
    """What a ping did: the heartbeat after it, and whether it was down before."""

    heartbeat: Heartbeat
    was_down: bool


class HeartbeatStore(Protocol):
    def ping(self, name: str, key: str, now: datetime) -> Ping | None:
        """Record a ping (state ``up``, next due ``now + interval + grace``) if ``key`` is
        the heartbeat's; ``None`` when no heartbeat has that name and key."""
        ...

    def mark_missed(self, now: datetime, limit: int) -> list[Heartbeat]:
        """Atomically turn due heartbeats (not ``down``, ``due_at <= now``) ``down`` and
        return them; a heartbeat is returned to one caller only, however many run this."""
        ...

    def postpone(self, name: str, due_at: datetime) -> None:
        """Back to ``waiting`` until ``due_at`` (its missed trigger paged nobody)."""
        ...

    def all(self) -> list[Heartbeat]: ...


def dedup_key(name: str) -> str:
    return f"heartbeat/{name}"


def _when(value: datetime | None) -> str:
    if value is None:
        return "never"
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def missed_event(beat: Heartbeat, now: datetime) -> Event:
    summary = f"Heartbeat {beat.name} missed: no ping since {_when(beat.last_ping_at)}"
    details = {
        "heartbeat": beat.name,
        "last_ping_at": beat.last_ping_at.isoformat() if beat.last_ping_at else None,
        "interval_seconds": beat.interval_seconds,
        "grace_seconds": beat.grace_seconds,
    }
    return Event(
        format=FORMAT,
        routing_key=beat.key,
        action=Action.TRIGGER,
        dedup_key=dedup_key(beat.name),
        summary=summary,
        source=f"heartbeat/{beat.name}",
        severity=Severity.CRITICAL,
        timestamp=now,
        custom_details=details,
        raw={"heartbeat": beat.name, "event_action": "trigger", "summary": summary},
    )


def back_event(beat: Heartbeat, now: datetime) -> Event:
    return Event(
        format=FORMAT,
        routing_key=beat.key,
        action=Action.RESOLVE,
        dedup_key=dedup_key(beat.name),
        summary=f"Heartbeat {beat.name} is back",
        source=f"heartbeat/{beat.name}",
        timestamp=now,
        raw={"heartbeat": beat.name, "event_action": "resolve"},
    )


def check_missed(
    *, store: HeartbeatStore, ingest: IngestStore, now: datetime, limit: int = 500
) -> int:
    """Open an incident for every heartbeat silent past its interval and grace (the
    engine's job, run on every pass; safe with several workers: each heartbeat is claimed
    by one). Returns how many were missed."""
    missed = store.mark_missed(now, limit)
    if not missed:
        return 0
    results = ingest.apply_batch([[missed_event(beat, now)] for beat in missed], now)
    for beat, result in zip(missed, results, strict=True):
        if any(o.startswith("suppressed") for o in result.outcomes):
            # Kept, paging nobody (a maintenance window, a router): look again after the
            # grace, so that a job still silent after the window pages then.
            store.postpone(beat.name, now + max(timedelta(seconds=beat.grace_seconds), RETRY))
    return len(missed)


def ping_events(ping: Ping, now: datetime) -> Sequence[Event]:
    """The events a ping sends: a resolve when the heartbeat was down, else none."""
    return [back_event(ping.heartbeat, now)] if ping.was_down else []
