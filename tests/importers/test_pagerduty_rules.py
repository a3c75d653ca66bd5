"""Each PagerDuty semantic rule of the importer, as a table of cases."""

from __future__ import annotations

from bisect import bisect_right
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ownit.domain.catalog.model import Schedule
from ownit.domain.catalog.schedules import calculator
from ownit.domain.importers import AnswerError
from ownit.domain.oncall import schedules as calc
from ownit.domain.oncall.rotations import Layer, Restriction, Rotation, Unit
from tests.importers.pd_answers import answers, convert, layer, schedule, spec, texts
from tests.importers.pd_reference import final_entries

_UNITS: dict[str, Unit] = {"h": "hour", "d": "day", "w": "week"}


def _calc(state: Any) -> calc.Schedule:
    s = spec(state, "Schedule", "main")
    layers = tuple(
        Layer(
            x["name"],
            datetime.fromisoformat(x["start"]),
            Rotation(int(x["rotation"][:-1]), _UNITS[x["rotation"][-1]]),
            tuple(x["users"]),
            tuple(
                Restriction(
                    frozenset(
                        ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].index(d)
                        for d in r["days"]
                    ),
                    datetime.strptime(r["from"], "%H:%M").time(),
                    datetime.strptime(r["to"], "%H:%M").time(),
                )
                for r in x.get("restrictions", [])
            ),
        )
        for x in s["layers"]
    )
    overrides = tuple(
        calc.Override(
            o["user"], datetime.fromisoformat(o["start"]), datetime.fromisoformat(o["end"])
        )
        for o in s.get("overrides", [])
    )
    return calculator(Schedule("main", timezone=s["timezone"], layers=layers, overrides=overrides))


def _who(entries: list[dict[str, Any]], at: datetime) -> str | None:
    for e in entries:
        if datetime.fromisoformat(e["start"]) <= at < datetime.fromisoformat(e["end"]):
            return str(e["user"]["id"]).lower()
    return None


def _names(state: Any) -> dict[str, str]:
    return {"pa": "pa", "pb": "pb", "pc": "pc"}


def _same_as_pagerduty(src: dict[str, Any], since: datetime, days: int = 14) -> None:
    """ownit's final schedule equals PagerDuty's (reference) at every quarter hour."""
    state = convert(answers(schedules={"schedules": [src]}))
    ours = _calc(state)
    theirs = final_entries(src, [], since, since + timedelta(days=days))
    zone = ZoneInfo(src["time_zone"])
    at = since
    while at < since + timedelta(days=days):
        if not _repeated(at, zone):
            assert calc.on_call(ours, at) == _who(theirs, at), at
        at += timedelta(minutes=15)


def _repeated(at: datetime, zone: ZoneInfo) -> bool:
    """The hour a fall-back day repeats: its wall-clock times name two instants, and
    PagerDuty does not document which one a window edge means (ownit: the first)."""
    local = at.astimezone(zone).replace(tzinfo=None)
    return (
        local.replace(tzinfo=zone, fold=0).utcoffset()
        != local.replace(tzinfo=zone, fold=1).utcoffset()
    )


@pytest.mark.parametrize(
    ("turn", "rotation"),
    [
        (3600, "1h"),
        (43200, "12h"),
        (86400, "1d"),
        (172800, "2d"),
        (604800, "1w"),
        (1209600, "2w"),
        (31536000, "365d"),
    ],
)
def test_turn_lengths_become_rotations(turn: int, rotation: str) -> None:
    src = schedule([layer(["PA", "PB"], turn, "2026-01-05T09:00:00-05:00")])
    state = convert(answers(schedules={"schedules": [src]}))
    assert spec(state, "Schedule", "main")["layers"][0]["rotation"] == rotation


def test_a_turn_of_not_whole_hours_is_rounded_and_reported() -> None:
    src = schedule([layer(["PA", "PB"], 5400, "2026-01-05T09:00:00-05:00")])
    state = convert(answers(schedules={"schedules": [src]}))
    assert spec(state, "Schedule", "main")["layers"][0]["rotation"] == "2h"
    assert any("5400 s is not whole hours" in t for t in texts(state, "changed"))


def test_layers_are_reversed_so_the_higher_layer_still_wins() -> None:
    low = layer(["PA"], 86400, "2026-01-05T00:00:00-05:00", name="Bottom")
    high = layer(
        ["PB"],
        86400,
        "2026-01-05T00:00:00-05:00",
        name="Top",
        restrictions=[
            {"type": "daily_restriction", "start_time_of_day": "09:00:00", "duration_seconds": 3600}
        ],
    )
    src = schedule([high, low])  # PagerDuty answers the highest layer first
    state = convert(answers(schedules={"schedules": [src]}))
    assert [x["name"] for x in spec(state, "Schedule", "main")["layers"]] == ["Bottom", "Top"]
    ours = _calc(state)
    assert calc.on_call(ours, datetime(2026, 10, 21, 13, 30, tzinfo=UTC)) == "pb"  # 09:30 EDT
    assert calc.on_call(ours, datetime(2026, 10, 21, 14, 30, tzinfo=UTC)) == "pa"  # 10:30 EDT


@pytest.mark.parametrize(
    ("start", "phase", "first", "anchor"),
    [
        # phase two weeks before start, start mid-turn: anchor at the turn boundary before
        ("2026-01-01T00:00:00-05:00", "2025-12-15T09:00:00-05:00", "pc", "2025-12-29T09:00:00"),
        # phase after start (PagerDuty counts turns backwards from it)
        ("2026-01-01T00:00:00-05:00", "2026-01-12T09:00:00-05:00", "pb", "2025-12-29T09:00:00"),
        ("2026-01-05T09:00:00-05:00", "2026-01-05T09:00:00-05:00", "pa", "2026-01-05T09:00:00"),
    ],
)
def test_the_rotation_phase_is_kept(start: str, phase: str, first: str, anchor: str) -> None:
    src = schedule([layer(["PA", "PB", "PC"], 604800, start, phase)])
    state = convert(answers(schedules={"schedules": [src]}))
    out = spec(state, "Schedule", "main")["layers"][0]
    assert (out["users"][0], out["start"]) == (first, anchor)
    _same_as_pagerduty(src, datetime(2026, 10, 19, tzinfo=UTC), days=21)


def test_a_future_layer_start_within_a_turn_is_reported() -> None:
    src = schedule(
        [layer(["PA", "PB"], 604800, "2026-10-28T00:00:00-04:00", "2026-10-26T09:00:00-04:00")]
    )
    state = convert(answers(schedules={"schedules": [src]}))
    assert any("within a turn" in t for t in texts(state, "changed"))


@pytest.mark.parametrize(
    ("restriction", "expected"),
    [
        (
            {
                "type": "daily_restriction",
                "start_time_of_day": "09:00:00",
                "duration_seconds": 28800,
            },
            [
                {
                    "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                    "from": "09:00",
                    "to": "17:00",
                }
            ],
        ),
        (  # overnight
            {
                "type": "daily_restriction",
                "start_time_of_day": "22:00:00",
                "duration_seconds": 36000,
            },
            [
                {
                    "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                    "from": "22:00",
                    "to": "08:00",
                }
            ],
        ),
        (  # Monday 08:00 for 4.5 days: four whole days and Friday 08:00-20:00
            {
                "type": "weekly_restriction",
                "start_day_of_week": 1,
                "start_time_of_day": "08:00:00",
                "duration_seconds": 388800,
            },
            [
                {"days": ["mon", "tue", "wed", "thu"], "from": "08:00", "to": "08:00"},
                {"days": ["fri"], "from": "08:00", "to": "20:00"},
            ],
        ),
        (  # Sunday (7) 20:00 for 10 hours, into Monday
            {
                "type": "weekly_restriction",
                "start_day_of_week": 7,
                "start_time_of_day": "20:00:00",
                "duration_seconds": 36000,
            },
            [{"days": ["sun"], "from": "20:00", "to": "06:00"}],
        ),
    ],
)
def test_restrictions_become_windows(restriction: dict[str, Any], expected: list[Any]) -> None:
    src = schedule(
        [layer(["PA", "PB"], 86400, "2026-01-05T00:00:00-05:00", restrictions=[restriction])]
    )
    state = convert(answers(schedules={"schedules": [src]}))
    assert spec(state, "Schedule", "main")["layers"][0]["restrictions"] == expected
    _same_as_pagerduty(src, datetime(2026, 10, 26, tzinfo=UTC))  # across the 1 Nov DST change


_DAYS = st.sampled_from([86400, 172800, 604800])
_RESTRICTION = st.one_of(
    st.builds(
        lambda h, m, d: {
            "type": "daily_restriction",
            "start_time_of_day": f"{h:02}:{m:02}:00",
            "duration_seconds": d,
        },
        st.integers(0, 23),
        st.sampled_from([0, 30]),
        st.integers(1, 95).map(lambda q: q * 900),
    ),
    st.builds(
        lambda day, h, d: {
            "type": "weekly_restriction",
            "start_day_of_week": day,
            "start_time_of_day": f"{h:02}:00:00",
            "duration_seconds": d,
        },
        st.integers(1, 7),
        st.integers(0, 23),
        st.integers(1, 671).map(lambda q: q * 900),
    ),
)


@settings(max_examples=25, deadline=None)
@given(
    layers=st.lists(
        st.tuples(
            _DAYS,
            st.integers(0, 13),
            st.lists(_RESTRICTION, max_size=2),
            st.permutations(["PA", "PB", "PC"]),
        ),
        min_size=1,
        max_size=3,
    ),
    zone=st.sampled_from(["America/New_York", "Europe/Berlin", "Australia/Sydney"]),
)
def test_whole_day_turns_match_pagerduty_across_dst(layers: list[Any], zone: str) -> None:
    """Property: any stack of whole-day layers with any restrictions is on call exactly as
    PagerDuty's documented rules say, at every quarter hour of two weeks with a DST change."""
    src = schedule(
        [
            layer(
                list(users),
                turn,
                f"2026-10-{1 + offset:02}T07:00:00+00:00",
                restrictions=r,
                name=f"n{i}",
            )
            for i, (turn, offset, r, users) in enumerate(layers)
        ],
        zone=zone,
    )
    since = (
        datetime(2026, 10, 24, tzinfo=UTC)
        if zone != "Australia/Sydney"
        else datetime(2026, 9, 30, tzinfo=UTC)
    )
    _same_as_pagerduty(src, since, days=10)


def test_overrides_win_and_ended_ones_are_left_out() -> None:
    src = schedule([layer(["PA"], 86400, "2026-01-05T00:00:00-05:00")])
    overrides = {
        "overrides": [
            {
                "start": "2026-10-22T10:00:00-04:00",
                "end": "2026-10-22T12:00:00-04:00",
                "user": {"id": "PB"},
            },
            {
                "start": "2026-10-01T10:00:00-04:00",
                "end": "2026-10-01T12:00:00-04:00",
                "user": {"id": "PC"},
            },
        ]
    }
    state = convert(answers(schedules={"schedules": [src]}, **{"overrides/PS": overrides}))
    ours = _calc(state)
    assert calc.on_call(ours, datetime(2026, 10, 22, 15, tzinfo=UTC)) == "pb"
    assert len(spec(state, "Schedule", "main")["overrides"]) == 1
    assert "Schedule main: 1 override(s) that had already ended" in texts(state, "skipped")


@pytest.mark.parametrize(
    ("end", "section", "layers"),
    [
        ("2026-10-01T00:00:00-04:00", "skipped", 0),
        ("2026-12-01T00:00:00-05:00", "check", 1),
    ],
)
def test_a_layer_that_ends(end: str, section: str, layers: int) -> None:
    keep = layer(["PB"], 86400, "2026-01-05T00:00:00-05:00", name="Kept")
    ending = layer(["PA"], 86400, "2026-01-05T00:00:00-05:00", name="Ends", end=end)
    state = convert(answers(schedules={"schedules": [schedule([ending, keep])]}))
    found = spec(state, "Schedule", "main")["layers"]
    assert len([x for x in found if x["name"] == "Ends"]) == layers
    assert any("'Ends'" in t for t in texts(state, section))


def test_final_schedule_differences_are_reported() -> None:
    src = schedule([layer(["PA", "PB"], 86400, "2026-01-05T09:00:00-05:00")])
    since, until = datetime(2026, 10, 20, tzinfo=UTC), datetime(2026, 10, 27, tzinfo=UTC)
    entries = final_entries(src, [], since, until)
    ours = str(entries[2]["user"]["id"]).lower()
    entries[2]["user"]["id"] = "PC"  # PagerDuty says someone else for one turn
    final = {"final_schedule": {"rendered_schedule_entries": entries}}
    state = convert(answers(schedules={"schedules": [src | final]}))
    diffs = [t for t in texts(state, "check") if "differs" in t]
    assert diffs == [
        f"Schedule main: final schedule differs from {entries[2]['start']} to "
        f"{entries[2]['end']}: ownit has {ours}, PagerDuty has pc"
    ]


def test_an_equal_final_schedule_is_said_to_be_equal() -> None:
    src = schedule([layer(["PA", "PB"], 86400, "2026-01-05T09:00:00-05:00")])
    entries = final_entries(
        src, [], datetime(2026, 10, 20, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC)
    )
    state = convert(
        answers(
            schedules={
                "schedules": [src | {"final_schedule": {"rendered_schedule_entries": entries}}]
            }
        )
    )
    assert [t for t in texts(state, "imported") if "equals" in t] == [
        "Schedule main: final schedule equals PagerDuty's from 2026-10-19T20:00:00-04:00 to "
        "2026-11-16T19:00:00-05:00"  # 28 days, not the 41 the answer covers
    ]


@pytest.mark.parametrize(
    ("now", "said"),
    [
        # inside the answer's window: compared from --now on only
        (
            datetime(2026, 11, 1, tzinfo=UTC),
            "Schedule main: final schedule equals PagerDuty's from 2026-10-31T20:00:00-04:00 to "
            "2026-11-28T19:00:00-05:00",
        ),
        # after the answer's window (a saved answer older than --now): nothing compared, and
        # not a difference at every turn before the import begins
        (
            datetime(2026, 12, 15, tzinfo=UTC),
            "Schedule main: PagerDuty's final schedule in the answer ends before --now: nothing "
            "compared (fetch it again, or give the --now it was fetched at)",
        ),
    ],
)
def test_the_final_schedule_is_compared_from_now_on(now: datetime, said: str) -> None:
    src = schedule([layer(["PA", "PB"], 86400, "2026-01-05T09:00:00-05:00")])
    entries = final_entries(
        src, [], datetime(2026, 10, 20, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC)
    )
    final = {"final_schedule": {"rendered_schedule_entries": entries}}
    state = convert(answers(schedules={"schedules": [src | final]}), now=now)
    found = [*texts(state, "imported"), *texts(state, "check")]
    assert said in found
    assert not [t for t in found if "differs" in t]


@pytest.mark.parametrize(
    ("turn", "zone", "layers"),
    [
        (43200, "Europe/Berlin", 3),  # 12h turns: DST changes on 2026-10-25 and 2027-03-28
        (28800, "America/New_York", 3),  # 8h turns: 2026-11-01 and 2027-03-14
        (43200, "Asia/Tokyo", 1),  # no DST: one layer
    ],
)
def test_hour_turns_across_dst_changes_equal_pagerduty(turn: int, zone: str, layers: int) -> None:
    src = schedule([layer(["PA", "PB"], turn, "2026-01-05T08:00:00+00:00")], zone=zone)
    entries = final_entries(
        src, [], datetime(2026, 10, 20, tzinfo=UTC), datetime(2026, 11, 17, tzinfo=UTC)
    )
    final = {"final_schedule": {"rendered_schedule_entries": entries}}
    state = convert(answers(schedules={"schedules": [src | final]}))
    assert len(spec(state, "Schedule", "main")["layers"]) == layers
    assert [t for t in texts(state, "check") if "differs" in t] == []
    assert any("equals PagerDuty's" in t for t in texts(state, "imported"))
    assert any("hand-offs equal PagerDuty's until 2027-10-2" in t for t in texts(state, "check"))


def test_a_hand_off_inside_the_repeated_hour_is_reported() -> None:
    # 1h turns in New York: PagerDuty hands off at 01:00 EST on 1 Nov 2026, an hour ownit's
    # wall clock names twice; ownit keeps the 01:00 EDT user for that hour
    src = schedule([layer(["PA", "PB", "PC"], 3600, "2026-10-01T00:00:00+00:00")])
    state = convert(answers(schedules={"schedules": [src]}))
    found = [t for t in texts(state, "check") if "repeated hour" in t]
    assert found == [
        "Schedule main` layer `L: from 2026-11-01T01:00:00-05:00 to 2026-11-01T02:00:00-05:00 "
        "(the clocks go back) ownit keeps pc on call where PagerDuty hands over to pa: a "
        "hand-off inside the repeated hour has no wall-clock time"
    ]


def _who_at(shifts: list[Any], at: datetime) -> str | None:
    i = bisect_right([s[0] for s in shifts], at) - 1
    return shifts[i][2] if i >= 0 and shifts[i][0] <= at < shifts[i][1] else None


_HOUR_LAYER = st.tuples(
    st.sampled_from([1, 2, 3, 5, 8, 12, 30, 36, 100]),  # turn in hours
    st.integers(-3000, 3000),  # phase, hours from the layer's start
    st.integers(1, 400),  # start, days before --now
    st.permutations(["PA", "PB", "PC"]),
    st.lists(_RESTRICTION, max_size=1),
)


@settings(max_examples=30, deadline=None)
@given(
    layers=st.lists(_HOUR_LAYER, min_size=1, max_size=2),
    now=st.integers(0, 365 * 24),
    zone=st.sampled_from(
        ["America/New_York", "Europe/Berlin", "Australia/Sydney", "Australia/Lord_Howe"]
    ),
)
def test_hour_turns_hand_off_like_pagerduty_for_90_days(
    layers: list[Any], now: int, zone: str
) -> None:
    """Property: layers of hour turns (elapsed time in PagerDuty), any phase, start, zone with
    DST and restriction, stacked: ownit's final schedule over the 90 days after ``--now``
    names the same person as PagerDuty's at every quarter hour, except in an hour the clocks
    repeat."""
    at = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=now)
    src = schedule(
        [
            layer(
                list(users),
                turn * 3600,
                (at - timedelta(days=start)).isoformat(),
                (at - timedelta(days=start) + timedelta(hours=phase)).isoformat(),
                restrictions,
                name=f"n{i}",
            )
            for i, (turn, phase, start, users, restrictions) in enumerate(layers)
        ],
        zone=zone,
    )
    state = convert(answers(schedules={"schedules": [src]}), now=at)
    until = at + timedelta(days=90)
    ours = [(s.start, s.end, s.user) for s in calc.shifts(_calc(state), at, until)]
    theirs = [
        (datetime.fromisoformat(e["start"]), datetime.fromisoformat(e["end"]), e["user"]["id"])
        for e in final_entries(src, [], at, until)
    ]
    tz = ZoneInfo(zone)
    step = at
    while step < until:
        if not _repeated(step, tz):
            mine, pd = _who_at(ours, step), _who_at(theirs, step)
            assert mine == (pd.lower() if pd else None), step
        step += timedelta(minutes=15)


def test_layers_of_the_same_name_get_names_of_their_own() -> None:
    twins = [
        layer(["PA"], 86400, "2026-01-05T00:00:00-05:00", name="Same"),
        layer(["PB"], 86400, "2026-01-05T00:00:00-05:00", name="Same") | {"id": "L2"},
    ]
    state = convert(answers(schedules={"schedules": [schedule(twins)]}))
    assert [x["name"] for x in spec(state, "Schedule", "main")["layers"]] == ["Same", "Same-2"]


def test_the_single_schedule_answer_carries_the_final_schedule() -> None:
    """``schedules/<id>.json`` (``GET /schedules/{id}``) stands in for the list's entry."""
    src = schedule([layer(["PA", "PB"], 86400, "2026-01-05T09:00:00-05:00")])
    entries = final_entries(
        src, [], datetime(2026, 10, 20, tzinfo=UTC), datetime(2026, 11, 17, tzinfo=UTC)
    )
    detail = {"schedule": src | {"final_schedule": {"rendered_schedule_entries": entries}}}
    listed = src | {"schedule_layers": []}  # only the single answer is read for layers
    state = convert(answers(schedules={"schedules": [listed]}, **{"schedules/PS": detail}))
    assert len(spec(state, "Schedule", "main")["layers"]) == 1
    assert any("equals PagerDuty's" in t for t in texts(state, "imported"))


def test_a_single_schedule_answer_without_its_schedule_names_the_file() -> None:
    src = schedule([layer(["PA"], 86400, "2026-01-05T09:00:00-05:00")])
    with pytest.raises(AnswerError, match=r"^schedules/PS\.json: schedule: missing$"):
        convert(answers(schedules={"schedules": [src]}, **{"schedules/PS": {"id": "PS"}}))
