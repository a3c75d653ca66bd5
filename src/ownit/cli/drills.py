"""``ownit drill run|list|runs``: run a paging drill now, list drills with their hit rate,
a drill's runs with their scores."""

from __future__ import annotations

import argparse
import getpass
from typing import Any

from ownit.app import drills as uc
from ownit.app.clock import SystemClock
from ownit.bootstrap import database
from ownit.cli.errors import CliError
from ownit.cli.tables import render
from ownit.domain.errors import FieldError, InvalidTransition, NotFound
from ownit.settings import Settings


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "drill", help="paging drills: practice pages through the real pipeline, scored"
    )
    dsub = parser.add_subparsers(dest="drill_command", metavar="ACTION", required=True)
    run = dsub.add_parser("run", help="run a drill now: its incident pages its service's policy")
    run.add_argument("name", help="the drill's name (catalog kind Drill)")
    run.set_defaults(func=_run)
    ls = dsub.add_parser("list", help="every drill with its last run and hit rate")
    ls.add_argument("--team", help="only the drills of this team's services")
    ls.set_defaults(func=_list)
    runs = dsub.add_parser("runs", help="a drill's runs, newest first, with their scores")
    runs.add_argument("name", help="the drill's name")
    runs.set_defaults(func=_runs)


def _actor() -> str:
    try:
        return f"cli/{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _percent(rate: float | None) -> str:
    return "-" if rate is None else f"{rate * 100:.0f}%"


def _verdict(met: bool | None) -> str:
    return {True: "met", False: "missed", None: "open"}[met]


def _run(args: argparse.Namespace, settings: Settings) -> int:
    clock = SystemClock()
    with database(settings) as db:
        try:
            started = uc.run_now(store=db.drills, clock=clock, name=args.name, by=_actor())
        except (NotFound, InvalidTransition) as exc:
            raise CliError(str(exc)) from None
        except FieldError as exc:
            raise CliError(f"drill {args.name!r} cannot run: {exc.detail}") from None
    print(
        f"drill {args.name} is running: incident #{started.incident_number} ({started.incident_id})"
        "; acknowledge it to score the drill"
    )
    return 0


def _list(args: argparse.Namespace, settings: Settings) -> int:
    with database(settings) as db:
        answer = uc.overview(store=db.drills, clock=SystemClock(), team=args.team)
    if not answer["drills"]:
        print("no drills (add a Drill to the catalog and `ownit catalog apply`)")
        return 0
    rows = []
    for d in answer["drills"]:
        last = d["last_run"]
        rows.append(
            [
                d["name"],
                d["service"] + (f"/{d['component']}" if d["component"] else ""),
                d["schedule"] or "-",
                d["runs"],
                _percent(d["hit_rate"]),
                last["started_at"] if last else "never",
                _verdict(last["met_target"]) if last else "-",
            ]
        )
    print(render(["NAME", "TARGET", "SCHEDULE", "RUNS", "HIT RATE", "LAST RUN", "VERDICT"], rows))
    return 0


def _runs(args: argparse.Namespace, settings: Settings) -> int:
    clock = SystemClock()
    with database(settings) as db:
        try:
            found = uc.runs(store=db.drills, name=args.name)
        except NotFound as exc:
            raise CliError(str(exc)) from None
    if not found:
        print(f"drill {args.name} has not run yet (`ownit drill run {args.name}`)")
        return 0
    now = clock.now()
    rows = []
    for run in found:
        scored = run.score(now)
        rows.append(
            [
                run.id,
                f"#{run.incident_number}" if run.incident_number is not None else "-",
                run.started_at.isoformat(),
                run.acknowledged_by or "-",
                "-" if scored.seconds_to_ack is None else f"{scored.seconds_to_ack} s",
                run.levels_reached,
                _verdict(scored.met_target),
                ", ".join(run.never_acknowledged) or "-",
            ]
        )
    headers = ["RUN", "INCIDENT", "STARTED", "ACK BY", "TO ACK", "LEVELS", "VERDICT"]
    print(render([*headers, "NEVER ACKNOWLEDGED"], rows))
    return 0
