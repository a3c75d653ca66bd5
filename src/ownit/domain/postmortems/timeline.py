"""A postmortem's timeline, filled in: the incident's own log plus the changes on its
service and the services it depends on, in the incident's window, ordered by time. People
hide or annotate entries; the entries themselves are never rewritten."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

# How far before the incident's start changes are looked for: a deploy an hour before the
# alert is often what the postmortem is about.
LOOKBACK = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class Source:
    """One fact from the incident log (``key`` ``log:ID``) or a change event (``change:ID``)."""

    key: str
    at: datetime
    kind: str  # triggered, acknowledged, escalated, note, resolved… or ``change``
    text: str
    actor: str = ""
    service: str | None = None  # a change's service


@dataclass(frozen=True, slots=True)
class Mark:
    """What a person added to one entry: hidden from the timeline, and/or a note."""

    hidden: bool = False
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Entry:
    key: str
    at: datetime
    kind: str
    text: str
    actor: str
    service: str | None
    hidden: bool
    note: str | None

    def as_dict(self) -> dict[str, object]:
        return {
            "key": self.key,
            "at": self.at.isoformat(),
            "kind": self.kind,
            "text": self.text,
            "actor": self.actor,
            "service": self.service,
            "hidden": self.hidden,
            "note": self.note,
        }


def window(
    created: datetime, resolved: datetime | None, now: datetime
) -> tuple[datetime, datetime]:
    """The span whose changes belong on the timeline: a day before the incident started
    until it resolved (until now while it is open)."""
    return created - LOOKBACK, resolved or now


def build(
    log: Iterable[Source],
    changes: Iterable[Source],
    marks: Mapping[str, Mark],
    span: tuple[datetime, datetime],
) -> list[Entry]:
    """Every log entry and the changes inside ``span``, by time (log before a change at the
    same instant; then by key), each with its mark."""
    since, until = span
    picked = [(0, s) for s in log] + [(1, c) for c in changes if since <= c.at <= until]
    picked.sort(key=lambda pair: (pair[1].at, pair[0], pair[1].key))
    out = []
    for _, s in picked:
        mark = marks.get(s.key, Mark())
        out.append(Entry(s.key, s.at, s.kind, s.text, s.actor, s.service, mark.hidden, mark.note))
    return out


@dataclass(frozen=True, slots=True)
class KeyTimes:
    detected: datetime
    acknowledged: datetime | None
    resolved: datetime | None

    def as_dict(self) -> dict[str, object]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value is not None else None

        def seconds(a: datetime | None, b: datetime | None) -> int | None:
            return int((b - a).total_seconds()) if a is not None and b is not None else None

        return {
            "detected": iso(self.detected),
            "acknowledged": iso(self.acknowledged),
            "resolved": iso(self.resolved),
            "time_to_acknowledge_s": seconds(self.detected, self.acknowledged),
            "time_to_resolve_s": seconds(self.detected, self.resolved),
            "acknowledged_to_resolved_s": seconds(self.acknowledged, self.resolved),
        }


def key_times(
    created: datetime, acknowledged: datetime | None, resolved: datetime | None
) -> KeyTimes:
    """Detected: when the incident was created; then its first acknowledgement and its
    resolution, as the incident records them."""
    return KeyTimes(created, acknowledged, resolved)
