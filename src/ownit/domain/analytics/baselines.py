"""Baselines: a window's figures per service and per team, kept to compare later weeks with.

A **regression**: over the recent window (the last 7 days), with at least 5 counted incidents,
a p50 (TTA or TTR) more than 25 % above the baseline's; an **improvement**: more than 25 %
below; otherwise **steady**, or **too-few** when there are fewer than 5 incidents or a p50 is
missing on either side.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from ownit.domain.analytics.history import Drills, Incident
from ownit.domain.analytics.incidents import GroupBy, IncidentFigures, incident_report
from ownit.domain.analytics.period import Period

RECENT = timedelta(days=7)
MIN_INCIDENTS = 5
THRESHOLD = 0.25
KINDS = (GroupBy.SERVICE, GroupBy.TEAM)


class Verdict(StrEnum):
    REGRESSION = "regression"
    IMPROVEMENT = "improvement"
    STEADY = "steady"
    TOO_FEW = "too-few"


@dataclass(frozen=True, slots=True)
class BaselineGroup:
    """One service's or team's figures in the baseline window."""

    kind: str  # service | team
    key: str
    count: int
    tta_p50: float | None
    tta_p90: float | None
    ttr_p50: float | None
    ttr_p90: float | None
    noise_ratio: float

    @classmethod
    def of(cls, kind: str, key: str, f: IncidentFigures) -> BaselineGroup:
        return cls(
            kind,
            key,
            f.count,
            f.tta.p50,
            f.tta.p90,
            f.ttr.p50,
            f.ttr.p90,
            f.noise / f.count if f.count else 0.0,
        )


def capture(
    histories: Iterable[Incident], period: Period, *, drills: Drills = Drills.EXCLUDE
) -> list[BaselineGroup]:
    """Per service and per team (incidents without a team are left out of the teams)."""
    chosen = list(histories)
    groups: list[BaselineGroup] = []
    for by in KINDS:
        report = incident_report(chosen, period, drills=drills, by=by)
        groups += [
            BaselineGroup.of(by.value, g.key, g.figures) for g in report.groups if g.key is not None
        ]
    return groups


@dataclass(frozen=True, slots=True)
class Comparison:
    kind: str
    key: str
    metric: str  # tta | ttr
    baseline_p50: float | None
    recent_p50: float | None
    recent_count: int
    change: float | None  # (recent - baseline) / baseline
    verdict: Verdict

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind,
            "metric": self.metric,
            "baseline_p50": self.baseline_p50,
            "recent_p50": self.recent_p50,
            "recent_count": self.recent_count,
            "change": self.change,
            "verdict": self.verdict.value,
        }


def judge(baseline: float | None, recent: float | None, count: int) -> tuple[float | None, Verdict]:
    """The change and the verdict for one p50."""
    if count < MIN_INCIDENTS or baseline is None or recent is None:
        return None, Verdict.TOO_FEW
    if baseline == 0:
        return None, Verdict.STEADY if recent == 0 else Verdict.REGRESSION
    change = (recent - baseline) / baseline
    if change > THRESHOLD:
        return change, Verdict.REGRESSION
    if change < -THRESHOLD:
        return change, Verdict.IMPROVEMENT
    return change, Verdict.STEADY


def compare(
    baseline: Sequence[BaselineGroup],
    recent: Iterable[Incident],
    period: Period,
    *,
    drills: Drills = Drills.EXCLUDE,
) -> list[Comparison]:
    """Each baseline group's TTA and TTR p50 against the same group's in ``period``."""
    chosen = list(recent)
    now: dict[tuple[str, str], IncidentFigures] = {}
    for by in KINDS:
        for g in incident_report(chosen, period, drills=drills, by=by).groups:
            if g.key is not None:
                now[(by.value, g.key)] = g.figures
    found: list[Comparison] = []
    for base in baseline:
        figures = now.get((base.kind, base.key), IncidentFigures())
        for metric, before, after in (
            ("tta", base.tta_p50, figures.tta.p50),
            ("ttr", base.ttr_p50, figures.ttr.p50),
        ):
            change, verdict = judge(before, after, figures.count)
            found.append(
                Comparison(
                    base.kind, base.key, metric, before, after, figures.count, change, verdict
                )
            )
    return found
