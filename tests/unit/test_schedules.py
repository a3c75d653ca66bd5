"""The schedule calculator: rotations, daylight saving, restrictions, layers, overrides, gaps.

Expected instants are written as local times with their UTC offset, so each case reads the
way a person on call would see it.
"""

from __future__ import annotations

import time as clock
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from ownit.domain.oncall.schedules import (
    Layer,
    Override,
    Restriction,
    Rotation,
    Schedule,
    Shift,
    Unit,
    gaps,
    layer_shifts,
    local_to_utc,
    next_shift,
    on_call,
    shifts,
    validate,
)

NY = "America/New_York"
BERLIN = "Europe/Berlin"
LORD_HOWE = "Australia/Lord_Howe"

_DAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_UNITS: dict[str, Unit] = {"h": "hour", "d": "day", "w": "week"}


# --- builders: short, readable tables -----------------------------------------------------


def instant(text: str) -> datetime:
    """An ISO instant with its offset (``2026-03-08T03:00-04:00``), in UTC."""
    value = datetime.fromisoformat(text)
    assert value.tzinfo is not None, text
    return value.astimezone(UTC)


def days(text: str) -> frozenset[int]:
    """``"mon-fri"``, ``"sat,sun"`` or ``"all"`` as weekday numbers."""
    if text == "all":
        return frozenset(range(7))
    result: set[int] = set()
    for part in text.split(","):
        first, _, last = part.partition("-")
        result.update(range(_DAYS[first], _DAYS[last or first] + 1))
    return frozenset(result)


def window(day_text: str, start: str, end: str) -> Restriction:
    return Restriction(days(day_text), time.fromisoformat(start), time.fromisoformat(end))


def layer(
    start: str, rotation: str, users: str, *restrictions: Restriction, name: str = "layer"
) -> Layer:
    """A layer from ``"2026-03-06T09:00"``, ``"1d"``, ``"a b c"`` and restrictions."""
    unit = _UNITS[rotation[-1]]
    return Layer(
        name=name,
        start=datetime.fromisoformat(start),
        rotation=Rotation(int(rotation[:-1]), unit),
        users=tuple(users.split()),
        restrictions=restrictions,
    )


def schedule(zone: str, *layers: Layer, overrides: tuple[Override, ...] = ()) -> Schedule:
    named = tuple(
        Layer(f"layer{i}", item.start, item.rotation, item.users, item.restrictions)
        for i, item in enumerate(layers)
    )
    return Schedule("test", zone, named, overrides)


def override(user: str, start: str, end: str) -> Override:
    return Override(user, instant(start), instant(end))


def expected(*rows: tuple[str, str, str]) -> list[Shift]:
    return [Shift(user, instant(start), instant(end)) for user, start, end in rows]


# --- placing local times on the timeline ---------------------------------------------------

LOCAL_TO_UTC = [
    pytest.param(NY, "2026-03-08T01:59", "2026-03-08T01:59-05:00", id="ny-before-gap"),
    pytest.param(NY, "2026-03-08T02:00", "2026-03-08T03:00-04:00", id="ny-gap-start-snaps"),
    pytest.param(NY, "2026-03-08T02:30", "2026-03-08T03:00-04:00", id="ny-0230-snaps-to-0300"),
    pytest.param(NY, "2026-03-08T03:00", "2026-03-08T03:00-04:00", id="ny-after-gap"),
    pytest.param(NY, "2026-11-01T01:30", "2026-11-01T01:30-04:00", id="ny-0130-first-occurrence"),
    pytest.param(NY, "2026-11-01T02:00", "2026-11-01T02:00-05:00", id="ny-after-fold"),
    pytest.param(BERLIN, "2026-03-29T02:30", "2026-03-29T03:00+02:00", id="berlin-gap-snaps"),
    pytest.param(BERLIN, "2026-10-25T02:30", "2026-10-25T02:30+02:00", id="berlin-fold-first"),
    pytest.param(LORD_HOWE, "2026-10-04T02:15", "2026-10-04T02:30+11:00", id="lordhowe-gap-30m"),
    pytest.param(LORD_HOWE, "2026-04-05T01:45", "2026-04-05T01:45+11:00", id="lordhowe-fold-first"),
    pytest.param(LORD_HOWE, "2026-04-05T02:00", "2026-04-05T02:00+10:30", id="lordhowe-after-fold"),
    pytest.param("UTC", "2026-03-08T02:30:15.5", "2026-03-08T02:30:15.5+00:00", id="utc-exact"),
]


@pytest.mark.parametrize(("zone", "local", "want"), LOCAL_TO_UTC)
def test_local_time_is_placed_at_first_instant_reaching_it(
    zone: str, local: str, want: str
) -> None:
    got = local_to_utc(datetime.fromisoformat(local), ZoneInfo(zone))
    assert got == instant(want)
    assert got.tzinfo is UTC


@pytest.mark.parametrize(
    ("zone", "day"),
    [
        pytest.param(NY, "2026-03-08", id="ny-spring"),
        pytest.param(NY, "2026-11-01", id="ny-fall"),
        pytest.param(BERLIN, "2026-03-29", id="berlin-spring"),
        pytest.param(BERLIN, "2026-10-25", id="berlin-fall"),
        pytest.param(LORD_HOWE, "2026-04-05", id="lordhowe-fall"),
        pytest.param(LORD_HOWE, "2026-10-04", id="lordhowe-spring"),
    ],
)
def test_local_times_never_go_backwards_on_dst_days(zone: str, day: str) -> None:
    start = datetime.fromisoformat(day)
    placed = [local_to_utc(start + timedelta(minutes=m), ZoneInfo(zone)) for m in range(0, 1440)]
    assert placed == sorted(placed)


# --- rotation and handoffs (one layer, no restrictions) ------------------------------------

HANDOFFS = [
    pytest.param(
        NY,
        layer("2026-03-06T09:00", "1d", "a b c"),
        ("2026-03-07T09:00-05:00", "2026-03-09T09:00-04:00"),
        [
            ("b", "2026-03-07T09:00-05:00", "2026-03-08T09:00-04:00"),
            ("c", "2026-03-08T09:00-04:00", "2026-03-09T09:00-04:00"),
        ],
        id="ny-daily-0900-stays-0900-spring-forward",
    ),
    pytest.param(
        NY,
        layer("2026-10-30T09:00", "1d", "a b c"),
        ("2026-10-31T09:00-04:00", "2026-11-02T09:00-05:00"),
        [
            ("b", "2026-10-31T09:00-04:00", "2026-11-01T09:00-05:00"),
            ("c", "2026-11-01T09:00-05:00", "2026-11-02T09:00-05:00"),
        ],
        id="ny-daily-0900-stays-0900-fall-back",
    ),
    pytest.param(
        BERLIN,
        layer("2026-03-28T09:00", "1d", "a b"),
        ("2026-03-28T09:00+01:00", "2026-03-30T09:00+02:00"),
        [
            ("a", "2026-03-28T09:00+01:00", "2026-03-29T09:00+02:00"),
            ("b", "2026-03-29T09:00+02:00", "2026-03-30T09:00+02:00"),
        ],
        id="berlin-daily-0900-spring-forward",
    ),
    pytest.param(
        BERLIN,
        layer("2026-10-24T09:00", "1d", "a b"),
        ("2026-10-24T09:00+02:00", "2026-10-26T09:00+01:00"),
        [
            ("a", "2026-10-24T09:00+02:00", "2026-10-25T09:00+01:00"),
            ("b", "2026-10-25T09:00+01:00", "2026-10-26T09:00+01:00"),
        ],
        id="berlin-daily-0900-fall-back",
    ),
    pytest.param(
        LORD_HOWE,
        layer("2026-04-04T09:00", "1d", "a b"),
        ("2026-04-04T09:00+11:00", "2026-04-06T09:00+10:30"),
        [
            ("a", "2026-04-04T09:00+11:00", "2026-04-05T09:00+10:30"),
            ("b", "2026-04-05T09:00+10:30", "2026-04-06T09:00+10:30"),
        ],
        id="lordhowe-daily-0900-half-hour-fall-back",
    ),
    pytest.param(
        LORD_HOWE,
        layer("2026-10-03T09:00", "1d", "a b"),
        ("2026-10-03T09:00+10:30", "2026-10-05T09:00+11:00"),
        [
            ("a", "2026-10-03T09:00+10:30", "2026-10-04T09:00+11:00"),
            ("b", "2026-10-04T09:00+11:00", "2026-10-05T09:00+11:00"),
        ],
        id="lordhowe-daily-0900-half-hour-spring-forward",
    ),
    pytest.param(
        NY,
        layer("2026-03-02T09:00", "1w", "a b"),
        ("2026-03-02T09:00-05:00", "2026-03-16T09:00-04:00"),
        [
            ("a", "2026-03-02T09:00-05:00", "2026-03-09T09:00-04:00"),
            ("b", "2026-03-09T09:00-04:00", "2026-03-16T09:00-04:00"),
        ],
        id="ny-weekly-monday-0900-same-weekday",
    ),
    pytest.param(
        BERLIN,
        layer("2026-10-19T10:00", "1w", "a b c"),
        ("2026-10-26T10:00+01:00", "2026-11-09T10:00+01:00"),
        [
            ("b", "2026-10-26T10:00+01:00", "2026-11-02T10:00+01:00"),
            ("c", "2026-11-02T10:00+01:00", "2026-11-09T10:00+01:00"),
        ],
        id="berlin-weekly-after-fall-back",
    ),
    pytest.param(
        NY,
        layer("2026-03-06T02:30", "1d", "a b c"),
        ("2026-03-07T02:30-05:00", "2026-03-09T02:30-04:00"),
        [
            ("b", "2026-03-07T02:30-05:00", "2026-03-08T03:00-04:00"),
            ("c", "2026-03-08T03:00-04:00", "2026-03-09T02:30-04:00"),
        ],
        id="ny-0230-handoff-on-spring-forward-at-0300",
    ),
    pytest.param(
        NY,
        layer("2026-10-30T01:30", "1d", "a b c"),
        ("2026-10-31T01:30-04:00", "2026-11-02T01:30-05:00"),
        [
            ("b", "2026-10-31T01:30-04:00", "2026-11-01T01:30-04:00"),
            ("c", "2026-11-01T01:30-04:00", "2026-11-02T01:30-05:00"),
        ],
        id="ny-0130-handoff-on-fall-back-first-occurrence",
    ),
    pytest.param(
        NY,
        layer("2026-03-08T02:30", "1d", "a b"),
        ("2026-03-08T00:00-05:00", "2026-03-09T12:00-04:00"),
        [
            ("a", "2026-03-08T03:00-04:00", "2026-03-09T02:30-04:00"),
            ("b", "2026-03-09T02:30-04:00", "2026-03-09T12:00-04:00"),
        ],
        id="ny-anchor-in-gap-starts-at-transition",
    ),
    pytest.param(
        NY,
        layer("2026-03-08T00:00", "1h", "a b c"),
        ("2026-03-08T00:00-05:00", "2026-03-08T05:00-04:00"),
        [
            ("a", "2026-03-08T00:00-05:00", "2026-03-08T01:00-05:00"),
            ("b", "2026-03-08T01:00-05:00", "2026-03-08T03:00-04:00"),
            # c's 02:00 turn does not exist; the 03:00 turn is a's as always
            ("a", "2026-03-08T03:00-04:00", "2026-03-08T04:00-04:00"),
            ("b", "2026-03-08T04:00-04:00", "2026-03-08T05:00-04:00"),
        ],
        id="ny-hourly-across-gap-skips-empty-turn",
    ),
    pytest.param(
        NY,
        layer("2026-11-01T00:00", "1h", "a b c"),
        ("2026-11-01T00:00-04:00", "2026-11-01T03:00-05:00"),
        [
            ("a", "2026-11-01T00:00-04:00", "2026-11-01T01:00-04:00"),
            ("b", "2026-11-01T01:00-04:00", "2026-11-01T02:00-05:00"),  # two real hours
            ("c", "2026-11-01T02:00-05:00", "2026-11-01T03:00-05:00"),
        ],
        id="ny-hourly-across-fold-turn-lasts-two-hours",
    ),
    pytest.param(
        LORD_HOWE,
        layer("2026-10-04T00:00", "1h", "a b c"),
        ("2026-10-04T00:00+10:30", "2026-10-04T04:00+11:00"),
        [
            ("a", "2026-10-04T00:00+10:30", "2026-10-04T01:00+10:30"),
            ("b", "2026-10-04T01:00+10:30", "2026-10-04T02:30+11:00"),
            ("c", "2026-10-04T02:30+11:00", "2026-10-04T03:00+11:00"),  # half an hour
            ("a", "2026-10-04T03:00+11:00", "2026-10-04T04:00+11:00"),
        ],
        id="lordhowe-hourly-across-half-hour-gap",
    ),
    pytest.param(
        LORD_HOWE,
        layer("2026-04-05T00:00", "1h", "a b c"),
        ("2026-04-05T00:00+11:00", "2026-04-05T03:00+10:30"),
        [
            ("a", "2026-04-05T00:00+11:00", "2026-04-05T01:00+11:00"),
            ("b", "2026-04-05T01:00+11:00", "2026-04-05T02:00+10:30"),  # 90 real minutes
            ("c", "2026-04-05T02:00+10:30", "2026-04-05T03:00+10:30"),
        ],
        id="lordhowe-hourly-across-half-hour-fold",
    ),
    pytest.param(
        BERLIN,
        layer("2026-03-29T00:00", "8h", "a b c"),
        ("2026-03-29T00:00+01:00", "2026-03-30T00:00+02:00"),
        [
            ("a", "2026-03-29T00:00+01:00", "2026-03-29T08:00+02:00"),  # seven real hours
            ("b", "2026-03-29T08:00+02:00", "2026-03-29T16:00+02:00"),
            ("c", "2026-03-29T16:00+02:00", "2026-03-30T00:00+02:00"),
        ],
        id="berlin-8h-wall-clock-turns",
    ),
    pytest.param(
        BERLIN,
        layer("2026-01-05T09:00", "2d", "a b c"),
        ("2026-01-04T00:00+01:00", "2026-01-09T10:00+01:00"),
        [
            ("a", "2026-01-05T09:00+01:00", "2026-01-07T09:00+01:00"),
            ("b", "2026-01-07T09:00+01:00", "2026-01-09T09:00+01:00"),
            ("c", "2026-01-09T09:00+01:00", "2026-01-09T10:00+01:00"),
        ],
        id="nobody-before-anchor-and-clipped-to-range",
    ),
    pytest.param(
        "UTC",
        layer("2026-01-01T00:00", "1d", "solo"),
        ("2026-01-01T12:00+00:00", "2026-01-03T12:00+00:00"),
        [
            ("solo", "2026-01-01T12:00+00:00", "2026-01-02T00:00+00:00"),
            ("solo", "2026-01-02T00:00+00:00", "2026-01-03T00:00+00:00"),
            ("solo", "2026-01-03T00:00+00:00", "2026-01-03T12:00+00:00"),
        ],
        id="one-user-layer-keeps-turns-apart",
    ),
]


@pytest.mark.parametrize(("zone", "one_layer", "span", "want"), HANDOFFS)
def test_layer_hands_off_on_the_wall_clock(
    zone: str, one_layer: Layer, span: tuple[str, str], want: list[tuple[str, str, str]]
) -> None:
    got = layer_shifts(schedule(zone, one_layer), 0, instant(span[0]), instant(span[1]))
    assert got == expected(*want)
    assert all(s.start.tzinfo is UTC and s.end.tzinfo is UTC for s in got)


# --- restrictions -----------------------------------------------------------------------

RESTRICTIONS = [
    pytest.param(
        NY,
        layer("2026-03-02T00:00", "1w", "a b", window("mon-fri", "09:00", "17:00")),
        ("2026-03-05T00:00-05:00", "2026-03-10T00:00-04:00"),
        [
            ("a", "2026-03-05T09:00-05:00", "2026-03-05T17:00-05:00"),
            ("a", "2026-03-06T09:00-05:00", "2026-03-06T17:00-05:00"),
            # the handoff at Monday 00:00 happened in hidden time: the rotation kept going
            ("b", "2026-03-09T09:00-04:00", "2026-03-09T17:00-04:00"),
        ],
        id="business-hours-rotation-keeps-advancing",
    ),
    pytest.param(
        BERLIN,
        layer("2026-03-01T00:00", "1w", "a", window("all", "09:00", "17:00")),
        ("2026-03-29T00:00+01:00", "2026-03-30T00:00+02:00"),
        [("a", "2026-03-29T09:00+02:00", "2026-03-29T17:00+02:00")],
        id="berlin-0900-1700-is-8-local-hours-on-dst-day",
    ),
    pytest.param(
        NY,
        layer("2026-03-01T12:00", "1w", "a", window("all", "22:00", "06:00")),
        ("2026-03-07T12:00-05:00", "2026-03-08T12:00-04:00"),
        [("a", "2026-03-07T22:00-05:00", "2026-03-08T06:00-04:00")],  # seven real hours
        id="overnight-2200-0600-across-spring-forward",
    ),
    pytest.param(
        NY,
        layer("2026-10-25T12:00", "1w", "a", window("all", "22:00", "06:00")),
        ("2026-10-31T12:00-04:00", "2026-11-01T12:00-05:00"),
        [("a", "2026-10-31T22:00-04:00", "2026-11-01T06:00-05:00")],  # nine real hours
        id="overnight-2200-0600-across-fall-back",
    ),
    pytest.param(
        BERLIN,
        layer("2026-01-05T00:00", "1w", "a", window("fri", "22:00", "06:00")),
        ("2026-01-05T00:00+01:00", "2026-01-12T00:00+01:00"),
        [("a", "2026-01-09T22:00+01:00", "2026-01-10T06:00+01:00")],
        id="overnight-window-belongs-to-its-start-day",
    ),
    pytest.param(
        BERLIN,
        layer("2026-01-05T00:00", "1w", "a", window("sun", "22:00", "06:00")),
        ("2026-01-12T03:00+01:00", "2026-01-13T00:00+01:00"),
        [("a", "2026-01-12T03:00+01:00", "2026-01-12T06:00+01:00")],
        id="overnight-window-from-day-before-range",
    ),
    pytest.param(
        BERLIN,
        layer("2026-01-05T00:00", "1w", "a", window("sat", "00:00", "00:00")),
        ("2026-01-05T00:00+01:00", "2026-01-12T00:00+01:00"),
        [("a", "2026-01-10T00:00+01:00", "2026-01-11T00:00+01:00")],
        id="equal-times-whole-day",
    ),
    pytest.param(
        BERLIN,
        layer("2026-01-05T00:00", "1w", "a", window("sat", "09:00", "09:00")),
        ("2026-01-05T00:00+01:00", "2026-01-12T00:00+01:00"),
        [("a", "2026-01-10T09:00+01:00", "2026-01-11T09:00+01:00")],
        id="equal-times-24-hours-from-start",
    ),
    pytest.param(
        BERLIN,
        layer(
            "2026-01-05T00:00",
            "1w",
            "a",
            window("sat", "00:00", "00:00"),
            window("sun", "00:00", "00:00"),
        ),
        ("2026-01-05T00:00+01:00", "2026-01-12T00:00+01:00"),
        [("a", "2026-01-10T00:00+01:00", "2026-01-12T00:00+01:00")],
        id="touching-windows-join",
    ),
    pytest.param(
        NY,
        layer("2026-03-02T12:00", "1d", "a b", window("mon-tue", "09:00", "17:00")),
        ("2026-03-02T00:00-05:00", "2026-03-04T00:00-05:00"),
        [
            ("a", "2026-03-02T12:00-05:00", "2026-03-02T17:00-05:00"),
            ("a", "2026-03-03T09:00-05:00", "2026-03-03T12:00-05:00"),
            ("b", "2026-03-03T12:00-05:00", "2026-03-03T17:00-05:00"),
        ],
        id="turn-cut-by-window-handoff-inside",
    ),
    pytest.param(
        NY,
        layer("2026-03-01T00:00", "1w", "a", window("sun", "02:30", "04:00")),
        ("2026-03-08T00:00-05:00", "2026-03-09T00:00-04:00"),
        [("a", "2026-03-08T03:00-04:00", "2026-03-08T04:00-04:00")],
        id="window-opening-in-gap-opens-at-transition",
    ),
    pytest.param(
        NY,
        layer("2026-10-25T00:00", "1w", "a", window("sun", "01:00", "01:30")),
        ("2026-11-01T00:00-04:00", "2026-11-02T00:00-05:00"),
        [("a", "2026-11-01T01:00-04:00", "2026-11-01T01:30-04:00")],
        id="window-in-fold-only-first-occurrence",
    ),
    pytest.param(
        LORD_HOWE,
        layer("2026-09-27T00:00", "1w", "a", window("sun", "01:00", "03:00")),
        ("2026-10-04T00:00+10:30", "2026-10-05T00:00+11:00"),
        [("a", "2026-10-04T01:00+10:30", "2026-10-04T03:00+11:00")],  # 90 real minutes
        id="lordhowe-window-across-half-hour-gap",
    ),
]


@pytest.mark.parametrize(("zone", "one_layer", "span", "want"), RESTRICTIONS)
def test_restrictions_hide_parts_of_turns_in_local_time(
    zone: str, one_layer: Layer, span: tuple[str, str], want: list[tuple[str, str, str]]
) -> None:
    got = layer_shifts(schedule(zone, one_layer), 0, instant(span[0]), instant(span[1]))
    assert got == expected(*want)


# --- the final schedule: layers, overrides, gaps ------------------------------------------

# A Berlin team: "a"/"b" take daily turns from Monday 2 March 09:00; "x"/"y" take weekly turns
# covering business hours on weekdays, on top.
ROUND_THE_CLOCK = layer("2026-03-02T09:00", "1d", "a b")
BUSINESS = layer("2026-03-02T00:00", "1w", "x y", window("mon-fri", "09:00", "17:00"))
MONDAY = ("2026-03-02T00:00+01:00", "2026-03-03T00:00+01:00")

FINAL = [
    pytest.param(
        (ROUND_THE_CLOCK, BUSINESS),
        (),
        MONDAY,
        [
            ("x", "2026-03-02T09:00+01:00", "2026-03-02T17:00+01:00"),
            ("a", "2026-03-02T17:00+01:00", "2026-03-03T00:00+01:00"),
        ],
        [("2026-03-02T00:00+01:00", "2026-03-02T09:00+01:00")],
        id="top-layer-wins-bottom-shows-through-gap-before-start",
    ),
    pytest.param(
        (BUSINESS, ROUND_THE_CLOCK),
        (),
        MONDAY,
        [("a", "2026-03-02T09:00+01:00", "2026-03-03T00:00+01:00")],
        [("2026-03-02T00:00+01:00", "2026-03-02T09:00+01:00")],
        id="order-matters-unrestricted-top-hides-all",
    ),
    pytest.param(
        (ROUND_THE_CLOCK, BUSINESS),
        (override("z", "2026-03-02T12:00+01:00", "2026-03-02T13:00+01:00"),),
        MONDAY,
        [
            ("x", "2026-03-02T09:00+01:00", "2026-03-02T12:00+01:00"),
            ("z", "2026-03-02T12:00+01:00", "2026-03-02T13:00+01:00"),
            ("x", "2026-03-02T13:00+01:00", "2026-03-02T17:00+01:00"),
            ("a", "2026-03-02T17:00+01:00", "2026-03-03T00:00+01:00"),
        ],
        [("2026-03-02T00:00+01:00", "2026-03-02T09:00+01:00")],
        id="override-beats-every-layer",
    ),
    pytest.param(
        (ROUND_THE_CLOCK, BUSINESS),
        (override("z", "2026-03-01T20:00+01:00", "2026-03-02T06:00+01:00"),),
        MONDAY,
        [
            ("z", "2026-03-02T00:00+01:00", "2026-03-02T06:00+01:00"),
            ("x", "2026-03-02T09:00+01:00", "2026-03-02T17:00+01:00"),
            ("a", "2026-03-02T17:00+01:00", "2026-03-03T00:00+01:00"),
        ],
        [("2026-03-02T06:00+01:00", "2026-03-02T09:00+01:00")],
        id="override-fills-gap-clipped-to-range",
    ),
    pytest.param(
        (ROUND_THE_CLOCK, BUSINESS),
        (
            override("z", "2026-03-02T10:00+01:00", "2026-03-02T14:00+01:00"),
            override("w", "2026-03-02T11:00+01:00", "2026-03-02T12:00+01:00"),
        ),
        ("2026-03-02T09:00+01:00", "2026-03-02T17:00+01:00"),
        [
            ("x", "2026-03-02T09:00+01:00", "2026-03-02T10:00+01:00"),
            ("z", "2026-03-02T10:00+01:00", "2026-03-02T11:00+01:00"),
            ("w", "2026-03-02T11:00+01:00", "2026-03-02T12:00+01:00"),
            ("z", "2026-03-02T12:00+01:00", "2026-03-02T14:00+01:00"),
            ("x", "2026-03-02T14:00+01:00", "2026-03-02T17:00+01:00"),
        ],
        [],
        id="later-override-wins-over-earlier",
    ),
    pytest.param(
        (ROUND_THE_CLOCK, BUSINESS),
        (override("a", "2026-03-02T16:00+01:00", "2026-03-02T17:00+01:00"),),
        ("2026-03-02T09:00+01:00", "2026-03-03T00:00+01:00"),
        [
            ("x", "2026-03-02T09:00+01:00", "2026-03-02T16:00+01:00"),
            ("a", "2026-03-02T16:00+01:00", "2026-03-03T00:00+01:00"),
        ],
        [],
        id="adjacent-shifts-of-same-person-merge",
    ),
    pytest.param(
        (ROUND_THE_CLOCK,),
        (),
        ("2026-03-02T09:00+01:00", "2026-03-03T09:00+01:00"),
        [("a", "2026-03-02T09:00+01:00", "2026-03-03T09:00+01:00")],
        [],
        id="handoff-instant-belongs-to-next-person",
    ),
    pytest.param(
        (BUSINESS,),
        (),
        ("2026-03-06T12:00+01:00", "2026-03-09T12:00+01:00"),
        [
            ("x", "2026-03-06T12:00+01:00", "2026-03-06T17:00+01:00"),
            ("y", "2026-03-09T09:00+01:00", "2026-03-09T12:00+01:00"),
        ],
        [
            ("2026-03-06T17:00+01:00", "2026-03-09T09:00+01:00"),
        ],
        id="weekend-gap-when-only-restricted-layer",
    ),
    pytest.param(
        (ROUND_THE_CLOCK, BUSINESS),
        (),
        ("2026-03-02T10:00+01:00", "2026-03-02T10:00+01:00"),
        [],
        [],
        id="empty-range",
    ),
]


@pytest.mark.parametrize(("layers", "overrides", "span", "want_shifts", "want_gaps"), FINAL)
def test_final_schedule(
    layers: tuple[Layer, ...],
    overrides: tuple[Override, ...],
    span: tuple[str, str],
    want_shifts: list[tuple[str, str, str]],
    want_gaps: list[tuple[str, str]],
) -> None:
    plan = schedule(BERLIN, *layers, overrides=overrides)
    since, until = instant(span[0]), instant(span[1])
    assert shifts(plan, since, until) == expected(*want_shifts)
    assert gaps(plan, since, until) == [(instant(a), instant(b)) for a, b in want_gaps]


ON_CALL = [
    pytest.param("2026-03-02T08:59:59+01:00", None, id="before-anchor-nobody"),
    pytest.param("2026-03-02T09:00+01:00", "x", id="window-opens-top-layer"),
    pytest.param("2026-03-02T12:30+01:00", "z", id="inside-override"),
    pytest.param("2026-03-02T13:00+01:00", "x", id="override-end-is-exclusive"),
    pytest.param("2026-03-02T16:59:59.999999+01:00", "x", id="last-microsecond-of-window"),
    pytest.param("2026-03-02T17:00+01:00", "a", id="window-closes-bottom-shows"),
    pytest.param("2026-03-03T08:59+01:00", "a", id="before-handoff"),
    pytest.param("2026-03-03T09:00+01:00", "x", id="handoff-instant-top-layer"),
    pytest.param("2026-03-03T17:00+01:00", "b", id="next-daily-turn"),
    pytest.param("2026-03-09T10:00+01:00", "y", id="next-weekly-turn"),
    pytest.param("2026-03-29T09:30+02:00", "b", id="sunday-after-dst"),
    pytest.param("2026-03-30T08:59+02:00", "b", id="before-0900-after-dst"),
    pytest.param("2026-03-30T09:00+02:00", "x", id="0900-local-after-dst"),
]


@pytest.mark.parametrize(("at", "want"), ON_CALL)
def test_on_call(at: str, want: str | None) -> None:
    plan = schedule(
        BERLIN,
        ROUND_THE_CLOCK,
        BUSINESS,
        overrides=(override("z", "2026-03-02T12:00+01:00", "2026-03-02T13:00+01:00"),),
    )
    assert on_call(plan, instant(at)) == want


NEXT = [
    pytest.param("2026-03-02T08:00+01:00", "1d", ("x", "2026-03-02T09:00+01:00"), id="gap-ends"),
    pytest.param("2026-03-02T10:00+01:00", "1d", ("z", "2026-03-02T12:00+01:00"), id="override"),
    pytest.param("2026-03-02T12:30+01:00", "1d", ("x", "2026-03-02T13:00+01:00"), id="after-it"),
    pytest.param("2026-03-02T16:00+01:00", "1d", ("a", "2026-03-02T17:00+01:00"), id="window-ends"),
    pytest.param("2026-03-02T18:00+01:00", "1d", ("x", "2026-03-03T09:00+01:00"), id="top-layer"),
    pytest.param("2026-03-02T18:00+01:00", "1h", None, id="beyond-the-horizon"),
    pytest.param("2026-03-02T09:00+01:00", "1d", ("z", "2026-03-02T12:00+01:00"), id="at-handoff"),
]


@pytest.mark.parametrize(("at", "horizon", "want"), NEXT)
def test_next_shift(at: str, horizon: str, want: tuple[str, str] | None) -> None:
    plan = schedule(
        BERLIN,
        ROUND_THE_CLOCK,
        BUSINESS,
        overrides=(override("z", "2026-03-02T12:00+01:00", "2026-03-02T13:00+01:00"),),
    )
    span = timedelta(days=1) if horizon == "1d" else timedelta(hours=1)
    found = next_shift(plan, instant(at), span)
    got = None if found is None else (found.user, found.start)
    assert got == (None if want is None else (want[0], instant(want[1])))


ON_CALL_DST = [
    pytest.param(
        NY,
        "2026-11-01T00:45",
        "1h",
        "2026-11-01T01:30-05:00",
        "b",
        id="ny-repeated-hour-turn-began-in-first-pass",
    ),
    pytest.param(
        NY, "2026-11-01T00:45", "1h", "2026-11-01T02:44-05:00", "b", id="ny-repeated-hour-long-turn"
    ),
    pytest.param(
        NY, "2026-11-01T00:45", "1h", "2026-11-01T02:45-05:00", "c", id="ny-after-repeated-hour"
    ),
    pytest.param(
        NY, "2026-10-31T01:30", "1d", "2026-11-01T01:15-05:00", "b", id="ny-daily-0130-second-pass"
    ),
    pytest.param(
        NY, "2026-10-31T01:30", "1d", "2026-11-01T01:29-04:00", "a", id="ny-daily-0130-before"
    ),
    pytest.param(
        NY, "2026-03-07T02:30", "1d", "2026-03-08T01:59:59-05:00", "a", id="ny-0230-before-gap"
    ),
    pytest.param(
        NY, "2026-03-07T02:30", "1d", "2026-03-08T03:00-04:00", "b", id="ny-0230-at-transition"
    ),
    pytest.param(
        LORD_HOWE,
        "2026-04-04T01:40",
        "1d",
        "2026-04-05T01:35+10:30",
        "b",
        id="lordhowe-second-pass",
    ),
    pytest.param(
        LORD_HOWE,
        "2026-10-03T02:10",
        "1d",
        "2026-10-04T02:30+11:00",
        "b",
        id="lordhowe-at-transition",
    ),
    pytest.param(
        BERLIN, "2026-03-30T00:00", "1d", "2026-03-29T23:59+02:00", None, id="before-start"
    ),
]


@pytest.mark.parametrize(("zone", "start", "rotation", "at", "want"), ON_CALL_DST)
def test_on_call_around_transitions(
    zone: str, start: str, rotation: str, at: str, want: str | None
) -> None:
    plan = schedule(zone, layer(start, rotation, "a b c"))
    assert on_call(plan, instant(at)) == want
    assert [s.user for s in shifts(plan, instant(at), instant(at) + timedelta(microseconds=1))] == (
        [] if want is None else [want]
    )


def test_override_in_another_offset_is_the_same_instant() -> None:
    plan = schedule(
        BERLIN,
        ROUND_THE_CLOCK,
        overrides=(
            Override(
                "z",
                instant("2026-03-02T12:00+01:00"),
                datetime.fromisoformat("2026-03-02T08:00-05:00"),
            ),
        ),
    )
    assert on_call(plan, instant("2026-03-02T13:59+01:00")) == "z"
    assert on_call(plan, instant("2026-03-02T14:00+01:00")) == "a"


# --- validation and errors ---------------------------------------------------------------

_GOOD = layer("2026-01-05T09:00", "1d", "a b")

VALIDATION = [
    pytest.param(schedule(BERLIN, _GOOD), [], id="valid"),
    pytest.param(
        Schedule("s", BERLIN, ()), ["layers: a schedule needs at least one layer"], id="no-layers"
    ),
    pytest.param(
        schedule(BERLIN, layer("2026-01-05T09:00", "1d", "")),
        ["layers[0].users: a layer needs at least one user"],
        id="layer-without-users",
    ),
    pytest.param(
        schedule("Mars/Olympus_Mons", _GOOD),
        ["timezone: 'Mars/Olympus_Mons' is not a known IANA time zone"],
        id="unknown-time-zone",
    ),
    pytest.param(
        schedule(BERLIN, layer("2026-01-05T09:00", "0d", "a")),
        ["layers[0].rotation.count: a turn must last at least 1 day (got 0)"],
        id="turn-length-zero",
    ),
    pytest.param(
        schedule(
            BERLIN,
            layer("2026-01-05T09:00", "1d", "a", Restriction(frozenset(), time(9), time(17))),
        ),
        ["layers[0].restrictions[0].days: a restriction needs at least one weekday"],
        id="restriction-without-days",
    ),
    pytest.param(
        schedule(
            BERLIN,
            layer("2026-01-05T09:00", "1d", "a", Restriction(frozenset({7}), time(9), time(17))),
        ),
        ["layers[0].restrictions[0].days: [7] are not weekdays (0 = Monday … 6 = Sunday)"],
        id="restriction-bad-weekday",
    ),
    pytest.param(
        schedule(
            BERLIN, _GOOD, overrides=(override("z", "2026-01-06T10:00Z", "2026-01-06T10:00Z"),)
        ),
        [
            "overrides[0].end: must be after start "
            "(2026-01-06T10:00:00+00:00 is not after 2026-01-06T10:00:00+00:00)"
        ],
        id="override-ending-at-its-start",
    ),
    pytest.param(
        schedule(
            BERLIN, _GOOD, overrides=(override("z", "2026-01-06T10:00Z", "2026-01-06T09:00Z"),)
        ),
        [
            "overrides[0].end: must be after start "
            "(2026-01-06T09:00:00+00:00 is not after 2026-01-06T10:00:00+00:00)"
        ],
        id="override-ending-before-its-start",
    ),
    pytest.param(
        schedule(
            BERLIN,
            _GOOD,
            overrides=(Override("z", datetime(2026, 1, 6, 10), datetime(2026, 1, 6, 11)),),
        ),
        [
            "overrides[0].start: must be an instant with a UTC offset",
            "overrides[0].end: must be an instant with a UTC offset",
        ],
        id="override-naive-times",
    ),
    pytest.param(
        Schedule("s", BERLIN, (_GOOD, _GOOD)),
        ["layers[1].name: duplicate layer name 'layer' (also layers[0])"],
        id="duplicate-layer-names",
    ),
    pytest.param(
        Schedule(
            "s",
            "Nowhere",
            (
                Layer("l", datetime(2026, 1, 5, 9, tzinfo=UTC), Rotation(0, "hour"), ()),
                Layer("l", datetime(2026, 1, 5), Rotation(1, "week"), ("a", "")),
            ),
            (Override("", instant("2026-01-06T10:00Z"), instant("2026-01-06T09:00Z")),),
        ),
        [
            "timezone: 'Nowhere' is not a known IANA time zone",
            "layers[0].start: must be a local wall-clock time without a UTC offset",
            "layers[0].users: a layer needs at least one user",
            "layers[0].rotation.count: a turn must last at least 1 hour (got 0)",
            "layers[1].name: duplicate layer name 'l' (also layers[0])",
            "layers[1].users[1]: a user name cannot be empty",
            "overrides[0].user: an override needs a user",
            "overrides[0].end: must be after start "
            "(2026-01-06T09:00:00+00:00 is not after 2026-01-06T10:00:00+00:00)",
        ],
        id="every-problem-at-once",
    ),
]


@pytest.mark.parametrize(("plan", "want"), VALIDATION)
def test_validate(plan: Schedule, want: list[str]) -> None:
    assert validate(plan) == want


def test_queries_refuse_invalid_schedules() -> None:
    plan = Schedule("broken", "Nowhere", ())
    with pytest.raises(ValueError, match=r"broken.*timezone.*layers"):
        on_call(plan, instant("2026-01-06T10:00Z"))
    with pytest.raises(ValueError, match="broken"):
        shifts(plan, instant("2026-01-06T10:00Z"), instant("2026-01-07T10:00Z"))


NAIVE = datetime(2026, 1, 6, 10)
AWARE = instant("2026-01-06T10:00Z")


@pytest.mark.parametrize(
    "query",
    [
        pytest.param(lambda p: on_call(p, NAIVE), id="on_call-at"),
        pytest.param(lambda p: shifts(p, NAIVE, AWARE), id="shifts-since"),
        pytest.param(lambda p: gaps(p, AWARE, NAIVE), id="gaps-until"),
        pytest.param(lambda p: layer_shifts(p, 0, NAIVE, AWARE), id="layer_shifts-since"),
        pytest.param(lambda p: shifts(p, AWARE, AWARE - timedelta(1)), id="until-before-since"),
    ],
)
def test_queries_refuse_naive_instants_and_backwards_ranges(
    query: Callable[[Schedule], object],
) -> None:
    with pytest.raises(ValueError, match=r"naive|before since"):
        query(schedule(BERLIN, _GOOD))


def test_local_to_utc_ignores_fold_and_tzinfo_of_input() -> None:
    zone = ZoneInfo(NY)
    second = datetime(2026, 11, 1, 1, 30, fold=1)
    assert local_to_utc(second, zone) == instant("2026-11-01T01:30-04:00")


# --- speed -------------------------------------------------------------------------------


def test_two_weeks_of_three_restricted_layers_is_fast() -> None:
    plan = schedule(
        BERLIN,
        layer("2026-01-05T09:00", "1w", "a b c", window("mon-fri", "09:00", "17:00")),
        layer("2026-01-05T17:00", "1d", "d e", window("all", "17:00", "09:00")),
        layer("2026-01-05T00:00", "4h", "f g h", window("sat,sun", "00:00", "00:00")),
        overrides=(override("z", "2026-03-30T12:00+02:00", "2026-03-31T12:00+02:00"),),
    )
    since = instant("2026-03-22T00:00+01:00")
    until = since + timedelta(days=14)
    best = float("inf")
    for _ in range(5):
        began = clock.perf_counter()
        result = shifts(plan, since, until)
        best = min(best, clock.perf_counter() - began)
    assert result
    assert best < 0.010
