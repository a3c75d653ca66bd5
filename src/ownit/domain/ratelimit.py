"""A token bucket per key: ``rate`` events per minute, bursts up to a minute's worth (in one
process's memory, :class:`RateLimiter`, or stored and shared, :class:`Bucket` with
:func:`spend`); the shape of ingest keys."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(slots=True)
class RateLimiter:
    """``allow(key, now)`` with ``now`` in seconds (monotonic); ``per_minute=0`` allows all."""

    per_minute: int
    max_keys: int = 100_000
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)

    def allow(self, key: str, now: float, cost: int = 1) -> bool:
        return self._take(key, now, cost, need=cost)

    def borrow(self, key: str, now: float, cost: int) -> bool:
        """For a request that cannot be split (an Alertmanager group): admitted while the
        bucket holds a token, it pays its whole ``cost``, into debt if need be, and the key's
        next events wait until the debt is paid. A group larger than a minute's allowance
        is therefore admitted, never refused forever; over time the key still gets no more
        than the rate, plus one group."""
        return self._take(key, now, cost, need=1)

    def wait(self, key: str, now: float) -> float:
        """Seconds until the key's bucket holds a token again (0: it does)."""
        if self.per_minute <= 0 or key not in self._buckets:
            return 0.0
        return max(0.0, (1 - self._tokens(key, now)) * 60.0 / self.per_minute)

    def _tokens(self, key: str, now: float) -> float:
        tokens, last = self._buckets.get(key, (float(self.per_minute), now))
        return refilled(tokens, now - last, self.per_minute)

    def _take(self, key: str, now: float, cost: int, *, need: int) -> bool:
        """Spend ``cost`` when the bucket holds ``need`` tokens (``cost`` past ``need`` is debt)."""
        if self.per_minute <= 0:
            return True
        tokens = self._tokens(key, now)
        if tokens < need:
            self._buckets[key] = (tokens, now)
            return False
        if len(self._buckets) >= self.max_keys and key not in self._buckets:
            self._buckets.clear()  # bounded memory: forget everyone rather than grow forever
        self._buckets[key] = (tokens - cost, now)
        return True


def refilled(tokens: float, elapsed_s: float, per_minute: int) -> float:
    """A bucket of ``per_minute`` holding ``tokens``, ``elapsed_s`` seconds later: refilled at
    the rate, never above a minute's worth."""
    capacity = float(per_minute)
    return min(capacity, tokens + elapsed_s * capacity / 60.0)


KEY_SHAPE = re.compile(r"[0-9A-Za-z]{32}")
"""Every integration, router and heartbeat key: 32 letters and digits."""


def key_shaped(key: str) -> bool:
    return KEY_SHAPE.fullmatch(key) is not None


@dataclass(frozen=True, slots=True)
class Bucket:
    """A stored token bucket: ``tokens`` left at ``at`` (wall clock, shared by processes)."""

    tokens: float
    at: datetime


FULL_AFTER = timedelta(minutes=1)
"""A bucket of any rate is full again after a minute untouched: its row can go."""


def level(bucket: Bucket | None, now: datetime, per_minute: int) -> float:
    """The tokens ``bucket`` holds at ``now`` (``None``: never used, full)."""
    if bucket is None:
        return float(per_minute)
    return refilled(bucket.tokens, max((now - bucket.at).total_seconds(), 0.0), per_minute)


def spend(bucket: Bucket | None, now: datetime, per_minute: int, cost: int) -> tuple[bool, Bucket]:
    """Whether ``cost`` tokens were there at ``now``, and the bucket to keep: what is left,
    never below empty (a refused attempt empties what remains; it never goes into debt)."""
    tokens = level(bucket, now, per_minute)
    return tokens >= cost, Bucket(max(tokens - cost, 0.0), now)
