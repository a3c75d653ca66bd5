"""The escalation engine's rules (``docs/oncall.md``, "Escalation"), as pure transitions.

Each function takes the incident's :class:`EscalationState`, its frozen :class:`Policy`,
``now`` (an aware instant) and, where people must be found, ``resolve_target``: a callable
``(target, at) -> users`` that says who is on call in a schedule target at an instant, so
these rules do not care how schedules are loaded. A user target is simply that user (the
callable is asked about schedule targets only). Each returns a :class:`Step`.

The rules:

- :func:`start`: the incident opens at level 1; every target of the level is notified at
  once (a schedule target: whoever is on call in it at ``now``).
- A level whose targets resolve to nobody is skipped at once and the skip is logged. When
  every level is empty, that is :class:`AllLevelsEmpty`, a visible failure; the state keeps
  its place (``unreachable``) and tries again after that level's ``after`` (quietly: the
  failure is raised once, not at every attempt).
- :func:`tick` at ``next_due_at``: nobody acknowledged within the level's ``after``, so the
  next level is notified; after the last level the policy starts again from level 1,
  ``repeat`` times; when the last level's ``after`` runs out on the last pass, escalation
  stops with :class:`EscalationExhausted` and the incident stays triggered. A late tick pages
  at the time it runs and gives the level its full ``after`` from then.
- :func:`acknowledge` stops escalation and notifications; with an ``ack_timeout`` the state
  is due at ``now + ack_timeout``, and a :func:`tick` then returns the incident to triggered
  and escalates again from level 1 in a new loop with the full ``repeat``.
- :func:`resolve` ends everything.
- Low urgency: the first level that reaches anyone is notified (normally level 1; an empty
  level is skipped as for high urgency) and there is no escalation: nothing is due after.
- Manual: :func:`escalate_to` and :func:`reassign`.

A policy that :func:`validate_policy` rejects, a state that does not fit its policy, or a
naive ``now`` raise ``ValueError``; a request that cannot apply raises
:class:`~ownit.domain.errors.InvalidTransition` or :class:`InvalidEscalationRequest`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from ownit.domain.durations import format_duration
from ownit.domain.errors import DomainError, InvalidTransition
from ownit.domain.escalation.policy import (
    MIN_AFTER,
    Level,
    Policy,
    Target,
    validate_policy,
)
from ownit.domain.escalation.state import (
    AllLevelsEmpty,
    EscalationExhausted,
    EscalationState,
    Intent,
    LogEntry,
    Page,
    Step,
    page_key,
)
from ownit.domain.escalation.walk import Position, Resolver, advance, clock
from ownit.domain.incidents import Status, Urgency

__all__ = [
    "MIN_AFTER",
    "AllLevelsEmpty",
    "EscalationExhausted",
    "EscalationState",
    "Intent",
    "InvalidEscalationRequest",
    "Level",
    "LogEntry",
    "Page",
    "Policy",
    "Resolver",
    "Step",
    "Target",
    "acknowledge",
    "escalate_to",
    "page_key",
    "reassign",
    "resolve",
    "start",
    "tick",
    "validate_policy",
]


class InvalidEscalationRequest(DomainError, ValueError):
    """A manual escalation request that cannot apply (no such level, nobody to page)."""


# --- the rules ---------------------------------------------------------------------------


def start(policy: Policy, urgency: Urgency, resolve_target: Resolver, now: datetime) -> Step:
    """The incident opens: notify level 1 (or the first level that reaches anyone)."""
    now = _instant(now)
    _checked(policy)
    opened = EscalationState(
        status=Status.TRIGGERED,
        urgency=urgency,
        level=1,
        loop=0,
        repeats_left=policy.repeat,
        next_due_at=None,
    )
    return advance(opened, policy, resolve_target, now, Position(1, 0, policy.repeat), [])


def tick(state: EscalationState, policy: Policy, resolve_target: Resolver, now: datetime) -> Step:
    """The timer fired: escalate, re-trigger after an ack timeout, or try an empty policy again.

    Nothing happens (the state is returned unchanged, no intents) when nothing is due yet,
    nothing is scheduled, or the incident is resolved, so a timer claimed twice is harmless.
    """
    now = _instant(now)
    _fits(state, _checked(policy))
    due = state.next_due_at
    if due is None or now < due or state.status is Status.RESOLVED:
        return Step.of(state)
    if state.status is Status.ACKNOWLEDGED:
        return _retrigger(state, policy, resolve_target, now)
    here = Position(state.level, state.loop, state.repeats_left)
    if state.unreachable:
        return advance(state, policy, resolve_target, now, here, [], announce=False)
    return advance(state, policy, resolve_target, now, here.next(), [])


def acknowledge(
    state: EscalationState, now: datetime, ack_timeout: timedelta | None = None
) -> Step:
    """Stop escalation and notifications; with ``ack_timeout``, re-trigger after it.

    Acknowledging again restarts the ack timeout. A resolved incident cannot be acknowledged.
    """
    now = _instant(now)
    if state.status is Status.RESOLVED:
        raise InvalidTransition("the incident is resolved and cannot be acknowledged")
    if ack_timeout is not None and ack_timeout <= timedelta(0):
        raise ValueError(f"ack_timeout must be positive (got {ack_timeout})")
    due = None if ack_timeout is None else now + ack_timeout
    again = " again" if state.status is Status.ACKNOWLEDGED else ""
    message = f"acknowledged{again}: escalation and notifications stopped"
    if ack_timeout is not None:
        message += (
            f"; back to triggered at {clock(now + ack_timeout)} unless resolved "
            f"(ack timeout {format_duration(ack_timeout)})"
        )
    acked = replace(
        state, status=Status.ACKNOWLEDGED, next_due_at=due, unreachable=False, exhausted=False
    )
    return Step.of(acked, (LogEntry("acknowledged", message),))


def resolve(state: EscalationState, now: datetime) -> Step:
    """End everything: nothing is due and nobody is paged again. Resolving twice is a no-op."""
    _instant(now)
    if state.status is Status.RESOLVED:
        return Step.of(state)
    done = replace(
        state, status=Status.RESOLVED, next_due_at=None, unreachable=False, exhausted=False
    )
    return Step.of(done, (LogEntry("resolved", "resolved: escalation ended"),))


def escalate_to(
    state: EscalationState,
    policy: Policy,
    level: int,
    resolve_target: Resolver,
    now: datetime,
) -> Step:
    """Notify ``level`` (1-based) now, by hand, and let escalation continue from there.

    An acknowledged incident returns to triggered. Going forward stays in the current loop;
    going back to a level already notified in it (or to the same level) starts a new loop, so
    every page keeps its own key; the repeats left are unchanged either way. An empty level
    is skipped as usual. Low urgency: the level is notified and nothing escalates after.
    """
    now = _instant(now)
    _fits(state, _checked(policy))
    if state.status is Status.RESOLVED:
        raise InvalidTransition("the incident is resolved and cannot be escalated")
    count = len(policy.levels)
    if not 1 <= level <= count:
        raise InvalidEscalationRequest(
            f"level {level} does not exist: policy {policy.name} has levels 1 to {count}"
        )
    fresh = level > state.level or (state.unreachable and level == state.level)
    loop = state.loop if fresh else state.loop + 1
    intents: list[Intent] = [LogEntry("escalated", f"escalated by hand to level {level}")]
    base = replace(state, status=Status.TRIGGERED, exhausted=False)
    target = Position(level, loop, state.repeats_left)
    return advance(base, policy, resolve_target, now, target, intents)


def reassign(state: EscalationState, policy: Policy, users: Iterable[str], now: datetime) -> Step:
    """Page ``users`` now, outside the policy; escalation continues from where it is.

    The incident returns to triggered and the current level's ``after`` starts again from
    ``now``, so the new assignees get a full window before the next level is notified (low
    urgency: nothing escalates). The pages belong to a new loop at the current level, so they
    get keys of their own; the repeats left are unchanged.
    """
    now = _instant(now)
    _fits(state, _checked(policy))
    if state.status is Status.RESOLVED:
        raise InvalidTransition("the incident is resolved and cannot be reassigned")
    chosen = tuple(dict.fromkeys(users))
    if not chosen or not all(chosen):
        raise InvalidEscalationRequest("reassign needs at least one user, each with a name")
    loop = state.loop + 1
    after = policy.levels[state.level - 1].after
    due = now + after if state.urgency is Urgency.HIGH else None
    moved = replace(
        state,
        status=Status.TRIGGERED,
        loop=loop,
        next_due_at=due,
        unreachable=False,
        exhausted=False,
    )
    then = (
        f"escalation continues after level {state.level} at {clock(due)}"
        if due is not None
        else "low urgency: no escalation"
    )
    intents: list[Intent] = [LogEntry("reassigned", f"reassigned to {', '.join(chosen)}; {then}")]
    intents.extend(Page(user, state.level, loop, now) for user in chosen)
    return Step.of(moved, tuple(intents))


def _retrigger(
    state: EscalationState, policy: Policy, resolve_target: Resolver, now: datetime
) -> Step:
    """The ack timeout ran out: back to triggered, from level 1 in a new loop, full repeats."""
    message = "acknowledged but not resolved within the ack timeout: back to triggered"
    base = replace(state, status=Status.TRIGGERED, unreachable=False, exhausted=False)
    restart = Position(1, state.loop + 1, policy.repeat)
    return advance(base, policy, resolve_target, now, restart, [LogEntry("retriggered", message)])


# --- checks ------------------------------------------------------------------------------


def _instant(value: datetime) -> datetime:
    """``value`` in UTC; ``ValueError`` when it is naive."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"now must be an aware datetime (UTC), got naive {value.isoformat()}")
    return value.astimezone(UTC)


def _checked(policy: Policy) -> Policy:
    problems = validate_policy(policy)
    if problems:
        raise ValueError(f"escalation policy {policy.name!r} is invalid: " + "; ".join(problems))
    return policy


def _fits(state: EscalationState, policy: Policy) -> None:
    """``ValueError`` unless ``state`` can belong to an incident escalating by ``policy``."""
    if not 1 <= state.level <= len(policy.levels):
        raise ValueError(
            f"escalation state is at level {state.level} but policy {policy.name} has "
            f"levels 1 to {len(policy.levels)}"
        )
    if state.loop < 0 or not 0 <= state.repeats_left <= policy.repeat:
        raise ValueError(
            f"escalation state (loop {state.loop}, {state.repeats_left} repeats left) "
            f"does not fit policy {policy.name} (repeat {policy.repeat})"
        )
