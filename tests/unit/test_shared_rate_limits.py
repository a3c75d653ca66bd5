"""Stored token buckets (decision 0055): a minute's worth of tries, refilled with time, never
below empty; the unknown-key limit over them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ownit.app.rate_limits import MemoryRateLimits, UnknownKeys, may_send_test
from ownit.domain.ratelimit import FULL_AFTER, Bucket, level, spend

T0 = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("bucket", "now", "per_minute", "cost", "allowed", "left"),
    [
        (None, 0, 5, 1, True, 4.0),  # never used: full
        (None, 0, 5, 5, True, 0.0),
        (None, 0, 5, 6, False, 0.0),  # refused: what was there is spent, never debt
        (Bucket(0.0, T0), 12, 5, 1, True, 0.0),  # 5 a minute: one back every 12 s
        (Bucket(0.0, T0), 11, 5, 1, False, 0.0),
        (Bucket(2.0, T0), 600, 5, 1, True, 4.0),  # refilled to the cap, no further
        (Bucket(3.0, at(10)), 0, 5, 1, True, 2.0),  # a clock behind the row refills nothing
    ],
)
def test_spend(
    bucket: Bucket | None, now: float, per_minute: int, cost: int, allowed: bool, left: float
) -> None:
    ok, kept = spend(bucket, at(now), per_minute, cost)
    assert (ok, kept.at) == (allowed, at(now))
    assert kept.tokens == pytest.approx(left)


@given(
    per_minute=st.integers(1, 100),
    steps=st.lists(st.tuples(st.floats(0, 30), st.integers(1, 20)), max_size=60),
)
def test_never_more_than_a_minutes_worth_plus_the_refill(
    per_minute: int, steps: list[tuple[float, int]]
) -> None:
    bucket: Bucket | None = None
    now, spent = 0.0, 0
    for wait, cost in steps:
        now += wait
        ok, bucket = spend(bucket, at(now), per_minute, cost)
        spent += cost if ok else 0
        assert 0.0 <= bucket.tokens <= per_minute
    assert spent <= per_minute + now * per_minute / 60 + 1e-6


@given(per_minute=st.integers(1, 10_000), tokens=st.floats(0, 1))
def test_a_bucket_untouched_for_a_minute_is_full(per_minute: int, tokens: float) -> None:
    assert level(Bucket(tokens * per_minute, T0), T0 + FULL_AFTER, per_minute) == per_minute


def test_test_notifications_five_a_minute_per_person() -> None:
    store = MemoryRateLimits()
    assert [may_send_test(store, "alice", T0) for _ in range(6)] == [True] * 5 + [False]
    assert may_send_test(store, "bob", T0)
    assert may_send_test(store, "alice", at(12))


class CountingStore(MemoryRateLimits):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def spend(self, name: str, per_minute: int, cost: int, now: datetime) -> bool:
        self.calls += 1
        return super().spend(name, per_minute, cost, now)

    def level(self, name: str, per_minute: int, now: datetime) -> float:
        self.calls += 1
        return super().level(name, per_minute, now)


class Book:
    def __init__(self, *keys: str) -> None:
        self.keys = set(keys)
        self.asked = 0

    def is_key(self, key: str) -> bool:
        self.asked += 1
        return key in self.keys


GOOD, BAD = "g" * 32, "b" * 32


def test_unknown_keys_ask_the_store_only_while_a_client_has_tries() -> None:
    store, book = CountingStore(), Book(GOOD)
    limit = UnknownKeys(store, per_minute=2, keys=book)
    for _ in range(2):
        assert limit.may_try("10.0.0.1", BAD, T0)
        limit.refused("10.0.0.1", T0)
    assert not limit.may_try("10.0.0.1", BAD, T0)
    asked = store.calls
    for _ in range(100):  # a flood once out of tries: no store work at all
        assert not limit.may_try("10.0.0.1", BAD, T0)
        limit.refused("10.0.0.1", T0)
    assert store.calls == asked
    assert book.asked == 101  # one indexed read each: is it a key after all?
    assert limit.may_try("10.0.0.2", BAD, T0)  # another client
    assert limit.may_try("10.0.0.1", BAD, at(30))  # one try back after 30 s at 2 a minute


def test_a_working_key_is_never_refused_for_its_clients_other_tries() -> None:
    book = Book(GOOD)
    limit = UnknownKeys(MemoryRateLimits(), per_minute=1, keys=book)
    limit.refused("10.0.0.1", T0)
    assert not limit.may_try("10.0.0.1", BAD, T0)
    assert not limit.known(GOOD)
    assert limit.may_try("10.0.0.1", GOOD, T0)  # another process accepted it, or nobody yet
    assert limit.known(GOOD)
    asked = book.asked
    assert limit.may_try("10.0.0.1", GOOD, T0)
    assert book.asked == asked  # known now: no read
    assert UnknownKeys(MemoryRateLimits(), per_minute=0).known(BAD)  # off
