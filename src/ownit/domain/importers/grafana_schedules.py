"""Grafana OnCall users, team and web schedules.

- Users: ``email`` → name; role ``admin`` → team manager; teams in
  :mod:`ownit.domain.importers.grafana_teams` (each schedule owned by its ``team_id``'s team).
- Web and calendar schedules are made of ``on_call_shifts``: each ``rolling_users`` or
  ``recurrent_event`` shift is a layer, ordered by ``level`` (higher wins, like a later
  ownit layer). The turn is ``interval`` × ``frequency`` (hourly, daily, weekly; monthly is
  reported); a ``duration`` shorter than the turn, or ``by_day``, becomes restriction
  windows from the shift's start time; each turn belongs to the next ``rolling_users`` group
  (a group of several people: the first is on call in ownit, reported). ``single_event`` and
  ``override`` shifts become overrides. iCal schedules are reported with their URL.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ownit.domain.catalog.model import JsonValue, Schedule
from ownit.domain.catalog.schedules import schedule_spec
from ownit.domain.importers.answers import Answers, Obj, items
from ownit.domain.importers.grafana_teams import import_teams, owner
from ownit.domain.importers.names import Names, slugify
from ownit.domain.importers.output import Import
from ownit.domain.importers.pagerduty_people import known_zone
from ownit.domain.importers.windows import DAY, WEEK, merged, weekly
from ownit.domain.oncall.rotations import Layer, Restriction, Rotation, Unit
from ownit.domain.oncall.schedules import Override

_FREQ: dict[str, tuple[Unit, int]] = {
    "hourly": ("hour", 3600),
    "daily": ("day", DAY),
    "weekly": ("week", WEEK),
}
_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def import_users(answers: Answers, state: Import) -> None:
    names = state.names_of("User")
    users = sorted(items(answers, "users", "results"), key=lambda u: u.text("id"))
    for user in users:
        email = user.text("email")
        name = state.known_users.get(email.lower())
        if name is not None:
            names.keep(user.text("id"), name)
            state.report.skipped("User", name, f"already in the catalog (matched by {email})")
        else:
            name = names.add(user.text("id"), slugify(email.split("@")[0], "user"))
            spec: dict[str, JsonValue] = {"displayName": user.opt_text("username") or name}
            spec["email"] = email
            if known_zone(user.opt_text("timezone")):
                spec["timezone"] = user.opt_text("timezone")
            state.add("User", name, spec)
            state.report.imported("User", name, f"from Grafana OnCall user {user.text('id')}")
            state.report.check(
                "User", name, "personal notification rules are not in the API: set contacts"
            )
    import_teams(answers, state, users)


def import_schedules(answers: Answers, state: Import) -> None:
    shifts = {s.text("id"): s for s in items(answers, "on_call_shifts", "results")}
    names = state.names_of("Schedule")
    for src in sorted(items(answers, "schedules", "results"), key=lambda s: s.text("id")):
        name = names.add(src.text("id"), slugify(src.text("name"), "schedule"))
        if src.text("type") == "ical":
            url = src.opt_text("ical_url_primary") or "no URL"
            state.report.skipped("Schedule", name, f"an iCal schedule ({url}): rebuild it by hand")
            continue
        zone = src.opt_text("time_zone") or "UTC"
        if not known_zone(zone):
            state.report.skipped("Schedule", name, f"time zone {zone!r} is not IANA")
            continue
        found = [shifts[i] for i in src.texts("shifts") if i in shifts]
        layers: list[tuple[int, datetime, Layer]] = []
        overrides: list[Override] = []
        used = Names()
        for shift in found:
            _shift(shift, name, zone, state, layers, overrides, used)
        if not layers:
            state.report.skipped("Schedule", name, "no rotation shift left to import")
            continue
        ordered = tuple(layer for _, _, layer in sorted(layers, key=lambda x: (x[0], x[1])))
        schedule = Schedule(
            name, owner(src, state), zone, ordered, tuple(sorted(overrides, key=_key))
        )
        state.add("Schedule", name, schedule_spec(schedule))
        state.report.imported("Schedule", name, f"from Grafana OnCall schedule {src.text('id')}")


def _key(o: Override) -> tuple[datetime, datetime, str]:
    return (o.start, o.end, o.user)


def _users(ids: list[str], name: str, state: Import) -> list[str]:
    names = state.names_of("User")
    out = [n for i in ids if (n := names.get(i)) is not None]
    if len(out) < len(ids):
        state.report.skipped("Schedule", name, "a shift names users that were not imported")
    return out


def _shift(
    shift: Obj,
    name: str,
    zone_name: str,
    state: Import,
    layers: list[tuple[int, datetime, Layer]],
    overrides: list[Override],
    used: Names,
) -> None:
    label = shift.opt_text("name") or shift.text("id")
    kind = shift.text("type")
    zone = ZoneInfo(shift.opt_text("time_zone") or zone_name)
    start = datetime.fromisoformat(shift.text("start")).replace(tzinfo=None)
    length = shift.number("duration")
    until = shift.opt_text("until")
    if until and datetime.fromisoformat(until).replace(tzinfo=zone) <= state.now:
        state.report.skipped("Schedule", name, f"shift {label!r} ended at {until}")
        return
    if kind in ("single_event", "override"):
        begin = start.replace(tzinfo=zone)
        for user in _users(shift.texts("users"), name, state):
            overrides.append(Override(user, begin, begin + timedelta(seconds=length)))
        if kind == "single_event":
            state.report.changed("Schedule", name, f"single event {label!r} is an override")
        return
    rolling = shift.raw("rolling_users")
    groups: list[list[str]] = (
        [[str(x) for x in g] for g in rolling if isinstance(g, list)]
        if isinstance(rolling, list)
        else []
    )
    if kind == "recurrent_event":
        groups = [shift.texts("users")]
    freq = _FREQ.get(shift.opt_text("frequency") or "")
    if freq is None:
        state.report.skipped(
            "Schedule", name, f"shift {label!r}: frequency {shift.opt_text('frequency')!r}"
        )
        return
    users: list[str] = []
    for group in groups:
        people = _users(group, name, state)
        if len(people) > 1:
            state.report.changed(
                "Schedule",
                name,
                f"shift {label!r}: {len(people)} people share a turn; "
                f"ownit has one per turn: {people[0]}",
            )
        users += people[:1]
    if not users:
        state.report.skipped("Schedule", name, f"shift {label!r} has nobody")
        return
    unit, size = freq
    interval = max(1, shift.number("interval", 1))
    index = shift.number("start_rotation_from_user_index", 0) % len(users)
    users = users[index:] + users[:index]
    restrictions = _windows(shift, start, length, interval * size, name, state)
    lname = used.add(shift.text("id"), label[:100])
    layer = Layer(lname, start, Rotation(interval, unit), tuple(users), restrictions)
    layers.append((shift.number("level", 0), start, layer))


def _windows(
    shift: Obj, start: datetime, length: int, turn: int, name: str, state: Import
) -> tuple[Restriction, ...]:
    days = [d for d in shift.texts("by_day") if d in _DAYS]
    if not days and length >= turn:
        return ()
    if shift.opt_text("frequency") == "daily" and days:
        state.report.changed(
            "Schedule",
            name,
            "daily shift on some weekdays: Grafana OnCall hands over only on those days, ownit "
            "every day",
        )
    if length >= DAY and not days:
        state.report.changed("Schedule", name, "a shift longer than a day within its turn")
        return ()
    picked = days or list(_DAYS)
    length = min(length, DAY) if len(picked) > 1 else length
    out: list[Restriction] = []
    for day in picked:
        out += weekly(_DAYS.index(day), start.time(), length)
    return merged(out)
