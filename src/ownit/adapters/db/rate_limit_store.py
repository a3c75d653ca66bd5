"""Rate-limit buckets in ``rate_limits``, shared by every process (decision 0055).

One transaction per spend, as the login throttle does (decision 0030): the row is made if
missing, read and locked (``FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already
serialises writers), the domain decides, the row is written. Parallel spends on one bucket
queue, and each sees what the one before it left. Buckets untouched for a minute are full
again and their rows are deleted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Engine, delete, exists, select, union_all, update
from sqlalchemy.dialects import postgresql, sqlite

from ownit.adapters.db import tables as t
from ownit.domain.key_digests import key_digest
from ownit.domain.ratelimit import FULL_AFTER, Bucket, level, spend

_r = t.rate_limits


def _ensure(conn: Connection, name: str, tokens: float, now: datetime) -> None:
    row = {"name": name, "tokens": tokens, "at": now}
    if conn.dialect.name == "postgresql":
        conn.execute(postgresql.insert(_r).values(row).on_conflict_do_nothing())
    else:
        conn.execute(sqlite.insert(_r).values(row).on_conflict_do_nothing())


class SqlRateLimits:
    """:class:`ownit.app.rate_limits.RateLimitStore` on SQLAlchemy Core."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def spend(self, name: str, per_minute: int, cost: int, now: datetime) -> bool:
        with self._engine.begin() as conn:
            conn.execute(delete(_r).where(_r.c.at < now - FULL_AFTER, _r.c.name != name))
            _ensure(conn, name, float(per_minute), now)
            row = conn.execute(select(_r).where(_r.c.name == name).with_for_update()).one()
            allowed, kept = spend(Bucket(row.tokens, row.at), now, per_minute, cost)
            conn.execute(update(_r).where(_r.c.name == name).values(tokens=kept.tokens, at=now))
        return allowed

    def level(self, name: str, per_minute: int, now: datetime) -> float:
        with self._engine.connect() as conn:
            row = conn.execute(select(_r.c.tokens, _r.c.at).where(_r.c.name == name)).first()
        return level(Bucket(row.tokens, row.at) if row else None, now, per_minute)


class SqlKeyBook:
    """:class:`ownit.app.rate_limits.KeyBook`: integration and router keys, by digest."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def is_key(self, key: str) -> bool:
        digest = key_digest(key)
        i, r = t.integrations, t.routers
        either = union_all(
            select(i.c.id).where(i.c.key == digest), select(r.c.id).where(r.c.key == digest)
        )
        with self._engine.connect() as conn:
            return bool(conn.execute(select(exists(either))).scalar())
