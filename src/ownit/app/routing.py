"""Routers at ingest time: the compiled router for a key, and the decision for an event.

:class:`RouterBook` keeps each router compiled (regexes, targets, indexes built once) and
looks it up again after ``max_age``, so that an ``ownit catalog apply`` in another process
reaches running servers within that time; a router is read and compiled again only if its
stored version changed. A key that is not a router's is remembered as such for the same time
(integration keys are looked up far more often than router keys).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from ownit.app.clock import Clock
from ownit.domain.catalog import Router
from ownit.domain.catalog.routers import Component
from ownit.domain.events import Event
from ownit.domain.routing import CompiledRouter, Decision, compile_route

__all__ = ["RouterBook", "RouterDirectory", "RouterStore", "event_labels"]

# Events v2 fields a router can match on, besides every key of custom_details.
_EVENT_FIELDS = ("severity", "source", "component", "group", "class", "summary")


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

    def is_router(self, key: str) -> bool:
        return self._entry(key).router is not None

    def decide(self, key: str, labels: Mapping[str, str]) -> Decision | None:
        """Where an event with ``labels`` sent to ``key`` goes; ``None``: not a router's key."""
        compiled = self._entry(key).compiled
        return compiled.route(labels) if compiled is not None else None

    def decide_event(self, event: Event) -> Decision | None:
        """:meth:`decide` for an event, on :func:`event_labels`."""
        return self.decide(event.routing_key, event_labels(event))

    def forget(self, key: str | None = None) -> None:
        """Drop one key (or all) so that the next lookup reads the store."""
        with self._lock:
            if key is None:
                self._entries.clear()
            else:
                self._entries.pop(key, None)

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


def event_labels(event: Event) -> dict[str, str]:
    """The labels a router matches an event on.

    An event that carries labels (Alertmanager) is matched on them. An Events v2 event is
    matched on ``severity``, ``source``, ``component``, ``group``, ``class``, ``summary`` and
    every key of ``custom_details`` (strings as they are, other values as compact JSON);
    the event's own fields win over custom details of the same name.
    """
    if event.labels:
        return dict(event.labels)
    out: dict[str, str] = {}
    for key, value in (event.custom_details or {}).items():
        out[str(key)] = _text(value)
    fields = {
        "severity": str(event.severity),
        "source": event.source,
        "component": event.component,
        "group": event.group,
        "class": event.class_,
        "summary": event.summary,
    }
    for name in _EVENT_FIELDS:
        value = fields[name]
        if value:
            out[name] = value
    return out


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError):
        return str(value)
