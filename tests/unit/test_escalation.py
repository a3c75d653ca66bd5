"""The escalation engine's rules, one table per rule, and properties over random policies."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ownit.domain.errors import InvalidTransition
from ownit.domain.escalation import (
    AllLevelsEmpty,
    EscalationExhausted,
    EscalationState,
    Intent,
    InvalidEscalationRequest,
    Level,
    LogEntry,
    Page,
    Policy,
    Resolver,
    Step,
    Target,
    acknowledge,
    escalate_to,
    page_key,
    reassign,
    resolve,
    start,
    tick,
    validate_policy,
)
from ownit.domain.incidents import Status, Urgency

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
HIGH, LOW = Urgency.HIGH, Urgency.LOW
TRIGGERED, ACKED, RESOLVED = Status.TRIGGERED, Status.ACKNOWLEDGED, Status.RESOLVED
FAST = settings(max_examples=200, deadline=None)


def m(minutes: float) -> timedelta:
    return timedelta(minutes=minutes)


def at(minutes: float) -> datetime:
    """``minutes`` after ``T0``."""
    return T0 + m(minutes)


def user(name: str) -> Target:
    return Target("user", name)


def sched(name: str) -> Target:
    return Target("schedule", name)


def lvl(after_minutes: float, *targets: Target) -> Level:
    return Level(m(after_minutes), targets)


def pol(*levels: Level, repeat: int = 0, name: str = "payments") -> Policy:
    return Policy(name, levels, repeat)


ON_CALL: dict[str, tuple[str, ...]] = {
    "primary": ("ann",),
    "secondary": ("bob",),
    "pair": ("cat", "dan"),
    "gap": (),
    "gap2": (),
}


def table(on_call: Mapping[str, tuple[str, ...]] = ON_CALL) -> Resolver:
    """A resolver reading who is on call from a table, whatever the time."""

    def resolve_target(target: Target, when: datetime) -> tuple[str, ...]:
        assert target.kind == "schedule", "user targets are never resolved"
        assert when.tzinfo is UTC
        return tuple(on_call[target.name])

    return resolve_target


THREE = pol(lvl(10, sched("primary")), lvl(15, user("bob")), lvl(20, sched("pair")), repeat=1)


def state(
    level: int = 1,
    loop: int = 0,
    repeats_left: int = 0,
    due: float | None = 10,
    *,
    status: Status = TRIGGERED,
    urgency: Urgency = HIGH,
    unreachable: bool = False,
    exhausted: bool = False,
) -> EscalationState:
    return EscalationState(
        status=status,
        urgency=urgency,
        level=level,
        loop=loop,
        repeats_left=repeats_left,
        next_due_at=None if due is None else at(due),
        unreachable=unreachable,
        exhausted=exhausted,
    )


def kind_of(intent: Intent) -> str:
    if isinstance(intent, LogEntry):
        return intent.kind
    if isinstance(intent, Page):
        return "page"
    return type(intent).__name__


def minutes(value: datetime | None) -> float | None:
    return None if value is None else (value - T0) / m(1)


def describe(step: Step) -> dict[str, object]:
    """Everything a case may check, in plain values."""
    s = step.state
    flags = {name for name in ("unreachable", "exhausted") if getattr(s, name)}
    return {
        "pages": [(p.user, p.level, p.loop) for p in step.pages],
        "kinds": [kind_of(i) for i in step.intents],
        "status": s.status,
        "at": (s.level, s.loop, s.repeats_left),
        "due": minutes(step.next_due_at),
        "flags": flags,
        "log": [e.message for e in step.log],
    }


def check(step: Step, expected: Mapping[str, object]) -> None:
    got = describe(step)
    assert {k: got[k] for k in expected} == dict(expected)


# --- validate_policy ---------------------------------------------------------------------

BAD_KIND = Target(cast(Any, "team"), "payments")


@pytest.mark.parametrize(
    ("policy", "problems"),
    [
        pytest.param(THREE, [], id="valid"),
        pytest.param(pol(), ["levels: a policy needs at least one level"], id="no-levels"),
        pytest.param(
            pol(lvl(10, user("a")), lvl(10)),
            ["levels[1].targets: a level needs at least one target"],
            id="level-without-targets",
        ),
        pytest.param(
            pol(lvl(10, user("a")), repeat=-1),
            ["repeat: must be 0 or more (got -1)"],
            id="negative-repeat",
        ),
        pytest.param(
            pol(lvl(0.5, user("a"))),
            ["levels[0].after: must be at least 1m (got 30s)"],
            id="after-under-a-minute",
        ),
        pytest.param(pol(lvl(1, user("a"))), [], id="after-exactly-a-minute"),
        pytest.param(
            Policy("p", (Level(timedelta(minutes=5, milliseconds=1), (user("a"),)),)),
            ["levels[0].after: must be a whole number of seconds (got 0:05:00.001000)"],
            id="fractional-after",
        ),
        pytest.param(
            pol(lvl(-5, user("a"))),
            ["levels[0].after: must be at least 1m (got -1 day, 23:55:00)"],
            id="negative-after",
        ),
        pytest.param(
            pol(lvl(10, user("a"), sched("s"), user("a"))),
            ["levels[0].targets[2]: duplicate target user a (also targets[0])"],
            id="duplicate-target",
        ),
        pytest.param(pol(lvl(10, user("a"), sched("a"))), [], id="user-and-schedule-of-one-name"),
        pytest.param(pol(lvl(10, user("a")), lvl(10, user("a"))), [], id="same-user-two-levels"),
        pytest.param(
            pol(lvl(10, user(""))),
            ["levels[0].targets[0].name: a target needs a name"],
            id="nameless-target",
        ),
        pytest.param(
            pol(lvl(10, BAD_KIND)),
            ["levels[0].targets[0].kind: 'team' is not one of user, schedule"],
            id="unknown-kind",
        ),
        pytest.param(
            pol(lvl(10, user("a")), name=""), ["name: a policy needs a name"], id="nameless"
        ),
        pytest.param(
            pol(lvl(0, user("a")), lvl(10), repeat=-2),
            [
                "repeat: must be 0 or more (got -2)",
                "levels[0].after: must be at least 1m (got 0s)",
                "levels[1].targets: a level needs at least one target",
            ],
            id="every-problem-at-once",
        ),
    ],
)
def test_validate_policy(policy: Policy, problems: list[str]) -> None:
    assert validate_policy(policy) == problems


# --- the JSON snapshot -------------------------------------------------------------------


@pytest.mark.parametrize(
    "policy",
    [
        pytest.param(THREE, id="three-levels"),
        pytest.param(pol(lvl(90, user("a")), repeat=9), id="ninety-minutes"),
        pytest.param(Policy("p", (Level(timedelta(days=1, seconds=1), (user("a"),)),)), id="odd"),
    ],
)
def test_policy_json_round_trip(policy: Policy) -> None:
    assert Policy.from_json(policy.to_json()) == policy


def test_policy_json_is_the_catalog_shape() -> None:
    assert pol(lvl(10, sched("primary"), user("alice")), repeat=2).to_json() == {
        "name": "payments",
        "repeat": 2,
        "levels": [{"after": "10m", "targets": [{"schedule": "primary"}, {"user": "alice"}]}],
    }


def snapshot(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "p",
        "repeat": 0,
        "levels": [{"after": "10m", "targets": [{"user": "a"}]}],
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param({"repeat": 0, "levels": []}, "name: missing", id="no-name"),
        pytest.param(snapshot(repeat=True), "repeat: expected int, got bool", id="bool-repeat"),
        pytest.param(snapshot(levels={}), "levels: expected list, got dict", id="levels-dict"),
        pytest.param(snapshot(levels=[3]), "levels[0]: expected an object, got int", id="lvl-int"),
        pytest.param(
            snapshot(levels=[{"after": "ten", "targets": []}]),
            "levels[0].after: 'ten' is not a duration",
            id="bad-after",
        ),
        pytest.param(
            snapshot(levels=[{"after": 600, "targets": []}]),
            "levels[0].after: expected str, got int",
            id="after-number",
        ),
        pytest.param(
            snapshot(levels=[{"after": "1m", "targets": [{"user": "a", "schedule": "b"}]}]),
            "levels[0].targets[0]: expected one key, user or schedule, got ['schedule', 'user']",
            id="two-keys",
        ),
        pytest.param(
            snapshot(levels=[{"after": "1m", "targets": [{"team": "a"}]}]),
            "levels[0].targets[0]: 'team' is not one of user, schedule",
            id="unknown-kind",
        ),
        pytest.param(
            snapshot(levels=[{"after": "1m", "targets": [{"user": 7}]}]),
            "levels[0].targets[0].user: expected str, got int",
            id="name-not-str",
        ),
    ],
)
def test_policy_from_bad_json(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("[", r"\[").replace("(", r"\(")):
        Policy.from_json(data)


# --- start -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "urgency", "expected"),
    [
        pytest.param(
            THREE,
            HIGH,
            {
                "pages": [("ann", 1, 0)],
                "due": 10,
                "at": (1, 0, 1),
                "status": TRIGGERED,
                "kinds": ["paged", "page"],
                "log": ["level 1: paged ann (on call in schedule primary); next level in 10m"],
            },
            id="level-1-schedule-target",
        ),
        pytest.param(
            pol(lvl(5, user("zoe"), sched("pair"))),
            HIGH,
            {"pages": [("zoe", 1, 0), ("cat", 1, 0), ("dan", 1, 0)], "due": 5},
            id="every-target-at-once",
        ),
        pytest.param(
            pol(lvl(5, user("ann"), sched("primary"))),
            HIGH,
            {"pages": [("ann", 1, 0)], "log": ["level 1: paged ann; next level in 5m"]},
            id="one-page-per-person",
        ),
        pytest.param(
            pol(lvl(5, user("zoe"), sched("gap"))),
            HIGH,
            {
                "pages": [("zoe", 1, 0)],
                "log": ["level 1: paged zoe; schedule gap has nobody on call; next level in 5m"],
            },
            id="partly-empty-level-pages-the-rest",
        ),
        pytest.param(
            pol(lvl(5, sched("gap")), lvl(7, user("bob"))),
            HIGH,
            {
                "pages": [("bob", 2, 0)],
                "due": 7,
                "at": (2, 0, 0),
                "kinds": ["skipped", "paged", "page"],
                "log": [
                    "level 1 has nobody on call (schedule gap has a gap): skipped",
                    "level 2: paged bob; next level in 7m",
                ],
            },
            id="empty-level-skipped-at-once",
        ),
        pytest.param(
            pol(lvl(5, sched("gap"), sched("gap2")), lvl(7, sched("gap"))),
            HIGH,
            {
                "pages": [],
                "due": 5,
                "at": (1, 0, 0),
                "flags": {"unreachable"},
                "status": TRIGGERED,
                "kinds": ["unreachable", "AllLevelsEmpty"],
                "log": [
                    "nobody can be paged: every level of policy payments is empty (level 1 "
                    "has nobody on call (schedule gap has a gap, schedule gap2 has a gap); "
                    "level 2 has nobody on call (schedule gap has a gap)); "
                    "trying again at 2026-11-26 12:05:00 UTC"
                ],
            },
            id="all-levels-empty",
        ),
        pytest.param(
            THREE,
            LOW,
            {"pages": [("ann", 1, 0)], "due": None, "flags": set()},
            id="low-urgency-level-1-only",
        ),
        pytest.param(
            pol(lvl(5, sched("gap")), lvl(7, user("bob"))),
            LOW,
            {"pages": [("bob", 2, 0)], "due": None, "kinds": ["skipped", "paged", "page"]},
            id="low-urgency-first-level-that-reaches-anyone",
        ),
        pytest.param(
            pol(lvl(5, sched("gap"))),
            LOW,
            {"pages": [], "due": 5, "kinds": ["unreachable", "AllLevelsEmpty"]},
            id="low-urgency-all-empty",
        ),
    ],
)
def test_start(policy: Policy, urgency: Urgency, expected: dict[str, object]) -> None:
    check(start(policy, urgency, table(), T0), expected)


def test_start_pages_at_now_in_utc() -> None:
    berlin = timezone(timedelta(hours=1))
    step = start(THREE, HIGH, table(), T0.astimezone(berlin))
    assert step.pages[0].at == T0
    assert step.pages[0].at.tzinfo is UTC
    assert step.pages[0].via == sched("primary")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(
            lambda: start(THREE, HIGH, table(), datetime(2026, 1, 1)),
            "now must be an aware datetime",
            id="naive-now",
        ),
        pytest.param(
            lambda: start(pol(), HIGH, table(), T0),
            "escalation policy 'payments' is invalid: levels: a policy needs at least one level",
            id="invalid-policy",
        ),
        pytest.param(
            lambda: tick(state(level=4), THREE, table(), at(10)),
            "escalation state is at level 4 but policy payments has levels 1 to 3",
            id="state-past-the-last-level",
        ),
        pytest.param(
            lambda: tick(state(repeats_left=5), THREE, table(), at(10)),
            r"escalation state \(loop 0, 5 repeats left\) does not fit policy payments",
            id="more-repeats-than-the-policy",
        ),
    ],
)
def test_bad_input_raises(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


# --- tick --------------------------------------------------------------------------------

TWO = pol(lvl(10, sched("primary")), lvl(15, user("bob")), repeat=2)


@pytest.mark.parametrize(
    ("before", "policy", "now", "on_call", "expected"),
    [
        pytest.param(
            state(1, 0, 2, due=10),
            TWO,
            9.99,
            ON_CALL,
            {"kinds": [], "at": (1, 0, 2), "due": 10},
            id="not-due-yet-nothing",
        ),
        pytest.param(
            state(1, 0, 2, due=10),
            TWO,
            10,
            ON_CALL,
            {"pages": [("bob", 2, 0)], "at": (2, 0, 2), "due": 25},
            id="due-next-level",
        ),
        pytest.param(
            state(1, 0, 2, due=10),
            TWO,
            31,
            ON_CALL,
            {"pages": [("bob", 2, 0)], "due": 46},
            id="late-tick-pages-now-full-window-after",
        ),
        pytest.param(
            state(2, 0, 2, due=25),
            TWO,
            25,
            ON_CALL,
            {
                "pages": [("ann", 1, 1)],
                "at": (1, 1, 1),
                "due": 35,
                "kinds": ["repeated", "paged", "page"],
                "log": [
                    "nobody acknowledged: starting policy payments again from level 1 "
                    "(repeat 1 of 2)",
                    "level 1: paged ann (on call in schedule primary); next level in 10m",
                ],
            },
            id="after-last-level-repeat",
        ),
        pytest.param(
            state(2, 2, 0, due=25),
            TWO,
            25,
            ON_CALL,
            {
                "pages": [],
                "status": TRIGGERED,
                "at": (2, 2, 0),
                "due": None,
                "flags": {"exhausted"},
                "kinds": ["exhausted", "EscalationExhausted"],
                "log": [
                    "policy payments exhausted: nobody acknowledged after 3 passes over its "
                    "levels; escalation stopped, the incident stays triggered"
                ],
            },
            id="no-repeats-left-exhausted",
        ),
        pytest.param(
            state(1, 0, 0, due=10),
            pol(lvl(10, user("a")), lvl(10, sched("gap"))),
            10,
            ON_CALL,
            {
                "pages": [],
                "flags": {"exhausted"},
                "kinds": ["skipped", "exhausted", "EscalationExhausted"],
            },
            id="empty-last-level-then-exhausted",
        ),
        pytest.param(
            state(1, 0, 0, due=10),
            pol(lvl(10, user("a")), lvl(10, sched("gap")), lvl(5, user("c"))),
            10,
            ON_CALL,
            {"pages": [("c", 3, 0)], "due": 15, "kinds": ["skipped", "paged", "page"]},
            id="empty-middle-level-skipped",
        ),
        pytest.param(
            state(2, 0, 1, due=25),
            TWO,
            25,
            {"primary": ()},
            {
                "pages": [("bob", 2, 1)],
                "at": (2, 1, 0),
                "kinds": ["repeated", "skipped", "paged", "page"],
            },
            id="repeat-skips-an-empty-level-1",
        ),
        pytest.param(
            state(1, 0, 1, due=10),
            pol(lvl(10, sched("primary")), lvl(15, sched("secondary")), repeat=1),
            10,
            {"primary": (), "secondary": ()},
            {
                "pages": [],
                "at": (2, 0, 1),
                "due": 25,
                "flags": {"unreachable"},
                "kinds": ["unreachable", "AllLevelsEmpty"],
            },
            id="everyone-gone-mid-way-stays-put",
        ),
        pytest.param(
            state(1, 0, 2, due=10, unreachable=True),
            TWO,
            10,
            {"primary": ()},
            {"pages": [("bob", 2, 0)], "flags": set(), "kinds": ["skipped", "paged", "page"]},
            id="unreachable-retry-finds-someone",
        ),
        pytest.param(
            state(1, 0, 0, due=10, unreachable=True),
            pol(lvl(10, sched("gap"))),
            10,
            ON_CALL,
            {"pages": [], "kinds": [], "due": 20, "flags": {"unreachable"}},
            id="unreachable-retry-still-empty-is-quiet",
        ),
        pytest.param(
            state(1, 0, 2, due=None, urgency=LOW),
            TWO,
            500,
            ON_CALL,
            {"kinds": [], "due": None},
            id="low-urgency-never-escalates",
        ),
        pytest.param(
            state(2, 2, 0, due=None, exhausted=True),
            TWO,
            500,
            ON_CALL,
            {"kinds": [], "due": None, "flags": {"exhausted"}},
            id="exhausted-stays-quiet",
        ),
        pytest.param(
            state(2, 0, 2, due=None, status=ACKED),
            TWO,
            500,
            ON_CALL,
            {"kinds": [], "status": ACKED},
            id="acknowledged-for-good",
        ),
        pytest.param(
            state(2, 0, 2, due=None, status=RESOLVED),
            TWO,
            500,
            ON_CALL,
            {"kinds": [], "status": RESOLVED},
            id="resolved",
        ),
        pytest.param(
            state(2, 0, 2, due=10, status=RESOLVED),
            TWO,
            500,
            ON_CALL,
            {"kinds": [], "status": RESOLVED},
            id="resolved-with-a-stale-due-time",
        ),
        pytest.param(
            state(2, 1, 0, due=40, status=ACKED),
            TWO,
            40,
            ON_CALL,
            {
                "pages": [("ann", 1, 2)],
                "status": TRIGGERED,
                "at": (1, 2, 2),
                "due": 50,
                "kinds": ["retriggered", "paged", "page"],
                "log": [
                    "acknowledged but not resolved within the ack timeout: back to triggered",
                    "level 1: paged ann (on call in schedule primary); next level in 10m",
                ],
            },
            id="ack-timeout-retriggers-from-level-1-full-repeats",
        ),
        pytest.param(
            state(2, 1, 0, due=40, status=ACKED, urgency=LOW),
            TWO,
            40,
            ON_CALL,
            {"pages": [("ann", 1, 2)], "status": TRIGGERED, "due": None},
            id="low-urgency-ack-timeout-repages-level-1",
        ),
    ],
)
def test_tick(
    before: EscalationState,
    policy: Policy,
    now: float,
    on_call: Mapping[str, tuple[str, ...]],
    expected: dict[str, object],
) -> None:
    check(tick(before, policy, table({**ON_CALL, **on_call}), at(now)), expected)


def test_tick_not_due_returns_the_same_state() -> None:
    before = state(1, 0, 2, due=10)
    assert tick(before, TWO, table(), at(5)) == Step(before, (), at(10))


# --- acknowledge and resolve -------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "timeout", "expected"),
    [
        pytest.param(
            state(2, 0, 1, due=25),
            None,
            {
                "status": ACKED,
                "due": None,
                "at": (2, 0, 1),
                "log": ["acknowledged: escalation and notifications stopped"],
            },
            id="stops-escalation",
        ),
        pytest.param(
            state(2, 0, 1, due=25),
            m(30),
            {
                "status": ACKED,
                "due": 42,
                "log": [
                    "acknowledged: escalation and notifications stopped; back to triggered "
                    "at 2026-11-26 12:42:00 UTC unless resolved (ack timeout 30m)"
                ],
            },
            id="ack-timeout-sets-the-due-time",
        ),
        pytest.param(
            state(2, 0, 1, due=30, status=ACKED),
            m(30),
            {"status": ACKED, "due": 42, "kinds": ["acknowledged"]},
            id="again-restarts-the-timeout",
        ),
        pytest.param(
            state(1, 0, 0, due=20, unreachable=True),
            None,
            {"status": ACKED, "due": None, "flags": set()},
            id="unreachable-acknowledged",
        ),
        pytest.param(
            state(2, 2, 0, due=None, exhausted=True),
            None,
            {"status": ACKED, "flags": set()},
            id="exhausted-acknowledged",
        ),
    ],
)
def test_acknowledge(
    before: EscalationState, timeout: timedelta | None, expected: dict[str, object]
) -> None:
    check(acknowledge(before, at(12), timeout), expected)


@pytest.mark.parametrize(
    ("before", "timeout", "error"),
    [
        pytest.param(state(status=RESOLVED, due=None), None, InvalidTransition, id="resolved"),
        pytest.param(state(), timedelta(0), ValueError, id="zero-timeout"),
        pytest.param(state(), m(-1), ValueError, id="negative-timeout"),
    ],
)
def test_acknowledge_refused(
    before: EscalationState, timeout: timedelta | None, error: type[Exception]
) -> None:
    with pytest.raises(error):
        acknowledge(before, at(12), timeout)


@pytest.mark.parametrize(
    ("before", "expected"),
    [
        pytest.param(
            state(2, 0, 1, due=25),
            {"status": RESOLVED, "due": None, "log": ["resolved: escalation ended"]},
            id="triggered",
        ),
        pytest.param(
            state(2, 0, 1, due=42, status=ACKED),
            {"status": RESOLVED, "due": None, "kinds": ["resolved"]},
            id="acknowledged-with-timeout",
        ),
        pytest.param(
            state(1, 0, 0, due=20, unreachable=True),
            {"status": RESOLVED, "due": None, "flags": set()},
            id="unreachable",
        ),
        pytest.param(
            state(2, 0, 1, due=None, status=RESOLVED),
            {"status": RESOLVED, "due": None, "kinds": []},
            id="twice-is-a-no-op",
        ),
    ],
)
def test_resolve(before: EscalationState, expected: dict[str, object]) -> None:
    check(resolve(before, at(12)), expected)


# --- manual escalation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "level", "expected"),
    [
        pytest.param(
            state(1, 0, 1, due=10),
            3,
            {
                "pages": [("cat", 3, 0), ("dan", 3, 0)],
                "at": (3, 0, 1),
                "due": 24,
                "kinds": ["escalated", "paged", "page", "page"],
            },
            id="forward-same-loop",
        ),
        pytest.param(
            state(2, 0, 1, due=25),
            1,
            {"pages": [("ann", 1, 1)], "at": (1, 1, 1), "due": 14},
            id="back-new-loop-same-repeats",
        ),
        pytest.param(
            state(2, 0, 1, due=25),
            2,
            {"pages": [("bob", 2, 1)], "at": (2, 1, 1), "due": 19},
            id="same-level-new-loop",
        ),
        pytest.param(
            state(2, 0, 1, due=25, status=ACKED),
            3,
            {"pages": [("cat", 3, 0), ("dan", 3, 0)], "status": TRIGGERED},
            id="acknowledged-back-to-triggered",
        ),
        pytest.param(
            state(1, 0, 1, due=10, unreachable=True),
            1,
            {"pages": [("ann", 1, 0)], "at": (1, 0, 1), "flags": set()},
            id="unreachable-level-not-yet-paged-same-loop",
        ),
        pytest.param(
            state(3, 1, 0, due=None, exhausted=True),
            2,
            {"pages": [("bob", 2, 2)], "flags": set(), "due": 19},
            id="exhausted-escalates-again",
        ),
        pytest.param(
            state(1, 0, 1, due=None, urgency=LOW),
            2,
            {"pages": [("bob", 2, 0)], "due": None},
            id="low-urgency-pages-without-escalating",
        ),
    ],
)
def test_escalate_to(before: EscalationState, level: int, expected: dict[str, object]) -> None:
    step = escalate_to(before, THREE, level, table(), at(4))
    check(step, expected)
    assert step.log[0].message == f"escalated by hand to level {level}"


def test_escalate_to_an_empty_level_skips_it() -> None:
    policy = pol(lvl(10, user("a")), lvl(10, sched("gap")), lvl(10, user("c")))
    check(
        escalate_to(state(1, 0, 0), policy, 2, table(), at(4)),
        {"pages": [("c", 3, 0)], "kinds": ["escalated", "skipped", "paged", "page"]},
    )


@pytest.mark.parametrize(
    ("before", "level", "error", "message"),
    [
        pytest.param(
            state(),
            0,
            InvalidEscalationRequest,
            "level 0 does not exist: policy payments has levels 1 to 3",
            id="level-0",
        ),
        pytest.param(
            state(),
            4,
            InvalidEscalationRequest,
            "level 4 does not exist: policy payments has levels 1 to 3",
            id="past-the-last",
        ),
        pytest.param(
            state(status=RESOLVED, due=None),
            2,
            InvalidTransition,
            "the incident is resolved and cannot be escalated",
            id="resolved",
        ),
    ],
)
def test_escalate_to_refused(
    before: EscalationState, level: int, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        escalate_to(before, THREE, level, table(), at(4))


@pytest.mark.parametrize(
    ("before", "users", "expected"),
    [
        pytest.param(
            state(1, 0, 1, due=10),
            ["zoe", "yan", "zoe"],
            {
                "pages": [("zoe", 1, 1), ("yan", 1, 1)],
                "at": (1, 1, 1),
                "due": 14,
                "log": [
                    "reassigned to zoe, yan; escalation continues after level 1 "
                    "at 2026-11-26 12:14:00 UTC"
                ],
            },
            id="pages-now-level-window-restarts",
        ),
        pytest.param(
            state(2, 0, 1, due=40, status=ACKED),
            ["zoe"],
            {"pages": [("zoe", 2, 1)], "status": TRIGGERED, "due": 19},
            id="acknowledged-back-to-triggered",
        ),
        pytest.param(
            state(1, 0, 1, due=None, urgency=LOW),
            ["zoe"],
            {
                "pages": [("zoe", 1, 1)],
                "due": None,
                "log": ["reassigned to zoe; low urgency: no escalation"],
            },
            id="low-urgency",
        ),
        pytest.param(
            state(3, 1, 0, due=None, exhausted=True),
            ["zoe"],
            {"pages": [("zoe", 3, 2)], "due": 24, "flags": set()},
            id="exhausted",
        ),
    ],
)
def test_reassign(before: EscalationState, users: list[str], expected: dict[str, object]) -> None:
    check(reassign(before, THREE, users, at(4)), expected)


def test_reassign_then_tick_continues_from_the_current_level() -> None:
    moved = reassign(state(1, 0, 1, due=10), THREE, ["zoe"], at(4)).state
    check(tick(moved, THREE, table(), at(14)), {"pages": [("bob", 2, 1)], "at": (2, 1, 1)})


@pytest.mark.parametrize(
    ("before", "users", "error"),
    [
        pytest.param(state(), [], InvalidEscalationRequest, id="nobody"),
        pytest.param(state(), ["zoe", ""], InvalidEscalationRequest, id="nameless"),
        pytest.param(state(status=RESOLVED, due=None), ["zoe"], InvalidTransition, id="resolved"),
    ],
)
def test_reassign_refused(
    before: EscalationState, users: list[str], error: type[Exception]
) -> None:
    with pytest.raises(error):
        reassign(before, THREE, users, at(4))


# --- keys and stored state ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "key"),
    [
        pytest.param(("inc_01", 0, 1, "alice", "mail"), "inc_01:0:1:alice:mail", id="plain"),
        pytest.param((42, 3, 2, "bob", "hook"), "42:3:2:bob:hook", id="int-incident"),
        pytest.param(("i", 0, 1, "a:b", "c"), "i:0:1:a%3Ab:c", id="colon-escaped"),
        pytest.param(("i", 0, 1, "a%3Ab", "c"), "i:0:1:a%253Ab:c", id="percent-escaped"),
    ],
)
def test_page_key(args: tuple[str | int, int, int, str, str], key: str) -> None:
    assert page_key(*args) == key


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(state(2, 1, 0, due=25), id="triggered"),
        pytest.param(state(due=None, status=ACKED, urgency=LOW), id="acknowledged-low"),
        pytest.param(state(due=5, unreachable=True), id="unreachable"),
        pytest.param(state(3, 2, 0, due=None, exhausted=True), id="exhausted"),
    ],
)
def test_state_json_round_trip(value: EscalationState) -> None:
    assert EscalationState.from_json(value.to_json()) == value


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param({"status": "open"}, "'open' is not a valid Status", id="status"),
        pytest.param({"level": "1"}, "level: expected int, got str", id="level"),
        pytest.param({"nextDueAt": "2026-11-26T12:00:00"}, "has no UTC offset", id="naive-due"),
        pytest.param({"nextDueAt": 5}, "nextDueAt: expected str or null", id="due-number"),
        pytest.param({"exhausted": 1}, "exhausted: expected bool, got int", id="flag"),
    ],
)
def test_state_from_bad_json(change: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        EscalationState.from_json({**state().to_json(), **change})


# --- properties --------------------------------------------------------------------------

PEOPLE = ["ann", "bob", "cat"]


def rota(target: Target, when: datetime) -> tuple[str, ...]:
    """Schedules whose people change with time: ``rota`` has a gap one slot in four."""
    slot = int((when - T0) / m(7)) % 4
    if target.name == "rota":
        return () if slot == 0 else (PEOPLE[slot - 1],)
    return ON_CALL[target.name]


targets = st.one_of(
    st.sampled_from(PEOPLE).map(user),
    st.sampled_from(["primary", "pair", "gap", "gap2"]).map(sched),
)
static_levels = st.builds(
    lambda after, ts: Level(m(after), tuple(dict.fromkeys(ts))),
    st.integers(1, 60),
    st.lists(targets, min_size=1, max_size=3),
)


@st.composite
def policies(draw: st.DrawFn, level_strategy: st.SearchStrategy[Level] = static_levels) -> Policy:
    levels = draw(st.lists(level_strategy, min_size=1, max_size=4))
    return Policy("prop", tuple(levels), draw(st.integers(0, 3)))


@dataclass
class Run:
    """A run of the rules on a fake clock, keeping every intent with its time."""

    policy: Policy
    resolver: Resolver
    now: datetime = T0
    state: EscalationState = field(init=False)
    seen: list[tuple[datetime, Intent]] = field(default_factory=list)

    def take(self, step: Step) -> None:
        if step.next_due_at is not None:
            assert step.next_due_at > self.now
        self.seen.extend((self.now, i) for i in step.intents)
        self.state = step.state

    def open(self, urgency: Urgency = HIGH) -> Run:
        self.take(start(self.policy, urgency, self.resolver, self.now))
        return self

    def until_quiet(self, max_ticks: int = 200) -> None:
        for _ in range(max_ticks):
            due = self.state.next_due_at
            if due is None:
                return
            self.now = due
            self.take(tick(self.state, self.policy, self.resolver, self.now))

    def intents(self, kind: type[Any]) -> list[Any]:
        return [i for _, i in self.seen if isinstance(i, kind)]


def static_users(level: Level) -> set[str]:
    found: set[str] = set()
    for t in level.targets:
        found.update((t.name,) if t.kind == "user" else ON_CALL[t.name])
    return found


@FAST
@given(policies())
def test_without_ack_every_reachable_level_is_paged_repeat_plus_one_times(
    policy: Policy,
) -> None:
    run = Run(policy, table())
    run.open()
    run.until_quiet(max_ticks=50)
    pages = Counter((p.level, p.user) for p in run.intents(Page))
    expected = Counter(
        {
            (n, u): policy.repeat + 1
            for n, level in enumerate(policy.levels, 1)
            for u in static_users(level)
        }
    )
    if expected:
        assert pages == expected
        assert len(run.intents(EscalationExhausted)) == 1
        assert run.state.exhausted
        assert run.state.status is TRIGGERED
        assert run.intents(AllLevelsEmpty) == []
    else:
        assert pages == Counter()
        assert len(run.intents(AllLevelsEmpty)) == 1  # raised once, then retried quietly
        assert run.state.unreachable
        assert run.state.next_due_at is not None


@FAST
@given(policies())
def test_low_urgency_pages_one_level_once(policy: Policy) -> None:
    run = Run(policy, table())
    run.open(LOW)
    run.until_quiet(max_ticks=20)
    levels = {p.level for p in run.intents(Page)}
    assert len(levels) <= 1
    assert all(p.at == T0 for p in run.intents(Page))


Op = tuple[str, int]
ops = st.lists(
    st.tuples(
        st.sampled_from(["wait", "ack", "ack-timeout", "resolve", "escalate", "reassign"]),
        st.integers(0, 40),
    ),
    max_size=25,
)
moving_levels = st.builds(
    lambda after, ts: Level(m(after), tuple(dict.fromkeys(ts))),
    st.integers(1, 30),
    st.lists(st.one_of(targets, st.just(sched("rota"))), min_size=1, max_size=3),
)


def apply(run: Run, op: Op) -> None:
    """One thing that can happen to an incident; refused requests change nothing."""
    name, number = op
    state, policy, now = run.state, run.policy, run.now
    try:
        if name == "wait":
            end = now + m(number)
            while run.state.next_due_at is not None and run.state.next_due_at <= end:
                run.now = run.state.next_due_at
                run.take(tick(run.state, policy, run.resolver, run.now))
            run.now = end
            run.take(tick(run.state, policy, run.resolver, end))
        elif name == "ack":
            run.take(acknowledge(state, now))
        elif name == "ack-timeout":
            run.take(acknowledge(state, now, m(number + 1)))
        elif name == "resolve":
            run.take(resolve(state, now))
        elif name == "escalate":
            level = number % len(policy.levels) + 1
            run.take(escalate_to(state, policy, level, run.resolver, now))
        else:
            run.take(reassign(state, policy, PEOPLE[: number % 3 + 1], now))
    except (InvalidTransition, InvalidEscalationRequest):
        assert state.status is RESOLVED


@FAST
@given(policies(moving_levels), st.sampled_from([HIGH, LOW]), ops)
def test_invariants_over_any_history(policy: Policy, urgency: Urgency, history: list[Op]) -> None:
    run = Run(policy, rota)
    run.open(urgency)
    for op in history:
        before = run.state
        count = len(run.seen)
        apply(run, op)
        after = run.state
        new = [i for _, i in run.seen[count:]]
        # nothing after resolve
        if before.status is RESOLVED:
            assert after == before
            assert new == []
        # acknowledged: waiting brings nothing, unless the ack timeout runs out
        if op[0] == "wait" and before.status is ACKED:
            due = before.next_due_at
            if due is None or due > run.now:
                assert new == []
            else:
                assert kind_of(new[0]) == "retriggered"
        # the state survives storage
        assert EscalationState.from_json(after.to_json()) == after
        assert 1 <= after.level <= len(policy.levels)
        assert 0 <= after.repeats_left <= policy.repeat
    keys = [(p.loop, p.level, p.user) for p in run.intents(Page)]
    assert len(keys) == len(set(keys)), "two pages share an idempotency key"
    for when, intent in run.seen:
        if isinstance(intent, Page):
            assert intent.at == when


@FAST
@given(policies(moving_levels))
def test_policy_json_round_trips(policy: Policy) -> None:
    assert Policy.from_json(policy.to_json()) == policy


def test_acknowledged_state_kept_across_a_late_tick() -> None:
    acked = acknowledge(state(1, 0, 0, due=10), at(5)).state
    assert tick(acked, TWO, table(), at(600)).state == acked
