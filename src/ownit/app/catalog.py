"""Catalog as code: lint, plan, apply and export ``ownit/v1`` documents."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ownit.app.clock import Clock
from ownit.domain import catalog as c

DEFAULT_SOURCE = "catalog"

__all__ = [
    "DEFAULT_SOURCE",
    "ApplyResult",
    "CatalogConflict",
    "CatalogStore",
    "ChangeSet",
    "InvalidCatalog",
    "NewHeartbeat",
    "NewIntegration",
    "NewRouter",
    "apply",
    "export",
    "lint",
    "new_integration_key",
    "plan",
]


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """Objects to create or update (kind order; every integration has its key) and to delete."""

    upserts: tuple[c.StoredObject, ...] = ()
    deletes: tuple[c.Key, ...] = ()
    changes: tuple[c.Change, ...] = ()  # what changed, field by field (the audit log's diff)

    @property
    def is_empty(self) -> bool:
        return not self.upserts and not self.deletes


class CatalogConflict(Exception):
    """The database changed while an apply was being prepared; nothing was written."""


class CatalogStore(Protocol):
    """What the catalog use cases need from storage."""

    def snapshot(self) -> c.Snapshot:
        """Every stored user, team, schedule, escalation policy and service (with keys)."""
        ...

    def write(self, changes: ChangeSet, *, source: str, now: datetime) -> None:
        """All of ``changes`` in one transaction, or nothing (raise :class:`CatalogConflict`)."""
        ...


class InvalidCatalog(Exception):
    """The documents have problems; nothing was planned or changed."""

    def __init__(self, problems: Sequence[c.Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the catalog")
        self.problems = tuple(problems)


@dataclass(frozen=True, slots=True)
class NewIntegration:
    """An integration the apply created, with its key (given in the file or generated)."""

    service: str
    name: str
    type: str
    key: str
    generated: bool


@dataclass(frozen=True, slots=True)
class NewRouter:
    """A router the apply created, with its key (given in the file or generated)."""

    name: str
    key: str
    generated: bool


@dataclass(frozen=True, slots=True)
class NewHeartbeat:
    """A heartbeat the apply created, with its key (given in the file or generated)."""

    name: str
    key: str
    generated: bool


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """What an apply changed, and the keys of what it created: the only time they can be
    shown, since the database keeps only their digests (decision 0035)."""

    diff: c.Diff
    new_integrations: tuple[NewIntegration, ...] = ()
    new_routers: tuple[NewRouter, ...] = ()
    new_heartbeats: tuple[NewHeartbeat, ...] = ()


def new_integration_key() -> str:
    """32 hexadecimal characters from the system's secure random source."""
    return secrets.token_hex(16)


def lint(
    documents: Sequence[c.RawDocument],
    existing: c.Snapshot | None = None,
    *,
    prune_source: str | None = None,
) -> list[c.Problem]:
    """Every problem of ``documents``, resolved together and against ``existing``."""
    return list(c.validate(documents, existing, prune_source=prune_source).problems)


def contact_urls(documents: Sequence[c.RawDocument]) -> list[tuple[str, str, str]]:
    """``(where, what, url)`` of every contact URL the users of ``documents`` state
    (``users.yaml:12``, ``user alice, contact hook``), for the warnings of lint and apply."""
    found: list[tuple[str, str, str]] = []
    for doc in c.validate(documents).documents:
        if not isinstance(doc.obj, c.User):
            continue
        for i, contact in enumerate(doc.obj.contacts):
            url = contact.url or contact.webhook_url
            if url:
                where = f"{doc.file}:{doc.line_of(f'contacts[{i}]')}"
                found.append((where, f"user {doc.obj.name}, contact {contact.name}", url))
    return found


def plan(
    documents: Sequence[c.RawDocument],
    existing: c.Snapshot | None = None,
    *,
    source: str = DEFAULT_SOURCE,
    prune: bool = False,
) -> c.Diff:
    """What :func:`apply` would change; raises :class:`InvalidCatalog` on any problem."""
    existing = existing if existing is not None else c.Snapshot()
    validated = c.validate(documents, existing, prune_source=source if prune else None)
    if validated.problems:
        raise InvalidCatalog(validated.problems)
    return c.plan(validated.documents, existing, source=source, removed=validated.removed)


def apply(
    *,
    store: CatalogStore,
    documents: Sequence[c.RawDocument],
    clock: Clock,
    source: str = DEFAULT_SOURCE,
    prune: bool = False,
    new_key: Callable[[], str] = new_integration_key,
) -> ApplyResult:
    """Make the database match ``documents``: all of it, or nothing when there is a problem.

    Only the objects the documents name are touched (and, with ``prune``, the objects of
    ``source`` they no longer name). Integrations and routers without a key in the file keep
    the key they have, or get a new one.
    """
    existing = store.snapshot()
    diff = plan(documents, existing, source=source, prune=prune)
    changes: list[c.Change] = []
    created: list[NewIntegration] = []
    routers: list[NewRouter] = []
    beats: list[NewHeartbeat] = []
    for change in diff.changes:
        obj = change.obj
        if isinstance(obj, c.Service) and change.action in ("create", "update"):
            obj, fresh = _with_keys(obj, existing, new_key)
            created += fresh
            change = dataclasses.replace(change, obj=obj)
        elif isinstance(obj, c.Router) and change.action in ("create", "update"):
            generated = obj.key is None
            if generated:
                obj = dataclasses.replace(obj, key=new_key())
                change = dataclasses.replace(change, obj=obj)
            if change.action == "create" and obj.key is not None:
                routers.append(NewRouter(obj.name, obj.key, generated))
        elif isinstance(obj, c.Heartbeat) and change.action in ("create", "update"):
            generated = obj.key is None
            if generated:  # a new heartbeat without a key in the file gets one
                obj = dataclasses.replace(obj, key=new_key())
                change = dataclasses.replace(change, obj=obj)
            if change.action == "create" and obj.key is not None:
                beats.append(NewHeartbeat(obj.name, obj.key, generated))
        changes.append(change)
    result = c.Diff(tuple(changes))
    upserts = tuple(
        ch.obj for ch in changes if ch.action in ("create", "update") and ch.obj is not None
    )
    deletes = tuple((ch.kind, ch.name) for ch in changes if ch.action == "delete")
    change_set = ChangeSet(
        upserts, deletes, tuple(ch for ch in changes if ch.action != "unchanged")
    )
    if not change_set.is_empty:
        store.write(change_set, source=source, now=clock.now())
    return ApplyResult(result, tuple(created), tuple(routers), tuple(beats))


def _with_keys(
    service: c.Service, existing: c.Snapshot, new_key: Callable[[], str]
) -> tuple[c.Service, list[NewIntegration]]:
    stored = existing.services.get(service.name)
    known = {i.name for i in stored.integrations} if stored is not None else set()
    integrations: list[c.Integration] = []
    fresh: list[NewIntegration] = []
    for i in service.integrations:
        generated = i.key is None
        key = i.key if i.key is not None else new_key()
        integrations.append(dataclasses.replace(i, key=key))
        if i.name not in known:
            fresh.append(NewIntegration(service.name, i.name, i.type, key, generated))
    return dataclasses.replace(service, integrations=tuple(integrations)), fresh


def export(*, store: CatalogStore) -> list[c.JsonObject]:
    """Every stored object as an ``ownit/v1`` document, in order: users, teams, schedules,
    escalation policies, services, routers, each by name. No keys: the database keeps only
    their digests; a file without a key keeps the stored one (decision 0035)."""
    return [c.to_document(obj) for obj in store.snapshot().objects()]
