"""A whole batch planned: maintenance windows holding triggers back, what the store must
read, and one answer per item."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from ownit.domain.events import Action, Event
from ownit.domain.incidents import Status
from ownit.domain.ingest.dedup import Destination, GroupHead, OpenAlert
from ownit.domain.ingest.maintenance import ServiceWindow, under_maintenance
from ownit.domain.ingest.planning import (
    UNKNOWN_KEY,
    ItemAnswer,
    PlannedBatch,
    paged_services,
    plan_batch,
    wanted_alerts,
    wanted_groups,
)
from ownit.domain.ingest.resolution import Resolution

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
KEY = "k" * 32
HELD = Destination(1, "high", 4, "events")  # under the window in these tests
FREE = Destination(2, "high", 5, "events")
GROUPED = Destination(3, "high", 6, "am", group_by=("alertname",))
T, A, R, C = Action.TRIGGER, Action.ACKNOWLEDGE, Action.RESOLVE, Action.CHANGE


def event(action: Action, dedup: str | None = "d", **labels: str) -> Event:
    return Event("events-v2", KEY, action, dedup, f"{action} {dedup}", labels=labels)


def pages(*targets: Destination) -> Resolution:
    return Resolution(pages=targets)


def window(service_id: int, name: str, ends_in: int) -> ServiceWindow:
    return ServiceWindow(service_id, name, NOW + timedelta(minutes=ends_in))


def plan(
    items: list[list[Event]],
    resolutions: list[list[Resolution | None]],
    *,
    open_alerts: dict[tuple[int, str], OpenAlert] | None = None,
    maintenance: list[ServiceWindow] | None = None,
) -> PlannedBatch:
    counter = itertools.count()
    return plan_batch(
        items=items,
        resolutions=resolutions,
        open_alerts=open_alerts or {},
        open_counts={},
        maintenance=maintenance or [],
        groups={},
        now=NOW,
        new_id=lambda prefix: f"{prefix}{next(counter)}",
    )


# --- maintenance -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("windows", "held"),
    [
        pytest.param([window(1, "mw", 60)], {1: "mw"}, id="one"),
        pytest.param([window(1, "a", 10), window(1, "b", 60)], {1: "b"}, id="ending-last-names"),
        pytest.param(
            [window(1, "late", 60), window(1, "early", 10)], {1: "late"}, id="in-any-order"
        ),
        pytest.param(
            [window(1, "a", 30), window(1, "b", 30)], {1: "b"}, id="ending-together-last-read"
        ),
        pytest.param([window(1, "a", 30), window(2, "b", 10)], {1: "a", 2: "b"}, id="per-service"),
        pytest.param([], {}, id="none"),
    ],
)
def test_under_maintenance(windows: list[ServiceWindow], held: dict[int, str]) -> None:
    assert under_maintenance(windows) == held


OPEN = OpenAlert("alr_old", "inc_old", Status.TRIGGERED)


@pytest.mark.parametrize(
    ("action", "target", "outcome", "new_alerts", "changed"),
    [
        pytest.param(
            T, HELD, "suppressed: maintenance window mw", 0, False, id="trigger-suppressed"
        ),
        pytest.param(T, FREE, "new alert", 1, False, id="trigger-elsewhere-pages"),
        pytest.param(A, HELD, "acknowledged", 0, True, id="acknowledge-applies"),
        pytest.param(R, HELD, "resolved", 0, True, id="resolve-applies"),
        pytest.param(C, HELD, "change recorded", 0, False, id="change-recorded"),
    ],
)
def test_maintenance_holds_back_triggers_only(
    action: Action, target: Destination, outcome: str, new_alerts: int, changed: bool
) -> None:
    planned = plan(
        [[event(action)]],
        [[pages(target)]],
        open_alerts={(HELD.service_id, "d"): OPEN} if action in (A, R) else None,
        maintenance=[window(HELD.service_id, "mw", 60)],
    )
    assert planned.answers == (ItemAnswer(True, (outcome,)),)
    assert len(planned.plan.new_alerts) == new_alerts
    assert ("alr_old" in planned.plan.changes) is changed
    [record] = planned.plan.records
    assert (record.target, record.outcome) == (target, outcome)


def test_a_repeat_trigger_under_a_window_is_suppressed_too() -> None:
    planned = plan(
        [[event(T)]],
        [[pages(HELD)]],
        open_alerts={(HELD.service_id, "d"): OPEN},
        maintenance=[window(HELD.service_id, "mw", 60)],
    )
    assert planned.answers == (ItemAnswer(True, ("suppressed: maintenance window mw",)),)
    assert planned.plan.changes == {}


# --- the whole batch ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("items", "resolutions", "answers", "records"),
    [
        pytest.param(
            [[event(T, "a")], [event(T, "b")]],
            [[None], [pages(FREE)]],
            [ItemAnswer(False, error=UNKNOWN_KEY), ItemAnswer(True, ("new alert",))],
            ["new alert"],  # the rejected event is counted, not kept
            id="unknown-key-rejected-others-answered",
        ),
        pytest.param(
            [[event(T, "a"), event(T, "b")]],
            [[pages(FREE), None]],
            [ItemAnswer(False, error=UNKNOWN_KEY)],
            ["new alert"],
            id="one-unknown-rejects-its-item",
        ),
        pytest.param(
            [[event(T, "d")]],
            [[pages(FREE, HELD)]],
            [ItemAnswer(True, ("new alert",))],
            ["new alert", "suppressed: maintenance window mw"],
            id="first-outcome-answers",
        ),
        pytest.param(
            [[event(T, "d")]],
            [[pages(HELD, FREE)]],
            [ItemAnswer(True, ("suppressed: maintenance window mw",))],
            ["suppressed: maintenance window mw", "new alert"],
            id="first-outcome-answers-held-first",
        ),
        pytest.param(
            [[event(T, "d"), event(T, "d"), event(A, "d")]],
            [[pages(FREE), pages(FREE), pages(FREE)]],
            [ItemAnswer(True, ("new alert", "repeated", "acknowledged"))],
            ["new alert", "repeated", "acknowledged"],
            id="each-event-in-order",
        ),
        pytest.param(
            [[event(T, "d")]],
            [[Resolution(dropped=True)]],
            [ItemAnswer(True, ("dropped by router",))],
            [],
            id="dropped-not-kept",
        ),
        pytest.param(
            [[event(T, "d")]],
            [[Resolution(suppressed=(None,), route={"router": "r"})]],
            [ItemAnswer(True, ("suppressed by router",))],
            ["suppressed by router"],
            id="suppressed-kept",
        ),
    ],
)
def test_plan_batch(
    items: list[list[Event]],
    resolutions: list[list[Resolution | None]],
    answers: list[ItemAnswer],
    records: list[str],
) -> None:
    planned = plan(items, resolutions, maintenance=[window(HELD.service_id, "mw", 60)])
    assert planned.answers == tuple(answers)
    assert [r.outcome for r in planned.plan.records] == records
    unknown = sum(r is None for where in resolutions for r in where)
    assert planned.plan.rejected == unknown


def test_the_plan_takes_what_the_store_read() -> None:
    head = GroupHead("inc_group", NOW - timedelta(minutes=1))
    planned = plan_batch(
        items=[[event(T, "new", alertname="Disk")]],
        resolutions=[[pages(GROUPED)]],
        open_alerts={},
        open_counts={"inc_group": 2},
        maintenance=[],
        groups={(3, None, '["Disk"]'): head},
        now=NOW,
        new_id=lambda prefix: f"{prefix}1",
    )
    assert planned.answers == (ItemAnswer(True, ("new alert",)),)
    assert planned.plan.joined == {"inc_group": 1}  # grouped on the event's labels
    assert planned.plan.open_counts["inc_group"] == 3
    assert planned.plan.new_incidents == {}


# --- what the store reads ----------------------------------------------------------------


def test_what_the_store_reads_for_a_batch() -> None:
    items = [
        [event(T, "a", alertname="Disk"), event(A, "b"), event(T, None)],
        [event(T, "c"), event(R, "d", alertname="Cpu")],
        [event(T, "e", alertname="Cpu")],
    ]
    resolutions: list[list[Resolution | None]] = [
        [pages(FREE, GROUPED), pages(HELD), pages(FREE)],
        [None, pages(GROUPED)],
        [Resolution(suppressed=(GROUPED,))],
    ]
    assert wanted_alerts(items, resolutions) == {2: {"a"}, 3: {"a", "d"}, 1: {"b"}}
    assert paged_services(resolutions) == {1, 2, 3}
    # Triggers paging a grouped service only: not an acknowledge or resolve, not a
    # suppressed target.
    assert wanted_groups(items, resolutions) == {3: {'["Disk"]'}}
