"""Login throttling: a few free attempts per key, then an exponential backoff (decision 0030).

Each key (an email, a client address) has a counter of recent attempts. An attempt is
counted **before** the password is checked (so parallel guesses each take a number and
cannot all be judged against the same old count); the ``free``-th attempt sets a
delay of ``base``, doubling with each further attempt up to ``cap``; while the delay
runs every attempt is refused and **not** counted (waiting it out is the only way on). A
right password clears the email's counter. Attempts are forgotten after ``forget`` of quiet.

Pure: the caller passes the time and stores the :class:`Counter`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class Backoff:
    free: int  # attempts in a row without waiting; the last of them starts the first delay
    # (0: no throttle at all)
    base: timedelta  # the first delay
    cap: timedelta  # the longest delay
    forget: timedelta  # quiet time after which the count starts again

    def delay(self, attempts: int) -> timedelta:
        """How long to wait after the ``attempts``-th attempt."""
        if self.free <= 0 or attempts < self.free:
            return timedelta(0)
        doublings = min(attempts - self.free, 40)
        return min(self.cap, self.base * (1 << doublings))


@dataclass(frozen=True, slots=True)
class Counter:
    attempts: int = 0
    last_at: datetime | None = None
    blocked_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    counter: Counter  # what to store (unchanged when refused)
    retry_after: timedelta = timedelta(0)  # when refused: how long to wait


def attempt(counter: Counter, now: datetime, rule: Backoff) -> Decision:
    """Count an attempt at ``now``, or refuse it while a delay runs."""
    if counter.blocked_until is not None and now < counter.blocked_until:
        return Decision(False, counter, counter.blocked_until - now)
    fresh = counter.last_at is None or now - counter.last_at >= rule.forget
    attempts = 1 if fresh else counter.attempts + 1
    delay = rule.delay(attempts)
    return Decision(True, Counter(attempts, now, now + delay if delay else None))


def undo(counter: Counter, rule: Backoff) -> Counter:
    """The counter without one attempt that turned out right (a shared address's success
    should not count against the others behind it)."""
    attempts = max(0, counter.attempts - 1)
    blocked = counter.blocked_until if rule.delay(attempts) else None
    return Counter(attempts, counter.last_at, blocked)
