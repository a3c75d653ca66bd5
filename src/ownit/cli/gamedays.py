"""``ownit gameday run|report``: run a game day, print its report (``--markdown``)."""

from __future__ import annotations

import argparse
import getpass
from typing import Any

import orjson

from ownit.app import gamedays as uc
from ownit.app.clock import SystemClock
from ownit.bootstrap import database
from ownit.cli.errors import CliError
from ownit.domain.errors import NotFound
from ownit.domain.gamedays import markdown
from ownit.settings import Settings


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "gameday", help="game days: scripted drill events, expectations checked, a report"
    )
    gsub = parser.add_subparsers(dest="gameday_command", metavar="ACTION", required=True)
    run = gsub.add_parser("run", help="run a game day: its steps are injected as drill events")
    run.add_argument("name", help="the game day's name (catalog kind GameDay)")
    run.set_defaults(func=_run)
    rep = gsub.add_parser("report", help="a run's report: expectations, timeline, notes")
    rep.add_argument("name", help="the game day's name")
    rep.add_argument("run", type=int, help="the run's id (printed by `ownit gameday run`)")
    rep.add_argument("--markdown", action="store_true", help="as Markdown (default JSON)")
    rep.set_defaults(func=_report)


def _actor() -> str:
    try:
        return f"cli/{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _run(args: argparse.Namespace, settings: Settings) -> int:
    with database(settings) as db:
        try:
            found = uc.start(
                store=db.gamedays,
                drills=db.drills,
                clock=SystemClock(),
                name=args.name,
                by=_actor(),
            )
        except NotFound as exc:
            raise CliError(str(exc)) from None
    injected = sum(1 for s in found["steps"] if s["injected_at"])
    print(
        f"game day {args.name} run {found['id']} started: {injected} of {len(found['steps'])} "
        f"step(s) injected, the engine injects the rest on time; "
        f"`ownit gameday report {args.name} {found['id']}`"
    )
    return 0


def _report(args: argparse.Namespace, settings: Settings) -> int:
    with database(settings) as db:
        try:
            found = uc.report(
                store=db.gamedays, name=args.name, run_id=args.run, now=SystemClock().now()
            )
        except NotFound as exc:
            raise CliError(str(exc)) from None
    if args.markdown:
        print(markdown(found), end="")
    else:
        print(orjson.dumps(found, option=orjson.OPT_INDENT_2).decode())
    return 0
