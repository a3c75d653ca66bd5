"""Escalation policies as frozen onto an incident when it opens (``docs/oncall.md``).

A policy is an ordered list of levels; each level has targets (users, or schedules meaning
whoever is on call in them) and an ``after``: how long the level has to acknowledge before
the next level is notified. After the last level the policy starts again from level 1,
``repeat`` times.

The snapshot is stored with the incident as plain JSON (:meth:`Policy.to_json`), in the
catalog's own shape: durations as strings (``"10m"``) and targets as ``{"schedule": name}``
or ``{"user": name}``, so later edits of the policy do not change incidents in flight.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal, TypeVar, cast

from ownit.domain.durations import format_duration, parse_duration

__all__ = [
    "MIN_AFTER",
    "TARGET_KINDS",
    "Level",
    "Policy",
    "Target",
    "TargetKind",
    "json_field",
    "snapshot_problems",
    "validate_policy",
]

TargetKind = Literal["user", "schedule"]
TARGET_KINDS: tuple[TargetKind, ...] = ("user", "schedule")

_T = TypeVar("_T")

MIN_AFTER = timedelta(minutes=1)
"""The shortest ``after`` a level may have: a person needs time to acknowledge."""


@dataclass(frozen=True)
class Target:
    """Who a level notifies: a user by name, or whoever is on call in a schedule."""

    kind: TargetKind
    name: str

    def describe(self) -> str:
        """``schedule payments-primary`` or ``user alice``, for the timeline."""
        return f"{self.kind} {self.name}"


@dataclass(frozen=True)
class Level:
    """Targets notified together, and how long they have before the next level is notified."""

    after: timedelta
    targets: tuple[Target, ...]


@dataclass(frozen=True)
class Policy:
    """The frozen snapshot of an escalation policy: levels in order, and how often to repeat."""

    name: str
    levels: tuple[Level, ...]
    repeat: int = 0

    def to_json(self) -> dict[str, object]:
        """A plain dict (strings, ints, lists, dicts) that :meth:`from_json` reads back."""
        return {
            "name": self.name,
            "repeat": self.repeat,
            "levels": [
                {
                    "after": format_duration(level.after),
                    "targets": [{t.kind: t.name} for t in level.targets],
                }
                for level in self.levels
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Policy:
        """Read :meth:`to_json`'s shape; ``ValueError`` naming the field on a wrong shape.

        Only the shape is checked here; the rules are :func:`validate_policy`'s.
        """
        name = json_field(data, "name", str, "name")
        repeat = json_field(data, "repeat", int, "repeat")
        raw_levels = json_field(data, "levels", list, "levels")
        levels = tuple(_level_from_json(raw, f"levels[{i}]") for i, raw in enumerate(raw_levels))
        return cls(name=name, levels=levels, repeat=repeat)


# --- reading JSON ------------------------------------------------------------------------


def json_field(data: Mapping[str, object], key: str, kind: type[_T], where: str) -> _T:
    """``data[key]`` if it is a ``kind`` (a bool is not an int here); else ``ValueError``.

    ``where`` names the field in the message (``levels[0].after: missing``).
    """
    if key not in data:
        raise ValueError(f"{where}: missing")
    value = data[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"{where}: expected {kind.__name__}, got {type(value).__name__}")
    return value


def _mapping(value: object, where: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise ValueError(f"{where}: expected an object, got {type(value).__name__}")
    return cast("Mapping[str, object]", value)


def _level_from_json(raw: object, where: str) -> Level:
    data = _mapping(raw, where)
    after_text = json_field(data, "after", str, f"{where}.after")
    try:
        after = parse_duration(after_text)
    except ValueError as error:
        raise ValueError(f"{where}.after: {error}") from None
    raw_targets = json_field(data, "targets", list, f"{where}.targets")
    targets = tuple(
        _target_from_json(t, f"{where}.targets[{j}]") for j, t in enumerate(raw_targets)
    )
    return Level(after=after, targets=targets)


def _target_from_json(raw: object, where: str) -> Target:
    """``{"user": "alice"}`` or ``{"schedule": "payments-primary"}``."""
    data = _mapping(raw, where)
    if len(data) != 1:
        raise ValueError(f"{where}: expected one key, user or schedule, got {sorted(data)}")
    ((kind, name),) = data.items()
    if kind not in TARGET_KINDS:
        raise ValueError(f"{where}: {kind!r} is not one of user, schedule")
    if not isinstance(name, str):
        raise ValueError(f"{where}.{kind}: expected str, got {type(name).__name__}")
    return Target(kind=kind, name=name)


# --- validation --------------------------------------------------------------------------


def snapshot_problems(data: Mapping[str, object]) -> list[str]:
    """Every reason the engine refuses the frozen policy ``data`` (``[]``: it runs).

    The one check: the engine asks it of every incident's snapshot before it escalates, and
    the catalog asks it of every escalation policy it accepts (``ownit catalog lint``), so
    nothing is accepted that the engine would later refuse. Each message starts with the
    field's path (``levels[0].after: must be at least 1m (got 15s)``).
    """
    try:
        policy = Policy.from_json(data)
    except ValueError as error:
        return [str(error)]
    return validate_policy(policy)


def validate_policy(policy: Policy) -> list[str]:
    """Every problem with ``policy`` at once, each a plain message naming its field.

    Rules: a name; at least one level; ``repeat`` is 0 or more; each level's ``after`` is a
    whole number of seconds and at least :data:`MIN_AFTER`; each level has at least one
    target; a target is a user or a schedule with a name; no target twice in one level (the
    same target on several levels is fine).
    """
    problems: list[str] = []
    if not policy.name:
        problems.append("name: a policy needs a name")
    if policy.repeat < 0:
        problems.append(f"repeat: must be 0 or more (got {policy.repeat})")
    if not policy.levels:
        problems.append("levels: a policy needs at least one level")
    for i, level in enumerate(policy.levels):
        problems.extend(_level_problems(level, f"levels[{i}]"))
    return problems


def _level_problems(level: Level, where: str) -> list[str]:
    problems: list[str] = []
    if level.after % timedelta(seconds=1):
        problems.append(f"{where}.after: must be a whole number of seconds (got {level.after})")
    if level.after < MIN_AFTER:
        problems.append(
            f"{where}.after: must be at least {format_duration(MIN_AFTER)} "
            f"(got {_show(level.after)})"
        )
    if not level.targets:
        problems.append(f"{where}.targets: a level needs at least one target")
    seen: dict[Target, int] = {}
    for j, target in enumerate(level.targets):
        at = f"{where}.targets[{j}]"
        if target.kind not in TARGET_KINDS:
            problems.append(f"{at}.kind: {target.kind!r} is not one of user, schedule")
        if not target.name:
            problems.append(f"{at}.name: a target needs a name")
        if target in seen:
            problems.append(
                f"{at}: duplicate target {target.describe()} (also targets[{seen[target]}])"
            )
        seen.setdefault(target, j)
    return problems


def _show(value: timedelta) -> str:
    """A duration for a message: ``30s``, or the raw value when it is negative or fractional."""
    if value >= timedelta(0) and not value % timedelta(seconds=1):
        return format_duration(value)
    return str(value)
