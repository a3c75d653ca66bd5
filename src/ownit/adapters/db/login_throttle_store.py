"""Login attempt counters in ``login_attempts``, shared by every process (decision 0030).

One transaction per attempt: the keys' rows are made if missing, then read and locked
(``FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already serialises writers), the
domain decides, the rows are written. Parallel attempts on one key therefore queue, and each
sees the count the one before it left.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ownit.adapters.db import tables as t
from ownit.adapters.db.audit_log import record
from ownit.app import audit
from ownit.domain.login_throttle import Backoff, Counter, attempt
from ownit.domain.login_throttle import undo as take_back

_a = t.login_attempts


def _ensure(conn: Connection, keys: Sequence[str]) -> None:
    rows = [{"key": key, "attempts": 0} for key in keys]
    if conn.dialect.name == "postgresql":
        conn.execute(postgresql.insert(_a).values(rows).on_conflict_do_nothing())
    else:
        conn.execute(sqlite.insert(_a).values(rows).on_conflict_do_nothing())


def _counters(conn: Connection, keys: Sequence[str]) -> dict[str, Counter]:
    query = select(_a).where(_a.c.key.in_(keys)).order_by(_a.c.key).with_for_update()
    return {
        row.key: Counter(row.attempts, row.last_at, row.blocked_until)
        for row in conn.execute(query)
    }


def _save(conn: Connection, key: str, counter: Counter) -> None:
    conn.execute(
        update(_a)
        .where(_a.c.key == key)
        .values(
            attempts=counter.attempts,
            last_at=counter.last_at,
            blocked_until=counter.blocked_until,
        )
    )


class SqlLoginThrottle:
    """:class:`ownit.app.accounts.LoginThrottleStore` on SQLAlchemy Core."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def attempt(self, keys: Sequence[tuple[str, Backoff]], now: datetime) -> timedelta:
        names = sorted({key for key, _ in keys})
        quiet = max((rule.forget for _, rule in keys), default=timedelta(0))
        with self._engine.begin() as conn:
            # Counters quiet for longer than any rule remembers are gone: random emails and
            # addresses cannot make the table grow without bound.
            conn.execute(delete(_a).where(_a.c.last_at < now - quiet, _a.c.key.not_in(names)))
            _ensure(conn, names)
            found = _counters(conn, names)
            decisions = [(key, attempt(found[key], now, rule)) for key, rule in keys]
            refused = [d.retry_after for _, d in decisions if not d.allowed]
            if refused:
                return max(refused)
            for key, decision in decisions:
                _save(conn, key, decision.counter)
        return timedelta(0)

    def succeeded(self, *, clear: str, undo: Sequence[tuple[str, Backoff]]) -> None:
        with self._engine.begin() as conn:
            conn.execute(delete(_a).where(_a.c.key == clear))
            found = _counters(conn, [key for key, _ in undo])
            for key, rule in undo:
                if key in found:
                    _save(conn, key, take_back(found[key], rule))

    def failed(self, *, email: str, at: datetime) -> None:
        with self._engine.begin() as conn:
            record(
                conn,
                at=at,
                kind="login",
                name=email or "(no email)",
                action="failed",
                actor=audit.ANONYMOUS,
            )
