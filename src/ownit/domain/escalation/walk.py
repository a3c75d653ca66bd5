"""Walking an escalation policy: from a position, the first level that reaches anyone.

Internal to :mod:`ownit.domain.escalation.rules`, whose docstring states the rules; this module
holds the walk those rules share (skipping empty levels, repeating, running out, finding
every level empty) and the timeline wording.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from ownit.domain.durations import format_duration
from ownit.domain.escalation.policy import Level, Policy, Target
from ownit.domain.escalation.state import (
    AllLevelsEmpty,
    EscalationExhausted,
    EscalationState,
    Intent,
    LogEntry,
    Page,
    Step,
)
from ownit.domain.incidents import Status, Urgency

__all__ = ["Position", "Resolver", "advance", "clock"]

Resolver = Callable[[Target, datetime], tuple[str, ...]]
"""Who is on call in a schedule target at an instant (empty in a gap)."""


# --- walking -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    """A place in the walk: ``level`` (1-based, may be one past the end) in ``loop``."""

    level: int
    loop: int
    repeats_left: int

    def next(self) -> Position:
        return replace(self, level=self.level + 1)

    def wrapped(self) -> Position | None:
        """Level 1 of the next loop, spending a repeat; ``None`` when none is left."""
        if self.repeats_left == 0:
            return None
        return Position(1, self.loop + 1, self.repeats_left - 1)


def advance(
    base: EscalationState,
    policy: Policy,
    resolve_target: Resolver,
    now: datetime,
    position: Position,
    intents: list[Intent],
    *,
    announce: bool = True,
) -> Step:
    """Notify the first level, from ``position`` on, that reaches anyone.

    Empty levels on the way are skipped and logged. Passing the last level starts the next
    loop if a repeat is left, else escalation is exhausted. When a whole round of levels is
    empty, nobody is notified: the state stays at ``position`` and tries again later; the
    failure is announced unless ``announce`` is false (it already was).
    """
    count = len(policy.levels)
    if position.level > count:
        wrapped = position.wrapped()
        if wrapped is None:
            return _exhausted(base, policy, now, intents)
        intents.append(_repeat_entry(policy, wrapped))
        position = wrapped
    first = position
    walked: list[Intent] = []
    empty: list[tuple[int, tuple[Target, ...]]] = []
    for visited in range(count):
        if visited:
            position = position.next()
        if position.level > count:
            wrapped = position.wrapped()
            if wrapped is None:
                return _exhausted(base, policy, now, [*intents, *walked])
            walked.append(_repeat_entry(policy, wrapped))
            position = wrapped
        users, gaps = _reach(policy.levels[position.level - 1], resolve_target, now)
        if users:
            reached = _Reached(position, users, gaps)
            return _notified(base, policy, now, reached, [*intents, *walked])
        walked.append(LogEntry("skipped", f"level {position.level} {_nobody(gaps)}: skipped"))
        empty.append((position.level, gaps))
    return _unreachable(base, policy, now, first, empty, intents, announce=announce)


def _reach(
    level: Level, resolve_target: Resolver, now: datetime
) -> tuple[tuple[tuple[str, Target], ...], tuple[Target, ...]]:
    """Who ``level`` reaches at ``now`` (each user once, with the first target naming them)
    and the schedule targets that have nobody on call."""
    users: dict[str, Target] = {}
    gaps: list[Target] = []
    for target in level.targets:
        found = (target.name,) if target.kind == "user" else resolve_target(target, now)
        if not found:
            gaps.append(target)
        for user in found:
            users.setdefault(user, target)
    return tuple(users.items()), tuple(gaps)


@dataclass(frozen=True)
class _Reached:
    """A level that reaches someone: where it is, who (and through which target), and its
    schedule targets with nobody on call."""

    at: Position
    users: tuple[tuple[str, Target], ...]
    gaps: tuple[Target, ...]


def _notified(
    base: EscalationState,
    policy: Policy,
    now: datetime,
    reached: _Reached,
    intents: list[Intent],
) -> Step:
    """Page the users the level reaches; the next level is due after its ``after``."""
    at = reached.at
    high = base.urgency is Urgency.HIGH
    after = policy.levels[at.level - 1].after
    state = replace(
        base,
        status=Status.TRIGGERED,
        level=at.level,
        loop=at.loop,
        repeats_left=at.repeats_left,
        next_due_at=now + after if high else None,
        unreachable=False,
        exhausted=False,
    )
    parts = [f"level {at.level}: paged " + ", ".join(_named(u, via) for u, via in reached.users)]
    parts.extend(f"schedule {t.name} has nobody on call" for t in reached.gaps)
    parts.append(
        f"next level in {format_duration(after)}" if high else "low urgency: no escalation"
    )
    intents.append(LogEntry("paged", "; ".join(parts)))
    intents.extend(Page(user, at.level, at.loop, now, via) for user, via in reached.users)
    return Step.of(state, tuple(intents))


def _exhausted(base: EscalationState, policy: Policy, now: datetime, intents: list[Intent]) -> Step:
    """The last level's window ran out on the last pass: stop; the incident stays triggered."""
    state = replace(base, next_due_at=None, unreachable=False, exhausted=True)
    passes = policy.repeat + 1
    message = (
        f"policy {policy.name} exhausted: nobody acknowledged after {passes} "
        f"pass{'es' if passes > 1 else ''} over its levels; escalation stopped, "
        "the incident stays triggered"
    )
    intents.extend((LogEntry("exhausted", message), EscalationExhausted(policy.name, now)))
    return Step.of(state, tuple(intents))


def _unreachable(
    base: EscalationState,
    policy: Policy,
    now: datetime,
    at: Position,
    empty: list[tuple[int, tuple[Target, ...]]],
    intents: list[Intent],
    *,
    announce: bool,
) -> Step:
    """Every level is empty: raise the failure (once) and try again after the level's after."""
    due = now + policy.levels[at.level - 1].after
    state = replace(
        base,
        status=Status.TRIGGERED,
        level=at.level,
        loop=at.loop,
        repeats_left=at.repeats_left,
        next_due_at=due,
        unreachable=True,
        exhausted=False,
    )
    if announce:
        reasons = "; ".join(f"level {n} {_nobody(gaps)}" for n, gaps in empty)
        message = (
            f"nobody can be paged: every level of policy {policy.name} is empty ({reasons}); "
            f"trying again at {clock(due)}"
        )
        intents.extend(
            (LogEntry("unreachable", message), AllLevelsEmpty(policy.name, at.level, now))
        )
    return Step.of(state, tuple(intents))


# --- words -------------------------------------------------------------------------------


def _repeat_entry(policy: Policy, at: Position) -> LogEntry:
    done = policy.repeat - at.repeats_left
    return LogEntry(
        "repeated",
        f"nobody acknowledged: starting policy {policy.name} again from level 1 "
        f"(repeat {done} of {policy.repeat})",
    )


def _nobody(gaps: tuple[Target, ...]) -> str:
    """``has nobody on call (schedule payments-primary has a gap)``."""
    reasons = ", ".join(f"schedule {t.name} has a gap" for t in gaps)
    return f"has nobody on call ({reasons})"


def _named(user: str, via: Target) -> str:
    return user if via.kind == "user" else f"{user} (on call in schedule {via.name})"


def clock(at: datetime) -> str:
    """An instant for the timeline: ``2026-11-26 12:10:00 UTC``."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
