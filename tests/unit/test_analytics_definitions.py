"""The analytics definitions on hand-made incident histories (docs/analytics.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ownit.domain.analytics.history import (
    Acknowledgement,
    Drills,
    IncidentHistory,
    Page,
    Resolution,
    resolution_of,
)
from ownit.domain.analytics.incidents import GroupBy, incident_report, week_of
from ownit.domain.analytics.noise import noise_report
from ownit.domain.analytics.period import InvalidPeriod, Period, parse_period
from ownit.domain.analytics.stats import Summary, nearest_rank, summarize
from tests.analytics_cases import (
    ACKED_BY_EVENT_THEN_PERSON,
    ACKED_TWICE,
    FLAPPING_HEARTBEAT,
    HAND_MADE,
    HAND_MADE_TOTAL,
    NEVER_ACKED,
    REASSIGN_ONLY,
    RESOLVED_BY_EVENT,
    SLOW_EVENT,
)

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday
PERIOD = Period(T0 - timedelta(days=1), T0 + timedelta(days=30))


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def inc(ident: str, **kw: object) -> IncidentHistory:
    base: dict[str, object] = {"id": ident, "service": "api", "created_at": T0}
    base.update(kw)
    return IncidentHistory(**base)  # type: ignore[arg-type]


def ack(minutes: float, by: str = "alice", via: str = "web") -> Acknowledgement:
    return Acknowledgement(by, at(minutes), via)


# --- one incident, every definition -------------------------------------------------------


@pytest.mark.parametrize(
    ("history", "tta", "ttr", "escalated", "auto_resolved", "noise"),
    [
        (NEVER_ACKED, None, None, True, False, False),
        (RESOLVED_BY_EVENT, None, 180.0, False, True, True),
        (REASSIGN_ONLY, None, 3600.0, False, False, False),
        (ACKED_BY_EVENT_THEN_PERSON, 240.0, 1800.0, False, False, False),
        (ACKED_TWICE, 120.0, 1200.0, False, False, False),
        (FLAPPING_HEARTBEAT, None, 300.0, False, True, True),
        (SLOW_EVENT, None, 360.0, False, True, False),
    ],
    ids=[
        "never-acked",
        "resolved-by-event",
        "reassign-only",
        "event-ack",
        "twice",
        "5-min",
        "6-min",
    ],
)
def test_one_incident(
    history: IncidentHistory,
    tta: float | None,
    ttr: float | None,
    escalated: bool,
    auto_resolved: bool,
    noise: bool,
) -> None:
    assert (history.tta, history.ttr) == (tta, ttr)
    assert (history.escalated, history.auto_resolved, history.noise) == (
        escalated,
        auto_resolved,
        noise,
    )


@pytest.mark.parametrize(
    ("resolved_by", "minutes", "auto_resolved", "noise"),
    [
        (Resolution.TIMER, 30, True, False),  # the service's autoResolve: no human resolved it
        (Resolution.TIMER, 4, True, True),
        (Resolution.PERSON, 30, False, False),
        (Resolution.MERGE, 30, False, False),
    ],
)
def test_what_resolved_it(
    resolved_by: Resolution, minutes: float, auto_resolved: bool, noise: bool
) -> None:
    history = inc("x", resolved_at=at(minutes), resolved_by=resolved_by)
    assert (history.auto_resolved, history.noise) == (auto_resolved, noise)
    acked = inc("y", resolved_at=at(minutes), resolved_by=resolved_by, acknowledgements=(ack(1),))
    assert acked.auto_resolved is False  # acknowledged by a person: not automatic


@pytest.mark.parametrize(
    ("resolved_by", "alert_count", "dedup_key", "resolution"),
    [
        ("auto-resolve", 1, "disk", Resolution.TIMER),
        ("integration/events", 2, "disk", Resolution.EVENT),
        ("integration/heartbeat", 1, "heartbeat/backup", Resolution.HEARTBEAT),
        ("user/alice", 1, "disk", Resolution.PERSON),
        ("user/alice", 0, "disk", Resolution.MERGE),
        (None, 1, "disk", Resolution.PERSON),
    ],
)
def test_what_resolved_it_is_read_from_the_row(
    resolved_by: str | None, alert_count: int, dedup_key: str, resolution: Resolution
) -> None:
    found = resolution_of(resolved_by, alert_count=alert_count, dedup_key=dedup_key)
    assert found is resolution


def test_figures_of_the_hand_made_set() -> None:
    assert incident_report(HAND_MADE, PERIOD).total.as_dict() == HAND_MADE_TOTAL


def test_merged_incidents_count_once_in_their_target() -> None:
    target = inc("target", acknowledgements=(ack(4),), resolved_at=at(40))
    source = inc(
        "source",
        created_at=at(1),
        merged_into="target",
        resolved_at=at(2),
        resolved_by=Resolution.MERGE,
    )
    report = incident_report([target, source], PERIOD)
    assert (report.total.count, report.total.resolved, report.total.noise) == (1, 1, 0)
    assert report.total.ttr.as_dict() == {"mean": 2400.0, "p50": 2400.0, "p90": 2400.0}


@pytest.mark.parametrize(
    ("drills", "ids"),
    [(Drills.EXCLUDE, ["real"]), (Drills.INCLUDE, ["drill", "real"]), (Drills.ONLY, ["drill"])],
)
def test_drills_are_left_out_unless_asked(drills: Drills, ids: list[str]) -> None:
    histories = [inc("real"), inc("drill", drill=True, service="zz")]
    report = incident_report(histories, PERIOD, drills=drills, by=GroupBy.SERVICE)
    assert report.total.count == len(ids)
    assert [g.key for g in report.groups] == sorted({"real": "api", "drill": "zz"}[i] for i in ids)


@pytest.mark.parametrize(
    ("created", "counted"),
    [
        (PERIOD.since - timedelta(seconds=1), False),
        (PERIOD.since, True),
        (PERIOD.until - timedelta(seconds=1), True),
        (PERIOD.until, False),
    ],
    ids=["before", "since-is-in", "last-second", "until-is-out"],
)
def test_counted_in_since_until(created: datetime, counted: bool) -> None:
    assert incident_report([inc("x", created_at=created)], PERIOD).total.count == int(counted)


@pytest.mark.parametrize(
    ("by", "keys"),
    [
        (GroupBy.SERVICE, ["api", "web"]),
        (GroupBy.TEAM, ["core", None]),
        (GroupBy.COMPONENT, ["db", None]),
        (GroupBy.URGENCY, ["high", "low"]),
        (GroupBy.WEEK, ["2026-11-02", "2026-11-09"]),
    ],
)
def test_grouping(by: GroupBy, keys: list[str | None]) -> None:
    histories = [
        inc("a", team="core", component="db"),
        inc("b", service="web", urgency="low", created_at=at(60 * 24 * 7 + 1)),
    ]
    report = incident_report(histories, PERIOD, by=by)
    assert [g.key for g in report.groups] == keys
    assert sum(g.figures.count for g in report.groups) == report.total.count == 2


@pytest.mark.parametrize(
    ("when", "monday"),
    [
        (datetime(2026, 11, 2, 0, 0, tzinfo=UTC), "2026-11-02"),
        (datetime(2026, 11, 8, 23, 59, tzinfo=UTC), "2026-11-02"),
        (datetime(2026, 11, 9, 0, 0, tzinfo=UTC), "2026-11-09"),
        (datetime(2027, 1, 1, 12, 0, tzinfo=UTC), "2026-12-28"),
    ],
)
def test_week_keys_are_utc_mondays(when: datetime, monday: str) -> None:
    assert week_of(when) == monday


# --- percentiles --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], Summary(None, None, None)),
        ([7.0], Summary(7.0, 7.0, 7.0)),
        ([30.0, 10.0], Summary(20.0, 10.0, 30.0)),
        # 1..10: p50 rank ceil(5) = 5, p90 rank ceil(9) = 9
        ([float(v) for v in range(10, 0, -1)], Summary(5.5, 5.0, 9.0)),
    ],
    ids=["none", "one", "two", "ten"],
)
def test_nearest_rank_percentiles(values: list[float], expected: Summary) -> None:
    assert summarize(values) == expected


@pytest.mark.parametrize("p", [0, -1, 100.5])
def test_percentile_out_of_range(p: float) -> None:
    with pytest.raises(ValueError, match="percentile"):
        nearest_rank([1.0], p)


@given(st.lists(st.floats(min_value=0, max_value=1e7), min_size=1, max_size=60))
def test_percentiles_are_ordered_values(values: list[float]) -> None:
    s = summarize(values)
    assert s.p50 is not None
    assert s.p90 is not None
    assert s.mean is not None
    assert min(values) <= s.p50 <= s.p90 <= max(values)
    assert s.p50 in values
    assert s.p90 in values
    assert min(values) - 1e-6 <= s.mean <= max(values) + 1e-6


_minutes = st.integers(min_value=0, max_value=60 * 24 * 40)
_histories = st.lists(
    st.builds(
        lambda i, c, a, r, lvl, drill, svc: inc(
            f"i{i}",
            service=svc,
            created_at=at(c),
            acknowledgements=() if a is None else (ack(c + a[0], via=a[1]),),
            resolved_at=None if r is None else at(c + r),
            resolved_by=None if r is None else Resolution.EVENT,
            pages=(Page("alice", at(c), lvl),),
            drill=drill,
        ),
        st.integers(),
        _minutes,
        st.none() | st.tuples(st.integers(0, 600), st.sampled_from(["web", "event", "reassign"])),
        st.none() | st.integers(0, 600),
        st.integers(1, 3),
        st.booleans(),
        st.sampled_from(["api", "web", "db"]),
    ),
    max_size=40,
)


@given(_histories, st.sampled_from(list(GroupBy)), st.sampled_from(list(Drills)))
def test_counts_add_up(histories: list[IncidentHistory], by: GroupBy, drills: Drills) -> None:
    report = incident_report(histories, PERIOD, drills=drills, by=by)
    total = report.total
    assert total.acknowledged + total.unacknowledged == total.count
    assert total.resolved <= total.count
    assert total.auto_resolved <= total.resolved
    assert total.noise <= total.resolved
    for name in ("count", "acknowledged", "resolved", "escalated", "auto_resolved", "noise"):
        assert sum(getattr(g.figures, name) for g in report.groups) == getattr(total, name)
    for h in histories:  # the one-pass facts agree with the definitions one by one
        assert tuple(h.facts()) == (h.tta, h.ttr, h.escalated, h.auto_resolved, h.noise)
    both = incident_report(histories, PERIOD, drills=Drills.INCLUDE).total.count
    only = incident_report(histories, PERIOD, drills=Drills.ONLY).total.count
    none = incident_report(histories, PERIOD, drills=Drills.EXCLUDE).total.count
    assert only + none == both


# --- noise --------------------------------------------------------------------------------


def test_noisiest_services_and_alert_keys() -> None:
    histories = [
        inc("1", alert_key="disk", resolved_at=at(1), resolved_by=Resolution.EVENT),
        inc("2", alert_key="disk", resolved_at=at(2), resolved_by=Resolution.EVENT),
        inc("3", alert_key="cpu", resolved_at=at(60), resolved_by=Resolution.EVENT),
        inc("4", service="web", alert_key="5xx", resolved_at=at(4), resolved_by=Resolution.EVENT),
        inc("5", service="db", alert_key="slow"),
    ]
    report = noise_report(histories, PERIOD)
    assert [r.as_dict() for r in report.services] == [
        {"key": "api", "count": 3, "noise": 2, "noise_ratio": 2 / 3},
        {"key": "web", "count": 1, "noise": 1, "noise_ratio": 1.0},
    ]
    assert [(r.key, r.service, r.count, r.noise) for r in report.alert_keys] == [
        ("disk", "api", 2, 2),
        ("5xx", "web", 1, 1),
    ]


# --- periods ------------------------------------------------------------------------------

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("since", "until", "expected"),
    [
        (None, None, (NOW - timedelta(days=30), NOW)),
        ("7d", None, (NOW - timedelta(days=7), NOW)),
        ("12h", "1h", (NOW - timedelta(hours=12), NOW - timedelta(hours=1))),
        ("2026-11-01T00:00:00Z", "now", (datetime(2026, 11, 1, tzinfo=UTC), NOW)),
        (
            "2026-11-01T01:00:00+01:00",
            "2026-11-02T00:00:00Z",
            (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC)),
        ),
        (
            None,
            "2026-11-30T00:00:00Z",
            (datetime(2026, 10, 31, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC)),
        ),
    ],
)
def test_periods(since: str | None, until: str | None, expected: tuple[datetime, datetime]) -> None:
    period = parse_period(since, until, NOW)
    assert (period.since, period.until) == expected


@pytest.mark.parametrize(
    ("since", "until", "field", "words"),
    [
        ("yesterday", None, "since", "neither an RFC 3339 instant"),
        (None, "30x", "until", "neither an RFC 3339 instant"),
        ("2026-11-01T00:00:00", None, "since", "no UTC offset"),
        ("1d", "2d", "since", "is not before until"),
        ("5000w", None, "since", "at most ten years"),
    ],
)
def test_bad_periods_name_the_field(
    since: str | None, until: str | None, field: str, words: str
) -> None:
    with pytest.raises(InvalidPeriod, match=words) as caught:
        parse_period(since, until, NOW)
    assert caught.value.field == field
