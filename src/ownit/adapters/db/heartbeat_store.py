"""Heartbeats in ``heartbeats``: pings (the key found by its SHA-256), and the engine's claim
of missed ones."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select, update

from ownit.adapters.db import tables as t
from ownit.app.heartbeats import Heartbeat, Ping
from ownit.domain.key_digests import key_digest


def _beat(row: Any) -> Heartbeat:
    return Heartbeat(
        name=row.name,
        service=row.service,
        key=row.key,
        interval_seconds=int(row.interval_seconds),
        grace_seconds=int(row.grace_seconds),
        state=row.state,
        last_ping_at=row.last_ping_at,
        due_at=row.due_at,
        key_hint=row.key_hint,
    )


def _select() -> Any:
    h, s = t.heartbeats, t.services
    return select(
        h.c.id,
        h.c.name,
        s.c.name.label("service"),
        h.c.key,
        h.c.key_hint,
        h.c.interval_seconds,
        h.c.grace_seconds,
        h.c.state,
        h.c.last_ping_at,
        h.c.due_at,
    ).join(s, s.c.id == h.c.service_id)


class SqlHeartbeatStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def all(self) -> list[Heartbeat]:
        with self._engine.connect() as conn:
            return [_beat(r) for r in conn.execute(_select().order_by(t.heartbeats.c.name))]

    def ping(self, name: str, key: str, now: datetime) -> Ping | None:
        h = t.heartbeats
        with self._engine.begin() as conn:
            query = _select().where(h.c.name == name, h.c.key == key_digest(key))
            if conn.dialect.name == "postgresql":  # SQLite: BEGIN IMMEDIATE (make_engine)
                query = query.with_for_update(of=h)
            row = conn.execute(query).first()
            if row is None:
                return None
            due = now + timedelta(seconds=int(row.interval_seconds) + int(row.grace_seconds))
            conn.execute(
                update(h)
                .where(h.c.id == row.id)
                .values(state="up", last_ping_at=now, due_at=due, updated_at=now)
            )
        before = _beat(row)
        after = Heartbeat(
            before.name,
            before.service,
            before.key,
            before.interval_seconds,
            before.grace_seconds,
            "up",
            now,
            due,
            before.key_hint,
        )
        return Ping(after, was_down=before.state == "down")

    def postpone(self, name: str, due_at: datetime) -> None:
        h = t.heartbeats
        with self._engine.begin() as conn:
            conn.execute(
                update(h)
                .where(h.c.name == name, h.c.state == "down")
                .values(state="waiting", due_at=due_at, updated_at=due_at)
            )

    def mark_missed(self, now: datetime, limit: int) -> list[Heartbeat]:
        h = t.heartbeats
        with self._engine.begin() as conn:
            query = (
                _select()
                .where(h.c.state != "down", h.c.due_at <= now)
                .order_by(h.c.due_at)
                .limit(limit)
            )
            if conn.dialect.name == "postgresql":  # SQLite: BEGIN IMMEDIATE (make_engine)
                query = query.with_for_update(of=h, skip_locked=True)
            rows = conn.execute(query).all()
            claimed = []
            for row in rows:
                # The condition again: whoever wrote first wins, the other writes nothing.
                done = conn.execute(
                    update(h)
                    .where(h.c.id == row.id, h.c.state != "down", h.c.due_at <= now)
                    .values(state="down", updated_at=now)
                )
                if done.rowcount == 1:
                    claimed.append(_beat(row))
        return claimed
