"""Reminders through the outbox: when a postmortem or an action item is due and not done,
its owner gets an email (``postmortem.reminder``), once per item and due date. The engine
runs :func:`remind_due` as a durable timer: what was sent is in the database, so a restart
neither repeats nor misses one (decision 0045)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from ownit.app.postmortems import Record
from ownit.domain.postmortems.model import Due, due_items

EVERY = timedelta(minutes=1)  # how often the engine looks


@dataclass(frozen=True, slots=True)
class Reminder:
    record: Record
    due: Due

    def text(self) -> str:
        return f"{self.due.what} of incident #{self.record.incident.number} was due {self.due.due}"


class ReminderStore(Protocol):
    def candidates(self, today: date) -> list[Record]:
        """Postmortems not closed and due by ``today``, or with an open action item due by
        then."""
        ...

    def reminded(self, postmortem_id: int) -> set[tuple[int, date]]:
        """``(item, due)`` of the reminders already sent about this postmortem."""
        ...

    def send(self, reminder: Reminder, now: datetime) -> bool:
        """Queue the email to the owner's email contacts and mark it sent, in one
        transaction; ``False`` when it was already marked (another engine was first) or the
        owner has no email contact (then nothing is marked: it goes once they have one)."""
        ...


def remind_due(*, store: ReminderStore, now: datetime) -> int:
    """Queue every reminder due now and not yet sent; returns how many were queued."""
    today = now.date()
    sent = 0
    for record in store.candidates(today):
        done = store.reminded(record.id)
        for due in due_items(record.postmortem, today):
            if (due.item, due.due) in done:
                continue
            if store.send(Reminder(record, due), now):
                sent += 1
    return sent


def every_minute(run: Callable[[datetime], int]) -> Callable[[datetime], int]:
    """``run`` at most once per :data:`EVERY` (the engine's loop turns many times a second)."""
    last: list[datetime] = []

    def maybe(now: datetime) -> int:
        if last and now - last[0] < EVERY:
            return 0
        last[:] = [now]
        return run(now)

    return maybe
