"""The audit log: who changed what, when, from where, and what it was before and after.

Every change of state by a person or a token is one append-only entry, written by the store
in the same transaction as the change (decision 0029). Who acts and from where is known at
the edge (the HTTP request, the web session, the CLI) and far from the store, so the edge
opens an :class:`AuditScope` for the request or command (:func:`begin`), names the actor when
it has checked them (:func:`acting_as`), and the store reads it (:func:`current`).

The scope is a mutable object held in a context variable: a request's sync handlers run in
a worker thread on a copy of the request's context, and the copy holds the same object, so a
name set by an authentication dependency is seen by the handler that follows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

SYSTEM = "system"  # the actor of a change made outside any request or command
ANONYMOUS = "anonymous"  # someone not signed in (a failed login)


@dataclass(slots=True)
class AuditScope:
    """Who acts (a user name, ``token/NAME``, ``cli/OSUSER``) and from which address."""

    actor: str | None = None
    address: str | None = None


_scope: ContextVar[AuditScope | None] = ContextVar("ownit_audit_scope", default=None)


def current() -> AuditScope:
    """The scope of the running request or command (an empty one outside any)."""
    return _scope.get() or AuditScope()


@contextmanager
def begin(*, actor: str | None = None, address: str | None = None) -> Iterator[AuditScope]:
    """Open a scope for one request or command; the changes made inside are recorded as
    ``actor``'s from ``address``."""
    scope = AuditScope(actor=actor, address=address)
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)


def acting_as(actor: str) -> None:
    """Name who acts in the open scope (once their credentials are checked)."""
    scope = _scope.get()
    if scope is not None:
        scope.actor = actor


@dataclass(frozen=True, slots=True)
class AuditFilter:
    since: datetime | None = None
    actor: str | None = None
    kind: str | None = None
    before_id: int | None = None  # paging: entries older than this one
    limit: int = 100


class AuditLog(Protocol):
    def entries(self, flt: AuditFilter) -> list[dict[str, Any]]:
        """Entries newest first: id, at, actor, address, kind, name, action, before, after."""
        ...


def entries(*, log: AuditLog, flt: AuditFilter) -> dict[str, Any]:
    """A page of entries and the cursor of the next (``None`` on the last page)."""
    found = log.entries(AuditFilter(flt.since, flt.actor, flt.kind, flt.before_id, flt.limit + 1))
    more = len(found) > flt.limit
    page = found[: flt.limit]
    return {"entries": page, "next_before": page[-1]["id"] if more and page else None}
