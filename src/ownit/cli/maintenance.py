"""``ownit maintenance list|start|cancel``: services whose triggers page nobody for a while.

The CLI talks to the database directly, as the operator: it may put any service in
maintenance (the API checks the caller manages each service's owner team).
"""

from __future__ import annotations

import argparse
import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from ownit.app import maintenance as uc
from ownit.app.clock import SystemClock
from ownit.bootstrap import database
from ownit.cli.errors import CliError
from ownit.cli.tables import render
from ownit.cli.times import when
from ownit.domain.durations import parse_duration
from ownit.domain.errors import Forbidden, NotFound
from ownit.domain.permissions import Actor, OrgRole
from ownit.settings import Settings


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "maintenance", help="maintenance windows: triggers are kept but page nobody"
    )
    msub = parser.add_subparsers(dest="maintenance_command", metavar="ACTION", required=True)
    ls = msub.add_parser("list", help="current and future windows")
    ls.add_argument("--past", action="store_true", help="ended windows too")
    ls.set_defaults(func=_list)
    st = msub.add_parser("start", help="put services in maintenance (now, or from --start)")
    st.add_argument("--service", action="append", required=True, help="repeat for several")
    st.add_argument("--for", dest="duration", help="how long: 30m, 2h, 1d")
    st.add_argument("--until", dest="end", help="RFC 3339 end, e.g. 2026-11-27T06:00:00Z")
    st.add_argument("--start", help="RFC 3339 start (default: now)")
    st.add_argument("--name", help="a unique name (default: service and start time)")
    st.add_argument("--description", default="")
    st.set_defaults(func=_start)
    cancel = msub.add_parser("cancel", help="end a running window now, or drop a future one")
    cancel.add_argument("id", type=int)
    cancel.set_defaults(func=_cancel)


@contextmanager
def _store(settings: Settings) -> Iterator[uc.MaintenanceStore]:
    with database(settings) as db:
        yield db.maintenance


def _operator() -> Actor:
    return Actor(OrgRole.ADMIN)


def _actor() -> str:
    try:
        return f"cli/{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _time(option: str, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise CliError(f"{option}: {value!r} is not an RFC 3339 date-time") from None
    if parsed.tzinfo is None:
        raise CliError(f"{option}: {value!r} has no UTC offset (add Z or +hh:mm)")
    return parsed.astimezone(UTC)


def _list(args: argparse.Namespace, settings: Settings) -> int:
    now = SystemClock().now()
    with _store(settings) as store:
        found = uc.list_windows(store=store, now=now, include_past=args.past)
    if not found:
        print("no maintenance windows (start one: ownit maintenance start --service S --for 1h)")
        return 0
    print(
        render(
            ["ID", "NAME", "STATE", "START", "END", "SERVICES", "FROM"],
            [
                [
                    w.id,
                    w.name,
                    w.state(now),
                    when(w.start_at),
                    when(w.end_at),
                    ",".join(w.services),
                    w.source or w.created_by,
                ]
                for w in found
            ],
        )
    )
    return 0


def _start(args: argparse.Namespace, settings: Settings) -> int:
    duration = None
    if args.duration is not None:
        try:
            duration = parse_duration(args.duration)
        except ValueError as exc:
            raise CliError(f"--for: {exc}") from None
    now = SystemClock().now()
    with _store(settings) as store:
        try:
            window = uc.start_window(
                store=store,
                who=_operator(),
                actor=_actor(),
                now=now,
                services=args.service,
                start=_time("--start", args.start),
                end=_time("--until", args.end),
                duration=duration,
                name=args.name,
                description=args.description,
            )
        except uc.InvalidWindow as exc:
            option = {"end": "--for/--until", "duration": "--for", "services": "--service"}
            raise CliError(f"{option.get(exc.field, '--' + exc.field)}: {exc.detail}") from None
    print(
        f"maintenance window {window.id} ({window.name}) {window.state(now)}: "
        f"{', '.join(window.services)} from {when(window.start_at)} "
        f"to {when(window.end_at)}; triggers page nobody"
    )
    return 0


def _cancel(args: argparse.Namespace, settings: Settings) -> int:
    with _store(settings) as store:
        try:
            done = uc.cancel_window(
                store=store, who=_operator(), now=SystemClock().now(), window_id=args.id
            )
        except (uc.InvalidWindow, Forbidden, NotFound) as exc:
            raise CliError(str(exc)) from None
    print(f"maintenance window {args.id} {done}")
    return 0
