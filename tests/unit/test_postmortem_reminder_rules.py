"""What a reminder is about (``due_items``), how its message reads, and the engine's
once-a-minute pace."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from ownit.app.notify import POSTMORTEM_REMINDER, facts, headline
from ownit.app.postmortem_reminders import every_minute
from ownit.domain.postmortems import model as m
from tests.unit.test_notify import note

TODAY = date(2026, 12, 1)


def pm(status: m.Status, owner: str | None, due: date, *items: m.ActionItem) -> m.Postmortem:
    return m.Postmortem("#1: api", owner, due, status, actions=items)


def item(n: int, due: date, status: m.ActionStatus = m.ActionStatus.OPEN) -> m.ActionItem:
    return m.ActionItem(n, f"item {n}", "bob", due, status)


@pytest.mark.parametrize(
    ("postmortem", "expected"),
    [
        (pm(m.Status.DRAFT, "alice", TODAY), [(0, "alice", TODAY)]),  # due today
        (pm(m.Status.DRAFT, "alice", TODAY + timedelta(days=1)), []),
        (pm(m.Status.IN_REVIEW, None, TODAY), []),  # nobody to remind
        (pm(m.Status.CLOSED, "alice", TODAY), []),
        (
            pm(
                m.Status.CLOSED,
                "alice",
                TODAY,
                item(1, TODAY),
                item(2, TODAY, m.ActionStatus.DONE),
                item(3, TODAY + timedelta(days=1)),
            ),
            [(1, "bob", TODAY)],  # action items go on after the postmortem closes
        ),
    ],
)
def test_due_items(postmortem: m.Postmortem, expected: list[tuple[int, str, date]]) -> None:
    assert [(d.item, d.owner, d.due) for d in m.due_items(postmortem, TODAY)] == expected


def test_a_reminder_message_says_what_is_due() -> None:
    reminder = note(event_type=POSTMORTEM_REMINDER, details={"reminder": "action item 1 was due"})
    assert headline(reminder) == "#42 POSTMORTEM DUE checkout-api: Disk full on db-1"
    assert facts(reminder)[0] == ("Due", "action item 1 was due")


def test_the_pass_runs_at_most_once_a_minute() -> None:
    calls: list[datetime] = []

    def count(now: datetime) -> int:
        calls.append(now)
        return 1

    run = every_minute(count)
    t0 = datetime(2026, 12, 1, tzinfo=UTC)
    assert [run(t0 + timedelta(seconds=s)) for s in (0, 30, 59, 60, 61, 125)] == [1, 0, 0, 1, 0, 1]
    assert len(calls) == 3
