"""Baselines: capture a window's figures, list them, choose the current one, compare the last
7 days with it, and the weekly digest (``ownit analytics report``)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from ownit.app.analytics import AnalyticsStore, InvalidAnalyticsRequest, Query, period_of
from ownit.app.clock import Clock
from ownit.domain.analytics.baselines import RECENT, BaselineGroup, Comparison, Verdict, capture
from ownit.domain.analytics.baselines import compare as compare_groups
from ownit.domain.analytics.incidents import GroupBy, incident_report
from ownit.domain.analytics.noise import noise_report
from ownit.domain.analytics.period import Period
from ownit.domain.errors import NotFound

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


@dataclass(frozen=True, slots=True)
class Baseline:
    name: str
    since: datetime
    until: datetime
    created_by: str
    created_at: datetime
    chosen_at: datetime | None = None
    current: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
            "current": self.current,
        }


class BaselineStore(Protocol):
    def add(self, baseline: Baseline, groups: Sequence[BaselineGroup]) -> bool:
        """Store it; ``False`` when the name is taken."""
        ...

    def all(self) -> list[Baseline]:
        """Every baseline, newest first (``current`` not set)."""
        ...

    def groups(self, name: str) -> list[BaselineGroup] | None:
        """The baseline's groups; ``None`` when there is no such baseline."""
        ...

    def choose(self, name: str, at: datetime) -> bool:
        """Make it current; ``False`` when there is no such baseline."""
        ...


def _current(found: list[Baseline]) -> str | None:
    chosen = [b for b in found if b.chosen_at is not None]
    if chosen:
        return max(chosen, key=lambda b: b.chosen_at or b.created_at).name
    return max(found, key=lambda b: b.created_at).name if found else None


def list_baselines(*, baselines: BaselineStore) -> list[Baseline]:
    found = baselines.all()
    current = _current(found)
    return [
        Baseline(
            b.name, b.since, b.until, b.created_by, b.created_at, b.chosen_at, b.name == current
        )
        for b in found
    ]


def capture_baseline(
    *,
    analytics: AnalyticsStore,
    baselines: BaselineStore,
    clock: Clock,
    name: str,
    since: str | None,
    until: str | None,
    by: str,
) -> tuple[Baseline, list[BaselineGroup]]:
    """Capture the figures of ``[since, until)`` (default: the last 30 days) as ``name``."""
    if not _NAME.match(name or ""):
        raise InvalidAnalyticsRequest(
            "name", f"{name!r} is not a name (letters, digits, '.', '_', '-'; up to 100)"
        )
    now = clock.now()
    period = period_of(Query(since=since, until=until), now)
    groups = capture(analytics.records(period.since, period.until), period)
    baseline = Baseline(name, period.since, period.until, by, now)
    if not baselines.add(baseline, groups):
        raise InvalidAnalyticsRequest("name", f"there is already a baseline named {name!r}")
    return baseline, groups


def use_baseline(*, baselines: BaselineStore, clock: Clock, name: str) -> None:
    if not baselines.choose(name, clock.now()):
        raise NotFound("baseline", name)


@dataclass(frozen=True, slots=True)
class BaselineComparison:
    baseline: Baseline
    recent: Period
    groups: list[Comparison]

    def as_dict(self) -> dict[str, Any]:
        return {
            "baseline": self.baseline.name,
            "baseline_since": self.baseline.since.isoformat(),
            "baseline_until": self.baseline.until.isoformat(),
            "since": self.recent.since.isoformat(),
            "until": self.recent.until.isoformat(),
            "groups": [c.as_dict() for c in self.groups],
        }


def compare(
    *, analytics: AnalyticsStore, baselines: BaselineStore, clock: Clock, name: str | None = None
) -> BaselineComparison:
    """The last 7 days against ``name`` (default: the current baseline)."""
    found = list_baselines(baselines=baselines)
    chosen = next((b for b in found if (b.name == name if name else b.current)), None)
    if chosen is None:
        raise NotFound("baseline", name or "(none captured yet: ownit baseline capture NAME)")
    groups = baselines.groups(chosen.name) or []
    now = clock.now()
    recent = Period(now - RECENT, now)
    histories = analytics.records(recent.since, recent.until)
    return BaselineComparison(chosen, recent, compare_groups(groups, histories, recent))


def _minutes(value: float | None) -> str:
    return "-" if value is None else f"{value / 60:.1f} min"


def weekly_report(*, analytics: AnalyticsStore, baselines: BaselineStore, clock: Clock) -> str:
    """The weekly digest, as plain text: the last 7 days per team, what moved against the
    current baseline, and the noisiest alert keys."""
    now = clock.now()
    recent = Period(now - RECENT, now)
    histories = analytics.records(recent.since, recent.until)
    report = incident_report(histories, recent, by=GroupBy.TEAM)
    lines = [
        f"ownit weekly digest: {recent.since:%Y-%m-%d %H:%M} to {recent.until:%Y-%m-%d %H:%M} UTC",
        "",
        f"{report.total.count} incidents, {report.total.acknowledged} acknowledged, "
        f"{report.total.escalated} escalated, {report.total.noise} noise; "
        f"MTTA {_minutes(report.total.tta.mean)}, MTTR {_minutes(report.total.ttr.mean)}",
        "",
        "Per team:",
    ]
    for g in report.groups:
        f = g.figures
        lines.append(
            f"  {g.key or '(no team)'}: {f.count} incidents, TTA p50 {_minutes(f.tta.p50)}, "
            f"TTR p50 {_minutes(f.ttr.p50)}, noise {f.noise}"
        )
    if not report.groups:
        lines.append("  no incidents")
    lines.append("")
    try:
        comparison = compare(analytics=analytics, baselines=baselines, clock=clock)
    except NotFound:
        lines.append("No baseline yet: capture one with `ownit baseline capture NAME`.")
    else:
        moved = [
            c for c in comparison.groups if c.verdict in (Verdict.REGRESSION, Verdict.IMPROVEMENT)
        ]
        lines.append(f"Against baseline {comparison.baseline.name}:")
        for c in moved:
            lines.append(
                f"  {c.verdict.value}: {c.kind} {c.key} {c.metric.upper()} p50 "
                f"{_minutes(c.baseline_p50)} -> {_minutes(c.recent_p50)} ({c.change:+.0%})"
            )
        if not moved:
            lines.append("  nothing moved by more than 25 % (or too few incidents to tell)")
    noisy = noise_report(histories, recent, limit=5).alert_keys
    if noisy:
        lines += ["", "Noisiest alert keys:"]
        lines += [f"  {r.key} ({r.service}): {r.noise} of {r.count}" for r in noisy]
    return "\n".join(lines) + "\n"
