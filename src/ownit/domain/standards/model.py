"""The plain data standards are judged on, and what a judgement gives back.

Everything here is given: the catalog's objects, the calculator's schedules (with the
overrides made through the API), the clock, the org's bounds, and what other features know
(analytics, postmortems, action items, drills) as plain values. ``None`` for one of those
sources means "this installation does not record it": the rule then says so in its reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from ownit.domain.catalog.model import EscalationPolicy, Service, Team, User
from ownit.domain.catalog.rule_model import BUILTIN_STANDARDS
from ownit.domain.oncall.schedules import Schedule as Calculated

BUILTIN_IDS = BUILTIN_STANDARDS
LEVEL_NAMES = ("bronze", "silver", "gold")
NONE_LEVEL = "none"


@dataclass(frozen=True, slots=True)
class Check:
    """One standard's verdict on one service: ``ok`` and the reason in words."""

    id: str
    ok: bool
    why: str


@dataclass(frozen=True, slots=True)
class Level:
    """A named level: the standards a service must pass, beyond those of the levels below."""

    name: str
    standards: tuple[str, ...]


BUILTIN_LEVELS = (
    Level("bronze", ("has-owner", "has-description", "escalation-depth", "responders-reachable")),
    Level("silver", ("team-size", "has-runbook", "dependencies-declared", "oncall-coverage")),
    Level(
        "gold",
        (
            "has-contract",
            "mtta-target",
            "drilled-recently",
            "postmortems-done",
            "no-overdue-actions",
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class Bounds:
    """The org's settable numbers."""

    team_min: int = 2
    team_max: int = 8
    coverage: timedelta = timedelta(days=14)
    mtta_target: timedelta = timedelta(minutes=5)
    mtta_by_tier: Mapping[int, timedelta] = field(default_factory=dict)
    drill_within: timedelta = timedelta(days=90)
    postmortem_business_days: int = 5

    def mtta_for(self, tier: int | None) -> timedelta:
        if tier is not None and tier in self.mtta_by_tier:
            return self.mtta_by_tier[tier]
        return self.mtta_target


@dataclass(frozen=True, slots=True)
class ResolvedIncident:
    """A high-urgency incident of the service and the status of its postmortem (``None``:
    it has none)."""

    ref: str
    resolved_at: datetime
    postmortem: str | None = None  # draft | in_review | closed


@dataclass(frozen=True, slots=True)
class ActionItem:
    title: str
    due: date
    done: bool = False


@dataclass(frozen=True, slots=True)
class History:
    """What other features know, per service (or per policy for drills).

    ``mtta_p50``: p50 TTA in seconds over the last 30 days (a service without acknowledged
    incidents is absent or ``None``). ``postmortems``/``actions``/``drills``: ``None`` when
    the installation does not record them yet.
    """

    mtta_p50: Mapping[str, float | None] = field(default_factory=dict)
    postmortems: Mapping[str, tuple[ResolvedIncident, ...]] | None = None
    actions: Mapping[str, tuple[ActionItem, ...]] | None = None
    drills: Mapping[str, datetime] | None = None  # policy -> last acknowledged drill


@dataclass(frozen=True, slots=True)
class World:
    """The catalog and clock a report is computed against."""

    now: datetime
    services: Mapping[str, Service]
    teams: Mapping[str, Team]
    users: Mapping[str, User]
    policies: Mapping[str, EscalationPolicy]
    schedules: Mapping[str, Calculated]
    history: History = field(default_factory=History)
    bounds: Bounds = field(default_factory=Bounds)
