"""A contact held back by its message limit takes no claim's room: its due notifications
all wait, pending, until the hold ends, in the claim's own transaction, while other
contacts' pages are claimed; a weekly digest is never held (decision 0075; SQLite and
PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, select

from ownit.adapters.db import tables as t
from ownit.adapters.db.work_store import SqlWorkStore
from ownit.app.delivery import ContactLimiter
from ownit.app.notify import ANALYTICS_DIGEST
from tests.builders import FakeClock

LEASE = timedelta(minutes=2)
_n = t.notifications


def add(engine: Engine, at: datetime, rows: list[tuple[str, str, int]]) -> None:
    """``(user, event type, n)`` rows, due at ``at``, on each user's webhook ``hook``."""
    with engine.begin() as conn:
        conn.execute(
            _n.insert(),
            [
                {
                    "incident_id": None,
                    "user_name": user,
                    "contact": "hook",
                    "channel": "webhook",
                    "event_type": event,
                    "idempotency_key": f"{user}-{event}-{n}",
                    "status": "pending",
                    "due_at": at,
                    "attempts": 0,
                    "created_at": at,
                    "data": {},
                }
                for user, event, n in rows
            ],
        )


def rows_of(engine: Engine, user: str) -> list[tuple[str, datetime, int, str | None]]:
    with engine.connect() as conn:
        found = conn.execute(
            select(_n.c.status, _n.c.due_at, _n.c.attempts, _n.c.last_error)
            .where(_n.c.user_name == user, _n.c.event_type != ANALYTICS_DIGEST)
            .order_by(_n.c.id)
        ).all()
    return [(r.status, r.due_at, r.attempts, r.last_error) for r in found]


def test_a_held_contacts_pages_wait_together_and_others_are_claimed(engine: Engine) -> None:
    now = FakeClock().now()
    limiter = ContactLimiter(limit=1)
    limiter.sent("alice", "hook", now - timedelta(seconds=20))  # alice had her one message
    add(engine, now, [("alice", "incident.triggered", n) for n in range(40)])
    add(engine, now, [("alice", ANALYTICS_DIGEST, 0), ("bob", "incident.triggered", 0)])
    store = SqlWorkStore(engine)

    claimed = store.claim(now, 4, LEASE, limiter.holds(now))

    # bob's page and alice's digest; none of alice's 40 pages took a claim's room.
    assert sorted((c.user, c.event_type) for c in claimed) == [
        ("alice", ANALYTICS_DIGEST),
        ("bob", "incident.triggered"),
    ]
    until = now + timedelta(seconds=40)  # her message 20 s ago leaves the minute then
    why = (
        "held back: alice by webhook (hook) had 1 messages in the last 1 min; "
        "bundled into the next one"
    )
    assert rows_of(engine, "alice") == [("pending", until, 0, why)] * 40
    # Nothing of hers is due before the hold ends; then all of it is.
    assert store.claim(until - timedelta(seconds=1), 50, LEASE, limiter.holds(until)) == []
    later = store.claim(until, 50, LEASE, limiter.holds(until))
    assert len(later) == 40
    assert {c.user for c in later} == {"alice"}


def test_without_a_hold_every_contact_is_claimed_in_turn(engine: Engine) -> None:
    now = FakeClock().now()
    add(engine, now, [("alice", "incident.triggered", n) for n in range(40)])
    add(engine, now, [("bob", "incident.triggered", 0)])
    store = SqlWorkStore(engine)
    limiter = ContactLimiter(limit=5)  # nobody has had a message: nobody is held

    claimed = store.claim(now, 4, LEASE, limiter.holds(now))

    assert sorted(c.user for c in claimed) == ["alice", "alice", "alice", "bob"]
    assert [status for status, *_ in rows_of(engine, "alice")].count("sending") == 3
