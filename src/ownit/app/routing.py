"""Routers at ingest time: the compiled router for a key, and the decision for an event.

:class:`RouterBook` keeps each router compiled (regexes, targets, indexes built once) and
looks it up again after ``max_age``, so that an ``ownit catalog apply`` in another process
reaches running servers within that time; a router is read and compiled again only if its
stored version changed. A key that is not a router's is remembered as such for the same time
(integration keys are looked up far more often than router keys).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from ownit.app.clock import Clock
from ownit.domain.catalog import Router
from ownit.domain.catalog.routers import Component
from ownit.domain.routing import CompiledRouter, Decision, compile_route

__all__ = ["RouterBook", "RouterDirectory", "RouterStore"]


class RouterStore(Protocol):
    def router_by_key(self, key: str) -> Router | None:
        """The router with this key (its route tree and name), or ``None``."""
        ...

    def router_version(self, key: str) -> str | None:
        """A token that changes whenever the router with this key changes (``None``: no
        router has it); much cheaper to read than the router itself."""
        ...


class RouterDirectory(Protocol):
    """Routers by key or name, all of them, and the components of services: what
    ``ownit route test`` and ``ownit router list`` read."""

    def router_by_key(self, key: str) -> Router | None: ...

    def router_by_name(self, name: str) -> Router | None: ...

    def routers(self) -> list[Router]:
        """Every router, by name."""
        ...

    def key_hints(self) -> dict[str, str | None]:
        """Each router's key hint (its first characters) by name: keys are not kept."""
        ...

    def components(self, services: set[str]) -> dict[str, tuple[Component, ...]]:
        """The components of each named service (services without any are left out)."""
        ...


@dataclass(frozen=True, slots=True)
class _Entry:
    router: Router | None
    compiled: CompiledRouter | None
    loaded_at: datetime
    version: str | None = None


class RouterBook:
    """Compiled routers by key, loaded on first use and refreshed after ``max_age``."""

    def __init__(
        self, *, store: RouterStore, clock: Clock, max_age: timedelta = timedelta(seconds=10)
    ) -> None:
        self._store = store
        self._clock = clock
        self._max_age = max_age
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def router(self, key: str) -> Router | None:
        return self._entry(key).router

    def decide(self, key: str, labels: Mapping[str, str]) -> Decision | None:
        """Where an event with ``labels`` sent to ``key`` goes; ``None``: not a router's key."""
        compiled = self._entry(key).compiled
        return compiled.route(labels) if compiled is not None else None

    def _entry(self, key: str) -> _Entry:
        now = self._clock.now()
        entry = self._entries.get(key)
        if entry is not None and now - entry.loaded_at < self._max_age:
            return entry
        # Reading and compiling a big tree takes a good part of a second (and holds the
        # writer that asked): do it only when the stored router changed.
        version = self._store.router_version(key)
        if entry is not None and version == entry.version:
            entry = _Entry(entry.router, entry.compiled, now, version)
        else:
            router = self._store.router_by_key(key)
            compiled = compile_route(router.route) if router is not None else None
            entry = _Entry(router, compiled, now, version)
        with self._lock:
            self._entries[key] = entry
        return entry
