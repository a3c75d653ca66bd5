"""A token bucket per key: ``rate`` events per minute, bursts up to a minute's worth."""

from __future__ import annotations

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
