"""Postmortem rules (domain/postmortems): status moves, business-day due dates, overdue
action items, blameless-wording hints, the policy and the timeline's order."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ownit.domain.errors import FieldError
from ownit.domain.postmortems import model as m
from ownit.domain.postmortems import timeline as tl
from ownit.domain.postmortems.policy import (
    ORG_DEFAULT,
    PolicyOverride,
    PostmortemPolicy,
    effective,
    requires_postmortem,
)
from ownit.domain.postmortems.wording import hints_in, wording_hints

S = m.Status


@pytest.mark.parametrize(
    ("current", "wanted", "allowed"),
    [
        (S.DRAFT, S.DRAFT, True),
        (S.DRAFT, S.IN_REVIEW, True),
        (S.DRAFT, S.CLOSED, False),
        (S.IN_REVIEW, S.DRAFT, True),
        (S.IN_REVIEW, S.CLOSED, True),
        (S.CLOSED, S.DRAFT, False),
        (S.CLOSED, S.IN_REVIEW, False),
    ],
)
def test_status_moves(current: m.Status, wanted: m.Status, allowed: bool) -> None:
    if allowed:
        m.check_transition(current, wanted)
    else:
        with pytest.raises(FieldError) as caught:
            m.check_transition(current, wanted)
        assert caught.value.field == "status"
        assert wanted.value in caught.value.detail


def test_a_closed_postmortem_is_not_edited_and_says_why() -> None:
    m.check_editable(S.IN_REVIEW, 7)
    with pytest.raises(m.Closed, match="incident #7 is closed"):
        m.check_editable(S.CLOSED, 7)


def test_an_unknown_status_names_the_field() -> None:
    with pytest.raises(FieldError, match="'done' is not one of draft, in_review, closed"):
        m.parse_status("done")


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (date(2026, 12, 7), 5, date(2026, 12, 14)),  # Monday → next Monday
        (date(2026, 12, 4), 5, date(2026, 12, 11)),  # Friday → next Friday
        (date(2026, 12, 5), 5, date(2026, 12, 11)),  # Saturday → Friday
        (date(2026, 12, 6), 1, date(2026, 12, 7)),  # Sunday → Monday
        (date(2026, 12, 3), 2, date(2026, 12, 7)),  # Thursday → Monday
    ],
)
def test_business_days(start: date, days: int, due: date) -> None:
    assert m.add_business_days(start, days) == due


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)), st.integers(1, 60))
def test_business_days_land_on_a_weekday_with_exactly_n_weekdays_between(
    start: date, days: int
) -> None:
    due = m.add_business_days(start, days)
    assert due.weekday() < 5
    between = [start + timedelta(days=i) for i in range(1, (due - start).days + 1)]
    assert sum(1 for d in between if d.weekday() < 5) == days


def test_the_default_due_date_counts_from_resolution_else_creation() -> None:
    created = datetime(2026, 12, 1, 10, tzinfo=UTC)  # Tuesday
    resolved = datetime(2026, 12, 4, 23, tzinfo=UTC)  # Friday
    assert m.default_due(resolved, created, 5) == date(2026, 12, 11)
    assert m.default_due(None, created, 5) == date(2026, 12, 8)


@pytest.mark.parametrize(
    ("status", "due", "overdue"),
    [
        (m.ActionStatus.OPEN, date(2026, 12, 5), True),
        (m.ActionStatus.OPEN, date(2026, 12, 6), False),  # due today: not yet
        (m.ActionStatus.DONE, date(2026, 1, 1), False),
        (m.ActionStatus.OPEN, date(1999, 1, 1), True),  # given in the past: overdue at once
    ],
)
def test_an_action_item_is_overdue_when_open_and_past_due(
    status: m.ActionStatus, due: date, overdue: bool
) -> None:
    item = m.ActionItem(1, "add a check", "alice", due, status)
    assert item.overdue(date(2026, 12, 6)) is overdue


@pytest.mark.parametrize(
    ("text", "phrases"),
    [
        ("It was human error.", ["human error"]),
        ("This was Bob's fault, he was careless", ["Bob's fault", "careless"]),
        ("Ops should have known the disk was full", ["should have known"]),
        ("The deploy tool has no dry run.", []),
        ("HUMAN ERRORS and carelessness", ["HUMAN ERRORS", "carelessness"]),
        ("She forgot to renew the certificate", ["forgot to"]),
    ],
)
def test_wording_hints_find_blaming_phrases(text: str, phrases: list[str]) -> None:
    found = hints_in("summary", text)
    assert [h.phrase for h in found] == phrases
    assert all(h.section == "summary" and h.suggestion for h in found)


def test_wording_hints_follow_the_section_order() -> None:
    found = wording_hints({"resolution": "careless", "summary": "human error", "other": "x"})
    assert [(h.section, h.phrase) for h in found] == [
        ("summary", "human error"),
        ("resolution", "careless"),
    ]


MIN = timedelta(minutes=1)


@pytest.mark.parametrize(
    ("override", "urgency", "duration", "needed"),
    [
        (None, "high", MIN, True),  # the org default: every high-urgency incident
        (None, "low", 10 * MIN, False),
        (PolicyOverride(required=False), "high", 60 * MIN, False),
        (PolicyOverride(urgency="any"), "low", MIN, True),
        (PolicyOverride(min_duration=30 * MIN), "high", 29 * MIN, False),
        (PolicyOverride(min_duration=30 * MIN), "high", 30 * MIN, True),
        (PolicyOverride(urgency="low"), "high", MIN, False),
    ],
)
def test_which_incidents_need_a_postmortem(
    override: PolicyOverride | None, urgency: str, duration: timedelta, needed: bool
) -> None:
    policy = effective(ORG_DEFAULT, override)
    assert requires_postmortem(policy, urgency, duration) is needed


def test_an_override_keeps_what_it_does_not_name() -> None:
    assert effective(ORG_DEFAULT, PolicyOverride(days=10)) == PostmortemPolicy(days=10)


T0 = datetime(2026, 12, 6, 12, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_the_timeline_orders_log_and_changes_and_keeps_marks() -> None:
    log = [
        tl.Source("log:1", at(0), "triggered", "triggered"),
        tl.Source("log:2", at(5), "acknowledged", "alice acknowledged"),
        tl.Source("log:3", at(30), "resolved", "resolved"),
    ]
    changes = [
        tl.Source("change:a", at(-20), "change", "deploy v2", service="api"),
        tl.Source("change:b", at(5), "change", "flag on", service="db"),
        tl.Source("change:c", at(-60 * 25), "change", "too early", service="api"),
        tl.Source("change:d", at(31), "change", "too late", service="api"),
    ]
    marks = {"change:a": tl.Mark(note="the cause"), "log:2": tl.Mark(hidden=True)}
    span = tl.window(at(0), at(30), at(100))
    entries = tl.build(log, changes, marks, span)
    assert [e.key for e in entries] == ["change:a", "log:1", "log:2", "change:b", "log:3"]
    assert entries[0].note == "the cause"
    assert entries[0].text == "deploy v2"
    assert entries[2].hidden
    assert entries[2].text == "alice acknowledged"


@given(st.lists(st.integers(-600, 600), max_size=20), st.lists(st.integers(-600, 600), max_size=20))
def test_the_timeline_is_always_in_time_order(logs: list[int], changes: list[int]) -> None:
    log = [tl.Source(f"log:{i}", at(v), "note", "") for i, v in enumerate(logs)]
    ch = [tl.Source(f"change:{i}", at(v), "change", "") for i, v in enumerate(changes)]
    entries = tl.build(log, ch, {}, (at(-300), at(300)))
    times = [e.at for e in entries]
    assert times == sorted(times)
    assert len([e for e in entries if e.kind != "change"]) == len(logs)  # the log is whole


def test_key_times_and_durations() -> None:
    found = tl.key_times(at(0), at(4), at(34)).as_dict()
    assert found["time_to_acknowledge_s"] == 240
    assert found["time_to_resolve_s"] == 34 * 60
    assert found["acknowledged_to_resolved_s"] == 30 * 60
    assert tl.key_times(at(0), None, None).as_dict()["time_to_resolve_s"] is None
