"""Whom each level of an escalation policy would reach at an instant: schedule targets
resolved to the person on call then (or nobody: a gap), users as themselves.

Used by the catalog pages (service, policy); the same rules as ``oncall.everyone`` and the
escalation engine's resolver (``oncall.on_call_names``): a schedule that is missing or in a
gap reaches nobody.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ownit.app import oncall
from ownit.app.oncall import Person, ScheduleStore, StoredOverride
from ownit.domain.catalog import EscalationPolicy, Schedule

__all__ = ["LevelReach", "TargetReach", "reach"]


@dataclass(frozen=True, slots=True)
class TargetReach:
    type: str  # user | schedule
    name: str
    people: tuple[Person, ...]  # empty: a schedule with nobody on call now


@dataclass(frozen=True, slots=True)
class LevelReach:
    number: int  # 1-based
    starts_after: timedelta  # after the incident opens (the previous levels' delays)
    after: timedelta | None  # how long this level has before the next one is notified
    targets: tuple[TargetReach, ...]

    @property
    def people(self) -> tuple[Person, ...]:
        unique = {p.name: p for t in self.targets for p in t.people}
        return tuple(unique.values())

    @property
    def reaches_nobody(self) -> bool:
        return not self.people


def reach(
    *,
    store: ScheduleStore,
    policy: EscalationPolicy,
    at: datetime,
    schedules: Mapping[str, Schedule] | None = None,
    overrides: Sequence[StoredOverride] | None = None,
) -> tuple[LevelReach, ...]:
    """Every level of ``policy`` with whom it would notify at ``at``. ``schedules`` and
    ``overrides`` (every schedule's, ending after ``at``): as the caller has read them
    already; else each schedule and its overrides are read from ``store``."""
    on_call: dict[str, tuple[str, ...]] = {}
    for level in policy.levels:
        for target in level.targets:
            if target.type == "schedule" and target.name not in on_call:
                on_call[target.name] = oncall.on_call_names(
                    store=store, name=target.name, at=at, known=schedules, overrides=overrides
                )
    names = {t.name for lv in policy.levels for t in lv.targets if t.type == "user"}
    names |= {n for found in on_call.values() for n in found}
    people = store.people(names)

    def person(name: str) -> Person:
        return people.get(name) or Person(name, name)

    levels: list[LevelReach] = []
    elapsed = timedelta(0)
    for number, level in enumerate(policy.levels, start=1):
        targets = tuple(
            TargetReach(
                t.type,
                t.name,
                tuple(person(n) for n in on_call[t.name])
                if t.type == "schedule"
                else (person(t.name),),
            )
            for t in level.targets
        )
        levels.append(LevelReach(number, elapsed, level.after, targets))
        elapsed += level.after or timedelta(0)
    return tuple(levels)
