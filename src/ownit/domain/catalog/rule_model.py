"""The plain data of the ``Standard`` and ``Scorecard`` kinds (decision 0058).

A ``Standard`` is an org's own yes/no rule over service fields, tags and labels; the one
``Scorecard`` names the org's levels and its bounds (team size, MTTA targets). How they are
read and checked is in :mod:`ownit.domain.catalog.standard_kinds`; how they are judged in
:mod:`ownit.domain.standards`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from ownit.domain.catalog.model import Service

BUILTIN_STANDARDS = (
    "has-owner",
    "team-size",
    "escalation-depth",
    "oncall-coverage",
    "responders-reachable",
    "has-runbook",
    "has-description",
    "dependencies-declared",
    "has-contract",
    "mtta-target",
    "drilled-recently",
    "postmortems-done",
    "no-overdue-actions",
)
"""The built-in standards' ids (part of the contract: API, CLI, scorecards)."""


@dataclass(frozen=True, slots=True)
class When:
    """Which services a standard applies to: every condition must hold."""

    tiers: tuple[int, ...] = ()
    lifecycles: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()

    def selects(self, s: Service) -> bool:
        return (
            (not self.tiers or s.tier in self.tiers)
            and (not self.lifecycles or s.lifecycle in self.lifecycles)
            and (not self.owners or s.owner in self.owners)
            and all(t in s.tags for t in self.tags)
            and all(s.label(k) == v for k, v in self.labels)
        )

    def words(self) -> str:
        parts = []
        if self.tiers:
            parts.append("tier " + " or ".join(str(t) for t in self.tiers))
        if self.lifecycles:
            parts.append(" or ".join(self.lifecycles))
        if self.owners:
            parts.append("owned by " + " or ".join(self.owners))
        if self.tags:
            parts.append("tagged " + ", ".join(self.tags))
        parts += [f"{k}={v}" for k, v in self.labels]
        return "; ".join(parts) or "every service"


@dataclass(frozen=True, slots=True)
class Standard:
    """An org's own standard: services ``when`` selects must have every ``require`` item."""

    kind: ClassVar[str] = "Standard"
    name: str
    description: str = ""
    when: When = When()
    require: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ScorecardLevel:
    name: str
    standards: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Scorecard:
    """The org's levels (cumulative, lowest first; none given: the built-in levels) and its
    bounds (``None``: the built-in default)."""

    kind: ClassVar[str] = "Scorecard"
    name: str
    levels: tuple[ScorecardLevel, ...] = ()
    team_min: int | None = None
    team_max: int | None = None
    mtta_target: timedelta | None = None
    mtta_by_tier: tuple[tuple[int, timedelta], ...] = ()
