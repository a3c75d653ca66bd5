"""``ownit postmortem create|show|export|action``: an incident's blameless postmortem from
the command line (``docs/postmortems.md``). The CLI acts as the operator."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from ownit.app import postmortems as uc
from ownit.app.clock import SystemClock
from ownit.app.postmortem_export import markdown
from ownit.bootstrap import database
from ownit.cli.errors import CliError
from ownit.cli.tables import render
from ownit.domain.errors import FieldError, InvalidTransition, NotFound
from ownit.settings import Settings

T = TypeVar("T")


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "postmortem", help="blameless postmortems of incidents and their action items"
    )
    psub = parser.add_subparsers(dest="postmortem_command", metavar="ACTION", required=True)
    create = psub.add_parser("create", help="the incident's postmortem (created if it has none)")
    create.add_argument("incident", help="an incident's number or id")
    create.add_argument("--owner", help="a user (default: none)")
    create.set_defaults(func=_create)
    show = psub.add_parser("show", help="fields, sections, action items and wording hints")
    show.add_argument("incident")
    show.add_argument("--json", action="store_true", help="the API's JSON answer")
    show.set_defaults(func=_show)
    export = psub.add_parser("export", help="the postmortem as Markdown")
    export.add_argument("incident")
    export.add_argument("-o", "--output", help="write to this file (default: standard output)")
    export.set_defaults(func=_export)
    action = psub.add_parser("action", help="add an action item, or mark one done or open")
    action.add_argument("incident")
    asub = action.add_subparsers(dest="action_command", metavar="WHAT", required=True)
    add = asub.add_parser("add", help="a new action item")
    add.add_argument("--title", required=True)
    add.add_argument("--owner", required=True, help="a user")
    add.add_argument("--due", required=True, help="a date, YYYY-MM-DD (a past one is overdue)")
    add.add_argument("--link", help="an http(s) URL (a ticket)")
    add.set_defaults(func=_add)
    for name, status in (("done", "done"), ("reopen", "open")):
        tick = asub.add_parser(name, help=f"mark action item N {status}")
        tick.add_argument("number", type=int)
        tick.set_defaults(func=_tick, status=status)


def _guard(run: Callable[[], T]) -> T:
    try:
        return run()
    except FieldError as exc:
        option = {"owner": "--owner", "due": "--due", "link": "--link", "title": "--title"}
        raise CliError(f"{option.get(exc.field, exc.field)}: {exc.detail}") from None
    except (NotFound, InvalidTransition) as exc:
        raise CliError(str(exc)) from None


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CliError(f"--due: {value!r} is not a date (YYYY-MM-DD)") from None


def _create(args: argparse.Namespace, settings: Settings) -> int:
    with database(settings) as db:
        store = db.postmortems
        record, created = _guard(
            lambda: uc.create(
                store=store, clock=SystemClock(), ref=args.incident, owner=args.owner, by=None
            )
        )
    verb = "created" if created else "exists:"
    print(
        f"postmortem {record.id} {verb} {record.postmortem.title} "
        f"({record.postmortem.status.value}, due {record.postmortem.due.isoformat()})"
    )
    return 0


def _show(args: argparse.Namespace, settings: Settings) -> int:
    now = SystemClock().now()
    with database(settings) as db:
        store = db.postmortems
        record = _guard(lambda: uc.of_incident(store=store, ref=args.incident))
        body = uc.answer(store, record, now)
    if args.json:
        print(json.dumps(body, indent=2))
        return 0
    print(f"{body['title']}\nstatus {body['status']}, owner {body['owner'] or '(none)'}, ", end="")
    print(f"due {body['due']}{' (overdue)' if body['overdue'] else ''}")
    for name, text in body["sections"].items():
        print(f"\n[{name}]\n{text.strip() or '(not written yet)'}")
    if body["actions"]:
        rows = [
            [
                a["number"],
                a["status"],
                a["due"] + (" !" if a["overdue"] else ""),
                a["owner"],
                a["title"],
            ]
            for a in body["actions"]
        ]
        print("\n" + render(["N", "STATUS", "DUE", "OWNER", "TITLE"], rows))
    for hint in body["wording_hints"]:
        print(f"hint: {hint['section']}: {hint['phrase']!r}: {hint['suggestion']}")
    return 0


def _export(args: argparse.Namespace, settings: Settings) -> int:
    with database(settings) as db:
        store = db.postmortems
        record = _guard(lambda: uc.of_incident(store=store, ref=args.incident))
        text = markdown(store, record, SystemClock().now())
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CliError(f"--output: cannot write {args.output}: {exc.strerror}") from None
        print(f"wrote {args.output}")
    else:
        sys.stdout.write(text)
    return 0


def _add(args: argparse.Namespace, settings: Settings) -> int:
    due = _date(args.due)
    with database(settings) as db:
        store = db.postmortems
        record = _guard(lambda: uc.of_incident(store=store, ref=args.incident))
        item = _guard(
            lambda: uc.add_action(
                store=store,
                clock=SystemClock(),
                record=record,
                title=args.title,
                owner=args.owner,
                due=due,
                link=args.link,
            )
        )
    print(f"action item {item.number} added: {item.title} ({item.owner}, due {item.due})")
    return 0


def _tick(args: argparse.Namespace, settings: Settings) -> int:
    with database(settings) as db:
        store = db.postmortems
        record = _guard(lambda: uc.of_incident(store=store, ref=args.incident))
        item = _guard(
            lambda: uc.edit_action(
                store=store,
                clock=SystemClock(),
                record=record,
                number=args.number,
                status=args.status,
            )
        )
    print(f"action item {item.number} is {item.status.value}: {item.title}")
    return 0
