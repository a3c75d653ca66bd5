"""Pure account rules: the password policy, login throttling, safe redirects, roles."""

from __future__ import annotations

import pytest

from ownit.adapters.web.redirects import safe_next
from ownit.app.accounts import Account, Action, OrgRole, may
from ownit.domain.login_throttle import LoginThrottle
from ownit.domain.passwords import password_problem


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


def test_throttle_blocks_after_the_limit_within_the_window() -> None:
    throttle = LoginThrottle(limit=3, window=60.0)
    for at in (0.0, 10.0, 20.0):
        assert throttle.retry_after("k", at) == 0
        throttle.failed("k", at)
    assert throttle.retry_after("k", 30.0) == pytest.approx(30.0)  # the first ages out at 60
    assert throttle.retry_after("other", 30.0) == 0
    assert throttle.retry_after("k", 60.0) == 0
    throttle.failed("k", 61.0)
    assert throttle.retry_after("k", 62.0) == pytest.approx(8.0)
    throttle.succeeded("k")
    assert throttle.retry_after("k", 62.0) == 0


def test_throttle_memory_is_bounded() -> None:
    throttle = LoginThrottle(limit=1, window=60.0, max_keys=2)
    for key in ("a", "b", "c"):
        throttle.failed(key, 0.0)
    assert throttle.retry_after("a", 1.0) == 0  # forgotten
    assert throttle.retry_after("c", 1.0) > 0


def test_a_zero_limit_throttles_nothing() -> None:
    throttle = LoginThrottle(limit=0, window=60.0)
    throttle.failed("k", 0.0)
    assert throttle.retry_after("k", 0.0) == 0


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
