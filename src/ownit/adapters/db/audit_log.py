"""The audit log's rows: :func:`record` writes one inside the caller's transaction (so the
entry and the change commit or roll back together); :class:`SqlAuditLog` reads them.

There is no update or delete here, and a trigger refuses both (migration 0010).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select

from ownit.adapters.db import tables as t
from ownit.adapters.db.rows import row_dict
from ownit.app import audit
from ownit.app.audit import AuditFilter

_a = t.audit_log


_SECRET_FIELDS = ("secret", "key", "password", "token")
HIDDEN = "(secret)"


def redact(value: Any) -> Any:
    """``value`` with every secret-named field (``secret``, ``key``, ``password``, ``token``,
    or a path ending in one: ``contacts.secret``) shown as ``(secret)``, at any depth."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for name, item in value.items():
            last = str(name).rsplit(".", 1)[-1]
            hidden = last in _SECRET_FIELDS and item is not None
            out[str(name)] = HIDDEN if hidden else redact(item)
        return out
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    return value


def _clip(value: str | None, size: int) -> str | None:
    """At most ``size`` characters, without NULs (PostgreSQL text cannot hold them)."""
    if value is None:
        return None
    value = value.replace("\x00", "")
    return value if len(value) <= size else value[: size - 1] + "…"


def record(
    conn: Connection,
    *,
    at: datetime,
    kind: str,
    name: str,
    action: str,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    actor: str | None = None,
) -> None:
    """One entry, by whoever acts in the open scope (``actor`` names them when the scope
    cannot: a failed login names the address only). Secrets in ``before`` and ``after`` are
    never written (:func:`redact`)."""
    scope = audit.current()
    conn.execute(
        _a.insert().values(
            at=at,
            actor=_clip(actor or scope.actor or audit.SYSTEM, 200),
            address=_clip(scope.address, 64),
            kind=kind,
            name=_clip(name, 200),
            action=action,
            before=redact(before) if before is not None else None,
            after=redact(after) if after is not None else None,
        )
    )


class SqlAuditLog:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def entries(self, flt: AuditFilter) -> list[dict[str, Any]]:
        query = select(_a).order_by(_a.c.id.desc()).limit(flt.limit)
        if flt.since is not None:
            query = query.where(_a.c.at >= flt.since)
        if flt.actor is not None:
            query = query.where(_a.c.actor == flt.actor)
        if flt.kind is not None:
            query = query.where(_a.c.kind == flt.kind)
        if flt.before_id is not None:
            query = query.where(_a.c.id < flt.before_id)
        with self._engine.connect() as conn:
            return [row_dict(r) for r in conn.execute(query)]
