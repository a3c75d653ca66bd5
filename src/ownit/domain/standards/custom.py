"""An org's own standards (``kind: Standard``), levels and bounds (``kind: Scorecard``), as
the report judges them.

The kinds are catalog kinds (:mod:`ownit.domain.catalog.standard_kinds`, decision 0058):
``catalog apply`` stores them and the report reads them back (:func:`rules_of`). A file of
them can still be given on its own (``ownit standards report --rules FILE``, a dry run):
:func:`parse_rules` reads and checks it alone, every problem with its file and line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ownit.domain.catalog import sort_problems
from ownit.domain.catalog.model import Problem, RawDocument, Service, Snapshot
from ownit.domain.catalog.parse import parse_document
from ownit.domain.catalog.rule_model import Scorecard, Standard, When
from ownit.domain.catalog.standard_kinds import check_rules, has
from ownit.domain.standards.model import BUILTIN_LEVELS, Bounds, Check, Level

RULE_KINDS = ("Standard", "Scorecard")


@dataclass(frozen=True, slots=True)
class CustomStandard:
    id: str
    description: str
    when: When
    require: tuple[str, ...]

    def check(self, s: Service) -> Check:
        if not self.when.selects(s):
            return Check(self.id, True, f"does not apply (only {self.when.words()})")
        missing = [r for r in self.require if not has(s, r)]
        if missing:
            return Check(self.id, False, f"{self.when.words()}: lacks {', '.join(missing)}")
        return Check(self.id, True, f"{self.when.words()}: has {', '.join(self.require)}")


@dataclass(frozen=True, slots=True)
class Rules:
    """The org's levels (the built-ins when no Scorecard names any), its own standards and
    its bounds."""

    levels: tuple[Level, ...] = BUILTIN_LEVELS
    custom: tuple[CustomStandard, ...] = ()
    problems: tuple[Problem, ...] = ()
    bounds: Bounds = field(default_factory=Bounds)
    scorecard: str | None = None  # the Scorecard's name, when there is one


def bounds_of(card: Scorecard | None) -> Bounds:
    """The built-in bounds with what the Scorecard sets instead."""
    base = Bounds()
    if card is None:
        return base
    return Bounds(
        team_min=card.team_min if card.team_min is not None else base.team_min,
        team_max=card.team_max if card.team_max is not None else base.team_max,
        coverage=base.coverage,
        mtta_target=card.mtta_target if card.mtta_target is not None else base.mtta_target,
        mtta_by_tier=dict(card.mtta_by_tier),
        drill_within=base.drill_within,
        postmortem_business_days=base.postmortem_business_days,
    )


def rules_of(standards: Iterable[Standard], card: Scorecard | None) -> Rules:
    """The rules the stored (or given) kinds make."""
    custom = tuple(
        CustomStandard(s.name, s.description, s.when, s.require)
        for s in sorted(standards, key=lambda s: s.name)
    )
    levels: tuple[Level, ...] = BUILTIN_LEVELS
    if card is not None and card.levels:
        levels = tuple(Level(lv.name, lv.standards) for lv in card.levels)
    return Rules(levels, custom, (), bounds_of(card), card.name if card is not None else None)


def stored_rules(snapshot: Snapshot) -> Rules:
    """The rules the catalog holds (a catalog holds at most one Scorecard)."""
    cards = [snapshot.scorecards[n] for n in sorted(snapshot.scorecards)]
    return rules_of(snapshot.standards.values(), cards[0] if cards else None)


def parse_rules(documents: Sequence[RawDocument]) -> Rules:
    """The Scorecard and Standard documents among ``documents`` (others are skipped), read
    on their own: every problem with its file and line."""
    problems: list[Problem] = []
    parsed = []
    for raw in documents:
        kind = next(
            (e.value.scalar for e in raw.root.entries or () if e.key == "kind"),
            None,
        )
        if kind not in RULE_KINDS:
            continue
        doc = parse_document(raw, problems)
        if doc is not None:
            parsed.append(doc)
    problems += check_rules(parsed, Snapshot())
    seen: set[tuple[str, str]] = set()
    for doc in parsed:
        if (doc.kind, doc.name) in seen:
            problems.append(
                doc.problem("metadata.name", f'{doc.kind} "{doc.name}" is defined twice')
            )
        seen.add((doc.kind, doc.name))
    standards = [d.obj for d in parsed if isinstance(d.obj, Standard)]
    cards = [d.obj for d in parsed if isinstance(d.obj, Scorecard)]
    rules = rules_of(standards, cards[0] if cards else None)
    ordered = sort_problems(problems, [raw.file for raw in documents])
    return Rules(rules.levels, rules.custom, tuple(ordered), rules.bounds, rules.scorecard)
