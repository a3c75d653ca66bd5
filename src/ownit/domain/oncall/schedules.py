"""Who is on call: the final schedule of layers and overrides (``docs/oncall.md``).

The rules, in order of strength:

1. An override puts its user on call during ``[start, end)``, beating every layer. Where
   overrides overlap, the later one in ``Schedule.overrides`` wins.
2. Layers: a later layer wins wherever it has someone on call; where it has nobody (before
   its start, or outside its restrictions) the layer below shows through.
3. Where nobody is on call, the final schedule has a gap.

Shifts are half-open ``[start, end)``: at a handoff instant the new person is on call.
Rotation, daylight saving and restriction rules are in :mod:`ownit.domain.oncall.rotations`.

All instants given and returned are aware datetimes in UTC; naive ones raise ``ValueError``
(aware ones in another zone are converted). A query on a schedule that :func:`validate`
rejects raises ``ValueError`` listing the problems. A range with ``until < since`` raises
``ValueError``; an empty range (``until == since``) has no shifts and no gaps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ownit.domain.oncall.rotations import (
    UNITS,
    Layer,
    Restriction,
    Rotation,
    Shift,
    Unit,
    layer_pieces,
    layer_user_at,
    local_to_utc,
)

__all__ = [
    "Layer",
    "Override",
    "Restriction",
    "Rotation",
    "Schedule",
    "Shift",
    "Unit",
    "gaps",
    "layer_shifts",
    "local_to_utc",
    "on_call",
    "shifts",
    "validate",
]


@dataclass(frozen=True)
class Override:
    """``user`` is on call during ``[start, end)`` (aware instants), whatever the layers say."""

    user: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Schedule:
    """Ordered layers (later wins) and overrides in an IANA time zone."""

    name: str
    timezone: str
    layers: tuple[Layer, ...]
    overrides: tuple[Override, ...] = ()


# --- validation -------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def _zone(name: str) -> ZoneInfo | None:
    """The IANA zone called ``name``, or ``None`` when there is no such zone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def _is_aware(value: datetime) -> bool:
    return value.tzinfo is not None and value.utcoffset() is not None


def validate(schedule: Schedule) -> list[str]:
    """Every problem with ``schedule`` at once, each a plain message naming its field."""
    problems: list[str] = []
    if _zone(schedule.timezone) is None:
        problems.append(f"timezone: {schedule.timezone!r} is not a known IANA time zone")
    if not schedule.layers:
        problems.append("layers: a schedule needs at least one layer")
    seen: dict[str, int] = {}
    for i, layer in enumerate(schedule.layers):
        if layer.name in seen:
            problems.append(
                f"layers[{i}].name: duplicate layer name {layer.name!r} "
                f"(also layers[{seen[layer.name]}])"
            )
        seen.setdefault(layer.name, i)
        problems.extend(_layer_problems(layer, f"layers[{i}]"))
    for i, override in enumerate(schedule.overrides):
        problems.extend(_override_problems(override, f"overrides[{i}]"))
    return problems


def _layer_problems(layer: Layer, where: str) -> list[str]:
    """The problems of one layer; ``where`` names it (``layers[0]``)."""
    problems: list[str] = []
    if not layer.name:
        problems.append(f"{where}.name: a layer needs a name")
    if layer.start.tzinfo is not None:
        problems.append(f"{where}.start: must be a local wall-clock time without a UTC offset")
    if not layer.users:
        problems.append(f"{where}.users: a layer needs at least one user")
    problems.extend(
        f"{where}.users[{j}]: a user name cannot be empty"
        for j, u in enumerate(layer.users)
        if not u
    )
    if layer.rotation.unit not in UNITS:
        problems.append(
            f"{where}.rotation.unit: {layer.rotation.unit!r} is not one of hour, day, week"
        )
    if layer.rotation.count < 1:
        problems.append(
            f"{where}.rotation.count: a turn must last at least 1 {layer.rotation.unit} "
            f"(got {layer.rotation.count})"
        )
    for j, restriction in enumerate(layer.restrictions):
        problems.extend(_restriction_problems(restriction, f"{where}.restrictions[{j}]"))
    return problems


def _restriction_problems(restriction: Restriction, where: str) -> list[str]:
    problems: list[str] = []
    if not restriction.days:
        problems.append(f"{where}.days: a restriction needs at least one weekday")
    bad_days = sorted(d for d in restriction.days if d not in range(7))
    if bad_days:
        problems.append(f"{where}.days: {bad_days} are not weekdays (0 = Monday … 6 = Sunday)")
    for field, value in (("start", restriction.start), ("end", restriction.end)):
        if value.tzinfo is not None:
            problems.append(f"{where}.{field}: must be a local time without a UTC offset")
    return problems


def _override_problems(override: Override, where: str) -> list[str]:
    problems: list[str] = []
    if not override.user:
        problems.append(f"{where}.user: an override needs a user")
    aware = True
    for field, value in (("start", override.start), ("end", override.end)):
        if not _is_aware(value):
            problems.append(f"{where}.{field}: must be an instant with a UTC offset")
            aware = False
    if aware and override.end <= override.start:
        problems.append(
            f"{where}.end: must be after start "
            f"({override.end.isoformat()} is not after {override.start.isoformat()})"
        )
    return problems


# --- queries -----------------------------------------------------------------------------


def _instant(value: datetime, name: str) -> datetime:
    """``value`` in UTC; ``ValueError`` when it is naive."""
    if not _is_aware(value):
        raise ValueError(f"{name} must be an aware datetime (UTC), got naive {value.isoformat()}")
    return value.astimezone(UTC)


@lru_cache(maxsize=4096)
def _checked(schedule: Schedule) -> ZoneInfo:
    """The schedule's zone; ``ValueError`` listing every problem when it is invalid."""
    problems = validate(schedule)
    zone = _zone(schedule.timezone)
    if problems or zone is None:
        raise ValueError(f"schedule {schedule.name!r} is invalid: " + "; ".join(problems))
    return zone


def _range(since: datetime, until: datetime) -> tuple[datetime, datetime]:
    since, until = _instant(since, "since"), _instant(until, "until")
    if until < since:
        raise ValueError(f"until ({until.isoformat()}) is before since ({since.isoformat()})")
    return since, until


def on_call(schedule: Schedule, at: datetime) -> str | None:
    """Who is on call at the instant ``at`` in the final schedule; ``None`` in a gap."""
    zone = _checked(schedule)
    at = _instant(at, "at")
    for override in reversed(schedule.overrides):
        if override.start <= at < override.end:
            return override.user
    for layer in reversed(schedule.layers):
        user = layer_user_at(layer, zone, at)
        if user is not None:
            return user
    return None


def layer_shifts(
    schedule: Schedule, layer_index: int, since: datetime, until: datetime
) -> list[Shift]:
    """One layer alone within ``[since, until)``: its turns cut by its restrictions.

    Each piece of a turn is its own shift: consecutive turns of one user are not merged, so
    the handoffs of the rotation stay visible.
    """
    zone = _checked(schedule)
    since, until = _range(since, until)
    return layer_pieces(schedule.layers[layer_index], zone, since, until)


def shifts(schedule: Schedule, since: datetime, until: datetime) -> list[Shift]:
    """The final schedule's shifts within ``[since, until)``, clipped, merged, in order."""
    return [
        Shift(user, start, end)
        for start, end, user in _timeline(schedule, since, until)
        if user is not None
    ]


def next_shift(schedule: Schedule, at: datetime, horizon: timedelta) -> Shift | None:
    """Who is on call next, and from when: the final schedule's first shift that starts after
    ``at`` and before ``at + horizon`` (the person after the one on call now, or the one who
    ends a gap). ``None`` when nobody comes on within the horizon."""
    at = _instant(at, "at")
    for shift in shifts(schedule, at, at + horizon):
        if shift.start > at:
            return shift
    return None


def gaps(schedule: Schedule, since: datetime, until: datetime) -> list[tuple[datetime, datetime]]:
    """The intervals within ``[since, until)`` where nobody is on call, in order."""
    return [(start, end) for start, end, user in _timeline(schedule, since, until) if user is None]


def _timeline(
    schedule: Schedule, since: datetime, until: datetime
) -> list[tuple[datetime, datetime, str | None]]:
    """``[since, until)`` cut into maximal segments with one person (or nobody) each.

    The sources, strongest first, are each override and then each layer from the top. The
    edges of all their intervals cut the range into elementary segments; each segment goes
    to the strongest source covering it, and equal neighbours are joined.
    """
    zone = _checked(schedule)
    since, until = _range(since, until)
    sources: list[list[Shift]] = []
    for override in reversed(schedule.overrides):
        start = max(override.start.astimezone(UTC), since)
        end = min(override.end.astimezone(UTC), until)
        if start < end:
            sources.append([Shift(override.user, start, end)])
    sources.extend(layer_pieces(layer, zone, since, until) for layer in reversed(schedule.layers))

    edges = sorted(
        {since, until}.union(t for src in sources for s in src for t in (s.start, s.end))
    )
    positions = [0] * len(sources)
    segments: list[tuple[datetime, datetime, str | None]] = []
    for start, end in pairwise(edges):
        user = _strongest(sources, positions, start)
        if segments and segments[-1][2] == user:
            segments[-1] = (segments[-1][0], end, user)
        else:
            segments.append((start, end, user))
    return segments


def _strongest(sources: list[list[Shift]], positions: list[int], at: datetime) -> str | None:
    """The user of the first source with a shift covering ``at``.

    ``positions`` remembers, per source, the first shift that may still matter; calls must
    come with non-decreasing ``at``.
    """
    for i, source in enumerate(sources):
        p = positions[i]
        while p < len(source) and source[p].end <= at:
            p += 1
        positions[i] = p
        if p < len(source) and source[p].start <= at:
            return source[p].user
    return None
