"""``ownit oncall`` and ``ownit schedule list|shifts|override|calendar-link``: on call in a shell.

Instants are ISO 8601 with an offset (``2026-11-26T09:00+01:00`` or ``…Z``); shift tables show
times in the schedule's own zone.
"""

from __future__ import annotations

import argparse
import getpass
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from ownit.app import calendar_feed as feeds
from ownit.app import oncall as uc
from ownit.app.clock import SystemClock
from ownit.app.oncall import Person
from ownit.bootstrap import database
from ownit.cli.errors import CliError
from ownit.cli.tables import render
from ownit.cli.times import when
from ownit.domain.errors import DomainError
from ownit.settings import Settings

_INSTANT_HINT = "write 2026-11-26T09:00+01:00 or 2026-11-26T08:00Z"


def register(sub: Any) -> None:
    oncall: argparse.ArgumentParser = sub.add_parser(
        "oncall", help="who is on call now, per schedule and per service"
    )
    oncall.add_argument("--schedule", metavar="NAME", help="only this schedule")
    oncall.add_argument("--at", metavar="TIME", help="at this instant instead of now")
    oncall.set_defaults(func=_oncall)

    parser: argparse.ArgumentParser = sub.add_parser("schedule", help="on-call schedules")
    ssub = parser.add_subparsers(dest="schedule_command", metavar="ACTION", required=True)
    ssub.add_parser("list", help="schedules and who is on call now").set_defaults(func=_list)
    shifts = ssub.add_parser("shifts", help="a schedule's final shifts and gaps")
    shifts.add_argument("schedule", metavar="SCHEDULE")
    shifts.add_argument("--since", metavar="TIME", help="from (default: now)")
    shifts.add_argument("--until", metavar="TIME", help="to (default: a week after --since)")
    shifts.set_defaults(func=_shifts)
    link = ssub.add_parser(
        "calendar-link", help="a new private calendar feed link for a user (replaces the old)"
    )
    link.add_argument("user", metavar="USER")
    link.set_defaults(func=_calendar_link)

    override = ssub.add_parser("override", help="put someone on call instead, for a while")
    osub = override.add_subparsers(dest="override_command", metavar="ACTION", required=True)
    add = osub.add_parser("add", help="add an override")
    add.add_argument("schedule", metavar="SCHEDULE")
    add.add_argument("--user", required=True, metavar="USER")
    add.add_argument("--start", required=True, metavar="TIME")
    add.add_argument("--end", required=True, metavar="TIME")
    add.set_defaults(func=_override_add)
    ls = osub.add_parser("list", help="overrides that have not ended")
    ls.add_argument("schedule", metavar="SCHEDULE")
    ls.set_defaults(func=_override_list)
    delete = osub.add_parser("delete", help="delete an override made through the API or CLI")
    delete.add_argument("schedule", metavar="SCHEDULE")
    delete.add_argument("id", type=int, metavar="ID")
    delete.set_defaults(func=_override_delete)


# --- helpers ---------------------------------------------------------------------------------


@contextmanager
def _store(settings: Settings) -> Iterator[feeds.ScheduleFeedStore]:
    try:
        with database(settings) as db:
            yield db.schedules
    except uc.InvalidOnCallRequest as exc:
        raise CliError(f"--{exc.field}: {exc.detail}") from None
    except DomainError as exc:
        raise CliError(str(exc)) from None


def _instant(option: str, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise CliError(
            f"{option}: {value!r} is not an ISO 8601 date-time ({_INSTANT_HINT})"
        ) from None
    if parsed.tzinfo is None:
        raise CliError(f"{option}: {value!r} has no UTC offset ({_INSTANT_HINT})")
    return parsed.astimezone(UTC)


def _given(option: str, value: str) -> datetime:
    parsed = _instant(option, value)
    if parsed is None:
        raise CliError(f"{option} is required")
    return parsed


def _actor() -> str:
    try:
        return f"cli/{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _who(people: Sequence[Person]) -> str:
    if not people:
        return "nobody"
    return ", ".join(
        p.name if p.display_name == p.name else f"{p.display_name} ({p.name})" for p in people
    )


# --- commands --------------------------------------------------------------------------------


def _oncall(args: argparse.Namespace, settings: Settings) -> int:
    at = _instant("--at", args.at) or SystemClock().now()
    with _store(settings) as store:
        if args.schedule:
            found = uc.on_call(store=store, name=args.schedule, at=at)
            print(f"on call at {when(found.at)}")
            print(render(["SCHEDULE", "ON CALL"], [[found.schedule, _who(found.people)]]))
            return 0
        everyone = uc.everyone(store=store, at=at)
    print(f"on call at {when(everyone.at)}")
    print()
    if everyone.schedules:
        table = [[s.schedule, _who(s.people)] for s in everyone.schedules]
        print(render(["SCHEDULE", "ON CALL"], table))
    else:
        print("no schedules (add one to the catalog: kind Schedule)")
    print()
    rows: list[list[object]] = []
    for service in everyone.services:
        if not service.levels:
            rows.append([service.service, service.escalation_policy or "-", "-", "nobody is paged"])
        for level in service.levels:
            first = level.level == 1
            rows.append(
                [
                    service.service if first else "",
                    (service.escalation_policy or "-") if first else "",
                    level.level,
                    _who(level.people),
                ]
            )
    if rows:
        print(render(["SERVICE", "ESCALATION POLICY", "LEVEL", "PAGED NOW"], rows))
    else:
        print("no services")
    return 0


def _list(args: argparse.Namespace, settings: Settings) -> int:
    with _store(settings) as store:
        schedules = uc.list_schedules(store=store)
        everyone = uc.everyone(store=store, at=SystemClock().now())
    if not schedules:
        print("no schedules")
        return 0
    now = {s.schedule: _who(s.people) for s in everyone.schedules}
    rows = [
        [s.name, s.team or "-", s.timezone, len(s.layers), now.get(s.name, "")] for s in schedules
    ]
    print(render(["NAME", "TEAM", "TIME ZONE", "LAYERS", "ON CALL NOW"], rows))
    return 0


def _shifts(args: argparse.Namespace, settings: Settings) -> int:
    since = _instant("--since", args.since) or SystemClock().now()
    until = _instant("--until", args.until) or since + timedelta(days=7)
    with _store(settings) as store:
        schedule = uc.get_schedule(store=store, name=args.schedule)
        found = uc.timeline(store=store, name=args.schedule, since=since, until=until)
    zone = schedule.timezone
    print(
        f"{found.schedule}: {when(found.since, zone)} to {when(found.until, zone)} "
        f"(times in {zone})"
    )
    timeline = [(s.start, s.end, s.user) for s in found.shifts]
    timeline += [(a, b, "nobody (a gap)") for a, b in found.gaps]
    rows = [[when(a, zone), when(b, zone), who] for a, b, who in sorted(timeline)]
    print(render(["START", "END", "ON CALL"], rows))
    return 0


def _override_add(args: argparse.Namespace, settings: Settings) -> int:
    start, end = _given("--start", args.start), _given("--end", args.end)
    with _store(settings) as store:
        created = uc.add_override(
            store=store,
            clock=SystemClock(),
            schedule=args.schedule,
            user=args.user,
            start=start,
            end=end,
            by=_actor(),
        )
        zone = uc.get_schedule(store=store, name=args.schedule).timezone
    print(
        f"override {created.id} added: {created.user} is on call in {created.schedule} "
        f"from {when(created.start, zone)} to {when(created.end, zone)}"
    )
    return 0


def _override_list(args: argparse.Namespace, settings: Settings) -> int:
    with _store(settings) as store:
        found = uc.list_overrides(store=store, schedule=args.schedule, since=SystemClock().now())
        zone = uc.get_schedule(store=store, name=args.schedule).timezone
    if not found:
        print(f"no overrides in {args.schedule} that have not ended")
        return 0
    rows = [
        [
            o.id if o.id is not None else "-",
            o.user,
            when(o.start, zone),
            when(o.end, zone),
            o.source,
            o.created_by or "",
        ]
        for o in found
    ]
    print(render(["ID", "USER", "START", "END", "FROM", "BY"], rows))
    return 0


def _override_delete(args: argparse.Namespace, settings: Settings) -> int:
    with _store(settings) as store:
        uc.delete_override(
            store=store, clock=SystemClock(), schedule=args.schedule, override_id=args.id
        )
    print(f"override {args.id} deleted from {args.schedule}")
    return 0


def _calendar_link(args: argparse.Namespace, settings: Settings) -> int:
    with _store(settings) as store:
        token = feeds.rotate_calendar_token(tokens=store, clock=SystemClock(), user=args.user)
    print(f"calendar feed of {args.user}; the previous link (if any) no longer works:")
    print(f"{settings.base_url}/calendar/{token}.ics")
    return 0
