"""The weekly digest's outbox rows (``notifications``, event type ``analytics.digest``, no
incident) and who gets them: team managers' e-mail contacts (decision 0062)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite

from ownit.adapters.db import tables as t
from ownit.app.digests import DigestDelivery, Recipient
from ownit.app.notify import ANALYTICS_DIGEST

_n = t.notifications
_PREFIX = "digest:"


def _key(week: str, r: Recipient) -> str:
    return f"{_PREFIX}{week}:{r.user}:{r.contact}"


class SqlDigestOutbox:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def recipients(self) -> list[Recipient]:
        m, u = t.team_members, t.users
        managers = select(m.c.user_id).where(m.c.role == "manager")
        query = select(u.c.name, u.c.spec).where(u.c.id.in_(managers)).order_by(u.c.name)
        found = []
        with self._engine.connect() as conn:
            for name, spec in conn.execute(query):
                for contact in (spec or {}).get("contacts") or []:
                    if contact.get("type") == "email" and contact.get("name"):
                        found.append(Recipient(name, str(contact["name"])))
        return found

    def queue(
        self, week: str, subject: str, text: str, recipients: Sequence[Recipient], now: datetime
    ) -> list[bool]:
        keys = [_key(week, r) for r in recipients]
        with self._engine.begin() as conn:
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            before = set(
                conn.execute(select(_n.c.idempotency_key).where(_n.c.idempotency_key.in_(keys)))
                .scalars()
                .all()
            )
            rows = [
                {
                    "incident_id": None,
                    "user_name": r.user,
                    "contact": r.contact,
                    "channel": "email",
                    "event_type": ANALYTICS_DIGEST,
                    "idempotency_key": key,
                    "status": "pending",
                    "due_at": now,
                    "created_at": now,
                    "data": {"week": week, "subject": subject, "text": text},
                }
                for r, key in zip(recipients, keys, strict=True)
                if key not in before
            ]
            if rows:
                conn.execute(
                    dialect.insert(_n).on_conflict_do_nothing(index_elements=["idempotency_key"]),
                    rows,
                )
        return [key not in before for key in keys]

    def deliveries(self, limit: int) -> list[DigestDelivery]:
        query = (
            select(_n)
            .where(_n.c.event_type == ANALYTICS_DIGEST)
            .order_by(_n.c.created_at.desc(), _n.c.id.desc())
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return [
                DigestDelivery(
                    week=str((r.data or {}).get("week", "")),
                    user=r.user_name,
                    contact=r.contact,
                    status=r.status,
                    attempts=r.attempts,
                    last_error=r.last_error,
                    sent_at=r.sent_at,
                )
                for r in conn.execute(query).all()
            ]
