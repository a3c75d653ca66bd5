"""Incident figures: counts, TTA and TTR (mean, p50, p90), overall or grouped."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from operator import attrgetter
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
    columns = list(zip(*facts, strict=True))  # one pass in C: the facts' columns
    if not columns:
        return IncidentFigures()
    tta, ttr, escalated, auto, noise = columns
    ttas = [v for v in tta if v is not None]
    ttrs = [v for v in ttr if v is not None]
    count = len(tta)
    return IncidentFigures(
        count=count,
        acknowledged=len(ttas),
        unacknowledged=count - len(ttas),
        resolved=len(ttrs),
        escalated=sum(escalated),
        auto_resolved=sum(auto),
        noise=sum(noise),
        tta=summarize(ttas),
        ttr=summarize(ttrs),
    )


def week_of(at: datetime) -> str:
    """The Monday (UTC) starting the week ``at`` falls in, as ``YYYY-MM-DD``."""
    return _monday(at.astimezone(UTC).date())


@lru_cache(maxsize=4096)
def _monday(day: date) -> str:
    return (day - timedelta(days=day.weekday())).isoformat()


KEYS: dict[GroupBy, Callable[[Incident], str | None]] = {
    GroupBy.SERVICE: attrgetter("service"),
    GroupBy.TEAM: attrgetter("team"),
    GroupBy.COMPONENT: attrgetter("component"),
    GroupBy.URGENCY: attrgetter("urgency"),
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
    return incident_reports(histories, period, drills=drills, bys=(by,))[0]


def incident_reports(
    histories: Iterable[Incident],
    period: Period,
    *,
    drills: Drills = Drills.EXCLUDE,
    bys: Sequence[GroupBy | None],
) -> list[IncidentReport]:
    """:func:`incident_report` grouped each of these ways, in one pass: the incidents are
    chosen, their facts taken and the total added up once for all of them."""
    chosen = [h for h in histories if counted(h, period.since, period.until, drills)]
    facts = [h.facts() for h in chosen]
    total = add_up(facts)
    return [_grouped(chosen, facts, total, period, by) for by in bys]


def _grouped(
    chosen: list[Incident],
    facts: list[Facts],
    total: IncidentFigures,
    period: Period,
    by: GroupBy | None,
) -> IncidentReport:
    if by is None:
        return IncidentReport(period, total)
    buckets: dict[str | None, list[Facts]] = {}
    key_of = KEYS[by]
    for h, f in zip(chosen, facts, strict=True):
        buckets.setdefault(key_of(h), []).append(f)
    groups = tuple(
        Group(key, add_up(buckets[key]))
        for key in sorted(buckets, key=lambda k: (k is None, k or ""))
    )
    return IncidentReport(period, total, by, groups)
