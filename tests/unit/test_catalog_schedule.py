"""``kind: Schedule`` in the catalog: each message with file and line; normal form; calculator."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from ownit.adapters.catalog.yaml_source import dump_documents, load_text
from ownit.domain.catalog import Schedule, from_spec, to_document, to_spec, validate
from ownit.domain.catalog.schedules import calculator
from ownit.domain.oncall import schedules as calc
from ownit.domain.oncall.rotations import Layer, Restriction, Rotation

BASE = "\n".join(
    [
        "apiVersion: ownit/v1",
        "kind: User",
        "metadata: {name: alice}",
        "spec: {email: alice@example.com}",
        "---",
        "apiVersion: ownit/v1",
        "kind: User",
        "metadata: {name: bob}",
        "spec: {email: bob@example.com}",
        "---",
        "apiVersion: ownit/v1",
        "kind: Team",
        "metadata: {name: payments}",
        "spec: {members: [{user: alice}, {user: bob}]}",
        "",
    ]
)

LAYER = [
    "    - name: day",  # 7
    '      start: "2026-01-05T09:00:00"',
    "      rotation: 1d",
    "      users: [alice, bob]",  # 10
]


def schedule(*spec: str, zone: str = "  timezone: Europe/Berlin") -> str:
    """A schedule document: the zone on line 5, then ``spec`` from line 6."""
    lines = ["apiVersion: ownit/v1", "kind: Schedule", "metadata: {name: primary}", "spec:"]
    return "\n".join([*lines, *([zone] if zone else []), *spec, ""])


def layers(*lines: str) -> tuple[str, ...]:
    """``layers:`` on line 6 and the good layer on lines 7–10, then ``lines`` from line 11."""
    return ("  layers:", *LAYER, *lines)


def check(text: str) -> list[str]:
    docs = load_text(BASE, "base.yaml").documents + load_text(text, "bad.yaml").documents
    return [str(p) for p in validate(docs).problems]


def test_a_good_schedule_is_clean() -> None:
    assert check(schedule(*layers())) == []


CASES = [
    # the schedule
    pytest.param(
        schedule(*layers(), zone=""),
        ["bad.yaml:4: timezone is required"],
        id="timezone-required",
    ),
    pytest.param(
        schedule(*layers(), zone="  timezone: Europe/Berln"),
        [
            'bad.yaml:5: timezone "Europe/Berln" is not an IANA time zone '
            '(did you mean "Europe/Berlin"?)'
        ],
        id="timezone-unknown",
    ),
    pytest.param(
        schedule("  team: paymnts", *layers()),
        ['bad.yaml:6: team "paymnts" does not exist (did you mean "payments"?)'],
        id="team-ref",
    ),
    pytest.param(
        schedule(*layers(), "  overides: []"),
        ['bad.yaml:11: unknown field "overides" in spec (did you mean "overrides"?)'],
        id="unknown-field",
    ),
    pytest.param(schedule(), ["bad.yaml:4: layers is required"], id="layers-required"),
    pytest.param(
        schedule("  layers: []"),
        ["bad.yaml:6: layers: a schedule needs at least one layer"],
        id="layers-empty",
    ),
    pytest.param(
        schedule("  layers: [day]"),
        ['bad.yaml:6: layers[0] must be a mapping, not "day"'],
        id="layer-mapping",
    ),
    # layers
    pytest.param(
        schedule(
            *layers(
                "    - start: '2026-01-05T21:00:00'", "      rotation: 1d", "      users: [bob]"
            )
        ),
        ["bad.yaml:11: layers[1].name is required"],
        id="layer-name-required",
    ),
    pytest.param(
        schedule(*layers(*(line.replace("09:00", "21:00") for line in LAYER))),
        ["bad.yaml:11: layers[1].name: duplicate layer name 'day' (also layers[0])"],
        id="layer-name-twice",
    ),
    pytest.param(
        schedule(*layers("      rotaton: 1d")),
        ['bad.yaml:11: unknown field "rotaton" in layers[0] (did you mean "rotation"?)'],
        id="layer-unknown-field",
    ),
    pytest.param(
        schedule("  layers:", "    - {name: day, rotation: 1d, users: [alice]}"),
        ["bad.yaml:7: layers[0].start is required"],
        id="start-required",
    ),
    pytest.param(
        schedule("  layers:", "    - {name: day, start: monday, rotation: 1d, users: [alice]}"),
        [
            'bad.yaml:7: layers[0].start "monday" is not a date and time '
            "(write it like 2026-01-05T09:00:00)"
        ],
        id="start-not-a-date-time",
    ),
    pytest.param(
        schedule("  layers:", "    - {name: day, start: 2026-01-05, rotation: 1d, users: [alice]}"),
        [
            'bad.yaml:7: layers[0].start "2026-01-05" is not a date and time '
            "(write it like 2026-01-05T09:00:00)"
        ],
        id="start-date-only",
    ),
    pytest.param(
        schedule(
            "  layers:",
            "    - name: day",
            "      start: 2026-01-05T09:00:00+01:00",
            "      rotation: 1d",
            "      users: [alice]",
        ),
        ["bad.yaml:8: layers[0].start: must be a local wall-clock time without a UTC offset"],
        id="start-with-offset",
    ),
    pytest.param(
        schedule("  layers:", "    - {name: day, start: '2026-01-05T09:00:00', users: [alice]}"),
        ["bad.yaml:7: layers[0].rotation is required"],
        id="rotation-required",
    ),
    pytest.param(
        schedule(
            *layers(), "    - {name: n, start: '2026-01-05T21:00', rotation: 30m, users: [bob]}"
        ),
        [
            'bad.yaml:11: layers[1].rotation "30m" is not a turn length '
            "(write whole hours, days or weeks: 12h, 1d, 1w)"
        ],
        id="rotation-minutes",
    ),
    pytest.param(
        schedule(
            *layers(), "    - {name: n, start: '2026-01-05T21:00', rotation: 7, users: [bob]}"
        ),
        [
            "bad.yaml:11: layers[1].rotation 7 is not a turn length "
            "(write whole hours, days or weeks: 12h, 1d, 1w)"
        ],
        id="rotation-number",
    ),
    pytest.param(
        schedule(
            *layers(), "    - {name: n, start: '2026-01-05T21:00', rotation: 0w, users: [bob]}"
        ),
        ["bad.yaml:11: layers[1].rotation: a turn must last at least 1 week (got 0)"],
        id="rotation-zero",
    ),
    # users
    pytest.param(
        schedule("  layers:", "    - {name: day, start: '2026-01-05T09:00', rotation: 1d}"),
        ["bad.yaml:7: layers[0].users is required"],
        id="users-required",
    ),
    pytest.param(
        schedule(
            "  layers:",
            "    - {name: day, start: '2026-01-05T09:00', rotation: 1d,",
            "       users: []}",
        ),
        ["bad.yaml:8: layers[0].users: a layer needs at least one user"],
        id="users-empty",
    ),
    pytest.param(
        schedule(
            "  layers:", "    - {name: day, start: '2026-01-05T09:00', rotation: 1d, users: alice}"
        ),
        ['bad.yaml:7: layers[0].users must be a list, not "alice"'],
        id="users-list",
    ),
    pytest.param(
        schedule(
            "  layers:",
            "    - name: day",
            "      start: '2026-01-05T09:00'",
            "      rotation: 1d",
            "      users:",
            "        - Alice",
            "        - bobb",
        ),
        [
            'bad.yaml:11: layers[0].users[0] "Alice" is not a slug '
            "(lowercase letters, digits and -, starting with a letter or digit)",
            'bad.yaml:12: layers[0].users[1] "bobb" does not exist (did you mean "bob"?)',
        ],
        id="users-slug-and-ref",
    ),
    # restrictions
    pytest.param(
        schedule(
            *layers(
                "      restrictions:", "        - {days: [mon, tues], from: '09:00', to: '17:00'}"
            )
        ),
        [
            'bad.yaml:12: layers[0].restrictions[0].days[1] "tues" is not a weekday '
            '(mon, tue, wed, thu, fri, sat, sun) (did you mean "tue"?)'
        ],
        id="restriction-day",
    ),
    pytest.param(
        schedule(
            *layers(
                "      restrictions:", "        - {days: [mon, mon], from: '09:00', to: '17:00'}"
            )
        ),
        ['bad.yaml:12: layers[0].restrictions[0].days[1] "mon" is listed twice'],
        id="restriction-day-twice",
    ),
    pytest.param(
        schedule(
            *layers("      restrictions:", "        - {days: [], from: '09:00', to: '17:00'}")
        ),
        ["bad.yaml:12: layers[0].restrictions[0].days: a restriction needs at least one weekday"],
        id="restriction-days-empty",
    ),
    pytest.param(
        schedule(*layers("      restrictions:", "        - {from: '09:00', to: '17:00'}")),
        ["bad.yaml:12: layers[0].restrictions[0].days is required"],
        id="restriction-days-required",
    ),
    pytest.param(
        schedule(*layers("      restrictions:", "        - {days: [sat], to: '17:00'}")),
        ["bad.yaml:12: layers[0].restrictions[0].from is required"],
        id="restriction-from-required",
    ),
    pytest.param(
        schedule(*layers("      restrictions:", "        - {days: [sat], from: 9am, to: 24:00}")),
        [
            'bad.yaml:12: layers[0].restrictions[0].from "9am" is not a time of day '
            "(write HH:MM, like 09:00 or 17:30)",
            'bad.yaml:12: layers[0].restrictions[0].to "24:00" is not a time of day '
            "(write HH:MM, like 09:00 or 17:30)",
        ],
        id="restriction-times",
    ),
    pytest.param(
        schedule(
            *layers("      restrictions:", "        - {days: [sat], from: '09:00', until: '17:00'}")
        ),
        [
            'bad.yaml:12: unknown field "until" in layers[0].restrictions[0]',
            "bad.yaml:12: layers[0].restrictions[0].to is required",
        ],
        id="restriction-unknown-field",
    ),
    # overrides
    pytest.param(
        schedule(
            *layers(),
            "  overrides:",
            "    - {start: '2026-02-01T00:00+01:00', end: '2026-02-02T00:00+01:00'}",
        ),
        ["bad.yaml:12: overrides[0].user is required"],
        id="override-user-required",
    ),
    pytest.param(
        schedule(
            *layers(),
            "  overrides:",
            "    - {user: carol, start: '2026-02-01T00:00+01:00', end: '2026-02-02T00:00+01:00'}",
        ),
        ['bad.yaml:12: overrides[0].user "carol" does not exist'],
        id="override-user-ref",
    ),
    pytest.param(
        schedule(
            *layers(),
            "  overrides:",
            "    - {user: bob, start: tomorrow, end: '2026-02-02T00:00+01:00'}",
        ),
        [
            'bad.yaml:12: overrides[0].start "tomorrow" is not a date and time '
            "(write it like 2026-02-01T00:00:00+01:00)"
        ],
        id="override-start",
    ),
    pytest.param(
        schedule(*layers(), "  overrides:", "    - {user: bob, start: '2026-02-01T00:00+01:00'}"),
        ["bad.yaml:12: overrides[0].end is required"],
        id="override-end-required",
    ),
    pytest.param(
        schedule(
            *layers(),
            "  overrides:",
            "    - user: bob",
            "      start: 2026-02-01T00:00:00",
            "      end: 2026-02-02T00:00:00+01:00",
        ),
        ["bad.yaml:13: overrides[0].start: must be an instant with a UTC offset"],
        id="override-naive",
    ),
    pytest.param(
        schedule(
            *layers(),
            "  overrides:",
            "    - user: bob",
            "      start: 2026-02-02T00:00:00+01:00",
            "      end: 2026-02-01T23:00:00Z",
        ),
        [
            "bad.yaml:14: overrides[0].end: must be after start "
            "(2026-02-01T23:00:00+00:00 is not after 2026-02-02T00:00:00+01:00)"
        ],
        id="override-end-not-after-start",
    ),
    pytest.param(
        schedule(
            *layers(),
            "  overrides:",
            "    - {user: bob, start: soon, end: '2026-02-02T00:00+01:00'}",
            "    - {user: erin, start: '2026-02-01T00:00+01:00', end: '2026-02-02T00:00+01:00'}",
        ),
        [
            'bad.yaml:12: overrides[0].start "soon" is not a date and time '
            "(write it like 2026-02-01T00:00:00+01:00)",
            'bad.yaml:13: overrides[1].user "erin" does not exist',
        ],
        id="paths-after-a-bad-item",
    ),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_one_problem_each(text: str, expected: list[str]) -> None:
    assert check(text) == expected


FULL = """\
apiVersion: ownit/v1
kind: Schedule
metadata: {name: payments-primary}
spec:
  team: payments
  timezone: Europe/Berlin
  layers:
    - name: weekdays
      start: 2026-01-05T09:00
      rotation: 1w
      users: [alice, bob]
      restrictions:
        - {days: [fri, mon, tue, wed, thu], from: 09:00, to: 17:00}
    - name: nights
      start: "2026-01-05T17:00:00"
      rotation: 12h
      users: [bob]
  overrides:
    - {user: alice, start: "2026-02-01T00:00:00+01:00", end: 2026-02-02T00:00:00Z}
"""


def parsed(text: str) -> Schedule:
    docs = load_text(BASE, "base.yaml").documents + load_text(text, "s.yaml").documents
    result = validate(docs)
    assert result.problems == ()
    obj = result.documents[-1].obj
    assert isinstance(obj, Schedule)
    return obj


def test_the_schedule_holds_the_calculators_parts() -> None:
    obj = parsed(FULL)
    assert obj.team == "payments"
    assert obj.timezone == "Europe/Berlin"
    assert obj.layers[0] == Layer(
        "weekdays",
        datetime(2026, 1, 5, 9),
        Rotation(1, "week"),
        ("alice", "bob"),
        (Restriction(frozenset(range(5)), time(9), time(17)),),
    )
    assert obj.layers[1].rotation == Rotation(12, "hour")
    assert obj.overrides[0].start == datetime(2026, 1, 31, 23, tzinfo=UTC)


def test_the_normal_form_and_its_round_trip() -> None:
    obj = parsed(FULL)
    spec = to_spec(obj)
    assert spec == {
        "team": "payments",
        "timezone": "Europe/Berlin",
        "layers": [
            {
                "name": "weekdays",
                "start": "2026-01-05T09:00:00",
                "rotation": "1w",
                "users": ["alice", "bob"],
                "restrictions": [
                    {"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "17:00"}
                ],
            },
            {"name": "nights", "start": "2026-01-05T17:00:00", "rotation": "12h", "users": ["bob"]},
        ],
        "overrides": [
            {
                "user": "alice",
                "start": "2026-02-01T00:00:00+01:00",
                "end": "2026-02-02T00:00:00+00:00",
            }
        ],
    }
    assert from_spec("Schedule", obj.name, spec) == obj
    exported = dump_documents([to_document(obj)])
    assert parsed(exported) == obj
    assert dump_documents([to_document(parsed(exported))]) == exported


def test_overrides_given_to_the_calculator_beat_the_catalogs() -> None:
    obj = parsed(FULL)
    at = datetime(2026, 2, 1, 12, tzinfo=UTC)
    assert calc.on_call(calculator(obj), at) == "alice"
    api = calc.Override("bob", datetime(2026, 2, 1, 11, tzinfo=UTC), at.replace(hour=13))
    assert calc.on_call(calculator(obj, [api]), at) == "bob"
