"""Opsgenie schedules: each rotation becomes its own ownit schedule ``<schedule>-<rotation>``.

Opsgenie's rotations of one schedule *stack*: everyone on call in any of them is notified
together. ownit's layers override each other instead, so each rotation is a schedule of one
layer, and an escalation rule naming the Opsgenie schedule targets all of them from the same
level (which pages them all at once).

- ``type`` hourly/daily/weekly with ``length`` → ``Nh``/``Nd``/``Nw``, anchored at
  ``startDate`` read in the schedule's ``timezone``; an ``endDate`` in the past drops the
  rotation, one in the future is reported.
- ``participants`` of type ``none`` are empty turns. When the rotation's cycle divides a week
  (12h turns of two, daily turns of seven, …) and it has no time restriction, the empty turns
  fall at the same hours every week: the slot gets a stand-in user hidden by restriction
  windows covering the other turns only, which is exact. Otherwise ownit cannot say it: the
  slot is left out and the report names the next empty turn. ``team`` and ``escalation``
  participants are reported.
- ``timeRestriction``: ``time-of-day`` (one ``restriction``) → a window every day;
  ``weekday-and-time-of-day`` (``restrictions`` with lowercase day names) → weekly windows.
- Overrides apply to the rotations they name (all of the schedule's when none is named).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from ownit.domain.catalog.model import Schedule
from ownit.domain.catalog.schedules import schedule_spec
from ownit.domain.importers.answers import Answers, Obj, items
from ownit.domain.importers.names import slugify
from ownit.domain.importers.opsgenie_people import team_named
from ownit.domain.importers.output import Import
from ownit.domain.importers.pagerduty_people import known_zone
from ownit.domain.importers.windows import DAY, WEEK, daily, merged, weekly
from ownit.domain.oncall.rotations import Layer, Restriction, Rotation, Unit
from ownit.domain.oncall.schedules import Override

_TYPES: dict[str, Unit] = {"hourly": "hour", "daily": "day", "weekly": "week"}
_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def import_schedules(answers: Answers, state: Import) -> dict[str, list[str]]:
    """Write the rotation schedules; return Opsgenie schedule id → its ownit schedules."""
    out: dict[str, list[str]] = {}
    names = state.names_of("Schedule")
    for src in sorted(items(answers, "schedules", "data"), key=lambda s: s.text("id")):
        base = slugify(src.text("name"), "schedule")
        zone_name = src.opt_text("timezone") or "UTC"
        if not known_zone(zone_name):
            state.report.skipped("Schedule", base, f"time zone {zone_name!r} is not IANA")
            continue
        if src.raw("enabled") is False:
            state.report.check("Schedule", base, "disabled in Opsgenie: imported anyway")
        overrides = items(answers, f"overrides/{src.text('id')}", "data", required=False)
        made: list[str] = []
        for rot in sorted(src.objs("rotations"), key=lambda r: r.text("id")):
            rname = slugify(rot.opt_text("name") or rot.text("id"), "rotation")
            name = names.add(rot.text("id"), f"{base}-{rname}"[:100].rstrip("-"))
            layer = _layer(rot, name, ZoneInfo(zone_name), state)
            if layer is None:
                continue
            mine = _overrides(overrides, rot.text("id"), name, state)
            team = team_named(src.opt_obj("ownerTeam"), state)
            state.add(
                "Schedule",
                name,
                schedule_spec(Schedule(name, team, zone_name, (layer,), tuple(mine))),
            )
            state.report.imported(
                "Schedule", name, f"rotation {rot.text('id')} of Opsgenie schedule {src.text('id')}"
            )
            made.append(name)
        if len(made) > 1:
            state.report.changed(
                "Schedule",
                base,
                f"its {len(made)} rotations stack in Opsgenie: imported as schedules "
                f"{', '.join(made)}, which escalation levels target together",
            )
        out[src.text("id")] = made
    return out


def _layer(rot: Obj, name: str, zone: ZoneInfo, state: Import) -> Layer | None:
    end = rot.opt_instant("endDate")
    if end is not None and end <= state.now:
        state.report.skipped("Schedule", name, f"rotation ended at {end.isoformat()}")
        return None
    if end is not None:
        state.report.check(
            "Schedule", name, f"rotation ends at {end.isoformat()}: remove it at that time"
        )
    kind = rot.text("type")
    if kind not in _TYPES:
        state.report.skipped("Schedule", name, f"rotation type {kind!r} is unknown")
        return None
    users_names = state.names_of("User")
    slots: list[str | None] = []  # in turn order; None: an empty turn
    for i, p in enumerate(rot.objs("participants")):
        ptype = p.text("type")
        user = users_names.get(p.opt_text("id") or "") if ptype == "user" else None
        if ptype == "none":
            slots.append(None)
        elif user is None:
            state.report.skipped(
                "Schedule", name, f"participant {i + 1} ({ptype}) is not an imported user"
            )
        else:
            slots.append(user)
    users = [u for u in slots if u is not None]
    if not users:
        state.report.skipped("Schedule", name, "no user takes a turn")
        return None
    start = rot.instant("startDate").astimezone(zone).replace(tzinfo=None)
    rotation = Rotation(max(1, rot.number("length", 1)), _TYPES[kind])
    raw_restriction = rot.opt_obj("timeRestriction")
    restrictions = _restrictions(raw_restriction, name, state)
    lname = rot.opt_text("name") or "rotation"
    if None not in slots:
        return Layer(lname, start, rotation, tuple(users), restrictions)
    if raw_restriction is None and _WEEK_TURNS % (_turn_hours(rotation) * len(slots)) == 0:
        return _gaps_as_windows(lname, start, rotation, slots, name, state)
    _gaps_reported(start, rotation, slots, name, zone, state)
    return Layer(lname, start, rotation, tuple(users), restrictions)


_WEEK_TURNS = 7 * 24  # hours in a week: the period of ownit's restriction windows


def _turn_hours(rotation: Rotation) -> int:
    return rotation.count * {"hour": 1, "day": 24, "week": 168}[rotation.unit]


def _gaps_as_windows(
    lname: str,
    start: datetime,
    rotation: Rotation,
    slots: list[str | None],
    name: str,
    state: Import,
) -> Layer:
    """Empty turns that fall at the same hours every week: a layer of every slot (an empty
    one written as the first user's turn) with restriction windows on the other slots' hours
    only, so the empty turns have nobody, exactly as in Opsgenie."""
    first = next(u for u in slots if u is not None)
    turn = timedelta(hours=_turn_hours(rotation))
    cycles = _WEEK_TURNS // (_turn_hours(rotation) * len(slots))
    windows: list[Restriction] = []
    for j, user in enumerate(slots):
        for m in range(cycles):
            if user is not None:
                at = start + (j + m * len(slots)) * turn
                windows += weekly(at.weekday(), at.time(), int(turn.total_seconds()))
    empty = [str(j + 1) for j, u in enumerate(slots) if u is None]
    state.report.changed(
        "Schedule",
        name,
        f"participant(s) {', '.join(empty)} are empty turns (nobody on call); they fall at "
        f"the same hours every week, so each is written as {first}'s turn hidden by "
        "restriction windows that cover only the other turns: nobody is on call then, as in "
        "Opsgenie",
    )
    users = tuple(u if u is not None else first for u in slots)
    return Layer(lname, start, rotation, users, merged(windows))


def _gaps_reported(
    start: datetime,
    rotation: Rotation,
    slots: list[str | None],
    name: str,
    zone: ZoneInfo,
    state: Import,
) -> None:
    """Empty turns ownit cannot express: left out, and the next one named in the report."""
    turn = timedelta(hours=_turn_hours(rotation))
    period = turn * len(slots)
    now = state.now.astimezone(zone).replace(tzinfo=None)
    cycle = max(0, (now - start) // period)
    for j, user in enumerate(slots):
        if user is not None:
            continue
        opens = start + cycle * period + j * turn
        if opens + turn <= now:
            opens += period
        state.report.check(
            "Schedule",
            name,
            f"participant {j + 1} is an empty turn (nobody on call) every {len(slots)} turns, "
            f"the current or next one from {opens.isoformat()} to {(opens + turn).isoformat()} "
            "(local); ownit has no empty turn and restriction windows repeat weekly, so it is "
            "left out and the later turns come one turn earlier: add an override or split the "
            "rotation by hand",
        )


def _clock(obj: Obj) -> time:
    return time(obj.number("startHour", 0) % 24, obj.number("startMin", 0) % 60)


def _restrictions(raw: Obj | None, name: str, state: Import) -> tuple[Restriction, ...]:
    if raw is None:
        return ()
    kind = raw.text("type")
    if kind == "time-of-day":
        r = raw.obj("restriction")
        start = _clock(r)
        length = (r.number("endHour", 0) * 60 + r.number("endMin", 0)) * 60 - (
            start.hour * 3600 + start.minute * 60
        )
        return tuple(daily(start, length % DAY or DAY))
    if kind == "weekday-and-time-of-day":
        out: list[Restriction] = []
        for r in raw.objs("restrictions"):
            days = (r.text("startDay").lower(), r.text("endDay").lower())
            if days[0] not in _DAYS or days[1] not in _DAYS:
                state.report.skipped("Schedule", name, f"restriction days {days} unknown")
                continue
            start = _clock(r)
            opened = _DAYS.index(days[0]) * DAY + start.hour * 3600 + start.minute * 60
            closed = _DAYS.index(days[1]) * DAY + (
                r.number("endHour", 0) * 3600 + r.number("endMin", 0) * 60
            )
            out += weekly(_DAYS.index(days[0]), start, (closed - opened) % WEEK or WEEK)
        return tuple(out)
    state.report.skipped("Schedule", name, f"time restriction {kind!r} is unknown")
    return ()


def _overrides(rows: list[Obj], rotation: str, name: str, state: Import) -> list[Override]:
    users = state.names_of("User")
    out: list[Override] = []
    for row in rows:
        named = [r.text("id") for r in row.objs("rotations")]
        if named and rotation not in named:
            continue
        start, end = row.instant("startDate"), row.instant("endDate")
        user = users.get(row.obj("user").opt_text("id") or "")
        if end <= state.now:
            continue
        if user is None:
            state.report.skipped("Schedule", name, f"override {row.opt_text('alias')}: no user")
            continue
        out.append(Override(user, start, end))
    return sorted(out, key=lambda o: (o.start, o.end, o.user))
