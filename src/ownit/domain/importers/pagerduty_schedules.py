"""PagerDuty schedules as ``Schedule`` documents, and the check against ``final_schedule``.

- ``schedule_layers`` come highest first; PagerDuty's higher layer wins where layers overlap,
  like ownit's later layer, so the order is reversed.
- A layer's turn ``k`` runs ``rotation_virtual_start + k·L`` and belongs to ``users[k mod n]``.
  ownit's layer ``start`` is its rotation anchor, so the anchor is the turn boundary at or
  before the layer's ``start`` and the users are rotated to match (the same person at the
  same hour). A layer starting in the future mid-turn is reported (ownit starts it at the
  boundary). Instants are read in the schedule's own ``time_zone``.
- Turn lengths are whole weeks, days or hours; ownit keeps wall-clock handoffs across DST,
  so a turn that is not whole days is reported when a DST change falls in the compared days.
- ``daily_restriction`` / ``weekly_restriction`` become restriction windows exactly
  (:mod:`ownit.domain.importers.windows`); ``end`` (a layer that stops) has no ownit
  equivalent: a layer that ended is left out, one that will end is reported.
- Overrides beat every layer in both; ones that ended before the import are left out.
- ``final_schedule.rendered_schedule_entries``, when the answer has it, is compared with
  ownit's own final schedule over its first 28 days; every difference is reported.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ownit.domain.catalog.model import Schedule
from ownit.domain.catalog.schedules import calculator, schedule_spec
from ownit.domain.importers import pagerduty_handoffs as handoffs
from ownit.domain.importers.answers import Answers, Obj, items, single
from ownit.domain.importers.compare import differences
from ownit.domain.importers.names import Names, slugify
from ownit.domain.importers.output import Import
from ownit.domain.importers.pagerduty_people import known_zone, team_of
from ownit.domain.importers.windows import daily, weekly
from ownit.domain.oncall import schedules as calc
from ownit.domain.oncall.rotations import Layer, Restriction, Rotation, Shift
from ownit.domain.oncall.schedules import Override

COMPARED = timedelta(days=28)
_HOUR, _DAY, _WEEK = 3600, 86_400, 604_800


def import_schedules(answers: Answers, state: Import) -> None:
    names = state.names_of("Schedule")
    for listed in sorted(items(answers, "schedules", "schedules"), key=lambda s: s.text("id")):
        sid = listed.text("id")
        src = _detail(answers, sid) or listed
        name = names.add(sid, slugify(src.text("name"), "schedule"))
        zone_name = src.text("time_zone")
        if not known_zone(zone_name):
            state.report.skipped("Schedule", name, f"time zone {zone_name!r} is not an IANA zone")
            continue
        zone = ZoneInfo(zone_name)
        layers = _layers(src, name, zone, state)
        if not layers:
            state.report.skipped("Schedule", name, "no layer with users is left to import")
            continue
        overrides = _overrides(answers, sid, name, state)
        schedule = Schedule(name, team_of(src, state), zone_name, tuple(layers), tuple(overrides))
        state.add("Schedule", name, schedule_spec(schedule))
        state.report.imported(
            "Schedule",
            name,
            f"from PagerDuty schedule {sid}: {len(layers)} layer(s), {len(overrides)} override(s)",
        )
        _compare(src, schedule, zone, state)


def _detail(answers: Answers, sid: str) -> Obj | None:
    """``schedules/<id>.json``: ``GET /schedules/{id}`` answered for the schedule's own
    ``time_zone`` with ``since``/``until`` (``{"schedule": {…}}``), the only answer that
    carries ``final_schedule``; it stands in for the list's entry when present."""
    return single(answers, f"schedules/{sid}", "schedule")


def _layers(src: Obj, name: str, zone: ZoneInfo, state: Import) -> list[Layer]:
    layers: list[Layer] = []
    used = Names()
    for raw in reversed(src.objs("schedule_layers")):  # PagerDuty: highest layer first
        for i, layer in enumerate(_layer(raw, name, zone, state)):
            lname = used.add(f"{raw.text('id')}#{i}", layer.name)
            layers.append(
                Layer(lname, layer.start, layer.rotation, layer.users, layer.restrictions)
            )
    return layers


def _local(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


def _rotation(length: int, what: str, state: Import) -> Rotation:
    for size, unit in ((_WEEK, "week"), (_DAY, "day"), (_HOUR, "hour")):
        if length % size == 0:
            return Rotation(length // size, unit)  # type: ignore[arg-type]
    hours = max(1, round(length / _HOUR))
    state.report.changed(
        "Schedule", what, f"turn of {length} s is not whole hours: written as {hours}h"
    )
    return Rotation(hours, "hour")


def _layer(raw: Obj, schedule: str, zone: ZoneInfo, state: Import) -> list[Layer]:
    lname = (raw.opt_text("name") or raw.text("id")).strip()[:100] or raw.text("id")
    what = f"{schedule}` layer `{lname}"
    end = raw.opt_instant("end")
    if end is not None and end <= state.now:
        state.report.skipped("Schedule", schedule, f"layer {lname!r} ended at {end.isoformat()}")
        return []
    if end is not None:
        state.report.check(
            "Schedule",
            schedule,
            f"layer {lname!r} ends at {end.isoformat()} in PagerDuty; ownit layers do not end: "
            "remove it from the file at that time",
        )
    users_names = state.names_of("User")
    users: list[str] = []
    for entry in raw.objs("users"):
        uid = entry.obj("user").text("id")
        user = users_names.get(uid)
        if user is None:
            state.report.changed("Schedule", what, f"user {uid} is not among the users: left out")
        else:
            users.append(user)
    if not users:
        state.report.skipped("Schedule", schedule, f"layer {lname!r} has no users")
        return []
    length = raw.number("rotation_turn_length_seconds")
    rotation = _rotation(length, what, state)
    restrictions = tuple(
        r for item in raw.objs("restrictions") for r in _restriction(item, what, state)
    )
    if length % _DAY and not length % _HOUR:
        return _elapsed(raw, lname, what, users, rotation, restrictions, zone, state)
    start = _local(raw.instant("start"), zone)
    phase = _local(raw.instant("rotation_virtual_start"), zone)
    turns = (start - phase) // rotation.length  # wall-clock turns from the phase to start
    anchor = phase + turns * rotation.length
    if anchor != start and raw.instant("start") > state.now:
        _mid_turn(what, start, anchor, _turned(users, turns)[0], state)
    return [Layer(lname, anchor, rotation, _turned(users, turns), restrictions)]


def _turned(users: list[str], turn: int) -> tuple[str, ...]:
    """The users in the order that puts turn ``turn``'s user first."""
    shift = turn % len(users)
    return tuple(users[shift:] + users[:shift])


def _mid_turn(what: str, start: datetime, anchor: datetime, user: str, state: Import) -> None:
    state.report.changed(
        "Schedule",
        what,
        f"starts at {start.isoformat()} within a turn; ownit starts the layer at the turn "
        f"boundary {anchor.isoformat()} (local), so {user} is on call from then",
    )


def _elapsed(
    raw: Obj,
    lname: str,
    what: str,
    users: list[str],
    rotation: Rotation,
    restrictions: tuple[Restriction, ...],
    zone: ZoneInfo,
    state: Import,
) -> list[Layer]:
    """A turn of whole hours that is not whole days: PagerDuty hands off in elapsed time,
    repeated by one layer per DST change (:mod:`ownit.domain.importers.pagerduty_handoffs`)."""
    start, phase = raw.instant("start"), raw.instant("rotation_virtual_start")
    length = timedelta(seconds=raw.number("rotation_turn_length_seconds"))
    found, missed = handoffs.segments(phase, length, max(start, state.now), zone)
    if start > state.now and found[0].anchor != _local(start, zone):
        _mid_turn(
            what, _local(start, zone), found[0].anchor, _turned(users, found[0].first)[0], state
        )
    layers = [Layer(lname, found[0].anchor, rotation, _turned(users, found[0].first), restrictions)]
    for seg in found[1:]:
        assert seg.change is not None
        day = seg.change.astimezone(zone).date().isoformat()
        layers.append(
            Layer(
                f"{lname[:80]} from {day}",
                seg.anchor,
                rotation,
                _turned(users, seg.first),
                restrictions,
            )
        )
    until = (max(start, state.now) + handoffs.HORIZON).astimezone(zone).date().isoformat()
    state.report.check(
        "Schedule",
        what,
        f"PagerDuty hands off every {rotation.count}h in elapsed time: ownit's layer starts at "
        f"the hand-off of {found[0].anchor.isoformat()} (local)"
        + (
            f" and {len(found) - 1} more layer(s) take over at the DST changes"
            if len(found) > 1
            else ""
        )
        + f", so hand-offs equal PagerDuty's until {until}; import again before then",
    )
    for m in missed:
        state.report.check(
            "Schedule",
            what,
            f"from {m.start.astimezone(zone).isoformat()} to {m.end.astimezone(zone).isoformat()} "
            f"(the clocks go back) ownit keeps {_turned(users, m.kept)[0]} on call where "
            f"PagerDuty hands over to {_turned(users, m.kept + 1)[0]}: a hand-off inside the "
            "repeated hour has no wall-clock time",
        )
    return layers


def _restriction(raw: Obj, what: str, state: Import) -> list[Restriction]:
    kind = raw.text("type")
    text = raw.text("start_time_of_day")
    try:
        start = time.fromisoformat(text)
    except ValueError:
        state.report.skipped("Schedule", what, f"restriction time {text!r} is not HH:MM:SS")
        return []
    length = raw.number("duration_seconds")
    if start.second or length % 60:
        state.report.changed(
            "Schedule", what, f"restriction {text} for {length} s rounded down to whole minutes"
        )
        start, length = start.replace(second=0), length - length % 60
    if length <= 0:
        state.report.skipped("Schedule", what, "a restriction of no length")
        return []
    if kind == "daily_restriction":
        return daily(start, length)
    if kind == "weekly_restriction":
        day = raw.number("start_day_of_week")
        if not 1 <= day <= 7:
            state.report.skipped("Schedule", what, f"start_day_of_week {day} is not 1 to 7")
            return []
        return weekly(day - 1, start, length)
    state.report.skipped("Schedule", what, f"restriction type {kind!r} is unknown")
    return []


def _overrides(answers: Answers, sid: str, name: str, state: Import) -> list[Override]:
    users = state.names_of("User")
    out: list[Override] = []
    ended = 0
    for raw in items(answers, f"overrides/{sid}", "overrides", required=False):
        start, end = raw.instant("start"), raw.instant("end")
        uid = raw.obj("user").text("id")
        user = users.get(uid)
        if end <= state.now:
            ended += 1
        elif user is None:
            state.report.skipped("Schedule", name, f"override for unknown user {uid}")
        elif end > start:
            out.append(Override(user, start, end))
    if ended:
        state.report.skipped("Schedule", name, f"{ended} override(s) that had already ended")
    return sorted(out, key=lambda o: (o.start, o.end, o.user))


def _compare(src: Obj, schedule: Schedule, zone: ZoneInfo, state: Import) -> None:
    final = src.opt_obj("final_schedule")
    entries = final.objs("rendered_schedule_entries") if final is not None else []
    if not entries:
        state.report.check(
            "Schedule",
            schedule.name,
            "the answer has no final_schedule entries: nothing to compare ownit's schedule with",
        )
        return
    users = state.names_of("User")
    theirs = [
        Shift(
            users.get(e.obj("user").text("id")) or f"(PagerDuty user {e.obj('user').text('id')})",
            e.instant("start").astimezone(UTC),
            e.instant("end").astimezone(UTC),
        )
        for e in entries
    ]
    # Only from --now on: what ended before it is not imported (a saved answer older than
    # --now would otherwise differ everywhere before the import begins).
    since = max(min(s.start for s in theirs), state.now.astimezone(UTC))
    until = min(max(s.end for s in theirs), since + COMPARED)
    if until <= since:
        state.report.check(
            "Schedule",
            schedule.name,
            "PagerDuty's final schedule in the answer ends before --now: nothing compared "
            "(fetch it again, or give the --now it was fetched at)",
        )
        return
    ours = calc.shifts(calculator(schedule), since, until)
    found = differences(ours, theirs, since, until)
    span = f"{since.astimezone(zone).isoformat()} to {until.astimezone(zone).isoformat()}"
    if not found:
        state.report.imported(
            "Schedule", schedule.name, f"final schedule equals PagerDuty's from {span}"
        )
    for d in found:
        state.report.check(
            "Schedule",
            schedule.name,
            f"final schedule differs from {d.start.astimezone(zone).isoformat()} to "
            f"{d.end.astimezone(zone).isoformat()}: ownit has {d.ours or 'nobody'}, "
            f"PagerDuty has {d.theirs or 'nobody'}",
        )
