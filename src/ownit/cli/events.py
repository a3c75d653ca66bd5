"""``ownit event list|explain``: what arrived, and why it did or did not page."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ownit.app.event_log import EventLog
from ownit.bootstrap import database
from ownit.cli.errors import CliError
from ownit.cli.routers import tags_text
from ownit.cli.tables import render
from ownit.cli.times import when
from ownit.settings import Settings


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "event", help="raw events as they arrived, and what each did"
    )
    esub = parser.add_subparsers(dest="event_command", metavar="ACTION", required=True)
    ls = esub.add_parser("list", help="the newest events")
    ls.add_argument("--service", help="only this service's")
    ls.add_argument("--limit", type=int, default=30)
    ls.set_defaults(func=_list)
    explain = esub.add_parser("explain", help="one event: its outcome and routing decision")
    explain.add_argument("id", help="the event id (evt_…), from `ownit event list`")
    explain.set_defaults(func=_explain)


@contextmanager
def _log(settings: Settings) -> Iterator[EventLog]:
    with database(settings) as db:
        yield db.events


def _list(args: argparse.Namespace, settings: Settings) -> int:
    with _log(settings) as log:
        rows = log.recent(service=args.service, limit=args.limit)
    if not rows:
        print("no events")
        return 0
    print(
        render(
            ["ID", "RECEIVED (UTC)", "FORMAT", "ACTION", "SERVICE", "DEDUP KEY", "OUTCOME"],
            [
                [
                    r["id"],
                    when(r["received_at"]),
                    r["format"],
                    r["action"],
                    r["service"] or "-",
                    r["dedup_key"] or "-",
                    r["outcome"],
                ]
                for r in rows
            ],
        )
    )
    return 0


def _explain(args: argparse.Namespace, settings: Settings) -> int:
    with database(settings) as db:
        event = db.events.get(args.id)
        if event is None:
            raise CliError(f"event {args.id!r} does not exist (see `ownit event list`)")
        service = db.directory.service(event["service"]) if event["service"] else None
    kind = f"{event['format']} {event['action']}"
    print(f"event {event['id']} ({kind}), received {when(event['received_at'])}")
    print(f"  service:   {event['service'] or '-'}")
    if service is not None and tags_text(service):
        print(f"             {tags_text(service)}")
    print(f"  dedup key: {event['dedup_key'] or '-'}")
    print(f"  outcome:   {event['outcome']}")
    if event["incident_id"]:
        print(f"  incident:  #{event['incident_number']} ({event['incident_id']})")
    if event.get("component"):
        print(f"  component: {event['component']}")
    route = event.get("route")
    if route:
        print(f"  routed by router {route['router']}:")
        for result in route["results"]:
            print(f"    → {result['decision']}")
            for step in result["path"]:
                matchers = ", ".join(step["matchers"]) or "(always)"
                print(f"        {step['node']}: {matchers}")
    else:
        print("  routed by: the integration's own service")
    print("  payload:")
    print("    " + json.dumps(event["raw"], indent=2, sort_keys=True).replace("\n", "\n    "))
    return 0
