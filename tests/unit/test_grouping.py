"""Content-based grouping in the pure plan: a table of cases, multi-alert incidents, and the
property that batch boundaries never change which incident an alert lands in."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ownit.domain.events import Action, Event, Severity
from ownit.domain.incidents import Outcome, Status
from ownit.domain.ingest.dedup import BatchPlan, Destination, GroupHead, OpenAlert, group_key

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
BY = ("alertname", "cluster")
GROUPED = Destination(1, "severity", 7, "am", group_by=BY, group_window=timedelta(minutes=10))
T, A, R = Action.TRIGGER, Action.ACKNOWLEDGE, Action.RESOLVE


def alert(action: Action, key: str, **labels: str) -> Event:
    return Event(
        format="alertmanager",
        routing_key="r" * 32,
        action=action,
        dedup_key=key,
        summary=f"{action} {key}",
        severity=Severity.ERROR,
        labels=labels,
    )


def plan(**state: object) -> BatchPlan:
    counter = itertools.count()
    return BatchPlan(
        now=NOW,
        new_id=lambda prefix: f"{prefix}{next(counter)}",
        open_alerts={},
        **state,  # type: ignore[arg-type]
    )


def test_group_key_is_compact_json_and_a_missing_label_is_empty() -> None:
    assert group_key({"alertname": "Disk", "cluster": "eu"}, BY) == '["Disk","eu"]'
    assert group_key({"alertname": "Disk"}, BY) == '["Disk",""]'
    assert group_key({"alertname": "é"}, ("alertname",)) == '["\\u00e9"]'
    long = group_key({"alertname": "x" * 300}, ("alertname",))
    assert long.startswith("sha256:")
    assert len(long) == 71


OLD = "inc_old"
HEAD = '["Disk","eu"]'


@pytest.mark.parametrize(
    ("head_age", "head_component", "labels", "target", "joins"),
    [
        pytest.param(timedelta(minutes=5), None, {"cluster": "eu"}, GROUPED, True, id="same"),
        pytest.param(timedelta(minutes=10), None, {"cluster": "eu"}, GROUPED, True, id="edge"),
        pytest.param(
            timedelta(minutes=5), None, {"cluster": "us"}, GROUPED, False, id="other-value"
        ),
        pytest.param(timedelta(minutes=11), None, {"cluster": "eu"}, GROUPED, False, id="late"),
        pytest.param(
            timedelta(days=30),
            None,
            {"cluster": "eu"},
            Destination(1, "severity", 7, "am", group_by=BY),
            True,
            id="no-window",
        ),
        pytest.param(
            timedelta(minutes=1), "refunds", {"cluster": "eu"}, GROUPED, False, id="component"
        ),
        pytest.param(
            timedelta(minutes=1),
            None,
            {"cluster": "eu"},
            Destination(1, "severity", 7, "am"),
            False,
            id="ungrouped",
        ),
    ],
)
def test_a_new_alert_joins_the_open_incident_of_its_group(
    head_age: timedelta,
    head_component: str | None,
    labels: dict[str, str],
    target: Destination,
    joins: bool,
) -> None:
    p = plan(
        groups={(1, head_component, HEAD): GroupHead(OLD, NOW - head_age)},
        open_counts={OLD: 1},
    )
    assert p.apply(alert(T, "k2", alertname="Disk", **labels), target) is Outcome.NEW_ALERT
    [new] = p.new_alerts.values()
    if joins:
        assert new.incident_id == OLD
        assert p.new_incidents == {}
        assert p.joined == {OLD: 1}
        [entry] = p.log
        assert (entry.incident_id, entry.kind) == (OLD, "grouped")
        assert "k2" in entry.message
    else:
        [inc] = p.new_incidents.values()
        assert new.incident_id == inc.id != OLD
        assert p.joined == {}
        assert inc.group_key == (group_key(new_labels(labels), BY) if target.group_by else None)
        assert [e.kind for e in p.log] == ["triggered"]


def new_labels(labels: dict[str, str]) -> dict[str, str]:
    return {"alertname": "Disk", **labels}


def test_alerts_of_one_group_in_one_batch_share_the_first_ones_incident() -> None:
    p = plan()
    for key, cluster in (("a", "eu"), ("b", "eu"), ("c", "us"), ("d", "eu")):
        p.apply(alert(T, key, alertname="Disk", cluster=cluster), GROUPED)
    incidents = {a.dedup_key: a.incident_id for a in p.new_alerts.values()}
    assert incidents["a"] == incidents["b"] == incidents["d"] != incidents["c"]
    assert sorted(i.alert_count for i in p.new_incidents.values()) == [1, 3]
    assert [e.kind for e in p.log] == ["triggered", "grouped", "triggered", "grouped"]


def test_a_grouped_incident_resolves_with_its_last_open_alert() -> None:
    p = plan()
    p.apply(alert(T, "a", alertname="Disk"), GROUPED)
    p.apply(alert(T, "b", alertname="Disk"), GROUPED)
    [inc] = p.new_incidents.values()
    p.apply(alert(R, "a"), GROUPED)
    assert inc.status == "triggered"
    assert p.log[-1].kind == "alert resolved"
    assert p.log[-1].message == "alert a resolved by event"
    p.apply(alert(A, "b"), GROUPED)
    assert inc.status == "acknowledged"  # an ack on any alert acknowledges the incident
    p.apply(alert(R, "b"), GROUPED)
    assert inc.status == "resolved"
    assert p.log[-1].kind == "resolved"
    # A resolved incident takes no more alerts: the next alert of the group opens a new one.
    p.apply(alert(T, "c", alertname="Disk"), GROUPED)
    assert len(p.new_incidents) == 2


def test_existing_incidents_resolve_only_with_their_last_open_alert() -> None:
    p = plan(open_counts={OLD: 2})
    p.open_alerts[(1, "a")] = OpenAlert("alr_a", OLD, Status.TRIGGERED)
    p.open_alerts[(1, "b")] = OpenAlert("alr_b", OLD, Status.TRIGGERED)
    p.apply(alert(A, "a"), GROUPED)
    assert p.incident_acks == {OLD: (NOW, "integration/am")}
    p.apply(alert(R, "a"), GROUPED)
    assert p.incident_resolves == {}
    p.apply(alert(R, "b"), GROUPED)
    assert p.incident_resolves == {OLD: (NOW, "integration/am")}
    assert [e.kind for e in p.log] == ["acknowledged", "alert resolved", "resolved"]


def test_an_alert_grouped_into_an_old_incident_then_resolved_resolves_it_with_the_rest() -> None:
    p = plan(groups={(1, None, HEAD): GroupHead(OLD, NOW)}, open_counts={OLD: 1})
    p.open_alerts[(1, "a")] = OpenAlert("alr_a", OLD, Status.TRIGGERED)
    p.apply(alert(T, "b", alertname="Disk", cluster="eu"), GROUPED)
    p.apply(alert(R, "b"), GROUPED)
    assert p.incident_resolves == {}
    p.apply(alert(R, "a"), GROUPED)
    assert p.incident_resolves == {OLD: (NOW, "integration/am")}
    assert p.groups == {}


# --- batch boundaries never matter ---------------------------------------------------------

events_strategy = st.lists(
    st.tuples(
        st.sampled_from([T, T, T, A, R]),
        st.sampled_from(["a", "b", "c", "d"]),
        st.sampled_from(["x", "y"]),
        st.sampled_from([None, "refunds"]),
    ),
    max_size=50,
)


def fold(
    events: list[tuple[Action, str, str, str | None]], cuts: list[int]
) -> tuple[list[int], list[tuple[Status, int]]]:
    """Fold in the batches ``cuts`` gives, carrying what the store would read back; returns
    each opened alert's incident (numbered by first appearance) and each incident's status
    and alert count."""
    open_alerts: dict[tuple[int, str], OpenAlert] = {}
    open_counts: dict[str, int] = {}
    groups: dict[tuple[int, str | None, str], GroupHead] = {}
    status: dict[str, Status] = {}
    count: dict[str, int] = {}
    order: list[str] = []
    group_of: dict[str, tuple[str, str | None]] = {}  # incident → (alertname, component)
    ids = itertools.count()
    bounds = sorted({0, len(events), *(c for c in cuts if c <= len(events))})
    for lo, hi in itertools.pairwise(bounds):
        p = BatchPlan(
            now=NOW,
            new_id=lambda prefix: f"{prefix}{next(ids)}",
            open_alerts=dict(open_alerts),
            open_counts=dict(open_counts),
            groups=dict(groups),
        )
        for action, key, name, component in events[lo:hi]:
            target = Destination(
                1, "severity", 7, "am", component=component, group_by=("alertname",)
            )
            p.apply(alert(action, key, alertname=name), target)
        for inc in p.new_incidents.values():
            status[inc.id], count[inc.id] = inc.status, inc.alert_count
        for new in p.new_alerts.values():
            # Every alert of an incident shares its group: label value and component.
            assert new.labels is not None
            component = (
                p.new_incidents[new.incident_id].component
                if (new.incident_id in p.new_incidents)
                else group_of[new.incident_id][1]
            )
            group = (new.labels["alertname"], component)
            assert group_of.setdefault(new.incident_id, group) == group
        for incident_id, n in p.joined.items():
            count[incident_id] += n
        for incident_id in p.incident_acks:
            if status[incident_id] is Status.TRIGGERED:
                status[incident_id] = Status.ACKNOWLEDGED
        for incident_id in p.incident_resolves:
            status[incident_id] = Status.RESOLVED
        order += [a.incident_id for a in p.new_alerts.values()]
        open_alerts, open_counts, groups = p.open_alerts, p.open_counts, p.groups
    numbered = {incident_id: n for n, incident_id in enumerate(dict.fromkeys(order))}
    return [numbered[i] for i in order], [(status[i], count[i]) for i in numbered]


@settings(max_examples=200, deadline=None)
@given(events=events_strategy, cuts=st.lists(st.integers(0, 50), max_size=8))
def test_grouping_does_not_depend_on_batch_boundaries(
    events: list[tuple[Action, str, str, str | None]], cuts: list[int]
) -> None:
    whole = fold(events, [])
    assert fold(events, cuts) == whole
    alerts, incidents = whole
    # Grouping does group: never more incidents than alerts, and fewer when two alerts of
    # one group were open at once.
    assert len(incidents) <= len(alerts) == sum(n for _, n in incidents)
