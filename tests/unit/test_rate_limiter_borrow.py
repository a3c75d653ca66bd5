"""Groups that cannot be split (an Alertmanager webhook, decision 0054): admitted while the
key's bucket holds a token, paying their whole cost into debt. No group is refused forever,
and the key gets no more than its rate, plus one group."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ownit.domain.ratelimit import RateLimiter

KEY = "k" * 32


@given(
    per_minute=st.integers(1, 6000),
    steps=st.lists(st.tuples(st.floats(0, 120), st.integers(1, 20_000)), max_size=40),
)
def test_no_more_than_the_rate_plus_one_group(
    per_minute: int, steps: list[tuple[float, int]]
) -> None:
    limiter = RateLimiter(per_minute)
    now, spent, largest = 0.0, 0, 0
    for wait, cost in steps:
        now += wait
        if limiter.borrow(KEY, now, cost):
            spent += cost
            largest = max(largest, cost)
    assert spent <= per_minute + now * per_minute / 60 + largest


@given(
    per_minute=st.integers(1, 6000),
    costs=st.lists(st.integers(1, 50_000), min_size=1, max_size=10),
)
def test_every_group_is_admitted_once_the_told_wait_is_over(
    per_minute: int, costs: list[int]
) -> None:
    limiter, now = RateLimiter(per_minute), 0.0
    for cost in costs:
        if not limiter.borrow(KEY, now, cost):
            now += limiter.wait(KEY, now) + 1e-6
            assert limiter.borrow(KEY, now, cost)
        assert limiter.wait(KEY, now) <= cost * 60 / per_minute + 1e-6  # debt: this group


def test_off_admits_everything() -> None:
    limiter = RateLimiter(0)
    assert all(limiter.borrow(KEY, 0.0, 10**6) for _ in range(3))
    assert limiter.wait(KEY, 0.0) == 0
