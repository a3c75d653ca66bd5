"""``ownit baseline capture|list|use|compare``: keep a window's figures and compare the last
7 days with them (``docs/analytics.md``, "Baselines")."""

from __future__ import annotations

import argparse
import getpass
import json
from typing import Any

from ownit.app import analytics as uc
from ownit.app import baselines as bl
from ownit.app.clock import SystemClock
from ownit.bootstrap import database
from ownit.cli.errors import CliError
from ownit.cli.tables import render
from ownit.cli.times import when
from ownit.domain.errors import NotFound
from ownit.settings import Settings


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "baseline", help="baselines: a window's MTTA/MTTR to compare later weeks with"
    )
    bsub = parser.add_subparsers(dest="baseline_command", metavar="ACTION", required=True)
    cap = bsub.add_parser("capture", help="keep the figures of a window (default: last 30 days)")
    cap.add_argument("name")
    cap.add_argument("--since", help="RFC 3339 instant or duration back (30d); default 30d")
    cap.add_argument("--until", help="RFC 3339 instant or duration back; default now")
    cap.set_defaults(func=_capture)
    ls = bsub.add_parser("list", help="every baseline, newest first; * marks the current one")
    ls.set_defaults(func=_list)
    use = bsub.add_parser("use", help="make this baseline the current one")
    use.add_argument("name")
    use.set_defaults(func=_use)
    cmp_ = bsub.add_parser("compare", help="the last 7 days against a baseline")
    cmp_.add_argument("name", nargs="?", help="default: the current baseline")
    cmp_.add_argument("--format", choices=("text", "json"), default="text")
    cmp_.set_defaults(func=_compare)


def _actor() -> str:
    try:
        return f"cli/{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _capture(args: argparse.Namespace, settings: Settings) -> int:
    with database(settings) as db:
        try:
            baseline, groups = bl.capture_baseline(
                analytics=db.analytics,
                baselines=db.baselines,
                clock=SystemClock(),
                name=args.name,
                since=args.since,
                until=args.until,
                by=_actor(),
            )
        except uc.InvalidAnalyticsRequest as exc:
            option = "NAME" if exc.field == "name" else f"--{exc.field}"
            raise CliError(f"{option}: {exc.detail}") from None
    services = sum(1 for g in groups if g.kind == "service")
    print(
        f"baseline {baseline.name}: {when(baseline.since)} to {when(baseline.until)}, "
        f"{services} service(s), {len(groups) - services} team(s)"
    )
    return 0


def _list(args: argparse.Namespace, settings: Settings) -> int:
    with database(settings) as db:
        found = bl.list_baselines(baselines=db.baselines)
    if not found:
        print("no baselines (capture one: ownit baseline capture NAME --since 30d)")
        return 0
    rows = [
        ["*" if b.current else "", b.name, when(b.since), when(b.until), b.created_by]
        for b in found
    ]
    print(render(["", "NAME", "SINCE", "UNTIL", "BY"], rows))
    return 0


def _use(args: argparse.Namespace, settings: Settings) -> int:
    with database(settings) as db:
        try:
            bl.use_baseline(baselines=db.baselines, clock=SystemClock(), name=args.name)
        except NotFound:
            raise CliError(f"NAME: there is no baseline named {args.name!r}") from None
    print(f"baseline {args.name} is now the current one")
    return 0


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:+.0%}"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}s"


def _compare(args: argparse.Namespace, settings: Settings) -> int:
    with database(settings) as db:
        try:
            found = bl.compare(
                analytics=db.analytics, baselines=db.baselines, clock=SystemClock(), name=args.name
            )
        except NotFound as exc:
            raise CliError(str(exc)) from None
    if args.format == "json":
        print(json.dumps(found.as_dict(), indent=2))
        return 0
    print(f"the last 7 days against baseline {found.baseline.name}")
    rows = [
        [
            c.kind,
            c.key,
            c.metric.upper(),
            _seconds(c.baseline_p50),
            _seconds(c.recent_p50),
            c.recent_count,
            _pct(c.change),
            c.verdict.value,
        ]
        for c in found.groups
    ]
    print(
        render(
            ["KIND", "KEY", "METRIC", "BASELINE P50", "RECENT P50", "N", "CHANGE", "VERDICT"], rows
        )
    )
    return 0
