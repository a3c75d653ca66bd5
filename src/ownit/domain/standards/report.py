"""Levels and the whole report: every service's checks and level, and per-team counts.

A service's level is the highest level whose standards, and those of every level below it,
all pass (``none`` otherwise). A team's counts take in the services of the teams under it
(``parent``), so a department sees its whole tree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ownit.domain.catalog.model import Service, Team
from ownit.domain.standards.builtins import Judge
from ownit.domain.standards.custom import CustomStandard
from ownit.domain.standards.model import (
    BUILTIN_IDS,
    BUILTIN_LEVELS,
    NONE_LEVEL,
    Check,
    Level,
    World,
)


@dataclass(frozen=True, slots=True)
class ServiceReport:
    service: str
    team: str | None
    level: str
    checks: tuple[Check, ...]
    missing: tuple[str, ...]
    """The failing standards of the level above the service's: what it takes to go up."""


@dataclass(frozen=True, slots=True)
class TeamReport:
    team: str
    services: int
    by_level: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class Report:
    levels: tuple[Level, ...]
    services: tuple[ServiceReport, ...]
    teams: tuple[TeamReport, ...]
    custom: tuple[CustomStandard, ...] = ()
    """The org's own standards judged (the web page lists them with their descriptions)."""


def level_of(levels: Sequence[Level], checks: Mapping[str, Check]) -> tuple[str, tuple[str, ...]]:
    """The service's level and the failing standards of the next level up."""
    reached = NONE_LEVEL
    for level in levels:
        failing = tuple(s for s in level.standards if s in checks and not checks[s].ok)
        unknown = tuple(s for s in level.standards if s not in checks)
        if failing or unknown:
            return reached, failing + unknown
        reached = level.name
    return reached, ()


def rank(levels: Sequence[Level], name: str) -> int:
    """0 for ``none``, 1 for the first level, …"""
    names = [NONE_LEVEL, *(lv.name for lv in levels)]
    return names.index(name) if name in names else 0


def standard_ids(custom: Sequence[CustomStandard]) -> tuple[str, ...]:
    """Every standard judged: the built-ins in the spec's order, then the org's own."""
    return (*BUILTIN_IDS, *(c.id for c in custom))


def judge_service(
    judge: Judge, service: Service, ids: Sequence[str], custom: Mapping[str, CustomStandard]
) -> tuple[Check, ...]:
    out: list[Check] = []
    for sid in ids:
        rule = custom.get(sid)
        out.append(rule.check(service) if rule is not None else judge.check(sid, service))
    return tuple(out)


def build_report(
    world: World,
    *,
    levels: Sequence[Level] = BUILTIN_LEVELS,
    custom: Sequence[CustomStandard] = (),
    service: str | None = None,
    team: str | None = None,
) -> Report:
    """The report for every service (or one ``service``, or the services of ``team`` and the
    teams under it)."""
    judge = Judge(world)
    ids = standard_ids(custom)
    rules = {c.id: c for c in custom}
    tree = subtrees(world.teams)
    wanted_teams = tree.get(team, {team}) if team is not None else None
    reports: list[ServiceReport] = []
    for name in sorted(world.services):
        s = world.services[name]
        if service is not None and name != service:
            continue
        if wanted_teams is not None and s.owner not in wanted_teams:
            continue
        checks = judge_service(judge, s, ids, rules)
        level, missing = level_of(levels, {c.id: c for c in checks})
        reports.append(ServiceReport(name, s.owner, level, checks, missing))
    return Report(
        tuple(levels),
        tuple(reports),
        team_counts(levels, reports, world.teams, team),
        tuple(custom),
    )


def subtrees(teams: Mapping[str, Team]) -> dict[str, set[str]]:
    """Each team and every team under it (following ``parent``; a cycle stops the walk)."""
    out: dict[str, set[str]] = {name: {name} for name in teams}
    for name in teams:
        seen = {name}
        up = teams[name].parent
        while up is not None and up in teams and up not in seen:
            out[up].add(name)
            seen.add(up)
            up = teams[up].parent
    return out


def team_counts(
    levels: Sequence[Level],
    services: Sequence[ServiceReport],
    teams: Mapping[str, Team],
    only: str | None = None,
) -> tuple[TeamReport, ...]:
    names = [NONE_LEVEL, *(lv.name for lv in levels)]
    tree = subtrees(teams)
    by_team: dict[str | None, list[ServiceReport]] = {}
    for r in services:
        by_team.setdefault(r.team, []).append(r)
    out: list[TeamReport] = []
    for name in sorted(tree):
        if only is not None and name not in tree.get(only, {only}):
            continue
        mine = [r for t in tree[name] for r in by_team.get(t, [])]
        counts = dict.fromkeys(names, 0)
        for r in mine:
            counts[r.level] = counts.get(r.level, 0) + 1
        out.append(TeamReport(name, len(mine), counts))
    return tuple(out)
