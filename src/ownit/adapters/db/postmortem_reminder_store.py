"""Postmortem reminders in SQL: which postmortems have something due, which reminders were
sent (``postmortem_reminders``), and the outbox rows (``notifications``) that carry them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import insert, or_, select
from sqlalchemy.exc import IntegrityError

from ownit.adapters.db import tables as t
from ownit.adapters.db.postmortem_store import SqlPostmortemStore
from ownit.app.notify import POSTMORTEM_REMINDER
from ownit.app.postmortem_reminders import Reminder
from ownit.app.postmortems import Record

_p, _a, _r = t.postmortems, t.postmortem_actions, t.postmortem_reminders


class SqlReminderStore(SqlPostmortemStore):
    def candidates(self, today: date) -> list[Record]:
        open_items = select(_a.c.postmortem_id).where(_a.c.status == "open", _a.c.due <= today)
        query = (
            select(_p)
            .where(
                or_(
                    (_p.c.status != "closed") & (_p.c.due <= today) & _p.c.owner.is_not(None),
                    _p.c.id.in_(open_items),
                )
            )
            .order_by(_p.c.id)
        )
        with self._engine.connect() as conn:
            return [self._record(conn, row) for row in conn.execute(query).all()]

    def reminded(self, postmortem_id: int) -> set[tuple[int, date]]:
        query = select(_r.c.item, _r.c.due).where(_r.c.postmortem_id == postmortem_id)
        with self._engine.connect() as conn:
            return {(item, due) for item, due in conn.execute(query)}

    def _emails(self, user: str) -> list[str]:
        with self._engine.connect() as conn:
            spec = conn.execute(
                select(t.users.c.spec).where(t.users.c.name == user)
            ).scalar_one_or_none()
        contacts = (spec or {}).get("contacts") or []
        return [str(c["name"]) for c in contacts if c.get("type") == "email" and c.get("name")]

    def send(self, reminder: Reminder, now: datetime) -> bool:
        due, record = reminder.due, reminder.record
        contacts = self._emails(due.owner)
        if not contacts:
            return False
        key = f"postmortem:{record.id}:{due.item}:{due.due.isoformat()}"
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    insert(_r).values(
                        postmortem_id=record.id, item=due.item, due=due.due, sent_at=now
                    )
                )
                conn.execute(
                    insert(t.notifications),
                    [
                        {
                            "incident_id": record.incident.id,
                            "user_name": due.owner,
                            "contact": contact,
                            "channel": "email",
                            "event_type": POSTMORTEM_REMINDER,
                            "idempotency_key": f"{key}:{contact}",
                            "status": "pending",
                            "due_at": now,
                            "created_at": now,
                            "data": {"reminder": reminder.text(), "postmortem": record.id},
                        }
                        for contact in contacts
                    ],
                )
        except IntegrityError:  # marked already: another engine sent it
            return False
        return True
