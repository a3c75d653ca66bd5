"""The dedup fold: table of cases, and properties that batch boundaries never matter."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ownit.domain.events import Action, Event, Severity
from ownit.domain.incidents import Outcome, Status, outcome_of, urgency_for
from ownit.domain.ingest.dedup import BatchPlan, Destination, OpenAlert

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
TARGET = Destination(
    service_id=1, service_urgency="severity", integration_id=7, integration_name="e"
)


def event(action: Action, key: str = "k", severity: Severity = Severity.ERROR) -> Event:
    return Event(
        format="events-v2",
        routing_key="r" * 32,
        action=action,
        dedup_key=key,
        summary=f"{action} {key}",
        severity=severity,
    )


def fresh_plan(open_alerts: dict[tuple[int, str], OpenAlert] | None = None) -> BatchPlan:
    counter = itertools.count()
    return BatchPlan(
        now=NOW, new_id=lambda prefix: f"{prefix}{next(counter)}", open_alerts=open_alerts or {}
    )


T, A, R = Action.TRIGGER, Action.ACKNOWLEDGE, Action.RESOLVE


@pytest.mark.parametrize(
    ("action", "open_status", "outcome"),
    [
        (T, None, Outcome.NEW_ALERT),
        (T, Status.RESOLVED, Outcome.NEW_ALERT),
        (T, Status.TRIGGERED, Outcome.REPEATED),
        (T, Status.ACKNOWLEDGED, Outcome.REPEATED),
        (A, Status.TRIGGERED, Outcome.ACKNOWLEDGED),
        (A, Status.ACKNOWLEDGED, Outcome.ALREADY_ACKNOWLEDGED),
        (R, Status.TRIGGERED, Outcome.RESOLVED),
        (R, Status.ACKNOWLEDGED, Outcome.RESOLVED),
        (A, None, Outcome.NO_OPEN_ALERT),
        (R, None, Outcome.NO_OPEN_ALERT),
        (Action.CHANGE, None, Outcome.CHANGE_RECORDED),
    ],
)
def test_events_v2_dedup_table(
    action: Action, open_status: Status | None, outcome: Outcome
) -> None:
    assert outcome_of(action, open_status) is outcome


@pytest.mark.parametrize(
    ("service", "severity", "urgency"),
    [
        ("high", Severity.INFO, "high"),
        ("low", Severity.CRITICAL, "low"),
        ("severity", Severity.CRITICAL, "high"),
        ("severity", Severity.ERROR, "high"),
        ("severity", Severity.WARNING, "low"),
        ("severity", Severity.INFO, "low"),
    ],
)
def test_urgency(service: str, severity: Severity, urgency: str) -> None:
    assert urgency_for(service, severity).value == urgency


@pytest.mark.parametrize(
    ("actions", "alerts", "final_status", "repeats"),
    [
        ([T], 1, Status.TRIGGERED, 0),
        ([T, T, T], 1, Status.TRIGGERED, 2),
        ([T, A, T], 1, Status.ACKNOWLEDGED, 1),
        ([T, R], 1, Status.RESOLVED, 0),
        ([T, R, T], 2, Status.TRIGGERED, 0),
        ([A, R], 0, None, 0),
        ([T, A, A, R], 1, Status.RESOLVED, 0),
    ],
)
def test_fold_in_one_batch(
    actions: list[Action], alerts: int, final_status: Status | None, repeats: int
) -> None:
    plan = fresh_plan()
    for action in actions:
        plan.apply(event(action), TARGET)
    assert len(plan.new_alerts) == alerts
    assert len(plan.new_incidents) == alerts
    if final_status is not None:
        last = list(plan.new_alerts.values())[-1]
        assert last.status is final_status
        assert list(plan.new_incidents.values())[-1].status is final_status
        assert last.repeat_count == repeats


def test_changes_to_an_alert_opened_before_the_batch() -> None:
    plan = fresh_plan({(1, "k"): OpenAlert("alr_old", "inc_old", Status.TRIGGERED)})
    outcomes = [plan.apply(event(a), TARGET) for a in (T, T, A, R)]
    assert outcomes == [Outcome.REPEATED, Outcome.REPEATED, Outcome.ACKNOWLEDGED, Outcome.RESOLVED]
    change = plan.changes["alr_old"]
    assert (change.repeats, change.status) == (2, Status.RESOLVED)
    assert change.acknowledged_at == NOW
    assert change.resolved_at == NOW
    assert plan.new_alerts == {}
    assert [e.kind for e in plan.log + plan.repeat_log()] == [
        "acknowledged",
        "resolved",
        "repeated",
    ]


# A reference model of one key: the status of its open alert and how many alerts it opened.
def reference(actions: list[tuple[Action, str]]) -> dict[str, tuple[Status | None, int, int]]:
    state: dict[str, tuple[Status | None, int, int]] = {}
    for action, key in actions:
        status, opened, repeats = state.get(key, (None, 0, 0))
        if action is T:
            if status is None:
                status, opened, repeats = Status.TRIGGERED, opened + 1, 0
            else:
                repeats += 1
        elif action is A and status is Status.TRIGGERED:
            status = Status.ACKNOWLEDGED
        elif action is R and status is not None:
            status = None
        state[key] = (status, opened, repeats)
    return state


actions_strategy = st.lists(
    st.tuples(st.sampled_from([T, T, T, A, R]), st.sampled_from(["a", "b", "c"])), max_size=60
)


@settings(max_examples=200, deadline=None)
@given(actions=actions_strategy, cuts=st.lists(st.integers(0, 60), max_size=8))
def test_batch_boundaries_never_matter(actions: list[tuple[Action, str]], cuts: list[int]) -> None:
    """Folding in any batches, carrying open alerts across them, matches the reference model."""
    open_alerts: dict[tuple[int, str], OpenAlert] = {}
    opened: dict[str, int] = {}
    status: dict[str, Status | None] = {}
    repeats: dict[str, int] = {}
    bounds = sorted({0, len(actions), *(c for c in cuts if c <= len(actions))})
    ids = itertools.count()
    for lo, hi in itertools.pairwise(bounds):
        key_of = {old.alert_id: k for (_, k), old in open_alerts.items()}
        plan = BatchPlan(now=NOW, new_id=lambda p: f"{p}{next(ids)}", open_alerts=open_alerts)
        for action, key in actions[lo:hi]:
            plan.apply(event(action, key), TARGET)
        for change in plan.changes.values():
            changed_key = key_of[change.alert_id]
            repeats[changed_key] = repeats.get(changed_key, 0) + change.repeats
        # An alert opened in this batch is the key's newest: its count replaces older ones.
        for new in plan.new_alerts.values():
            opened[new.dedup_key] = opened.get(new.dedup_key, 0) + 1
            repeats[new.dedup_key] = new.repeat_count
        # The store's view after commit: open alerts are exactly the plan's open_alerts.
        open_alerts = dict(plan.open_alerts)
        for key in {k for _, k in actions}:
            current = open_alerts.get((1, key))
            status[key] = current.status if current else None
    expected = reference(actions)
    for key, (exp_status, exp_opened, exp_repeats) in expected.items():
        assert status.get(key) == exp_status
        assert opened.get(key, 0) == exp_opened
        if exp_status is not None:
            assert repeats.get(key, 0) == exp_repeats
    # At most one open alert per key, always.
    assert len(open_alerts) == len({key for (_, key) in open_alerts})
