"""What applying documents would change: created, changed (field by field), unchanged, deleted."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from ownit.domain.catalog.model import (
    PERSONAL_FIELDS,
    STORED_KINDS,
    Document,
    Heartbeat,
    JsonValue,
    Router,
    Service,
    Snapshot,
    StoredObject,
    Team,
    User,
)
from ownit.domain.catalog.refs import Key, stored_key
from ownit.domain.catalog.spec import to_spec
from ownit.domain.key_digests import same_key

_Action = Literal["create", "update", "delete", "unchanged"]


@dataclass(frozen=True, slots=True)
class FieldChange:
    """``path`` went from ``old`` to ``new``; ``None`` means absent. Secrets are not shown."""

    path: str
    old: JsonValue
    new: JsonValue
    secret: bool = False


@dataclass(frozen=True, slots=True)
class Change:
    action: _Action
    kind: str
    name: str
    fields: tuple[FieldChange, ...] = ()
    obj: StoredObject | None = None  # what to write (create, update), keys kept from the database


@dataclass(frozen=True, slots=True)
class Diff:
    changes: tuple[Change, ...] = ()

    def of(self, action: _Action) -> list[Change]:
        return [c for c in self.changes if c.action == action]

    @property
    def is_empty(self) -> bool:
        return all(c.action == "unchanged" for c in self.changes)

    def counts(self) -> dict[_Action, int]:
        actions: tuple[_Action, ...] = ("create", "update", "delete", "unchanged")
        return {a: len(self.of(a)) for a in actions}


def prune_set(documents: Sequence[Document], existing: Snapshot, source: str) -> list[Key]:
    """Stored objects of ``source`` that the documents no longer name."""
    named = {(d.kind, d.name) for d in documents}
    return [
        (obj.kind, obj.name)
        for obj in existing.objects()
        if existing.source_of(obj.kind, obj.name) == source and (obj.kind, obj.name) not in named
    ]


def _keep_router_key(router: Router, existing: Snapshot) -> Router:
    """The router keeping its stored key when the file gives none."""
    stored = existing.routers.get(router.name)
    if router.key is not None or stored is None:
        return router
    return dataclasses.replace(router, key=stored.key)


def _keep_heartbeat_key(beat: Heartbeat, existing: Snapshot) -> Heartbeat:
    """The heartbeat keeping its stored key when the file gives none."""
    stored = existing.heartbeats.get(beat.name)
    if beat.key is not None or stored is None:
        return beat
    return dataclasses.replace(beat, key=stored.key)


def keep_keys(service: Service, existing: Snapshot) -> Service:
    """The service with every integration that has no key given keeping its stored key."""
    integrations = tuple(
        i
        if i.key is not None
        else dataclasses.replace(i, key=stored_key(service, i.name, existing))
        for i in service.integrations
    )
    return dataclasses.replace(service, integrations=integrations)


def _keep_personal(user: User, doc: Document, existing: Snapshot) -> User:
    """The user as the document states it; what it leaves unsaid of :data:`PERSONAL_FIELDS`
    keeps its stored value (the person's own, set in the web UI). The catalog owns what it
    states: personal rules naming a contact the catalog's contacts no longer have are dropped."""
    personal = frozenset(f for f in PERSONAL_FIELDS if f not in doc.lines)
    stored = existing.users.get(user.name)
    contacts, rules, updates = user.contacts, user.notification_rules, user.status_updates
    if stored is not None and "contacts" in personal:
        contacts = stored.contacts
    names = {c.name for c in contacts}
    if stored is not None and "notificationRules" in personal:
        rules = tuple(r for r in stored.notification_rules if r.contact in names)
    if stored is not None and "statusUpdates" in personal:
        updates = tuple(u for u in stored.status_updates if u in names)
    return dataclasses.replace(
        user,
        contacts=contacts,
        notification_rules=rules,
        status_updates=updates,
        personal=personal,
    )


def plan(
    documents: Sequence[Document],
    existing: Snapshot,
    *,
    source: str,
    removed: Collection[Key] = (),
) -> Diff:
    """The changes, in kind order (users, teams, schedules, policies, services, routers), then
    by name."""
    changes: list[Change] = []
    for doc in documents:
        obj = doc.obj
        desired: StoredObject = obj
        if isinstance(obj, Service):
            desired = keep_keys(obj, existing)
        elif isinstance(obj, Router):
            desired = _keep_router_key(obj, existing)
        elif isinstance(obj, Heartbeat):
            desired = _keep_heartbeat_key(obj, existing)
        elif isinstance(obj, User):
            desired = _keep_personal(obj, doc, existing)
        stored = existing.get(desired.kind, desired.name)
        if stored is None:
            changes.append(Change("create", desired.kind, desired.name, obj=desired))
            continue
        fields = _field_changes(stored, desired)
        old_source = existing.source_of(desired.kind, desired.name)
        if old_source != source:
            fields.append(FieldChange("source", old_source, source))
        action: _Action = "update" if fields else "unchanged"
        changes.append(Change(action, desired.kind, desired.name, tuple(fields), obj=desired))
    changes += [Change("delete", kind, name) for kind, name in removed]
    order = {kind: i for i, kind in enumerate(STORED_KINDS)}
    changes.sort(key=lambda c: (order[c.kind], c.name))
    return Diff(tuple(changes))


def _field_changes(old: StoredObject, new: StoredObject) -> list[FieldChange]:
    """Top-level spec fields that differ, integrations one by one, keys as secrets."""
    out: list[FieldChange] = []
    if (
        isinstance(old, Service | Team)
        and isinstance(new, Service | Team)
        and old.description != new.description
    ):
        out.append(FieldChange("description", old.description or None, new.description or None))
    before, after = to_spec(old), to_spec(new)
    for key in _union(before, after):
        if key != "integrations" and before.get(key) != after.get(key):
            out.append(FieldChange(key, before.get(key), after.get(key)))
    if isinstance(old, Service) and isinstance(new, Service):
        out += _integration_changes(old, new)
    if isinstance(old, User) and isinstance(new, User) and old.personal != new.personal:
        was, now = ", ".join(sorted(old.personal)), ", ".join(sorted(new.personal))
        out.append(FieldChange("personal", was or None, now or None))
    if (
        isinstance(old, Router)
        and isinstance(new, Router)
        and new.key is not None
        and not same_key(old.key, new.key)
    ):
        out.append(FieldChange("key", old.key, new.key, secret=True))
    if (
        isinstance(old, Heartbeat)
        and isinstance(new, Heartbeat)
        and new.key is not None
        and not same_key(old.key, new.key)
    ):
        out.append(FieldChange("key", old.key, new.key, secret=True))
    return out


def _union(a: Iterable[str], b: Iterable[str]) -> list[str]:
    """The keys of ``b`` in order, then those only in ``a``."""
    later = list(b)
    return later + [k for k in a if k not in later]


def _integration_changes(old: Service, new: Service) -> list[FieldChange]:
    was = {i.name: i for i in old.integrations}
    now = {i.name: i for i in new.integrations}
    out: list[FieldChange] = []
    for name in _union(was, now):
        path = f"integrations.{name}"
        a, b = was.get(name), now.get(name)
        if a is None and b is not None:
            out.append(FieldChange(path, None, {"type": b.type}))
        elif b is None and a is not None:
            out.append(FieldChange(path, {"type": a.type}, None))
        elif a is not None and b is not None:
            if a.type != b.type:
                out.append(FieldChange(f"{path}.type", a.type, b.type))
            if b.key is not None and not same_key(a.key, b.key):
                out.append(FieldChange(f"{path}.key", a.key, b.key, secret=True))
    if not out and [i.name for i in old.integrations] != [i.name for i in new.integrations]:
        out.append(
            FieldChange(
                "integrations",
                [i.name for i in old.integrations],
                [i.name for i in new.integrations],
            )
        )
    return out
