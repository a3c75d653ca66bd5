"""Rate limits shared by every server process (decision 0055): tries with integration keys
nobody has, per client address, and test notifications, per person.

The counting happens in a :class:`RateLimitStore` (the database in a server: each spend is
atomic there, so several processes share one count); the rules are token buckets of
:mod:`ownit.domain.ratelimit`. :class:`MemoryRateLimits` is the same store for one process
(handlers built alone in tests).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from ownit.domain.ratelimit import Bucket, level, spend

TEST_NOTIFICATIONS_PER_MINUTE = 5
TEST_EVENTS_PER_MINUTE = TEST_NOTIFICATIONS_PER_MINUTE  # per caller, like test notifications


class RateLimitStore(Protocol):
    def spend(self, name: str, per_minute: int, cost: int, now: datetime) -> bool:
        """Atomically: whether bucket ``name`` held ``cost`` tokens at ``now``; it keeps what
        is left (empty at worst)."""
        ...

    def level(self, name: str, per_minute: int, now: datetime) -> float:
        """The tokens bucket ``name`` holds at ``now``, spending none."""
        ...


@dataclass
class MemoryRateLimits:
    """:class:`RateLimitStore` in this process's memory (bounded: forgets everyone past
    ``max_names``)."""

    max_names: int = 100_000
    _buckets: dict[str, Bucket] = field(default_factory=dict)

    def spend(self, name: str, per_minute: int, cost: int, now: datetime) -> bool:
        if len(self._buckets) >= self.max_names and name not in self._buckets:
            self._buckets.clear()
        allowed, self._buckets[name] = spend(self._buckets.get(name), now, per_minute, cost)
        return allowed

    def level(self, name: str, per_minute: int, now: datetime) -> float:
        return level(self._buckets.get(name), now, per_minute)


class KeyBook(Protocol):
    def is_key(self, key: str) -> bool:
        """Whether an integration or a router has ``key`` (one indexed read)."""
        ...


def may_send_test(store: RateLimitStore, user: str, now: datetime) -> bool:
    """A test notification for ``user`` now, spending one of their
    :data:`TEST_NOTIFICATIONS_PER_MINUTE`."""
    return store.spend(f"test-notification:{user}", TEST_NOTIFICATIONS_PER_MINUTE, 1, now)


def may_send_test_event(store: RateLimitStore, caller: str, now: datetime) -> bool:
    """A test event by ``caller`` (a token, or the person it acts as) now, spending one of
    their :data:`TEST_EVENTS_PER_MINUTE` (decision 0060)."""
    return store.spend(f"test-event:{caller}", TEST_EVENTS_PER_MINUTE, 1, now)


@dataclass
class UnknownKeys:
    """Tries with keys nobody has, per client: ``per_minute`` of them, counted in ``store``;
    then a client's requests with a key not accepted lately are refused before any lookup.
    Keys that were accepted keep working for everyone (a stale key beside good ones behind
    one proxy does not block the good ones). ``per_minute=0`` turns it off.

    Kept in this process: the keys it accepted lately (asking the store for them would put
    a read on every event), and the clients the store said were out of tries, until their
    next try comes back (a flood of bad keys costs no write once a client is out). A client
    out of tries sending a key this process has not accepted yet (another process has, or
    nobody) is asked about in ``keys``: a key that works is never refused for its client's
    tries with other keys.
    """

    store: RateLimitStore
    per_minute: int
    keys: KeyBook | None = None
    max_known: int = 10_000
    _known: set[str] = field(default_factory=set)
    _out_until: dict[str, datetime] = field(default_factory=dict)

    @staticmethod
    def _name(client: str) -> str:
        return f"unknown-key:{client}"

    def known(self, key: str) -> bool:
        """No need to ask: the limit is off, or ``key`` was accepted here lately."""
        return self.per_minute <= 0 or key in self._known

    def out(self, client: str, now: datetime) -> bool:
        """``client`` is known here to be out of tries (no need to ask the store)."""
        until = self._out_until.get(client)
        return until is not None and now < until

    def may_try(self, client: str, key: str, now: datetime) -> bool:
        """Whether ``client`` may try ``key``: it has a try left, or the key works (asks the
        store, then the key book; blocking)."""
        if self.known(key):
            return True
        if not self.out(client, now):
            tokens = self.store.level(self._name(client), self.per_minute, now)
            if tokens >= 1:
                self._out_until.pop(client, None)
                return True
            if len(self._out_until) >= self.max_known:
                self._out_until.clear()
            back = timedelta(seconds=(1 - tokens) * 60 / self.per_minute)
            self._out_until[client] = now + back
        if self.keys is not None and self.keys.is_key(key):
            self.accepted(key)
            return True
        return False

    def works(self, key: str) -> bool:
        """Whether ``key`` works, as far as can be told before a body is read: accepted here
        lately, or found in the key book (blocking); ``True`` without a key book (the store
        decides then)."""
        if key in self._known or self.keys is None:
            return True
        if self.keys.is_key(key):
            self.accepted(key)
            return True
        return False

    def accepted(self, key: str) -> None:
        if key in self._known:
            return
        if len(self._known) >= self.max_known:
            self._known.clear()  # bounded memory; keys come back with their next event
        self._known.add(key)

    def refused(self, client: str, now: datetime, count: int = 1) -> None:
        """A try with an unknown key (or a key of the wrong shape) was answered (blocking)."""
        if self.per_minute <= 0 or self.out(client, now):
            return  # off, or out of tries already: nothing left to spend
        self.store.spend(self._name(client), self.per_minute, min(count, self.per_minute), now)
