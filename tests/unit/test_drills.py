"""The ``Drill`` kind (parse, normal form, the one validator's checks) and the drill rules
(schedule, next run across daylight saving, score, hit rate)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ownit.adapters.catalog.yaml_source import load_text
from ownit.domain.catalog import validate
from ownit.domain.catalog.spec import from_spec, to_spec
from ownit.domain.drills import (
    BadDrillSchedule,
    hit_rate,
    next_run,
    parse_schedule,
    schedule_text,
    score,
)
from tests.unit.test_catalog_validation import BASE, check, doc

SHOP = "\n".join(
    [
        "apiVersion: ownit/v1",
        "kind: Service",
        "metadata: {name: shop}",
        "spec:",
        "  owner: payments",
        "  components:",
        "    - {name: checkout, escalationPolicy: payments, match: ['module=\"checkout\"']}",
        "    - {name: search, match: ['module=\"search\"']}",
        "---",
        "apiVersion: ownit/v1",
        "kind: Service",
        "metadata: {name: lonely}",
        "spec: {owner: payments}",
        "",
    ]
)


def drill_check(*spec: str) -> list[str]:
    return check(doc("Drill", "practice", *spec), base=BASE + "---\n" + SHOP)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param(("  service: checkout-api", '  schedule: "Tue 10:00"'), [], id="good"),
        pytest.param(("  component: shop/checkout",), [], id="component-with-policy"),
        pytest.param(
            ("  service: lonely",),
            [
                'bad.yaml:5: service "lonely" has no escalationPolicy: a drill on it would page '
                "nobody"
            ],
            id="no-policy",
        ),
        pytest.param(
            ("  component: shop/search",),
            [
                'bad.yaml:5: component "shop/search" has no escalationPolicy: a drill on it '
                "would page nobody"
            ],
            id="component-without-policy",
        ),
        pytest.param(
            ("  component: shop/serch",),
            [
                'bad.yaml:5: component "serch" is not a component of service "shop" '
                '(did you mean "search"?)'
            ],
            id="unknown-component",
        ),
        pytest.param(
            ("  component: checkout",),
            [
                'bad.yaml:5: component "checkout" must be written service/component '
                "(like shop/checkout)"
            ],
            id="component-without-service",
        ),
        pytest.param(
            ("  service: checkout-apx",),
            ['bad.yaml:5: service "checkout-apx" does not exist (did you mean "checkout-api"?)'],
            id="unknown-service",
        ),
        pytest.param(
            ("  timezone: Europe/Berlin",),
            [
                "bad.yaml:4: spec needs service (or component: service/component): the drill "
                "pages through its escalation policy"
            ],
            id="no-target",
        ),
        pytest.param(
            ("  service: checkout-api", '  schedule: "Tue"'),
            [
                'bad.yaml:6: schedule "Tue" is not a drill schedule: must be weekday(s) and a '
                'time, like "Tue 10:00", "Mon,Thu 09:30" or "Mon-Fri 10:00"'
            ],
            id="schedule-without-time",
        ),
        pytest.param(
            ("  service: checkout-api", '  schedule: "Tus 10:00"'),
            [
                "bad.yaml:6: schedule \"Tus 10:00\" is not a drill schedule: 'Tus' is not a "
                "weekday (Mon … Sun)"
            ],
            id="schedule-bad-day",
        ),
        pytest.param(
            ("  service: checkout-api", "  timezone: Mars/Olympus", "  ackTarget: soon"),
            [
                'bad.yaml:6: timezone "Mars/Olympus" is not an IANA time zone',
                'bad.yaml:7: ackTarget "soon" is not a duration '
                "(write a whole number and a unit: 30s, 5m, 1h, 1d, 1w)",
            ],
            id="bad-zone-and-target",
        ),
        pytest.param(
            ("  service: checkout-api", "  scenario: db-down"),
            ['bad.yaml:6: unknown field "scenario" in spec'],
            id="unknown-field",
        ),
    ],
)
def test_drill_problems(spec: tuple[str, ...], expected: list[str]) -> None:
    assert drill_check(*spec) == expected


def test_a_drill_parses_into_its_normal_form_and_back() -> None:
    text = doc(
        "Drill",
        "payments-weekly",
        "  service: checkout-api",
        '  schedule: "fri,mon-Tue 09:30"',
        "  timezone: Europe/Berlin",
        "  ackTarget: 300s",
    )
    docs = load_text(BASE, "base.yaml").documents + load_text(text, "d.yaml").documents
    result = validate(docs)
    assert result.problems == ()
    [drill] = [d.obj for d in result.documents if d.kind == "Drill"]
    spec = to_spec(drill)
    assert spec == {
        "service": "checkout-api",
        "schedule": "Mon,Tue,Fri 09:30",
        "timezone": "Europe/Berlin",
        "ackTarget": "5m",
        "autoResolve": "30m",
    }
    assert from_spec("Drill", "payments-weekly", spec) == drill


BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("schedule", "after", "expected"),
    [
        # Tuesday 10:00 in Berlin: CET (+1) in winter, CEST (+2) in summer.
        ("Tue 10:00", datetime(2026, 11, 26, 12, tzinfo=UTC), datetime(2026, 12, 1, 9, tzinfo=UTC)),
        ("Tue 10:00", datetime(2026, 12, 1, 9, tzinfo=UTC), datetime(2026, 12, 8, 9, tzinfo=UTC)),
        (
            "Tue 10:00",
            datetime(2026, 12, 1, 8, 59, tzinfo=UTC),
            datetime(2026, 12, 1, 9, tzinfo=UTC),
        ),
        # Across spring forward (29 March 2026): the wall clock stays at 10:00.
        ("Tue 10:00", datetime(2026, 3, 25, tzinfo=UTC), datetime(2026, 3, 31, 8, tzinfo=UTC)),
        # 02:30 does not exist on spring-forward Sunday: it runs at the transition, 03:00 CEST.
        ("Sun 02:30", datetime(2026, 3, 28, tzinfo=UTC), datetime(2026, 3, 29, 1, tzinfo=UTC)),
        # 02:30 happens twice on fall-back Sunday (25 October 2026): the first one, CEST.
        (
            "Sun 02:30",
            datetime(2026, 10, 24, tzinfo=UTC),
            datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
        ),
        (
            "Mon-Fri 09:00",
            datetime(2026, 11, 27, 9, tzinfo=UTC),
            datetime(2026, 11, 30, 8, tzinfo=UTC),
        ),
    ],
)
def test_next_run_keeps_the_local_wall_clock(
    schedule: str, after: datetime, expected: datetime
) -> None:
    assert next_run(parse_schedule(schedule), BERLIN, after) == expected


@given(
    st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
    ),
    st.frozensets(st.integers(0, 6), min_size=1),
    st.integers(0, 23),
    st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC"]),
)
def test_next_run_is_the_first_matching_day_after(
    after: datetime, days: frozenset[int], hour: int, zone_name: str
) -> None:
    zone = ZoneInfo(zone_name)
    weekdays = ",".join(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][d] for d in days)
    times = parse_schedule(f"{weekdays} {hour:02d}:00")
    found = next_run(times, zone, after)
    assert after < found <= after + timedelta(days=8)
    local = found.astimezone(zone)
    assert local.weekday() in days
    # The wall clock reads the hour, or later only when that hour did not exist that day.
    assert local.hour >= hour or (local.hour == 0 and hour == 23)
    assert next_run(times, zone, found) > found


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("Tue 10:00", "Tue 10:00"),
        ("thu,MON 09:30", "Mon,Thu 09:30"),
        ("Mon-Wed 10:00", "Mon,Tue,Wed 10:00"),
        ("Sunday,Sat 23:59", "Sat,Sun 23:59"),
    ],
)
def test_schedules_have_one_normal_form(text: str, normal: str) -> None:
    assert schedule_text(parse_schedule(text)) == normal
    assert schedule_text(parse_schedule(normal)) == normal


@pytest.mark.parametrize("text", ["", "Tue", "Tue 25:00", "Fri-Mon 10:00", "Tue 10:00 UTC"])
def test_bad_schedules_are_refused(text: str) -> None:
    with pytest.raises(BadDrillSchedule):
        parse_schedule(text)


T = datetime(2026, 12, 1, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("acked_after", "ended", "now_after", "expected"),
    [
        (timedelta(minutes=4), False, timedelta(minutes=4), (240, True)),
        (timedelta(minutes=5), True, timedelta(minutes=9), (300, True)),
        (timedelta(minutes=6), True, timedelta(minutes=9), (360, False)),
        (None, False, timedelta(minutes=3), (None, None)),  # open, inside its target
        (None, False, timedelta(minutes=6), (None, False)),  # open, past its target
        (None, True, timedelta(minutes=2), (None, False)),  # ended unacknowledged
    ],
)
def test_score(
    acked_after: timedelta | None,
    ended: bool,
    now_after: timedelta,
    expected: tuple[int | None, bool | None],
) -> None:
    found = score(
        started_at=T,
        acknowledged_at=None if acked_after is None else T + acked_after,
        ack_target=timedelta(minutes=5),
        ended=ended,
        now=T + now_after,
    )
    assert (found.seconds_to_ack, found.met_target) == expected


@pytest.mark.parametrize(
    ("verdicts", "rate"),
    [([], None), ([None], None), ([True, False], 0.5), ([True, None, True], 1.0), ([False], 0.0)],
)
def test_hit_rate(verdicts: list[bool | None], rate: float | None) -> None:
    assert hit_rate(verdicts) == rate
