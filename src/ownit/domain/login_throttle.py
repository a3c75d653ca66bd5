"""Login throttling: at most ``limit`` failed logins per key within a sliding ``window``.

Pure and in memory: the caller passes the time (seconds, any monotonic origin) and keeps one
throttle per kind of key (an email, a client address). Memory is bounded: past ``max_keys``
keys the oldest-touched key is forgotten.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field


@dataclass(slots=True)
class LoginThrottle:
    limit: int
    window: float  # seconds
    max_keys: int = 100_000
    _failures: OrderedDict[str, deque[float]] = field(default_factory=OrderedDict)

    def _recent(self, key: str, now: float) -> deque[float]:
        found = self._failures.get(key)
        if found is None:
            return deque()
        while found and found[0] <= now - self.window:
            found.popleft()
        if not found:
            del self._failures[key]
        return found

    def retry_after(self, key: str, now: float) -> float:
        """Seconds until ``key`` may try again; 0 when it may try now."""
        if self.limit <= 0:
            return 0.0
        recent = self._recent(key, now)
        if len(recent) < self.limit:
            return 0.0
        return max(0.0, recent[-self.limit] + self.window - now)

    def failed(self, key: str, now: float) -> None:
        if self.limit <= 0:
            return
        recent = self._failures.setdefault(key, deque(maxlen=self.limit))
        recent.append(now)
        self._failures.move_to_end(key)
        while len(self._failures) > self.max_keys:
            self._failures.popitem(last=False)

    def succeeded(self, key: str) -> None:
        self._failures.pop(key, None)
