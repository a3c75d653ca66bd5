"""``ownit heartbeat list``: each heartbeat's service, state and last ping (keys on request)."""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any

from ownit.bootstrap import database
from ownit.cli.tables import render
from ownit.cli.times import when
from ownit.domain.durations import format_duration
from ownit.domain.key_digests import masked
from ownit.settings import Settings


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "heartbeat", help="heartbeats: jobs that ping ownit, an incident when they go quiet"
    )
    hsub = parser.add_subparsers(dest="heartbeat_command", metavar="ACTION", required=True)
    ls = hsub.add_parser("list", help="every heartbeat with its state and last ping")
    ls.add_argument(
        "--show-keys",
        action="store_true",
        help="show each heartbeat's key hint (keys are shown once, by catalog apply)",
    )
    ls.set_defaults(func=_list)


def _list(args: argparse.Namespace, settings: Settings) -> int:
    with database(settings) as db:
        beats = db.heartbeats.all()
    if not beats:
        print("no heartbeats (add a Heartbeat to the catalog and `ownit catalog apply`)")
        return 0
    headers = ["NAME", "SERVICE", "STATE", "EVERY", "GRACE", "LAST PING", "DUE", "PING"]
    rows: list[list[Any]] = []
    for b in beats:
        ping = f"{settings.base_url}/api/v1/heartbeats/{b.name}/ping"
        row: list[Any] = [
            b.name,
            b.service,
            b.state,
            format_duration(timedelta(seconds=b.interval_seconds)),
            format_duration(timedelta(seconds=b.grace_seconds)),
            when(b.last_ping_at, empty="never"),
            when(b.due_at, empty="never"),
            ping,
        ]
        if args.show_keys:
            row.append(masked(b.key_hint))  # keys are kept hashed (0035)
        rows.append(row)
    print(render(headers + (["KEY"] if args.show_keys else []), rows))
    return 0
