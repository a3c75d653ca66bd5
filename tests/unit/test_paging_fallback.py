"""The fallback's decisions after a delivery round (``app.paging.after_delivery``), on fakes:
when an incident counts as not paged, who the fallback pages, and when it stays quiet."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from ownit.app.escalations import IncidentFacts, Outbound, Reach
from ownit.app.paging import PageRow, after_delivery
from ownit.domain.incidents import Status, Urgency
from ownit.domain.oncall.notification_rules import Contact
from ownit.domain.paging import Reason

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
HOOK = (Contact("hook", "webhook", "https://h.example.com/x"),)


@dataclass
class FakeUnit:
    status: Status = Status.TRIGGERED
    people: dict[str, list[tuple[str, Reach]]] = field(default_factory=dict)
    marked: list[str] = field(default_factory=list)
    logged: list[tuple[str, str]] = field(default_factory=list)
    queued: list[Outbound] = field(default_factory=list)

    @property
    def facts(self) -> IncidentFacts:
        return IncidentFacts("inc_1", 1, self.status, Urgency.HIGH, None, None)

    def mark_unpaged(self, at: datetime, reason: Reason) -> bool:
        fresh = reason.code not in self.marked
        self.marked.append(reason.code)
        return fresh

    def fallback_people(self, tier: str) -> list[tuple[str, Reach]]:
        return self.people.get(tier, [])

    def log(
        self, at: datetime, kind: str, message: str, data: dict[str, object] | None = None
    ) -> None:
        self.logged.append((kind, message))

    def enqueue(self, rows: Sequence[Outbound]) -> None:
        self.queued += rows


@dataclass
class FakeStore:
    rows: list[PageRow]
    ok: list[str] = field(default_factory=list)

    def page_rows(self, incident_id: str) -> list[PageRow]:
        return self.rows

    def paging_ok(self, incident_ids: Sequence[str], at: datetime) -> None:
        self.ok += incident_ids


def run(unit: FakeUnit, rows: list[PageRow], *, sent: Sequence[str] = ()) -> FakeStore:
    store = FakeStore(rows)

    @contextmanager
    def locked(incident_id: str, now: datetime) -> Iterator[FakeUnit]:
        yield unit

    after_delivery(store=store, locked=locked, sent=sent, failed=["inc_1"], now=NOW)
    return store


def page(status: str, error: str = "", tier: str | None = None) -> PageRow:
    kind = "incident.fallback" if tier else "incident.triggered"
    return PageRow(kind, status, error, tier)


MANAGERS = {"managers": [("mgr", Reach(HOOK, ()))], "admins": [("root", Reach(HOOK, ()))]}


@pytest.mark.parametrize(
    ("rows", "status", "marked", "paged"),
    [
        # every policy page failed: not paged, the managers get the fallback
        ([page("failed", "answered 400")], Status.TRIGGERED, ["all-contacts-failed"], ["mgr"]),
        ([page("failed", "no notifier for it")], Status.TRIGGERED, ["no-notifier"], ["mgr"]),
        # one page can still go out: not yet
        ([page("failed", "x"), page("pending")], Status.TRIGGERED, [], []),
        ([page("failed", "x"), page("sent")], Status.TRIGGERED, [], []),
        # acknowledged (or resolved) meanwhile: someone is on it
        ([page("failed", "x")], Status.ACKNOWLEDGED, [], []),
        ([page("failed", "x")], Status.RESOLVED, [], []),
        # every fallback page to the managers failed: the admins
        (
            [page("failed", "x"), page("failed", "y", tier="managers")],
            Status.TRIGGERED,
            ["all-contacts-failed"],
            ["root"],
        ),
        # a manager's page is still pending: wait for it
        (
            [page("failed", "x"), page("failed", "y", "managers"), page("sending", "", "managers")],
            Status.TRIGGERED,
            ["all-contacts-failed"],
            [],
        ),
    ],
)
def test_after_delivery(
    rows: list[PageRow], status: Status, marked: list[str], paged: list[str]
) -> None:
    unit = FakeUnit(status=status, people=MANAGERS)
    unit.marked = []
    if any(r.tier for r in rows):
        unit.marked = ["all-contacts-failed"]  # said when the managers were paged
        marked = ["all-contacts-failed", *marked]
    run(unit, rows)
    assert unit.marked == marked
    assert [r.user for r in unit.queued] == paged
    assert all(r.event_type == "incident.fallback" for r in unit.queued)


def test_a_sent_policy_page_puts_paging_back_to_ok() -> None:
    store = run(FakeUnit(people=MANAGERS), [page("sent")], sent=["inc_1", "inc_1"])
    assert store.ok == ["inc_1"]


def test_nobody_to_fall_back_to_is_said_on_the_timeline() -> None:
    unit = FakeUnit(people={})
    run(unit, [page("failed", "x")])
    assert unit.queued == []
    assert unit.logged[-1][0] == "fallback"
    assert "no fallback either" in unit.logged[-1][1]
