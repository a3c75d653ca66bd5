"""Pure account rules: the password policy, login throttling, safe redirects, roles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ownit.adapters.web.redirects import safe_next
from ownit.app.accounts import Account, Action, OrgRole, may
from ownit.domain.login_throttle import Backoff, Counter, attempt, undo
from ownit.domain.passwords import password_problem

T0 = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "use at least 12 characters"),
        ("x" * 257, "use at most 256 characters"),
        (" " * 12, "a password cannot be only spaces"),
        ("a" * 12, "a password cannot repeat one character"),
        ("Alice@Example.com", "a password cannot be your email address"),
        ("correct horse battery", None),
    ],
)
def test_password_policy(password: str, problem: str | None) -> None:
    assert password_problem(password, email="alice@example.com") == problem


RULE = Backoff(
    free=3, base=timedelta(seconds=1), cap=timedelta(seconds=10), forget=timedelta(minutes=15)
)


@pytest.mark.parametrize(
    ("attempts", "delay"),
    [(0, 0), (1, 0), (2, 0), (3, 1), (4, 2), (5, 4), (6, 8), (7, 10), (50, 10), (10**6, 10)],
)
def test_the_backoff_doubles_after_the_free_attempts_up_to_the_cap(
    attempts: int, delay: int
) -> None:
    assert RULE.delay(attempts) == timedelta(seconds=delay)


def test_a_zero_free_count_throttles_nothing() -> None:
    off = Backoff(0, timedelta(seconds=1), timedelta(seconds=1), timedelta(minutes=1))
    assert off.delay(10**6) == timedelta(0)


def test_attempts_are_counted_refused_while_a_delay_runs_and_forgotten_after_quiet() -> None:
    counter = Counter()
    seen = []
    for second in (0, 0, 0, 0, 1, 1, 3, 3):
        decision = attempt(counter, T0 + timedelta(seconds=second), RULE)
        seen.append((decision.allowed, decision.retry_after.total_seconds()))
        counter = decision.counter
    assert seen == [
        (True, 0),
        (True, 0),
        (True, 0),  # the third sets a 1 s delay
        (False, 1),  # refused, and not counted
        (True, 0),  # the fourth: 2 s
        (False, 2),
        (True, 0),  # the fifth: 4 s
        (False, 4),
    ]
    assert counter.attempts == 5
    later = attempt(counter, T0 + timedelta(minutes=30), RULE)
    assert later.allowed
    assert later.counter.attempts == 1


def test_undo_takes_one_attempt_back() -> None:
    counter = Counter(3, T0, T0 + timedelta(seconds=1))
    assert undo(counter, RULE) == Counter(2, T0, None)
    assert undo(Counter(5, T0, T0 + timedelta(seconds=4)), RULE).blocked_until is not None
    assert undo(Counter(), RULE).attempts == 0


@given(st.lists(st.integers(min_value=0, max_value=5000), min_size=1, max_size=60))
def test_allowed_attempts_are_never_closer_than_the_delay_they_earned(gaps: list[int]) -> None:
    """Whatever the timing, each allowed attempt after the free ones waited out the delay the
    one before it set; refused ones change nothing."""
    counter, now = Counter(), T0
    allowed: list[tuple[datetime, int]] = []
    for gap in gaps:
        now += timedelta(milliseconds=gap)
        decision = attempt(counter, now, RULE)
        if decision.allowed:
            allowed.append((now, decision.counter.attempts))
        else:
            assert decision.counter == counter
            assert decision.retry_after > timedelta(0)
        counter = decision.counter
    for (before, n), (after, _) in pairwise(allowed):
        assert after - before >= RULE.delay(n) or after - before >= RULE.forget


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/oncall", "/oncall"),
        ("/incidents?status=open&page=2", "/incidents?status=open&page=2"),
        ("", "/incidents"),
        (None, "/incidents"),
        ("//evil.example", "/incidents"),
        ("///evil.example", "/incidents"),
        ("/\\evil.example", "/incidents"),
        ("https://evil.example/", "/incidents"),
        ("javascript:alert(1)", "/incidents"),
        ("evil.example", "/incidents"),
        ("/\n/evil.example", "/incidents"),
        ("/login?next=//evil", "/incidents"),
        ("/" + "x" * 2001, "/incidents"),
    ],
)
def test_safe_next(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


@pytest.mark.parametrize("role", list(OrgRole))
def test_members_and_admins_may_handle_any_incident(role: OrgRole) -> None:
    account = Account(1, "alice", "Alice", "alice@example.com", role)
    for action in (Action.VIEW, Action.ACKNOWLEDGE, Action.RESOLVE, Action.ANNOTATE):
        assert may(account, action, incident={"id": "inc_1"})
    assert may(account, Action.ADMINISTER) is (role is OrgRole.ADMIN)
