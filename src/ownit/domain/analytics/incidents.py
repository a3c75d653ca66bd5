"""Incident figures: counts, TTA and TTR (mean, p50, p90), overall or grouped."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from ownit.domain.analytics.history import Drills, Facts, Incident, counted
from ownit.domain.analytics.period import Period
from ownit.domain.analytics.stats import Summary, summarize


class GroupBy(StrEnum):
    SERVICE = "service"
    TEAM = "team"
    COMPONENT = "component"
    URGENCY = "urgency"
    WEEK = "week"


@dataclass(frozen=True, slots=True)
class IncidentFigures:
    count: int = 0
    acknowledged: int = 0
    unacknowledged: int = 0
    resolved: int = 0
    escalated: int = 0
    auto_resolved: int = 0
    noise: int = 0
    tta: Summary = field(default_factory=Summary)
    ttr: Summary = field(default_factory=Summary)

    def as_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "acknowledged": self.acknowledged,
            "unacknowledged": self.unacknowledged,
            "resolved": self.resolved,
            "escalated": self.escalated,
            "auto_resolved": self.auto_resolved,
            "noise": self.noise,
            "tta_seconds": self.tta.as_dict(),
            "ttr_seconds": self.ttr.as_dict(),
        }


def figures(histories: Iterable[Incident]) -> IncidentFigures:
    """The figures of these incidents (already filtered to the counted ones)."""
    return add_up([h.facts() for h in histories])


def add_up(facts: Iterable[Facts]) -> IncidentFigures:
    """The figures of incidents whose :class:`Facts` these are."""
    count = escalated = auto = noise = 0
    ttas: list[float] = []
    ttrs: list[float] = []
    for f in facts:
        count += 1
        if f.tta is not None:
            ttas.append(f.tta)
        if f.ttr is not None:
            ttrs.append(f.ttr)
        escalated += f.escalated
        auto += f.auto_resolved
        noise += f.noise
    return IncidentFigures(
        count=count,
        acknowledged=len(ttas),
        unacknowledged=count - len(ttas),
        resolved=len(ttrs),
        escalated=escalated,
        auto_resolved=auto,
        noise=noise,
        tta=summarize(ttas),
        ttr=summarize(ttrs),
    )


def week_of(at: datetime) -> str:
    """The Monday (UTC) starting the week ``at`` falls in, as ``YYYY-MM-DD``."""
    day = at.astimezone(UTC).date()
    return (day - timedelta(days=day.weekday())).isoformat()


KEYS: dict[GroupBy, Callable[[Incident], str | None]] = {
    GroupBy.SERVICE: lambda h: h.service,
    GroupBy.TEAM: lambda h: h.team,
    GroupBy.COMPONENT: lambda h: h.component,
    GroupBy.URGENCY: lambda h: h.urgency,
    GroupBy.WEEK: lambda h: week_of(h.created_at),
}


@dataclass(frozen=True, slots=True)
class Group:
    key: str | None
    figures: IncidentFigures


@dataclass(frozen=True, slots=True)
class IncidentReport:
    period: Period
    total: IncidentFigures
    by: GroupBy | None = None
    groups: tuple[Group, ...] = ()


def incident_report(
    histories: Iterable[Incident],
    period: Period,
    *,
    drills: Drills = Drills.EXCLUDE,
    by: GroupBy | None = None,
) -> IncidentReport:
    """The counted incidents' figures in ``period`` (histories or stored records), and per
    group when ``by`` is given (groups in key order; a missing team or component is the
    ``None`` group, last)."""
    chosen = [h for h in histories if counted(h, period.since, period.until, drills)]
    facts = [h.facts() for h in chosen]
    if by is None:
        return IncidentReport(period, add_up(facts))
    buckets: dict[str | None, list[Facts]] = {}
    key_of = KEYS[by]
    for h, f in zip(chosen, facts, strict=True):
        buckets.setdefault(key_of(h), []).append(f)
    groups = tuple(
        Group(key, add_up(buckets[key]))
        for key in sorted(buckets, key=lambda k: (k is None, k or ""))
    )
    return IncidentReport(period, add_up(facts), by, groups)
