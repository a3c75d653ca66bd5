"""A token bucket per key: ``rate`` events per minute, bursts up to a minute's worth; the
shape of ingest keys, and the limit on tries with keys nobody has."""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(slots=True)
class RateLimiter:
    """``allow(key, now)`` with ``now`` in seconds (monotonic); ``per_minute=0`` allows all."""

    per_minute: int
    max_keys: int = 100_000
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)

    def allow(self, key: str, now: float, cost: int = 1) -> bool:
        if self.per_minute <= 0:
            return True
        capacity = float(self.per_minute)
        tokens, last = self._buckets.get(key, (capacity, now))
        tokens = min(capacity, tokens + (now - last) * capacity / 60.0)
        if tokens < cost:
            self._buckets[key] = (tokens, now)
            return False
        if len(self._buckets) >= self.max_keys and key not in self._buckets:
            self._buckets.clear()  # bounded memory: forget everyone rather than grow forever
        self._buckets[key] = (tokens - cost, now)
        return True

    def has(self, key: str, now: float, cost: int = 1) -> bool:
        """Whether :meth:`allow` would let ``cost`` through now, without spending anything."""
        if self.per_minute <= 0:
            return True
        capacity = float(self.per_minute)
        tokens, last = self._buckets.get(key, (capacity, now))
        return min(capacity, tokens + (now - last) * capacity / 60.0) >= cost


KEY_SHAPE = re.compile(r"[0-9A-Za-z]{32}")
"""Every integration, router and heartbeat key: 32 letters and digits."""


def key_shaped(key: str) -> bool:
    return KEY_SHAPE.fullmatch(key) is not None


@dataclass(slots=True)
class UnknownKeyLimit:
    """Tries with keys nobody has, per client: ``per_minute`` of them, then a client's
    requests with a key not seen accepted lately are refused before any lookup. Keys that
    were accepted keep working for everyone (a stale key beside good ones behind one proxy
    does not block the good ones). ``per_minute=0`` turns it off."""

    per_minute: int
    max_known: int = 10_000
    _tries: RateLimiter = field(init=False)
    _known: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._tries = RateLimiter(self.per_minute)

    def may_try(self, client: str, key: str, now: float) -> bool:
        return key in self._known or self._tries.has(client, now)

    def accepted(self, key: str) -> None:
        if self.per_minute <= 0 or key in self._known:
            return
        if len(self._known) >= self.max_known:
            self._known.clear()  # bounded memory; keys come back with their next event
        self._known.add(key)

    def refused(self, client: str, now: float, count: int = 1) -> None:
        """A try with an unknown key (or a key of the wrong shape) was answered."""
        self._tries.allow(client, now, cost=min(count, max(self.per_minute, 1)))
