"""``ownit incident list|show|ack|resolve|merge|split|note``: incidents at a terminal."""

from __future__ import annotations

import argparse
import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ownit.app import escalations
from ownit.app import incidents as uc
from ownit.app.clock import SystemClock
from ownit.app.service_filters import incidents_of_tagged
from ownit.bootstrap import database
from ownit.cli.errors import CliError
from ownit.cli.incident_context import print_context
from ownit.cli.tables import render
from ownit.cli.times import when
from ownit.domain.catalog.tags import BadTagFilter, tag_filter
from ownit.domain.errors import DomainError
from ownit.domain.incidents import Status, Urgency
from ownit.domain.instants import parse_instant
from ownit.settings import Settings


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("incident", help="list and act on incidents")
    isub = parser.add_subparsers(dest="incident_command", metavar="ACTION", required=True)
    ls = isub.add_parser("list", help="incidents, newest first")
    ls.add_argument("--status", help="triggered, acknowledged, resolved or open (comma-separated)")
    ls.add_argument("--service", help="service name")
    ls.add_argument("--urgency", choices=["high", "low"])
    ls.add_argument("--since", help="created at or after (ISO 8601)")
    ls.add_argument("--limit", type=int, default=50)
    ls.add_argument(
        "--tag", action="append", default=[], help="of services with this tag (repeat: all)"
    )
    ls.add_argument(
        "--label",
        action="append",
        default=[],
        metavar="KEY:VALUE",
        help="of services with this label (repeat: all)",
    )
    ls.set_defaults(func=_list)
    for name, helptext, func in (
        ("show", "one incident with its timeline", _show),
        ("ack", "acknowledge", _ack),
        ("resolve", "resolve", _resolve),
    ):
        p = isub.add_parser(name, help=helptext)
        p.add_argument("incident", help="number (42) or id")
        p.set_defaults(func=func)
    escalate = isub.add_parser("escalate", help="notify a level of the escalation policy now")
    escalate.add_argument("incident", help="number (42) or id")
    escalate.add_argument("--level", type=int, required=True, help="the level, from 1")
    escalate.set_defaults(func=_escalate)
    reassign = isub.add_parser("reassign", help="page these users now")
    reassign.add_argument("incident", help="number (42) or id")
    reassign.add_argument("users", nargs="+", metavar="USER")
    reassign.set_defaults(func=_reassign)
    merge = isub.add_parser(
        "merge", help="move the alerts of SOURCE incidents into TARGET; the sources resolve"
    )
    merge.add_argument("target", metavar="TARGET", help="number (42) or id")
    merge.add_argument("sources", nargs="+", metavar="SOURCE", help="numbers or ids")
    merge.set_defaults(func=_merge)
    split = isub.add_parser("split", help="split alerts off into a new incident")
    split.add_argument("incident", help="number (42) or id")
    split.add_argument("alerts", nargs="+", metavar="ALERT_ID", help="as `incident show` lists")
    split.set_defaults(func=_split)
    note = isub.add_parser("note", help="add a note to the timeline")
    note.add_argument("incident", help="number (42) or id")
    note.add_argument("text")
    note.set_defaults(func=_note)


@contextmanager
def _store(settings: Settings) -> Iterator[uc.IncidentStore]:
    with database(settings) as db:
        yield db.incidents


def _actor() -> str:
    try:
        return f"cli/{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _list(args: argparse.Namespace, settings: Settings) -> int:
    statuses: list[Status] = []
    for part in (args.status or "").split(","):
        part = part.strip()
        if not part:
            continue
        if part == "open":
            statuses += [Status.TRIGGERED, Status.ACKNOWLEDGED]
        elif part in Status.__members__.values():
            statuses.append(Status(part))
        else:
            raise CliError(
                f"--status: {part!r} is not one of triggered, acknowledged, resolved, open"
            )
    since = None
    if args.since:
        try:
            since = parse_instant(args.since)
        except ValueError as exc:
            raise CliError(f"--since: {exc}") from None
    try:
        by_tag = tag_filter(args.tag, args.label)
    except BadTagFilter as exc:
        raise CliError(f"--{exc.field}: {exc.detail}") from None
    flt = uc.IncidentFilter(
        statuses=tuple(statuses),
        service=args.service,
        urgency=Urgency(args.urgency) if args.urgency else None,
        since=since,
        limit=args.limit,
    )
    try:
        with database(settings) as db:
            rows = incidents_of_tagged(
                store=db.incidents, directory=db.directory, flt=flt, by_tag=by_tag
            )
    except DomainError as exc:
        raise CliError(str(exc)) from None
    if not rows:
        print("no incidents")
        return 0
    print(
        render(
            ["#", "STATUS", "PAGING", "URGENCY", "SERVICE", "TITLE", "ALERTS", "CREATED (UTC)"],
            [
                [
                    r["number"],
                    r["status"],
                    _paging(r),
                    r["urgency"],
                    f"{r['service']}/{r['component']}" if r.get("component") else r["service"],
                    r["title"] if len(r["title"]) <= 60 else r["title"][:59] + "…",
                    r["alert_count"],
                    when(r["created_at"]),
                ]
                for r in rows
            ],
        )
    )
    return 0


def _paging(incident: dict[str, object]) -> str:
    """``ok``, or the "not paged" state and its reason: ``nobody (no-policy)``."""
    paging = str(incident.get("paging") or "ok")
    return paging if paging == "ok" else f"{paging} ({incident.get('paging_reason')})"


def _show(args: argparse.Namespace, settings: Settings) -> int:
    with database(settings) as db:
        code = _show_with(args, db.incidents)
        print_context(db, args.incident)
        return code


def _show_with(args: argparse.Namespace, store: uc.IncidentStore) -> int:
    try:
        inc = uc.get_incident(store=store, ref=args.incident)
    except DomainError as exc:
        raise CliError(str(exc)) from None
    print(f"#{inc['number']}  {inc['title']}")
    for label, value in (
        ("id", inc["id"]),
        ("status", inc["status"]),
        ("urgency", inc["urgency"]),
        ("severity", inc["severity"]),
        ("service", inc["service"]),
        ("component", inc["component"] or "-"),
        ("dedup key", inc["dedup_key"]),
        ("alerts", inc["alert_count"]),
        ("paging", _paging(inc)),
        ("created", when(inc["created_at"])),
        (
            "acknowledged",
            f"{when(inc['acknowledged_at'])} {inc['acknowledged_by'] or ''}".strip() or "-",
        ),
        ("resolved", f"{when(inc['resolved_at'])} {inc['resolved_by'] or ''}".strip() or "-"),
    ):
        print(f"  {label + ':':<14}{value}")
    print()
    print("Alerts")
    print(
        render(
            ["ID", "STATUS", "DEDUP KEY", "SUMMARY", "CREATED (UTC)"],
            [
                [
                    a["id"],
                    a["status"],
                    a["dedup_key"],
                    a["summary"] if len(a["summary"]) <= 50 else a["summary"][:49] + "…",
                    when(a["created_at"]),
                ]
                for a in store.alerts(inc["id"])
            ],
        )
    )
    print()
    print("Timeline")
    rows = store.timeline(inc["id"])
    print(
        render(
            ["WHEN (UTC)", "WHAT", "WHO", "DETAIL"],
            [[when(e["at"]), e["kind"], e["actor"], e["message"]] for e in rows],
        )
    )
    return 0


def _act(args: argparse.Namespace, settings: Settings, action: str) -> int:
    clock = SystemClock()
    try:
        with _store(settings) as store:
            if action == "ack":
                inc = uc.acknowledge(
                    store=store, clock=clock, ref=args.incident, by=_actor(), via="cli"
                )
            else:
                inc = uc.resolve(store=store, clock=clock, ref=args.incident, by=_actor())
    except DomainError as exc:
        raise CliError(str(exc)) from None
    print(f"#{inc['number']} {inc['status']}: {inc['title']}")
    return 0


def _ack(args: argparse.Namespace, settings: Settings) -> int:
    return _act(args, settings, "ack")


def _resolve(args: argparse.Namespace, settings: Settings) -> int:
    return _act(args, settings, "resolve")


def _note(args: argparse.Namespace, settings: Settings) -> int:
    try:
        with _store(settings) as store:
            uc.add_note(
                store=store, clock=SystemClock(), ref=args.incident, by=_actor(), text=args.text
            )
    except DomainError as exc:
        raise CliError(str(exc)) from None
    print("note added")
    return 0


def _merge(args: argparse.Namespace, settings: Settings) -> int:
    try:
        with _store(settings) as store:
            inc = uc.merge(
                store=store,
                clock=SystemClock(),
                ref=args.target,
                sources=args.sources,
                by=_actor(),
            )
    except DomainError as exc:
        raise CliError(str(exc)) from None
    merged = ", ".join(args.sources)
    print(f"merged {merged} into #{inc['number']}: {inc['alert_count']} alert(s), {inc['status']}")
    return 0


def _split(args: argparse.Namespace, settings: Settings) -> int:
    try:
        with _store(settings) as store:
            new, source = uc.split(
                store=store,
                clock=SystemClock(),
                ref=args.incident,
                alerts=args.alerts,
                by=_actor(),
            )
    except DomainError as exc:
        raise CliError(str(exc)) from None
    print(
        f"split {new['alert_count']} alert(s) off #{source['number']} into "
        f"#{new['number']} ({new['status']}): {new['title']}"
    )
    return 0


def _escalation(args: argparse.Namespace, settings: Settings, *, level: int | None) -> int:
    try:
        with database(settings) as db:
            store = db.escalations
            inc = uc.get_incident(store=db.incidents, ref=args.incident)
            now = SystemClock().now()
            if level is not None:
                escalations.escalate_now(
                    store=store,
                    incident_id=inc["id"],
                    level=level,
                    now=now,
                    on_call=db.on_call,
                )
                print(f"#{inc['number']}: level {level} is being notified")
            else:
                escalations.reassign(
                    store=store,
                    incident_id=inc["id"],
                    users=args.users,
                    now=now,
                    on_call=db.on_call,
                    known_user=store.known_user,
                )
                print(f"#{inc['number']}: paging {', '.join(args.users)}")
    except DomainError as exc:
        raise CliError(str(exc)) from None
    return 0


def _escalate(args: argparse.Namespace, settings: Settings) -> int:
    return _escalation(args, settings, level=args.level)


def _reassign(args: argparse.Namespace, settings: Settings) -> int:
    return _escalation(args, settings, level=None)
