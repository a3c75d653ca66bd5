"""Ownership standards (scorecards): yes/no facts about each service with the reason in
words, levels bronze/silver/gold (or an org's own), and the report over the whole catalog.

Pure: the catalog, the calculator's schedules, the clock and other features' records come
in as plain values (:class:`World`); checks, levels and counts go out.
"""

from ownit.domain.standards.custom import CustomStandard, Rules, parse_rules, stored_rules
from ownit.domain.standards.model import (
    BUILTIN_IDS,
    BUILTIN_LEVELS,
    LEVEL_NAMES,
    NONE_LEVEL,
    ActionItem,
    Bounds,
    Check,
    History,
    Level,
    ResolvedIncident,
    World,
)
from ownit.domain.standards.report import Report, ServiceReport, TeamReport, build_report, rank

__all__ = [
    "BUILTIN_IDS",
    "BUILTIN_LEVELS",
    "LEVEL_NAMES",
    "NONE_LEVEL",
    "ActionItem",
    "Bounds",
    "Check",
    "CustomStandard",
    "History",
    "Level",
    "Report",
    "ResolvedIncident",
    "Rules",
    "ServiceReport",
    "TeamReport",
    "World",
    "build_report",
    "parse_rules",
    "rank",
    "stored_rules",
]
