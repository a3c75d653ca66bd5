"""The auto-resolve rule: a due timer resolves, moves on or is dropped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ownit.domain.auto_resolve import Disarm, Idle, Postpone, Resolve, decide, first_due
from ownit.domain.incidents import Status

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
M = timedelta(minutes=1)


def idle(
    status: Status = Status.TRIGGERED, last: timedelta = 0 * M, timeout: timedelta | None = 2 * M
) -> Idle:
    return Idle("inc_1", 1, status, T0 + last, timeout)


@pytest.mark.parametrize(
    ("case", "now", "expected"),
    [
        (idle(), T0 + 2 * M, Resolve("auto-resolved after 2m without new events")),
        (
            idle(Status.ACKNOWLEDGED),
            T0 + 3 * M,
            Resolve("auto-resolved after 2m without new events"),
        ),
        (idle(last=1 * M), T0 + 2 * M, Postpone(T0 + 3 * M)),  # an event since: moved on
        (idle(timeout=timedelta(hours=4)), T0 + 2 * M, Postpone(T0 + timedelta(hours=4))),
        (idle(Status.RESOLVED), T0 + 2 * M, Disarm()),
        (idle(timeout=None), T0 + 2 * M, Disarm()),  # the service no longer auto-resolves
        (idle(timeout=timedelta(0)), T0 + 2 * M, Disarm()),
    ],
)
def test_decide(case: Idle, now: datetime, expected: object) -> None:
    assert decide(case, now) == expected


@pytest.mark.parametrize(
    ("timeout", "expected"),
    [(2 * M, T0 + 2 * M), (None, None), (timedelta(0), None)],
)
def test_first_due(timeout: timedelta | None, expected: datetime | None) -> None:
    assert first_due(T0, timeout) == expected


@given(
    last=st.integers(min_value=0, max_value=10_000),
    timeout=st.integers(min_value=1, max_value=10_000),
    now=st.integers(min_value=0, max_value=30_000),
)
def test_never_resolves_before_the_quiet_time_and_never_postpones_into_the_past(
    last: int, timeout: int, now: int
) -> None:
    case = Idle(
        "inc_1", 1, Status.TRIGGERED, T0 + timedelta(seconds=last), timedelta(seconds=timeout)
    )
    at = T0 + timedelta(seconds=now)
    decision = decide(case, at)
    if isinstance(decision, Resolve):
        assert at - case.last_event_at >= case.timeout  # type: ignore[operator]
    else:
        assert isinstance(decision, Postpone)
        assert decision.due_at > at
        assert decision.due_at == case.last_event_at + timedelta(seconds=timeout)
