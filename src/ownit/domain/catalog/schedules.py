"""``kind: Schedule`` in the catalog: read a spec, check it, write its normal form.

The catalog reads the shape of each field (strings, date-times, ``HH:MM`` times, turn lengths,
weekday names) and the schedule calculator's own :func:`ownit.domain.oncall.schedules.validate`
checks the rules (at least one layer and one user, turns of at least one hour/day/week, unique
layer names, local layer starts, override instants with offsets and ``end`` after ``start``).
Its messages are reported at the line of the field they name. Where a field could not be read
at all, the calculator's complaints about that field are left out (the reader's message says
it already).

The catalog object holds the calculator's parts, so :func:`calculator` is the one conversion
from a stored schedule to what answers "who is on call".

Normal form (:func:`schedule_spec`): ``team`` (when given), ``timezone``, ``layers`` (``name``,
``start`` as ``YYYY-MM-DDTHH:MM:SS``, ``rotation`` as written (``12h``, ``1d``, ``2w``),
``users``, ``restrictions`` with ``days`` in week order and ``from``/``to`` as ``HH:MM``), then
``overrides`` (``user``, ``start``, ``end`` in ISO 8601 with the offset they were given).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime, time

from ownit.domain.catalog.fields import (
    Fields,
    quote,
    shape,
    slug_problem,
    suggest,
    timezone_problem,
)
from ownit.domain.catalog.model import JsonObject, JsonValue, Node, Schedule
from ownit.domain.oncall import schedules as calc
from ownit.domain.oncall.rotations import Layer, Restriction, Rotation, Unit
from ownit.domain.oncall.schedules import Override

__all__ = ["WEEKDAYS", "calculator", "parse_schedule", "schedule_spec"]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_UNITS: dict[str, Unit] = {"h": "hour", "d": "day", "w": "week"}
_ROTATION = re.compile(r"^(\d+)([hdw])$")
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_ROTATION_HINT = "write whole hours, days or weeks: 12h, 1d, 1w"
_CLOCK_HINT = "write HH:MM, like 09:00 or 17:30"
_LAYER_FIELDS = ("name", "start", "rotation", "users", "restrictions")
# The calculator's paths that the catalog writes differently.
_WORDS = (
    (re.compile(r"\.rotation\.(count|unit)$"), ".rotation"),
    (re.compile(r"(restrictions\[\d+\])\.start$"), r"\1.from"),
    (re.compile(r"(restrictions\[\d+\])\.end$"), r"\1.to"),
)


def calculator(schedule: Schedule, extra: Sequence[Override] = ()) -> calc.Schedule:
    """The calculator's schedule; ``extra`` overrides come after the schedule's own.

    In the calculator a later override wins where overrides overlap, so ``extra`` (overrides
    made through the API, oldest first) beat the catalog's and the newest of them wins.
    """
    return calc.Schedule(
        schedule.name,
        schedule.timezone,
        schedule.layers,
        (*schedule.overrides, *extra),
    )


# --- reading --------------------------------------------------------------------------------


def parse_schedule(name: str, spec: Fields) -> Schedule:
    """The schedule of ``spec``; every problem goes to the spec's reader."""
    failed: set[str] = set()  # file paths that could not be read
    zone = spec.text("timezone", required=spec.ok, check=timezone_problem)
    items = spec.seq("layers", required=spec.ok)
    layers = [_layer(spec, path, node, failed) for path, node in items]
    overrides = _overrides(spec, failed)
    schedule = Schedule(
        name,
        team=spec.slug("team"),
        timezone=zone or "UTC",
        layers=tuple(layers),
        overrides=tuple(overrides),
    )
    _check(schedule, spec, failed)
    return schedule


def _check(schedule: Schedule, spec: Fields, failed: set[str]) -> None:
    """The calculator's rules, reported at the lines of the fields they name."""
    layers = spec.node("layers")
    empty_list_given = layers is not None and layers.items == ()
    for message in calc.validate(calculator(schedule)):
        path, _, text = message.partition(": ")
        if path == "timezone" or (path == "layers" and not empty_list_given):
            continue  # the reader has checked the zone, and said when layers are missing
        path = _file_path(path, spec.r.renames)
        if any(path == f or path.startswith((f + ".", f + "[")) for f in failed):
            continue
        for pattern, replacement in _WORDS:
            path = pattern.sub(replacement, path)
        spec.r.problem(_line(path, spec.r.lines, spec.line), f"{path}: {text}")


def _file_path(path: str, renames: Mapping[str, str]) -> str:
    for kept, raw in renames.items():
        if path == kept or path.startswith((kept + ".", kept + "[")):
            return raw + path[len(kept) :]
    return path


def _line(path: str, lines: Mapping[str, int], default: int) -> int:
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return default


def _layer(spec: Fields, path: str, node: Node, failed: set[str]) -> Layer:
    """One layer; fields that cannot be read get a stand-in and their path goes to ``failed``."""
    f = spec.item(path, node, _LAYER_FIELDS)
    if not f.ok:
        failed.add(path)
    name = f.text("name", required=True, max_len=100)
    start = date_time(f, "start", "2026-01-05T09:00:00")
    rotation = _rotation(f)
    users_node = f.node("users", required=True)
    users: list[str] = []
    for upath, user in f.strings("users", check=slug_problem):
        spec.r.alias(upath, f"{path}.users[{len(users)}]")
        users.append(user)
    if users_node is None or users_node.items is None or len(users) != len(users_node.items):
        failed.add(f.where("users"))
    for key, value in (("name", name), ("start", start), ("rotation", rotation)):
        if value is None:
            failed.add(f.where(key))
    restrictions: list[Restriction] = []
    for rpath, rnode in f.seq("restrictions"):
        restriction = _restriction(f, rpath, rnode)
        if restriction is not None:
            spec.r.alias(rpath, f"{path}.restrictions[{len(restrictions)}]")
            restrictions.append(restriction)
    return Layer(
        name or "",
        start or datetime(2000, 1, 1),
        rotation or Rotation(1, "day"),
        tuple(users),
        tuple(restrictions),
    )


def _rotation(f: Fields) -> Rotation | None:
    node = f.node("rotation", required=True)
    if node is None:
        return None
    match = _ROTATION.match(node.scalar) if isinstance(node.scalar, str) else None
    if match is None:
        f.r.problem(
            node.line,
            f"{f.where('rotation')} {shape(node)} is not a turn length ({_ROTATION_HINT})",
        )
        return None
    return Rotation(int(match.group(1)), _UNITS[match.group(2)])


def _restriction(layer: Fields, path: str, node: Node) -> Restriction | None:
    f = layer.item(path, node, ("days", "from", "to"))
    days = _days(f)
    start, end = _clock(f, "from"), _clock(f, "to")
    if days is None or start is None or end is None:
        return None
    return Restriction(frozenset(days), start, end)


def _days(f: Fields) -> list[int] | None:
    node = f.node("days", required=True)
    if node is None:
        return None
    days: list[int] = []
    for path, word in f.strings("days"):
        if word not in WEEKDAYS:
            f.r.problem(
                f.r.lines[path],
                f"{path} {quote(word)} is not a weekday ({', '.join(WEEKDAYS)})"
                + suggest(word, WEEKDAYS),
            )
        elif WEEKDAYS.index(word) in days:
            f.r.problem(f.r.lines[path], f"{path} {quote(word)} is listed twice")
        else:
            days.append(WEEKDAYS.index(word))
    if node.items is None or len(days) != len(node.items):
        return None
    return days


def _clock(f: Fields, key: str) -> time | None:
    """``HH:MM``; YAML reads an unquoted ``17:30`` as a number, so the text as written counts."""
    node = f.node(key, required=True)
    if node is None:
        return None
    text = node.scalar if isinstance(node.scalar, str) else None
    if text is None and node.is_scalar and isinstance(node.scalar, int):
        text = node.text
    match = _CLOCK.match(text) if text is not None else None
    if match is None:
        shown = quote(text) if text is not None else shape(node)
        f.r.problem(node.line, f"{f.where(key)} {shown} is not a time of day ({_CLOCK_HINT})")
        return None
    return time(int(match.group(1)), int(match.group(2)))


def date_time(f: Fields, key: str, example: str) -> datetime | None:
    """An ISO 8601 date and time, with or without an offset (the calculator says which)."""
    value = f.text(key, required=True)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value) if len(value) > 10 else None
    except ValueError:
        parsed = None
    if parsed is None:
        f.r.problem(
            f.line_of(key),
            f"{f.where(key)} {quote(value)} is not a date and time (write it like {example})",
        )
    return parsed


def _overrides(spec: Fields, failed: set[str]) -> list[Override]:
    overrides: list[Override] = []
    for path, node in spec.seq("overrides"):
        f = spec.item(path, node, ("user", "start", "end"))
        user = f.slug("user", required=True)
        start = date_time(f, "start", "2026-02-01T00:00:00+01:00")
        end = date_time(f, "end", "2026-02-02T00:00:00+01:00")
        if user is None or start is None or end is None:
            failed.add(path)
            continue
        spec.r.alias(path, f"overrides[{len(overrides)}]")
        overrides.append(Override(user, start, end))
    return overrides


# --- writing --------------------------------------------------------------------------------


def schedule_spec(schedule: Schedule) -> JsonObject:
    """The normalised spec: what is stored, compared and exported."""
    out: JsonObject = {}
    if schedule.team is not None:
        out["team"] = schedule.team
    out["timezone"] = schedule.timezone
    out["layers"] = [_layer_json(layer) for layer in schedule.layers]
    if schedule.overrides:
        out["overrides"] = [
            {"user": o.user, "start": o.start.isoformat(), "end": o.end.isoformat()}
            for o in schedule.overrides
        ]
    return out


def _layer_json(layer: Layer) -> JsonValue:
    users: list[JsonValue] = list(layer.users)
    out: JsonObject = {
        "name": layer.name,
        "start": layer.start.isoformat(),
        "rotation": f"{layer.rotation.count}{layer.rotation.unit[0]}",
        "users": users,
    }
    if layer.restrictions:
        out["restrictions"] = [
            {
                "days": [WEEKDAYS[d] for d in sorted(r.days) if 0 <= d < len(WEEKDAYS)],
                "from": r.start.strftime("%H:%M"),
                "to": r.end.strftime("%H:%M"),
            }
            for r in layer.restrictions
        ]
    return out
